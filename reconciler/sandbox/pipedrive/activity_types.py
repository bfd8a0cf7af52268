"""``POST /api/v1/activityTypes``, ``PUT`` and ``DELETE /api/v1/activityTypes/{id}``: writing activity types.

Shapes from the official client (npm ``pipedrive`` 33.x, v1 ``ActivityTypesApi``): a create takes
``AddActivityTypeRequest`` (``name`` and ``icon_key`` required, ``color`` optional), an update
``UpdateActivityTypeRequest`` (``name``, ``icon_key``, ``color``, ``order_nr``), and both answer
``UpsertActivityTypeResponse`` (``data``: one ``ActivityType``). A delete "marks an activity type as
deleted": the type stays, with ``active_flag`` false, and the list still shows it; no request model
reactivates one. The key (``key_string``) is Pipedrive's, derived from the name when the type is
created and never changed by a rename: it is what activities' ``type`` holds. The list
(``GET /api/v1/activityTypes``) is served in v1.py.
"""

from __future__ import annotations

import re
from typing import Any

from ..store import now_iso
from .base import Ctx, Router
from .errors import bad_request, not_found
from .model import to_int, to_str
from .util import v1_time

# the official ActivityTypeIconKeyConst
ICON_KEYS = (
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document", "smartphone",
    "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost", "shuffle", "addressbook",
    "linegraph", "picture", "car", "world", "search", "clip", "sound", "brush", "key", "padlock", "pricetag",
    "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell", "presentation",
)
COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")


def activity_type_v1(record: dict[str, Any]) -> dict[str, Any]:
    """One ActivityType as the official model has it."""
    return {
        "id": record["id"],
        "order_nr": record["order_nr"],
        "name": record["name"],
        "key_string": record["key_string"],
        "icon_key": record["icon_key"],
        "active_flag": bool(record["active_flag"]),
        "color": record.get("color"),
        "is_custom_flag": bool(record.get("is_custom_flag")),
        "add_time": v1_time(record["add_time"]),
        "update_time": v1_time(record["update_time"]),
    }


def _key_for(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "type"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _check(body: dict[str, Any], creating: bool) -> None:
    if creating or "name" in body:
        name = body.get("name")
        if name is None or not to_str(name, "name", True).strip():
            raise bad_request("Parameter 'name' is required")
    if creating or "icon_key" in body:
        if body.get("icon_key") not in ICON_KEYS:
            raise bad_request(f"Parameter 'icon_key' must be one of: {', '.join(ICON_KEYS)}")
    color = body.get("color")
    if color is not None and not COLOR.match(to_str(color, "color", True)):
        raise bad_request("Parameter 'color' must be a hexadecimal color, e.g. FFFFFF")


def register(router: Router) -> None:
    def _all(ctx: Ctx) -> list[dict[str, Any]]:
        return ctx.company.store.select(ctx.company.id, "activity_type")

    def post(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "icon_key", "color"))
        _check(body, creating=True)
        types = _all(ctx)
        record = {
            "name": body["name"].strip(),
            "key_string": _key_for(body["name"], {t["key_string"] for t in types}),
            "icon_key": body["icon_key"],
            "color": body.get("color"),
            "order_nr": max((t["order_nr"] for t in types), default=0) + 1,
            "is_custom_flag": True,
            "active_flag": True,
        }
        record = ctx.company.store.insert(ctx.company.id, "activity_type", record)
        return 201, {"success": True, "data": activity_type_v1(record)}  # as v1's other creates

    def _one(ctx: Ctx) -> dict[str, Any]:
        found = ctx.company.store.get(ctx.company.id, "activity_type", ctx.id())
        if found is None or found.get("is_deleted"):
            raise not_found("Activity type not found")
        return found

    def put(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "icon_key", "color", "order_nr"))
        _check(body, creating=False)
        record = _one(ctx)
        if "name" in body:
            record["name"] = body["name"].strip()
        for key in ("icon_key", "color"):
            if key in body:
                record[key] = body[key]
        if "order_nr" in body:
            record["order_nr"] = to_int(body["order_nr"], "order_nr", True)
        record["update_time"] = now_iso()
        ctx.company.store.put(ctx.company.id, "activity_type", record)
        return 200, {"success": True, "data": activity_type_v1(record)}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = _one(ctx)
        record["active_flag"] = False  # marked deleted: kept, and still listed
        ctx.company.store.put(ctx.company.id, "activity_type", record)
        return 200, {"success": True, "data": activity_type_v1(record)}

    router.add("/api/v1/activityTypes", post=post)  # its GET is v1.py's
    router.add("/api/v1/activityTypes/{id}", put=put, delete=delete)
