"""API v2 deal products: the products attached to a deal (``/api/v2/deals/{id}/products...``).

Routes, as the official v2 description has them (npm ``pipedrive`` 33.x): list a deal's products,
attach one, attach up to 100 at once (``/bulk``, atomic), change or detach one by its
``product_attachment_id``, detach several (``ids``, or up to 100 when none are given), and list
the products of up to 100 deals at once (``GET /api/v2/deals/products?deal_ids=``).

Rules from the official models and descriptions:

- ``product_id``, ``item_price`` and ``quantity`` are required when attaching; the product must
  exist and be linkable (``is_linkable``: "whether this product can be added to a deal");
- ``discount`` is a percentage or an amount (``discount_type``, default percentage); ``tax`` is a
  percentage applied by ``tax_method``: ``exclusive`` adds it, ``inclusive`` means the price holds
  it, ``none`` adds none; "changing this in one product affects the rest of the products attached
  to the deal", so the sandbox sets every product of the deal to it; a new attachment takes the
  deal's method, or ``none`` (a new company's default: no tax) on a deal without products;
- ``sum`` is quantity × item price, less the discount, plus exclusive tax;
- ``billing_frequency_cycles`` follows the products' rule (null for one-time, not null for
  weekly, 1 to 208) and "a deal can have up to 20 products attached with billing_frequency
  different than one-time"; ``billing_start_date`` must lie within ten years of today;
- the sandbox keeps no product variations: a ``product_variation_id`` other than null is a 400.

The deal's value: Pipedrive calculates a deal's value from its products ("if the deal has products
added to it, you'll need to adjust the number of products and the value will be calculated
automatically"; a disabled product is left out of "the deal value calculation"). The sandbox sets
the deal's ``value`` to the sum of its enabled products' sums after every deal-product write (0 when
the last one is detached) and refuses a deal update that sets another ``value`` while the deal has
products (model.py); recurring and one-time products count alike, and ``acv``/``arr``/``mrr`` stay
null (the sandbox does not model recurring revenue). Archived deals take no product changes, as
they take no other change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..store import now_iso
from .base import Ctx, Router, keyset_page, v2_limit, v2_sort
from .errors import bad_request, not_found
from .model import Company, to_bool, to_int, to_number, to_str
from .products import BILLING_FREQUENCIES, check_billing
from .util import check_date
from .v2 import ok

TAX_METHODS = ("exclusive", "inclusive", "none")
DISCOUNT_TYPES = ("percentage", "amount")
ADD_KEYS = ("product_id", "item_price", "quantity", "tax", "comments", "discount", "is_enabled", "tax_method",
            "discount_type", "product_variation_id", "billing_frequency", "billing_frequency_cycles",
            "billing_start_date")
MAX_BULK = 100
MAX_RECURRING = 20


# ----------------------------------------------------------------------------- input
def _enum(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    text = to_str(value, name, True)
    if text not in allowed:
        raise bad_request(f"Parameter '{name}' must be one of: {', '.join(allowed)}")
    return text


def parse(company: Company, body: dict[str, Any], *, adding: bool, where: str = "") -> dict[str, Any]:
    """A deal-product body -> stored field changes, strictly typed (v2)."""
    for key in body:
        if key not in ADD_KEYS:
            raise bad_request(f"Parameter '{where}{key}' is not allowed for this request")
    if adding:
        for key in ("product_id", "item_price", "quantity"):
            if body.get(key) is None:
                raise bad_request(f"Parameter '{where}{key}' is required")
    changes: dict[str, Any] = {}
    if "product_id" in body:
        product_id = to_int(body["product_id"], f"{where}product_id", True)
        product = company.require("product", product_id)
        if not product.get("is_linkable", True):
            raise bad_request(f"Product with id {product_id} cannot be added to a deal (is_linkable is false)")
        changes.update(product_id=product_id, name=product["name"])
    for key in ("item_price", "quantity", "tax", "discount"):
        if key in body:
            number = to_number(body[key], f"{where}{key}", True)
            if number < 0 or (key == "quantity" and number == 0):
                raise bad_request(f"Parameter '{where}{key}' must be {'positive' if key == 'quantity' else 'at least 0'}")
            changes[key] = number
    if "comments" in body:
        changes["comments"] = None if body["comments"] is None else to_str(body["comments"], f"{where}comments", True)
    if "is_enabled" in body:
        changes["is_enabled"] = to_bool(body["is_enabled"], f"{where}is_enabled", True)
    if "tax_method" in body:
        changes["tax_method"] = _enum(body["tax_method"], f"{where}tax_method", TAX_METHODS)
    if "discount_type" in body:
        changes["discount_type"] = _enum(body["discount_type"], f"{where}discount_type", DISCOUNT_TYPES)
    if body.get("product_variation_id") is not None:
        variation = to_int(body["product_variation_id"], f"{where}product_variation_id", True)
        raise bad_request(f"Product variation with id {variation} does not exist")
    if "billing_frequency" in body:
        changes["billing_frequency"] = _enum(body["billing_frequency"], f"{where}billing_frequency",
                                             BILLING_FREQUENCIES)
    if "billing_frequency_cycles" in body:
        cycles = body["billing_frequency_cycles"]
        changes["billing_frequency_cycles"] = (
            None if cycles is None else to_int(cycles, f"{where}billing_frequency_cycles", True)
        )
    if "billing_start_date" in body:
        start = body["billing_start_date"]
        if start is not None:
            start = check_date(start, f"{where}billing_start_date")
            today = date.today()
            if abs(date.fromisoformat(start).year - today.year) > 10:
                raise bad_request(f"Parameter '{where}billing_start_date' must be within 10 years of today")
        changes["billing_start_date"] = start
    return changes


# ----------------------------------------------------------------------------- arithmetic
def _round(number: float) -> int | float:
    number = round(number, 2)
    return int(number) if float(number).is_integer() else number


def line_sum(dp: dict[str, Any]) -> int | float:
    """Quantity × item price, less the discount (a percentage or an amount), plus exclusive tax."""
    total = dp["quantity"] * dp["item_price"]
    if dp.get("discount_type", "percentage") == "percentage":
        total *= 1 - (dp.get("discount") or 0) / 100
    else:
        total -= dp.get("discount") or 0
    if dp.get("tax_method") == "exclusive":
        total *= 1 + (dp.get("tax") or 0) / 100
    return _round(total)


def products_of(company: Company, deal_id: int) -> list[dict[str, Any]]:
    return company.store.select(company.id, "deal_product", where={"deal_id": deal_id})


def recompute(company: Company, deal: dict[str, Any]) -> None:
    """Set the deal's value to the sum of its enabled products (Pipedrive calculates it)."""
    value = _round(sum(dp["sum"] for dp in products_of(company, deal["id"]) if dp.get("is_enabled", True)))
    if deal.get("value") != value:
        deal["value"] = value
        company.store.put(company.id, "deal", deal)


