"""Pipedrive API v2: deals, persons, organizations and activities.

Shapes follow the v2 reference and the official clients' v2 models: plain integer
references, RFC 3339 timestamps, booleans as booleans, ``custom_fields`` as an object keyed
by field hash (every custom field of the entity is present, null when empty), persons'
``emails``/``phones`` as ``[{value, primary, label}]``, an organization's ``address`` as an
object. Lists page with an opaque ``cursor`` and answer ``additional_data.next_cursor``.
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, keyset_page, parse_input, time_filters, v2_limit, v2_sort
from .errors import bad_request
from .following import following
from .model import Company

ENTITY_PATHS = {
    "deals": "deal",
    "persons": "person",
    "organizations": "organization",
    "activities": "activity",
}


# ----------------------------------------------------------------------------- serialisers
def custom_v2(company: Company, entity: str, obj: dict[str, Any], only: set[str] | None) -> dict[str, Any]:
    """Every custom field of the entity (null when empty), or only the requested ones."""
    from .model import address_parts

    values = obj.get("custom_fields") or {}
    out: dict[str, Any] = {}
    for key, field in company.custom_fields(entity).items():
        if only is not None and key not in only:
            continue
        value = values.get(key)
        if field["field_type"] == "address" and isinstance(value, dict):
            out[key] = address_parts(value)  # every part, as the v1 subfields list them
            continue
        out[key] = (
            dict(value) if isinstance(value, dict) else (list(value) if isinstance(value, list) else value)
        )
    return out


def deal_v2(company: Company, d: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    status = "deleted" if d.get("is_deleted") else d["status"]
    return {
        "id": d["id"],
        "title": d["title"],
        "creator_user_id": d["creator_user_id"],
        "owner_id": d["owner_id"],
        "value": d["value"],
        "person_id": d["person_id"],
        "org_id": d["org_id"],
        "stage_id": d["stage_id"],
        "pipeline_id": d["pipeline_id"],
        "currency": d["currency"],
        "add_time": d["add_time"],
        "update_time": d["update_time"],
        "stage_change_time": d.get("stage_change_time"),
        "is_deleted": bool(d.get("is_deleted")),
        "is_archived": bool(d.get("is_archived")),
        "archive_time": d.get("archive_time"),
        "status": status,
        "probability": d.get("probability"),
        "lost_reason": d.get("lost_reason"),
        "visible_to": d["visible_to"],
        "close_time": d.get("close_time"),
        "won_time": d.get("won_time"),
        "lost_time": d.get("lost_time"),
        "local_won_date": (d.get("won_time") or "")[:10] or None,
        "local_lost_date": (d.get("lost_time") or "")[:10] or None,
        "local_close_date": (d.get("close_time") or "")[:10] or None,
        "expected_close_date": d.get("expected_close_date"),
        "label_ids": list(d.get("label_ids") or []),
        "origin": d.get("origin", "API"),
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "acv": None,
        "arr": None,
        "mrr": None,
        "custom_fields": custom_v2(company, "deal", d, only),
    }


def _contacts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"value": i["value"], "primary": bool(i["primary"]), "label": i.get("label")} for i in items]


def person_v2(company: Company, p: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "first_name": p.get("first_name"),
        "last_name": p.get("last_name"),
        "owner_id": p["owner_id"],
        "org_id": p.get("org_id"),
        "add_time": p["add_time"],
        "update_time": p["update_time"],
        "emails": _contacts(p.get("emails") or []),
        "phones": _contacts(p.get("phones") or []),
        "is_deleted": bool(p.get("is_deleted")),
        "visible_to": p["visible_to"],
        "label_ids": list(p.get("label_ids") or []),
        "picture_id": p.get("picture_id"),
        "postal_address": None,
        "notes": None,
        "im": [],
        "birthday": None,
        "job_title": None,
        "custom_fields": custom_v2(company, "person", p, only),
    }


def address_v2(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """An address object as v2 answers it: ``value`` and its parts (the official model has no
    ``formatted_address``; the sandbox keeps it only for v1's ``address_formatted_address``)."""
    if not address:
        return None
    from .model import ADDRESS_PARTS

    return {part: address.get(part) for part in ADDRESS_PARTS if part != "formatted_address"}


def organization_v2(company: Company, o: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    return {
        "id": o["id"],
        "name": o["name"],
        "owner_id": o["owner_id"],
        "add_time": o["add_time"],
        "update_time": o["update_time"],
        "is_deleted": bool(o.get("is_deleted")),
        "visible_to": o["visible_to"],
        "label_ids": list(o.get("label_ids") or []),
        "address": address_v2(o.get("address")),
        "website": None,
        "linkedin": None,
        "industry": None,
        "annual_revenue": None,
        "employee_count": None,
        "custom_fields": custom_v2(company, "organization", o, only),
    }


def activity_v2(company: Company, a: dict[str, Any], only: set[str] | None = None) -> dict[str, Any]:
    return {
        "id": a["id"],
        "subject": a["subject"],
        "type": a["type"],
        "owner_id": a["owner_id"],
        "creator_user_id": a.get("creator_user_id"),
        "is_deleted": bool(a.get("is_deleted")),
        "add_time": a["add_time"],
        "update_time": a["update_time"],
        "deal_id": a.get("deal_id"),
        "lead_id": a.get("lead_id"),
        "person_id": a.get("person_id"),
        "org_id": a.get("org_id"),
        "project_id": a.get("project_id"),
        "due_date": a.get("due_date"),
        "due_time": a.get("due_time"),
        "duration": a.get("duration"),
        "busy": bool(a.get("busy")),
        "done": bool(a.get("done")),
        "marked_as_done_time": a.get("marked_as_done_time"),
        "location": address_v2(a.get("location")),
        "participants": [dict(p) for p in a.get("participants") or []],
        "attendees": list(a.get("attendees") or []),
        "conference_meeting_client": None,
        "conference_meeting_url": None,
        "conference_meeting_id": None,
        "public_description": a.get("public_description"),
        "priority": a.get("priority"),
        "outcome": None,
        "note": a.get("note"),
    }


SERIALISERS = {"deal": deal_v2, "person": person_v2, "organization": organization_v2, "activity": activity_v2}


# ----------------------------------------------------------------------------- include_fields
_COUNTS = ("activities_count", "done_activities_count", "undone_activities_count", "notes_count",
           "files_count", "followers_count", "email_messages_count")
# What each family's include_fields accepts: the official v2 enums (npm pipedrive 33.x).
INCLUDE_FIELDS: dict[str, tuple[str, ...]] = {
    "deal": ("next_activity_id", "last_activity_id", "first_won_time", "products_count", "files_count",
             "notes_count", "followers_count", "email_messages_count", "activities_count",
             "done_activities_count", "undone_activities_count", "participants_count",
             "last_incoming_mail_time", "last_outgoing_mail_time", "smart_bcc_email", "source_lead_id"),
    "person": ("next_activity_id", "last_activity_id", "open_deals_count", "related_open_deals_count",
               "closed_deals_count", "related_closed_deals_count", "participant_open_deals_count",
               "participant_closed_deals_count", "email_messages_count", "activities_count",
               "done_activities_count", "undone_activities_count", "files_count", "notes_count",
               "followers_count", "won_deals_count", "related_won_deals_count", "lost_deals_count",
               "related_lost_deals_count", "last_incoming_mail_time", "last_outgoing_mail_time",
               "marketing_status", "doi_status", "smart_bcc_email"),
    "organization": ("next_activity_id", "last_activity_id", "open_deals_count", "related_open_deals_count",
                     "closed_deals_count", "related_closed_deals_count", "email_messages_count",
                     "people_count", "activities_count", "done_activities_count", "undone_activities_count",
                     "files_count", "notes_count", "followers_count", "won_deals_count",
                     "related_won_deals_count", "lost_deals_count", "related_lost_deals_count",
                     "smart_bcc_email"),
    "activity": ("attendees",),
}
_PARENT = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}


def include_fields(ctx: Ctx, kind: str) -> tuple[str, ...]:
    """The request's ``include_fields``; a name outside the official enum is a 400 (v2 validates)."""
    raw = ctx.query.get("include_fields")
    if not raw:
        return ()
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    allowed = INCLUDE_FIELDS[kind]
    for name in names:
        if name not in allowed:
            raise bad_request(f"Parameter 'include_fields' must be a subset of: {', '.join(allowed)}")
    return names


def add_included(company: Company, kind: str, obj: dict[str, Any], out: dict[str, Any],
                 names: tuple[str, ...]) -> dict[str, Any]:
    """Add the requested optional fields: counts of the object's notes and activities, the deals
    of a person or organization by status, a deal's products; what the sandbox does not keep
    (mail, files) is 0 or null."""
    if not names or kind == "activity":
        return out
    from ..company import COMPANY_DOMAIN

    store, cid = company.store, company.id
    parent = _PARENT[kind]
    # read only what the names ask: export asks every record for its products_count or
    # followers_count, and selecting each record's activities and deals besides made export of
    # 55,000 objects scan the store once per object (bench/bench_export.py)
    activities = store.select(cid, "activity", where={parent: obj["id"]}) \
        if any("activities" in name for name in names) else []
    done = [a for a in activities if a.get("done")]
    deals = store.select(cid, "deal", where={parent: obj["id"]}) \
        if kind != "deal" and any("deals" in name for name in names) else []
    by_status = {s: sum(1 for d in deals if d.get("status") == s) for s in ("open", "won", "lost")}
    for name in names:
        if name == "activities_count":
            value: Any = len(activities)
        elif name == "done_activities_count":
            value = len(done)
        elif name == "undone_activities_count":
            value = len(activities) - len(done)
        elif name == "notes_count":
            value = len(store.select(cid, "note", where={parent: obj["id"]}))
        elif name == "products_count":
            value = len(store.select(cid, "deal_product", where={"deal_id": obj["id"]}))
        elif name == "followers_count":
            value = len(following(company, kind, obj["id"]))
        elif name == "people_count":
            value = len(store.select(cid, "person", where={"org_id": obj["id"]}))
        elif name in ("open_deals_count", "related_open_deals_count", "participant_open_deals_count"):
            value = by_status["open"]
        elif name in ("won_deals_count", "related_won_deals_count"):
            value = by_status["won"]
        elif name in ("lost_deals_count", "related_lost_deals_count"):
            value = by_status["lost"]
        elif name in ("closed_deals_count", "related_closed_deals_count", "participant_closed_deals_count"):
            value = by_status["won"] + by_status["lost"]
        elif name.endswith("_count"):
            value = 0
        elif name == "first_won_time":
            value = obj.get("won_time")
        elif name == "source_lead_id":  # a deal made by converting a lead (lead_conversion.py)
            value = obj.get("source_lead_id")
        elif name == "smart_bcc_email":
            value = f"{COMPANY_DOMAIN}+{kind}{obj['id']}@pipedrivemail.com"
        else:
            value = None
        out[name] = value
    return out


# ----------------------------------------------------------------------------- responses
def ok(data: Any, next_cursor: str | None = None, listing: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data}
    if listing:
        body["additional_data"] = {"next_cursor": next_cursor}
    return body


def only_custom(ctx: Ctx) -> set[str] | None:
    """The `custom_fields` query parameter of a v2 read: the keys to return (at most 15), or None for all."""
    raw = ctx.query.get("custom_fields")
    if raw is None:
        return None
    keys = {k.strip() for k in raw.split(",") if k.strip()}
    if len(keys) > 15:
        raise bad_request("Parameter 'custom_fields' accepts at most 15 keys")
    return keys


# ----------------------------------------------------------------------------- entity routes
ARCHIVED = "COALESCE(json_extract(data, '$.is_archived'), 0) = ?"


def make_entity_routes(router: Router, path: str, kind: str) -> None:
    """GET list, POST, GET/PATCH/DELETE by id for one of deals/persons/organizations/activities.

    Deals: ``GET /deals`` leaves archived deals out and ``GET /deals/archived`` lists only them,
    with the same parameters and paging (Pipedrive's change of 2025-07-15); ``ids`` selects
    within that set, as the official description says ("if any of the requested entities do
    not exist or are not visible, they are not included"). Get by id answers either.
    """
    serialise = SERIALISERS[kind]

    def list_(ctx: Ctx, archived: bool = False) -> tuple[int, Any]:
        q = ctx.query
        where: dict[str, Any] = {}
        sql = time_filters(ctx)
        if kind == "deal":
            sql.append((ARCHIVED, [1 if archived else 0]))
        ids = q.int_list("ids", max_items=100)
        if ids is not None:
            where["id"] = ids
        for column in ("owner_id", "org_id", "person_id", "deal_id", "pipeline_id", "stage_id"):
            if column in FILTERS[kind] and q.has(column):
                where[column] = q.int(column)
        deleted: bool | None = False
        if kind == "deal" and q.has("status"):
            statuses = [s.strip() for s in (q.get("status") or "").split(",") if s.strip()]
            for s in statuses:
                if s not in ("open", "won", "lost", "deleted"):
                    raise bad_request("Parameter 'status' must be one of: open, won, lost, deleted")
            if statuses == ["deleted"]:
                deleted = True
            elif "deleted" in statuses:
                deleted = None
                live = [s for s in statuses if s != "deleted"]
                sql.append(
                    (
                        f"(is_deleted = 1 OR category IN ({','.join('?' * len(live))}))"
                        if live
                        else "is_deleted = 1",
                        live,
                    )
                )
            else:
                where["category"] = statuses
        if kind == "activity" and q.has("done"):
            sql.append(("json_extract(data, '$.done') = ?", [1 if q.bool("done") else 0]))
        if kind == "activity" and q.has("lead_id"):  # the official getActivities filter by lead
            sql.append(("json_extract(data, '$.lead_id') = ?", [(q.get("lead_id") or "").lower()]))
        if kind == "person" and q.has("deal_id"):
            deal = ctx.company.get("deal", q.int("deal_id") or 0)
            where["id"] = [deal["person_id"]] if deal and deal.get("person_id") else []
            where.pop("deal_id", None)
        sortable = ("id", "update_time", "add_time", "due_date") if kind == "activity" else ("id", "update_time", "add_time")
        sort_by, direction = v2_sort(ctx, sortable)
        rows, cursor = keyset_page(
            ctx,
            kind,
            where=where,
            deleted=deleted,
            sql=sql,
            sort_by=sort_by,
            direction=direction,
            limit=v2_limit(ctx),
        )
        only = only_custom(ctx) if kind != "activity" else None
        names = include_fields(ctx, kind)
        data = [add_included(ctx.company, kind, r, serialise(ctx.company, r, only), names) for r in rows]
        return 200, ok(data, cursor, listing=True)

    def get(ctx: Ctx) -> tuple[int, Any]:
        # Deleted deals stay readable (with is_deleted true) as Pipedrive keeps them 30 days
        # and lists them under status=deleted; other deleted objects are a 404.
        obj = ctx.company.find(kind, ctx.id(), deleted_ok=kind == "deal")
        names = include_fields(ctx, kind)
        out = serialise(ctx.company, obj, only_custom(ctx) if kind != "activity" else None)
        return 200, ok(add_included(ctx.company, kind, obj, out, names))

    def create(ctx: Ctx) -> tuple[int, Any]:
        changes, custom = parse_input(ctx, kind)
        obj = ctx.company.create(kind, changes, custom)
        return 200, ok(serialise(ctx.company, obj))

    def update(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find(kind, ctx.id())
        changes, custom = parse_input(ctx, kind, obj)
        if not changes and not custom:
            return 200, ok(serialise(ctx.company, obj))
        obj = ctx.company.update(kind, obj, changes, custom)
        return 200, ok(serialise(ctx.company, obj))

    def delete(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find(kind, ctx.id())
        ctx.company.delete(kind, obj)
        return 200, ok({"id": obj["id"]})

    if kind == "deal":
        router.add("/api/v2/deals/archived", get=lambda ctx: list_(ctx, archived=True))
    router.add(f"/api/v2/{path}", get=list_, post=create)
    router.add(f"/api/v2/{path}/{{id}}", get=get, patch=update, delete=delete)


FILTERS = {
    "deal": ("owner_id", "person_id", "org_id", "pipeline_id", "stage_id"),
    "person": ("owner_id", "org_id"),
    "organization": ("owner_id",),
    "activity": ("owner_id", "deal_id", "person_id", "org_id"),
}


def register(router: Router) -> None:
    """All v2 routes (search is registered by search.py)."""
    for path, kind in ENTITY_PATHS.items():
        make_entity_routes(router, path, kind)
