"""API v2 product variations (``/api/v2/products/{id}/variations...``).

Routes and shapes from the official client (npm ``pipedrive`` 33.x, ``ProductsApi``): list a
product's variations (``GetProductVariationsResponse``: items {id, name, product_id, prices}, cursor
paging), add one (``AddProductVariationRequest``: ``name`` required, ``prices`` optional), update one
(``UpdateProductVariationRequest``: ``name``, ``prices``), delete one
(``DeleteProductVariationResponse``: ``data`` {id}); each write answers the variation
(``GetProductVariationResponse``).

Rules the sandbox keeps: the product must exist (404); ``name`` is required on add, at most 255
characters; ``prices`` are a product's prices (one per currency, checked as products.py checks
them); a variation added without prices gets "price/cost 0 in the user's default currency", as a
product does; ``prices`` in an update replaces the list.
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, keyset_page, v2_limit
from .errors import bad_request, not_found
from .model import to_str
from .products import _prices, defaults
from .v2 import ok

KIND = "product_variation"


def variation_v2(record: dict[str, Any]) -> dict[str, Any]:
    """One variation as ``GetProductVariationsResponseDataInner`` has it."""
    return {"id": record["id"], "name": record["name"], "product_id": record["product_id"],
            "prices": [dict(price) for price in record.get("prices") or []]}


def _name(value: Any) -> str:
    name = to_str(value, "name", True).strip() if value is not None else ""
    if not name:
        raise bad_request("Parameter 'name' is required")
    if len(name) > 255:
        raise bad_request("Parameter 'name' must be at most 255 characters")
    return name


def register(router: Router) -> None:
    def product(ctx: Ctx) -> dict[str, Any]:
        return ctx.company.find("product", ctx.id())

    def of_product(product_id: int) -> list[tuple[str, list[Any]]]:
        return [("json_extract(data, '$.product_id') = ?", [product_id])]

    def listed(ctx: Ctx) -> tuple[int, Any]:
        found = product(ctx)
        rows, cursor = keyset_page(ctx, KIND, where={}, deleted=False, sql=of_product(found["id"]),
                                   sort_by="id", direction="ASC", limit=v2_limit(ctx))
        return 200, ok([variation_v2(r) for r in rows], cursor, listing=True)

    def add(ctx: Ctx) -> tuple[int, Any]:
        found = product(ctx)
        body = ctx.only(("name", "prices"))
        prices = _prices(body["prices"]) if body.get("prices") is not None else defaults(ctx.company)["prices"]
        record = ctx.company.store.insert(ctx.company.id, KIND, {
            "product_id": found["id"], "name": _name(body.get("name")), "prices": prices})
        return 200, ok(variation_v2(record))

    def one(ctx: Ctx) -> dict[str, Any]:
        found = product(ctx)
        record = ctx.company.store.get(ctx.company.id, KIND, ctx.id("product_variation_id"))
        if record is None or record.get("is_deleted") or record["product_id"] != found["id"]:
            raise not_found("Product variation not found")
        return record

    def update(ctx: Ctx) -> tuple[int, Any]:
        record = one(ctx)
        body = ctx.only(("name", "prices"))
        if "name" in body:
            record["name"] = _name(body["name"])
        if "prices" in body:
            record["prices"] = _prices(body["prices"] or [])
        ctx.company.store.put(ctx.company.id, KIND, record)
        return 200, ok(variation_v2(record))

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = one(ctx)
        record["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, KIND, record)
        return 200, {"success": True, "data": {"id": record["id"]}}

    router.add("/api/v2/products/{id}/variations", get=listed, post=add)
    router.add("/api/v2/products/{id}/variations/{product_variation_id}", patch=update, delete=delete)
