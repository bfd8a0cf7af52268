"""Leads and lead labels: API v1 only (``/api/v1/leads...``, ``/api/v1/leadLabels...``), ids are UUIDs.

Pipedrive still supports these v1 endpoints (they are in the current official client, npm
``pipedrive`` 33.x, whose models the answers follow); v2 has only the lead search. The rules,
from the official descriptions:

- a lead has a ``title`` and "always has to be linked to a person or an organization or both";
  ``value`` is ``{amount, currency}`` ("both amount and currency are required") or null;
  ``label_ids`` are lead label UUIDs; ``visible_to`` is a string ("1", "3", "5", "7");
  ``expected_close_date`` a date; ``channel`` must be one of the company's marketing channels (the
  sandbox has none, so only null); source and origin are ``API`` for leads made through the API;
- "leads do not have a separate set of custom fields, instead they inherit the custom fields'
  structure from deals": deal custom field values go at the root by hash, as v1 deals take them,
  and "if a custom field's value hasn't been set for the lead, it won't appear in the response";
- ``GET /leads`` "returns multiple not archived leads ... sorted by the time they were created,
  from oldest to newest" and pages with ``start``/``limit``; its ``additional_data`` is the flat
  ``{start, limit, more_items_in_collection}`` of the official model (not the ``pagination``
  block of other v1 lists); ``GET /leads/archived`` lists the archived ones (the
  ``archived_status`` filter was removed on 2025-07-15); an archived lead takes no change unless
  the same request unarchives it ("archived deals and leads will not be editable");
- ``PATCH`` updates "only properties included in the request", ``null`` unsets; ``DELETE`` removes
  the lead (a get then answers 404);
- lead labels have a ``name`` and a ``color`` from Pipedrive's palette; deleting one takes it off
  every lead. Every company starts with Hot, Warm and Cold.

Input is typed strictly (these endpoints take JSON): a key outside the official request model,
other than a deal custom field's hash, is a 400. Where the descriptions are silent the sandbox
takes the stricter reading: lead label names are unique.
"""

from __future__ import annotations

import re
from typing import Any

from ..company import COMPANY_DOMAIN, new_uuid
from ..store import now_iso
from .base import Ctx, Router, parse_custom_v1, v1_paging, v1_sort
from .currency_codes import check_currency
from .errors import bad_request, not_found
from .model import Company, merge_custom, to_bool, to_int, to_number, to_str
from .util import check_date, parse_v2_time
from .v1 import custom_v1

COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow")
VISIBLE_TO = ("1", "3", "5", "7")
ADD_KEYS = ("title", "owner_id", "label_ids", "person_id", "organization_id", "value", "expected_close_date",
            "visible_to", "was_seen", "origin_id", "channel", "channel_id")
UPDATE_KEYS = ("title", "owner_id", "label_ids", "person_id", "organization_id", "is_archived", "value",
               "expected_close_date", "visible_to", "was_seen", "channel", "channel_id")
CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}(_(currency|until|timezone_id))?$")


# ----------------------------------------------------------------------------- labels
def lead_labels(company: Company) -> dict[str, dict[str, Any]]:
    rows = company.store.select(company.id, "lead_label", order=(("add_time", "ASC"), ("seq", "ASC")))
    return {label["id"]: label for label in rows}


def lead_label_v1(label: dict[str, Any]) -> dict[str, Any]:
    return {"id": label["id"], "name": label["name"], "color": label["color"], "add_time": label["add_time"],
            "update_time": label["update_time"]}


def _label_write(company: Company, body: dict[str, Any], label: dict[str, Any] | None) -> dict[str, Any]:
    record = label or {"id": new_uuid(), "seq": company.store.next_ids(company.id, "lead_label"), "name": None,
                       "color": None}
    if "name" in body or label is None:
        name = body.get("name")
        if name is None or not to_str(name, "name", True).strip():
            raise bad_request("Parameter 'name' is required")
        record["name"] = name.strip()
    if "color" in body or label is None:
        color = body.get("color")
        if color is None:
            raise bad_request("Parameter 'color' is required")
        if to_str(color, "color", True) not in COLORS:
            raise bad_request(f"Parameter 'color' must be one of: {', '.join(COLORS)}")
        record["color"] = color
    for other in lead_labels(company).values():
        if other["id"] != record["id"] and other["name"].lower() == record["name"].lower():
            raise bad_request(f"A lead label named '{record['name']}' already exists")
    if label is None:
        return company.store.insert(company.id, "lead_label", record)
    return company.store.put(company.id, "lead_label", record)


def _label_delete(company: Company, label: dict[str, Any]) -> None:
    label["is_deleted"] = True
    company.store.put(company.id, "lead_label", label)
    for lead in company.store.select(company.id, "lead", deleted=None, sql=[("data LIKE ?", [f'%{label["id"]}%'])]):
        if label["id"] in lead.get("label_ids", []):
            lead["label_ids"] = [i for i in lead["label_ids"] if i != label["id"]]
            company.store.put(company.id, "lead", lead)


