"""``GET /api/v2/activityFields``, ``/api/v2/activityFields/{field_code}`` and ``GET /api/v1/activityFields``:
the activities' field schema.

Pipedrive's v2 serves activity fields read-only (the official client 33.x has ``ActivityFieldsApi``
with the two GET operations only; activities have no custom fields). The sandbox answers the
standard fields its activities keep, in the official ``GetActivityFields200Response`` shape:
``field_type`` from the official enum, ``options`` for the activity type (the company's active
activity types, each by its key: "string for built-in fields", the official option id),
``ui_visibility`` only when ``include_fields=ui_visibility`` asks for it (its one official value).
Lists page with an opaque cursor, at most 500 per page, as the other v2 field lists.

The v1 list (v1 ``ActivityFieldsApi.getActivityFields``: no parameters, ``GetFieldsResponse``; in
the current client, not deprecated) is the same fields with what v2 leaves out: each field's
numeric ``id``, which filter conditions name (``AddFilterRequest.conditions``: ``field_id``). The
ids are fixed (activities have no custom fields), the options the same as v2's.
"""

from __future__ import annotations

from typing import Any

from ..company import BASE_TIME
from .base import Ctx, Router, decode_cursor, encode_cursor, v2_limit
from .errors import bad_request, not_found
from .v1 import field_v1

# (field_code, field_name, field_type): the standard fields an activity has in the sandbox
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "ID", "int"),
    ("subject", "Subject", "varchar"),
    ("type", "Type", "varchar_options"),
    ("owner_id", "Assigned to user", "user"),
    ("creator_user_id", "Creator", "user"),
    ("deal_id", "Deal", "deal"),
    ("lead_id", "Lead", "lead"),
    ("person_id", "Contact person", "people"),
    ("org_id", "Organization", "org"),
    ("project_id", "Project", "project"),
    ("due_date", "Due date", "date"),
    ("due_time", "Due time", "time"),
    ("duration", "Duration", "time"),
    ("busy", "Free/busy", "boolean"),
    ("done", "Done", "boolean"),
    ("marked_as_done_time", "Marked as done time", "date"),
    ("location", "Location", "address"),
    ("participants", "Participants", "people"),
    ("public_description", "Public description", "text"),
    ("priority", "Priority", "int"),
    ("note", "Note", "text"),
    ("add_time", "Add time", "date"),
    ("update_time", "Update time", "date"),
)
# the first activity field's numeric id; the others follow in FIELDS' order
FIRST_ID = 12001


def _include(ctx: Ctx) -> bool:
    raw = ctx.query.get("include_fields")
    names = [n.strip() for n in (raw or "").split(",") if n.strip()]
    for name in names:
        if name != "ui_visibility":
            raise bad_request("Parameter 'include_fields' must be a subset of: ui_visibility")
    return bool(names)


def _type_options(ctx: Ctx) -> list[dict[str, Any]]:
    """The activity type field's options: the active activity types, each by its key."""
    types = ctx.company.store.select(ctx.company.id, "activity_type")
    return [{"id": t["key_string"], "label": t["name"], "color": t.get("color"), "add_time": t["add_time"],
             "update_time": t["update_time"]} for t in types if t.get("active_flag") and not t.get("is_deleted")]


def fields_v1(ctx: Ctx) -> list[dict[str, Any]]:
    """The activity fields as the sandbox keeps fields (reconciler/sandbox/company.py's field_record keys):
    what the v1 list answers and filter conditions are checked against."""
    out = []
    for index, (code, name, ftype) in enumerate(FIELDS):
        options = [{"id": o["id"], "label": o["label"]} for o in _type_options(ctx)] if code == "type" else None
        out.append({"id": FIRST_ID + index, "entity": "activity", "key": code, "name": name, "field_type": ftype,
                    "options": options, "is_custom": False, "order_nr": index + 1, "add_time": BASE_TIME,
                    "update_time": BASE_TIME, "is_deleted": False, "mandatory_flag": code == "subject",
                    "edit_flag": False, "important_flag": False, "bulk_edit_allowed": code != "id",
                    "searchable_flag": ftype in ("varchar", "text"), "filtering_allowed": True,
                    "sortable_flag": True, "index_visible_flag": True, "details_visible_flag": True,
                    "add_visible_flag": True, "last_updated_by_user_id": None})
    return out


def activity_field_v2(ctx: Ctx, code: str, name: str, ftype: str, include: bool) -> dict[str, Any]:
    options = _type_options(ctx) if code == "type" else None
    out: dict[str, Any] = {"field_name": name, "field_code": code, "field_type": ftype, "options": options,
                           "subfields": None, "is_custom_field": False, "is_optional_response_field": False}
    if include:
        out["ui_visibility"] = {"add_visible_flag": True, "details_visible_flag": True}
    return out


def register(router: Router) -> None:
    def list_fields(ctx: Ctx) -> tuple[int, Any]:
        limit = v2_limit(ctx)
        cursor = decode_cursor(ctx.query.get("cursor"))
        start = int(cursor.get("o", 0)) if cursor else 0
        include = _include(ctx)
        page = [activity_field_v2(ctx, *f, include) for f in FIELDS[start:start + limit]]
        more = start + limit < len(FIELDS)
        return 200, {"success": True, "data": page,
                     "additional_data": {"next_cursor": encode_cursor({"o": start + limit}) if more else None}}

    def get_field(ctx: Ctx) -> tuple[int, Any]:
        include = _include(ctx)
        for field in FIELDS:
            if field[0] == ctx.params["code"]:
                return 200, {"success": True, "data": activity_field_v2(ctx, *field, include)}
        raise not_found("Field not found")

    def list_fields_v1(ctx: Ctx) -> tuple[int, Any]:
        """Every activity field in one answer: the official operation takes no paging parameters."""
        fields = fields_v1(ctx)
        return 200, {"success": True, "data": [field_v1(f) for f in fields],
                     "additional_data": {"pagination": {"start": 0, "limit": len(fields),
                                                        "more_items_in_collection": False}}}

    router.add("/api/v2/activityFields", get=list_fields)
    router.add("/api/v2/activityFields/{code}", get=get_field)
    router.add("/api/v1/activityFields", get=list_fields_v1)
