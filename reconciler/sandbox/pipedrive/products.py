"""API v2 products: ``/api/v2/products`` and ``/api/v2/products/{id}``.

Shapes and rules follow the official v2 product models (npm ``pipedrive`` 33.x):

- a product has a ``name`` (required), ``code``, ``description``, ``unit``, ``tax`` (a percentage),
  a ``category`` (an option id of the standard ``category`` product field; answered as a string,
  as the answer model types it), an owner, ``visible_to``, ``is_linkable`` ("whether this product
  can be added to a deal"), ``billing_frequency`` and ``billing_frequency_cycles`` and custom
  fields (``custom_fields`` keyed by hash, as deals' are);
- ``prices`` holds one price per currency (``price``, ``cost``, ``direct_cost``, ``notes``; "there
  can only be one price per product per currency"); "when prices is omitted altogether, a default
  price of 0 and the user's default currency will be assigned"; a ``prices`` in an update replaces
  the list;
- ``billing_frequency_cycles`` "must be null" for a one-time product, "cannot be null" for a
  weekly one, and is otherwise a positive integer up to 208 (null: billed indefinitely);
- deleting "marks a product as deleted": lists leave it out and a get by id answers 404, as for
  persons and organizations; deal products that use it stay;
- lists page with a cursor, filter by ``owner_id``, ``ids`` (at most 100) and ``updated_since``,
  sort by ``id``, ``name``, ``add_time`` or ``update_time`` and take ``custom_fields`` (at most 15
  keys) to narrow the custom fields answered.

Every write takes only the official request keys (anything else is a 400, as v2 answers it).
The v1 product endpoints are out of support (see ``deprecated.py``).
"""

from __future__ import annotations

from typing import Any

from ..company import DEFAULT_CURRENCY
from ..store import now_iso
from .base import Ctx, Router, keyset_page, time_filters, v2_limit, v2_sort
from .currency_codes import check_currency
from .errors import bad_request
from .model import Company, F, coerce, merge_custom, to_int, to_number, to_str
from .v2 import custom_v2, ok, only_custom

BILLING_FREQUENCIES = ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")
MAX_CYCLES = 208
PRODUCT_KEYS = ("name", "code", "description", "unit", "tax", "category", "owner_id", "is_linkable",
                "visible_to", "prices", "billing_frequency", "billing_frequency_cycles", "custom_fields")
PRICE_KEYS = ("currency", "price", "cost", "direct_cost", "notes")
SIMPLE = {
    "name": F("name", "str", None, "name", nullable=False),
    "code": F("code", "str", None, "code"),
    "description": F("description", "str", None, "description"),
    "unit": F("unit", "str", None, "unit"),
    "owner_id": F("owner_id", "user", None, "owner_id", nullable=False),
    "is_linkable": F("is_linkable", "bool", None, "is_linkable", nullable=False),
    "visible_to": F("visible_to", "visible_to", None, "visible_to", nullable=False),
}


def defaults(company: Company) -> dict[str, Any]:
    return {
        "name": None,
        "code": None,
        "description": None,
        "unit": None,
        "tax": 0,
        "category": None,
        "owner_id": company.api_user_id,
        "is_linkable": True,
        "visible_to": 3,
        "prices": [_price({"currency": DEFAULT_CURRENCY}, "prices[0]")],
        "billing_frequency": "one-time",
        "billing_frequency_cycles": None,
        "custom_fields": {},
    }