# ----------------------------------------------------------------------------- writes
def _deal(company: Company, deal_id: int) -> dict[str, Any]:
    deal = company.find("deal", deal_id)
    if deal.get("is_archived"):
        raise bad_request("Archived deals cannot be edited; unarchive the deal first (is_archived: false)")
    return deal


def _check(company: Company, deal: dict[str, Any], record: dict[str, Any],
           existing: list[dict[str, Any]] | None = None) -> None:
    """Pipedrive's rules for one deal product; `existing` is the deal's products when the caller has them."""
    check_billing(record["billing_frequency"], record["billing_frequency_cycles"])
    if record["discount_type"] == "percentage" and record["discount"] > 100:
        raise bad_request("Parameter 'discount' must be at most 100 for a percentage discount")
    others = existing if existing is not None else products_of(company, deal["id"])
    recurring = [dp for dp in others if dp["id"] != record.get("id") and dp["billing_frequency"] != "one-time"]
    if record["billing_frequency"] != "one-time" and len(recurring) >= MAX_RECURRING:
        raise bad_request(f"A deal can have at most {MAX_RECURRING} products with a recurring billing frequency")


def _spread_tax_method(company: Company, deal: dict[str, Any], record: dict[str, Any]) -> None:
    """Pipedrive: changing the tax method of one product changes it for all of the deal's products."""
    for other in products_of(company, deal["id"]):
        if other["id"] != record.get("id") and other.get("tax_method") != record["tax_method"]:
            other["tax_method"] = record["tax_method"]
            other["sum"] = line_sum(other)
            company.store.put(company.id, "deal_product", other)