# ----------------------------------------------------------------------------- input
def _value(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"amount", "currency"}:
        raise bad_request("Parameter 'value' must be an object with both 'amount' and 'currency'")
    currency = check_currency(to_str(raw["currency"], "value.currency", True), "value.currency")
    return {"amount": to_number(raw["amount"], "value.amount", True), "currency": currency}


def parse(ctx: Ctx, lead: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lead body -> (changes in internal names, deal custom field changes)."""
    company, body = ctx.company, ctx.body
    allowed = set(ADD_KEYS if lead is None else UPDATE_KEYS)
    for key in body:
        if key not in allowed and not CUSTOM_KEY.match(key):
            raise bad_request(f"Parameter '{key}' is not allowed for this request")
    changes: dict[str, Any] = {}
    if "title" in body:
        title = body["title"]
        if title is None or not to_str(title, "title", True).strip():
            raise bad_request("Parameter 'title' cannot be empty")
        changes["title"] = title
    if "owner_id" in body:
        owner = to_int(body["owner_id"], "owner_id", True)
        company.require_user(owner)
        changes["owner_id"] = owner
    for key, kind, internal in (("person_id", "person", "person_id"), ("organization_id", "organization", "org_id")):
        if key in body:
            ref = body[key]
            if ref is not None:
                ref = to_int(ref, key, True)
                company.require(kind, ref)
            changes[internal] = ref
    if "label_ids" in body:
        ids = body["label_ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise bad_request("Parameter 'label_ids' must be an array of lead label ids (UUIDs)")
        known = lead_labels(company)
        for label_id in ids:
            if label_id not in known:
                raise bad_request(f"Lead label with id {label_id} does not exist")
        changes["label_ids"] = list(dict.fromkeys(ids))
    if "value" in body:
        changes["value"] = _value(body["value"])
    if "expected_close_date" in body:
        date = body["expected_close_date"]
        changes["expected_close_date"] = None if date is None else check_date(date, "expected_close_date")
    if "visible_to" in body:
        visible = body["visible_to"]
        if visible not in VISIBLE_TO:
            raise bad_request("Parameter 'visible_to' must be one of: \"1\", \"3\", \"5\", \"7\"")
        changes["visible_to"] = int(visible)
    for key in ("was_seen", "is_archived"):
        if key in body:
            changes[key] = to_bool(body[key], key, True)
    for key in ("origin_id", "channel_id"):
        if key in body:
            changes[key] = None if body[key] is None else to_str(body[key], key, True)
    if body.get("channel") is not None:
        raise bad_request(f"Marketing channel with id {body['channel']} does not exist")
    if "channel" in body:
        changes["channel"] = None
    custom = parse_custom_v1(ctx, "deal", lead)
    return changes, custom


def create(ctx: Ctx) -> dict[str, Any]:
    changes, custom = parse(ctx, None)
    if not changes.get("title"):
        raise bad_request("Parameter 'title' is required")
    user = ctx.company.api_user_id
    record: dict[str, Any] = {
        "id": new_uuid(), "seq": ctx.company.store.next_ids(ctx.company.id, "lead"), "title": None, "owner_id": user, "creator_id": user, "label_ids": [], "person_id": None,
        "org_id": None, "source_name": "API", "origin": "API", "origin_id": None, "channel": None,
        "channel_id": None, "source_deal_id": None, "is_archived": False, "was_seen": False, "value": None,
        "expected_close_date": None, "next_activity_id": None, "visible_to": 3, "custom_fields": {},
    }
    record.update(changes)
    if not record["person_id"] and not record["org_id"]:
        raise bad_request("A lead must be linked to a person or an organization (person_id or organization_id)")
    merge_custom(record, custom)
    stamp = now_iso()
    record.update(add_time=stamp, update_time=stamp, is_deleted=False)
    return ctx.company.store.insert(ctx.company.id, "lead", record)


def update(ctx: Ctx, lead: dict[str, Any]) -> dict[str, Any]:
    changes, custom = parse(ctx, lead)
    if lead.get("is_archived") and changes.get("is_archived") is not False:
        if set(changes) - {"is_archived"} or custom:
            raise bad_request("Archived leads cannot be edited; unarchive the lead first (is_archived: false)")
    lead.update(changes)
    if not lead["person_id"] and not lead["org_id"]:
        raise bad_request("A lead always has to be linked to a person or an organization")
    merge_custom(lead, custom)
    return ctx.company.store.put(ctx.company.id, "lead", lead)


# ----------------------------------------------------------------------------- answers
def lead_v1(company: Company, lead: dict[str, Any]) -> dict[str, Any]:
    value = lead.get("value")
    out = {
        "id": lead["id"],
        "title": lead["title"],
        "owner_id": lead["owner_id"],
        "creator_id": lead["creator_id"],
        "label_ids": list(lead.get("label_ids") or []),
        "person_id": lead.get("person_id"),
        "organization_id": lead.get("org_id"),
        "source_name": lead.get("source_name", "API"),
        "origin": lead.get("origin", "API"),
        "origin_id": lead.get("origin_id"),
        "channel": lead.get("channel"),
        "channel_id": lead.get("channel_id"),
        "source_deal_id": lead.get("source_deal_id"),
        "is_archived": bool(lead.get("is_archived")),
        "was_seen": bool(lead.get("was_seen")),
        "value": dict(value) if value else None,
        "expected_close_date": lead.get("expected_close_date"),
        "next_activity_id": lead.get("next_activity_id"),
        "add_time": lead["add_time"],
        "update_time": lead["update_time"],
        "visible_to": str(lead["visible_to"]),
        "cc_email": f"{COMPANY_DOMAIN}+lead{lead['id'][:8]}@pipedrivemail.com",
    }
    set_keys = {k for k, v in (lead.get("custom_fields") or {}).items() if v is not None}
    for key, value in custom_v1(company, "deal", lead).items():
        if key[:40] in set_keys:
            out[key] = value
    return out


def _find(ctx: Ctx) -> dict[str, Any]:
    lead = ctx.company.get("lead", ctx.uuid("id", "Lead"))
    if lead is None or lead.get("is_deleted"):
        raise not_found("Lead not found")
    return lead


def _list(ctx: Ctx, archived: bool) -> tuple[int, Any]:
    q = ctx.query
    start, limit = v1_paging(ctx)
    where: dict[str, Any] = {}
    for key, column in (("owner_id", "owner_id"), ("person_id", "person_id"), ("organization_id", "org_id")):
        if q.has(key):
            where[column] = q.int(key)
    sql: list[tuple[str, list[Any]]] = [("json_extract(data, '$.is_archived') = ?", [1 if archived else 0])]
    if not archived and q.has("updated_since"):
        sql.append(("update_time >= ?", [parse_v2_time(q.get("updated_since") or "", "updated_since")]))
    order = [("add_time", "ASC"), ("seq", "ASC")]
    if q.has("sort"):
        order = v1_sort(ctx)
    rows = ctx.company.store.select(ctx.company.id, "lead", where=where, sql=sql, order=order, limit=limit + 1,
                                    offset=start)
    more = len(rows) > limit
    data = [lead_v1(ctx.company, r) for r in rows[:limit]]
    return 200, {"success": True, "data": data,
                 "additional_data": {"start": start, "limit": limit, "more_items_in_collection": more}}


def register(router: Router) -> None:
    def list_leads(ctx: Ctx) -> tuple[int, Any]:
        return _list(ctx, archived=False)

    def list_archived(ctx: Ctx) -> tuple[int, Any]:
        return _list(ctx, archived=True)

    def get(ctx: Ctx) -> tuple[int, Any]:
        return 200, {"success": True, "data": lead_v1(ctx.company, _find(ctx))}

    def post(ctx: Ctx) -> tuple[int, Any]:
        return 201, {"success": True, "data": lead_v1(ctx.company, create(ctx))}

    def patch(ctx: Ctx) -> tuple[int, Any]:
        return 200, {"success": True, "data": lead_v1(ctx.company, update(ctx, _find(ctx)))}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        lead = _find(ctx)
        lead["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, "lead", lead)
        return 200, {"success": True, "data": {"id": lead["id"]}}

    def list_labels(ctx: Ctx) -> tuple[int, Any]:
        return 200, {"success": True, "data": [lead_label_v1(label) for label in lead_labels(ctx.company).values()]}

    def post_label(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "color"))
        return 201, {"success": True, "data": lead_label_v1(_label_write(ctx.company, body, None))}

    def _label(ctx: Ctx) -> dict[str, Any]:
        label = lead_labels(ctx.company).get(ctx.uuid("id", "Lead label"))
        if label is None:
            raise not_found("Lead label not found")
        return label

    def patch_label(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "color"))
        return 200, {"success": True, "data": lead_label_v1(_label_write(ctx.company, body, _label(ctx)))}

    def delete_label(ctx: Ctx) -> tuple[int, Any]:
        label = _label(ctx)
        _label_delete(ctx.company, label)
        return 200, {"success": True, "data": {"id": label["id"]}}

    router.add("/api/v1/leads", get=list_leads, post=post)
    router.add("/api/v1/leads/archived", get=list_archived)  # before /leads/{id}
    router.add("/api/v1/leads/{id}", get=get, patch=patch, delete=delete)
    router.add("/api/v1/leadLabels", get=list_labels, post=post_label)
    router.add("/api/v1/leadLabels/{id}", patch=patch_label, delete=delete_label)

