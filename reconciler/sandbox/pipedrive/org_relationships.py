"""v1 organization relationships (``/api/v1/organizationRelationships``, current, never deprecated).

Routes and shapes from the official client (npm ``pipedrive`` 33.x, v1 ``OrganizationRelationshipsApi``):
list an organization's relationships (``org_id`` required; ``GetOrganizationRelationshipsResponse``:
``OrganizationRelationshipDetails`` items, v1 ``start``/``limit`` paging, ``related_objects`` with the
organizations), add one (``AddOrganizationRelationshipRequest``: ``type`` parent or related,
``rel_owner_org_id`` and ``rel_linked_org_id`` required), get, update (``OrganizationRelationship``)
and delete one by id.

The official descriptions: "If type is `parent`, then the owner is the parent and the linked
organization is the daughter." In an answer each end is an organization object whose ``value`` is
its id; ``calculated_type`` and ``calculated_related_org_id`` describe the relationship from the
organization asked about (``org_id``): the other end is its ``parent``, its ``daughter`` or
``related``.

Rules the sandbox keeps: both organizations must exist and differ (400); the same pair cannot be
related twice in the same type (400), and an organization has at most one parent (400).
"""

from __future__ import annotations

from typing import Any

from ..company import COMPANY_DOMAIN
from ..store import now_iso
from .base import Ctx, Router
from .errors import bad_request, not_found
from .model import to_int
from .util import v1_time

KIND = "org_relationship"
TYPES = ("parent", "related")


def _org_item(ctx: Ctx, org_id: int) -> dict[str, Any]:
    """One end as ``RelationshipOrganizationInfoItem`` (an organization, its id as ``value``)."""
    org = ctx.company.get("organization", org_id) or {}
    people = ctx.company.store.select(ctx.company.id, "person", where={"org_id": org_id})
    return {"name": org.get("name"), "people_count": len(people), "owner_id": org.get("owner_id"),
            "address": (org.get("address") or {}).get("value"), "cc_email": f"{COMPANY_DOMAIN}@pipedrivemail.com",
            "value": org_id}


def _calculated(record: dict[str, Any], asked: int | None) -> tuple[str, int]:
    owner, linked = record["rel_owner_org_id"], record["rel_linked_org_id"]
    if asked == linked:
        return ("parent" if record["type"] == "parent" else "related"), owner
    return ("daughter" if record["type"] == "parent" else "related"), linked


def relationship_v1(ctx: Ctx, record: dict[str, Any], asked: int | None, *, details: bool = False,
                    calculated: bool = True) -> dict[str, Any]:
    """One relationship as the official models have it: with the fields calculated from ``asked``'s
    side in a get or list (``OrganizationRelationshipWithCalculatedFields``), without them in the
    answer to an add or update (``...CalculatedFieldsAllOf``)."""
    kind, other = _calculated(record, asked if asked is not None else record["rel_owner_org_id"])
    out: dict[str, Any] = {"id": record["id"], "type": record["type"],
                           "rel_owner_org_id": _org_item(ctx, record["rel_owner_org_id"]),
                           "rel_linked_org_id": _org_item(ctx, record["rel_linked_org_id"]),
                           "add_time": v1_time(record["add_time"]), "update_time": v1_time(record["update_time"]),
                           "active_flag": "true"}
    if calculated:
        out.update(calculated_type=kind, calculated_related_org_id=other)
    if details:
        out["related_organization_name"] = (ctx.company.get("organization", other) or {}).get("name")
    return out


def _related(ctx: Ctx, records: list[dict[str, Any]]) -> dict[str, Any]:
    ids = sorted({i for r in records for i in (r["rel_owner_org_id"], r["rel_linked_org_id"])})
    orgs = {}
    for org_id in ids:
        item = _org_item(ctx, org_id)
        item.pop("value")
        orgs[str(org_id)] = {"id": org_id, **item}
    return {"organization": orgs}