def attach(company: Company, deal: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    existing = products_of(company, deal["id"])
    method = existing[0]["tax_method"] if existing else "none"
    record: dict[str, Any] = {
        "deal_id": deal["id"], "product_variation_id": None, "order_nr": max([d["order_nr"] for d in existing] or [0]) + 1,
        "discount": 0, "discount_type": "percentage", "tax": 0, "tax_method": method, "comments": None,
        "is_enabled": True, "currency": deal["currency"], "billing_frequency": "one-time",
        "billing_frequency_cycles": None, "billing_start_date": None,
    }
    record.update(changes)
    _check(company, deal, record, existing)  # nothing was written since they were read
    record["sum"] = line_sum(record)
    stamp = now_iso()
    record.update(add_time=stamp, update_time=stamp, is_deleted=False)
    company.store.insert(company.id, "deal_product", record)
    if "tax_method" in changes:
        _spread_tax_method(company, deal, record)
    return record


def change(company: Company, deal: dict[str, Any], record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    record.update(changes)
    _check(company, deal, record)
    record["sum"] = line_sum(record)
    company.store.put(company.id, "deal_product", record)
    if "tax_method" in changes:
        _spread_tax_method(company, deal, record)
    return record


def _attachment(company: Company, deal_id: int, attachment_id: int) -> dict[str, Any]:
    record = company.get("deal_product", attachment_id)
    if record is None or record.get("is_deleted") or record["deal_id"] != deal_id:
        raise not_found("Deal product not found")
    return record


def detach(company: Company, record: dict[str, Any]) -> None:
    record["is_deleted"] = True
    company.store.put(company.id, "deal_product", record)


# ----------------------------------------------------------------------------- answers
def deal_product_v2(dp: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": dp["id"],
        "sum": dp["sum"],
        "tax": dp["tax"],
        "deal_id": dp["deal_id"],
        "name": dp["name"],
        "product_id": dp["product_id"],
        "product_variation_id": dp.get("product_variation_id"),
        "order_nr": dp["order_nr"],
        "add_time": dp["add_time"],
        "update_time": dp["update_time"],
        "comments": dp.get("comments"),
        "currency": dp["currency"],
        "discount": dp["discount"],
        "discount_type": dp["discount_type"],
        "quantity": dp["quantity"],
        "item_price": dp["item_price"],
        "tax_method": dp["tax_method"],
        "is_enabled": bool(dp["is_enabled"]),
        "billing_frequency": dp["billing_frequency"],
        "billing_frequency_cycles": dp.get("billing_frequency_cycles"),
        "billing_start_date": dp.get("billing_start_date"),
    }


SORTS = ("id", "add_time", "update_time", "order_nr")


def register(router: Router) -> None:
    def list_deal(ctx: Ctx) -> tuple[int, Any]:
        deal = ctx.company.find("deal", ctx.id(), deleted_ok=True)
        sort_by, direction = v2_sort(ctx, SORTS)
        rows, cursor = keyset_page(ctx, "deal_product", where={"deal_id": deal["id"]}, deleted=False, sql=[],
                                   sort_by=sort_by, direction=direction, limit=v2_limit(ctx))
        return 200, ok([deal_product_v2(r) for r in rows], cursor, listing=True)

    def list_many(ctx: Ctx) -> tuple[int, Any]:
        deal_ids = ctx.query.int_list("deal_ids", max_items=100)
        if not deal_ids:
            raise bad_request("Parameter 'deal_ids' is required")
        sort_by, direction = v2_sort(ctx, ("id", "deal_id", "add_time", "update_time", "order_nr"))
        rows, cursor = keyset_page(ctx, "deal_product", where={"deal_id": deal_ids}, deleted=False, sql=[],
                                   sort_by=sort_by, direction=direction, limit=v2_limit(ctx))
        return 200, ok([deal_product_v2(r) for r in rows], cursor, listing=True)

    def add(ctx: Ctx) -> tuple[int, Any]:
        deal = _deal(ctx.company, ctx.id())
        record = attach(ctx.company, deal, parse(ctx.company, ctx.body, adding=True))
        recompute(ctx.company, deal)
        return 200, ok(deal_product_v2(record))

    def add_many(ctx: Ctx) -> tuple[int, Any]:
        deal = _deal(ctx.company, ctx.id())
        items = ctx.only(("data",)).get("data")
        if not isinstance(items, list) or not items:
            raise bad_request("Parameter 'data' must be a non-empty array of products")
        if len(items) > MAX_BULK:
            raise bad_request(f"At most {MAX_BULK} products can be added at once")
        added = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise bad_request(f"Parameter 'data[{index}]' must be an object")
            added.append(attach(ctx.company, deal, parse(ctx.company, item, adding=True, where=f"data[{index}].")))
        recompute(ctx.company, deal)
        return 200, ok([deal_product_v2(r) for r in added])

    def update(ctx: Ctx) -> tuple[int, Any]:
        deal = _deal(ctx.company, ctx.id())
        record = _attachment(ctx.company, deal["id"], ctx.id("product_attachment_id"))
        changes = parse(ctx.company, ctx.body, adding=False)
        if changes:
            record = change(ctx.company, deal, record, changes)
            recompute(ctx.company, deal)
        return 200, ok(deal_product_v2(record))

    def delete(ctx: Ctx) -> tuple[int, Any]:
        deal = _deal(ctx.company, ctx.id())
        record = _attachment(ctx.company, deal["id"], ctx.id("product_attachment_id"))
        detach(ctx.company, record)
        recompute(ctx.company, deal)
        return 200, ok({"id": record["id"]})

    def delete_many(ctx: Ctx) -> tuple[int, Any]:
        deal = _deal(ctx.company, ctx.id())
        attached = products_of(ctx.company, deal["id"])
        ids = ctx.query.int_list("ids", max_items=MAX_BULK)
        if ids is None:
            chosen, more = attached[:MAX_BULK], len(attached) > MAX_BULK
        else:
            by_id = {d["id"]: d for d in attached}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise bad_request(f"Deal product with id {missing[0]} is not attached to deal {deal['id']}")
            chosen, more = [by_id[i] for i in dict.fromkeys(ids)], False
        for record in chosen:
            detach(ctx.company, record)
        recompute(ctx.company, deal)
        return 200, {"success": True, "data": {"ids": [d["id"] for d in chosen]},
                     "additional_data": {"more_items_in_collection": more}}

    # before /api/v2/deals/{id}, so that "products" is not read as a deal id
    router.add("/api/v2/deals/products", get=list_many)
    router.add("/api/v2/deals/{id}/products", get=list_deal, post=add, delete=delete_many)
    router.add("/api/v2/deals/{id}/products/bulk", post=add_many)
    router.add("/api/v2/deals/{id}/products/{product_attachment_id}", patch=update, delete=delete)