# ----------------------------------------------------------------------------- input
def _price(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request(f"Parameter '{name}' must be an object")
    for key in raw:
        if key not in PRICE_KEYS:
            raise bad_request(f"Parameter '{name}.{key}' is not allowed for this request")
    if raw.get("currency") is None:
        raise bad_request(f"Parameter '{name}.currency' is required")
    currency = check_currency(to_str(raw["currency"], f"{name}.currency", True), f"{name}.currency")
    direct = raw.get("direct_cost")
    notes = raw.get("notes")
    return {
        "currency": currency,
        "price": to_number(raw.get("price", 0), f"{name}.price", True),
        "cost": to_number(raw.get("cost", 0), f"{name}.cost", True),
        "direct_cost": None if direct is None else to_number(direct, f"{name}.direct_cost", True),
        "notes": "" if notes is None else to_str(notes, f"{name}.notes", True),
    }


def _prices(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_request("Parameter 'prices' must be an array")
    prices = [_price(item, f"prices[{i}]") for i, item in enumerate(value)]
    currencies = [p["currency"] for p in prices]
    for currency in currencies:
        if currencies.count(currency) > 1:
            raise bad_request(f"There can only be one price per currency; {currency} appears twice")
    return prices


def category_options(company: Company) -> dict[int, str]:
    for field in company.fields("product"):
        if field["key"] == "category" and not field["is_custom"]:
            return {o["id"]: o["label"] for o in field.get("options") or []}
    return {}


def parse(ctx: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    """A v2 product body -> (changes, custom field changes), strictly typed."""
    body = ctx.only(PRODUCT_KEYS)
    company = ctx.company
    changes: dict[str, Any] = {}
    for key, spec in SIMPLE.items():
        if key in body:
            changes[key] = coerce(company, spec, body[key], key, True)
    if "tax" in body:
        tax = 0 if body["tax"] is None else to_number(body["tax"], "tax", True)
        if tax < 0:
            raise bad_request("Parameter 'tax' must not be negative")
        changes["tax"] = tax
    if "category" in body:
        category = body["category"]
        if category is not None:
            category = to_int(category, "category", True)
            if category not in category_options(company):
                raise bad_request(f"Category with id {category} does not exist")
        changes["category"] = category
    if "prices" in body:
        changes["prices"] = _prices(body["prices"] or [])
    if "billing_frequency" in body:
        frequency = to_str(body["billing_frequency"], "billing_frequency", True)
        if frequency not in BILLING_FREQUENCIES:
            raise bad_request(f"Parameter 'billing_frequency' must be one of: {', '.join(BILLING_FREQUENCIES)}")
        changes["billing_frequency"] = frequency
    if "billing_frequency_cycles" in body:
        cycles = body["billing_frequency_cycles"]
        changes["billing_frequency_cycles"] = None if cycles is None else to_int(cycles, "billing_frequency_cycles", True)
    custom: dict[str, Any] = {}
    if body.get("custom_fields") is not None:
        custom = company.parse_custom_v2("product", body["custom_fields"])
    return changes, custom


def check_billing(frequency: str, cycles: int | None, where: str = "") -> None:
    """Pipedrive's billing rules, shared by products and deal products."""
    if frequency == "one-time" and cycles is not None:
        raise bad_request(f"Parameter '{where}billing_frequency_cycles' must be null for a one-time billing frequency")
    if frequency == "weekly" and cycles is None:
        raise bad_request(f"Parameter '{where}billing_frequency_cycles' cannot be null for a weekly billing frequency")
    if cycles is not None and not 1 <= cycles <= MAX_CYCLES:
        raise bad_request(f"Parameter '{where}billing_frequency_cycles' must be a positive integer up to {MAX_CYCLES}")


def _apply(company: Company, record: dict[str, Any], changes: dict[str, Any], custom: dict[str, Any]) -> None:
    record.update(changes)
    if not (record.get("name") or "").strip():
        raise bad_request("Parameter 'name' is required")
    merge_custom(record, custom)
    check_billing(record["billing_frequency"], record["billing_frequency_cycles"])


def create(ctx: Ctx) -> dict[str, Any]:
    changes, custom = parse(ctx)
    record = defaults(ctx.company)
    _apply(ctx.company, record, changes, custom)
    stamp = now_iso()
    record.update({"add_time": stamp, "update_time": stamp, "is_deleted": False})
    return ctx.company.store.insert(ctx.company.id, "product", record)


def update(ctx: Ctx, record: dict[str, Any]) -> dict[str, Any]:
    changes, custom = parse(ctx)
    if not changes and not custom:
        return record
    if "name" in changes and changes["name"] is None:
        raise bad_request("Parameter 'name' cannot be empty")
    _apply(ctx.company, record, changes, custom)
    return ctx.company.store.put(ctx.company.id, "product", record)


# ----------------------------------------------------------------------------- answers
def product_v2(company: Company, p: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    category = p.get("category")
    return {
        "id": p["id"],
        "name": p["name"],
        "code": p.get("code"),
        "description": p.get("description"),
        "unit": p.get("unit"),
        "tax": p.get("tax", 0),
        "category": None if category is None else str(category),
        "is_deleted": bool(p.get("is_deleted")),
        "is_linkable": bool(p.get("is_linkable", True)),
        "visible_to": p["visible_to"],
        "owner_id": p["owner_id"],
        "add_time": p["add_time"],
        "update_time": p["update_time"],
        "billing_frequency": p.get("billing_frequency", "one-time"),
        "billing_frequency_cycles": p.get("billing_frequency_cycles"),
        "prices": [{"product_id": p["id"], **price} for price in p.get("prices") or []],
        "custom_fields": custom_v2(company, "product", p, only),
    }


def register(router: Router) -> None:
    def list_(ctx: Ctx) -> tuple[int, Any]:
        q = ctx.query
        where: dict[str, Any] = {}
        ids = q.int_list("ids", max_items=100)
        if ids is not None:
            where["id"] = ids
        if q.has("owner_id"):
            where["owner_id"] = q.int("owner_id")
        sort_by, direction = v2_sort(ctx, ("id", "name", "add_time", "update_time"))
        rows, cursor = keyset_page(ctx, "product", where=where, deleted=False, sql=time_filters(ctx),
                                   sort_by=sort_by, direction=direction, limit=v2_limit(ctx))
        only = only_custom(ctx)
        return 200, ok([product_v2(ctx.company, r, only) for r in rows], cursor, listing=True)

    def get(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(product_v2(ctx.company, ctx.company.find("product", ctx.id())))

    def post(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(product_v2(ctx.company, create(ctx)))

    def patch(ctx: Ctx) -> tuple[int, Any]:
        record = update(ctx, ctx.company.find("product", ctx.id()))
        return 200, ok(product_v2(ctx.company, record))

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = ctx.company.find("product", ctx.id())
        record["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, "product", record)
        return 200, ok({"id": record["id"]})

    router.add("/api/v2/products", get=list_, post=post)
    router.add("/api/v2/products/{id}", get=get, patch=patch, delete=delete)