def _all(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.company.store.select(ctx.company.id, KIND)


def _check(ctx: Ctx, record: dict[str, Any], others: list[dict[str, Any]]) -> None:
    if record["type"] not in TYPES:
        raise bad_request(f"Parameter 'type' must be one of: {', '.join(TYPES)}")
    for key in ("rel_owner_org_id", "rel_linked_org_id"):
        ctx.company.require("organization", record[key])
    owner, linked = record["rel_owner_org_id"], record["rel_linked_org_id"]
    if owner == linked:
        raise bad_request("An organization cannot be related to itself")
    for other in others:
        if other["id"] == record.get("id") or other["type"] != record["type"]:
            continue
        pair = {other["rel_owner_org_id"], other["rel_linked_org_id"]}
        if pair == {owner, linked}:
            raise bad_request("These organizations are already related")
        if record["type"] == "parent" and other["rel_linked_org_id"] == linked:
            raise bad_request(f"Organization with id {linked} already has a parent organization")


def register(router: Router) -> None:
    def listed(ctx: Ctx) -> tuple[int, Any]:
        org_id = ctx.query.int("org_id")
        if org_id is None:
            raise bad_request("Parameter 'org_id' is required")
        ctx.company.find("organization", org_id)
        mine = [r for r in _all(ctx) if org_id in (r["rel_owner_org_id"], r["rel_linked_org_id"])]
        start, limit = ctx.query.int("start", 0, minimum=0) or 0, ctx.query.int("limit", 100, minimum=1) or 100
        page = mine[start:start + min(limit, 500)]
        more = start + len(page) < len(mine)
        additional = {"start": start, "limit": limit, "more_items_in_collection": more}
        return 200, {"success": True, "data": [relationship_v1(ctx, r, org_id, details=True) for r in page],
                     "additional_data": additional, "related_objects": _related(ctx, page)}

    def add(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("type", "rel_owner_org_id", "rel_linked_org_id", "org_id"))
        for key in ("type", "rel_owner_org_id", "rel_linked_org_id"):
            if body.get(key) is None:
                raise bad_request(f"Parameter '{key}' is required")
        record = {"type": body["type"], "rel_owner_org_id": to_int(body["rel_owner_org_id"], "rel_owner_org_id", False),
                  "rel_linked_org_id": to_int(body["rel_linked_org_id"], "rel_linked_org_id", False)}
        _check(ctx, record, _all(ctx))
        stamp = now_iso()
        record.update(add_time=stamp, update_time=stamp)
        record = ctx.company.store.insert(ctx.company.id, KIND, record)
        asked = to_int(body["org_id"], "org_id", False) if body.get("org_id") is not None else None
        return 200, {"success": True, "data": relationship_v1(ctx, record, asked, calculated=False),
                     "related_objects": _related(ctx, [record])}

    def one(ctx: Ctx) -> dict[str, Any]:
        found = ctx.company.store.get(ctx.company.id, KIND, ctx.id())
        if found is None or found.get("is_deleted"):
            raise not_found("Organization relationship not found")
        return found

    def get(ctx: Ctx) -> tuple[int, Any]:
        record = one(ctx)
        return 200, {"success": True, "data": relationship_v1(ctx, record, ctx.query.int("org_id")),
                     "related_objects": _related(ctx, [record])}

    def put(ctx: Ctx) -> tuple[int, Any]:
        record = one(ctx)
        body = ctx.only(("type", "rel_owner_org_id", "rel_linked_org_id", "org_id"))
        changed = dict(record)
        if "type" in body:
            changed["type"] = body["type"]
        for key in ("rel_owner_org_id", "rel_linked_org_id"):
            if key in body:
                changed[key] = to_int(body[key], key, False)
        _check(ctx, changed, _all(ctx))
        record = ctx.company.store.put(ctx.company.id, KIND, changed)
        asked = to_int(body["org_id"], "org_id", False) if body.get("org_id") is not None else None
        return 200, {"success": True, "data": relationship_v1(ctx, record, asked, calculated=False),
                     "related_objects": _related(ctx, [record])}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = one(ctx)
        record["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, KIND, record)
        return 200, {"success": True, "data": {"id": record["id"]}}

    router.add("/api/v1/organizationRelationships", get=listed, post=add)
    router.add("/api/v1/organizationRelationships/{id}", get=get, put=put, delete=delete)
