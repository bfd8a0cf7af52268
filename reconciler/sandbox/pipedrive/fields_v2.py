"""API v2's field schemas: ``/api/v2/{deal,person,organization,product}Fields`` and their options.

Shapes follow the official v2 field models: ``field_code`` is the 40-hex key of a custom field
(the key of a system field), ``field_type`` uses Pipedrive's names (``people`` for a person
reference), ``ui_visibility``, ``important_fields`` and ``required_fields`` are answered only when
``include_fields`` asks for them (product fields know only ``ui_visibility``), ``description``
exists on deal fields only. Lists page with an opaque cursor. The rules of writes live in
``fields.py``.
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, decode_cursor, encode_cursor, v2_limit
from .errors import bad_request
from .fields import (
    FIELD_PATHS,
    SETTINGS,
    add_field_v2,
    add_options,
    delete_field,
    delete_options,
    find_field,
    important_fields,
    required_fields,
    ui_visibility,
    update_field_v2,
    update_options,
)
from .model import custom_subfields

# What include_fields accepts per entity (the official enums of the v2 *Fields endpoints).
FIELD_EXTRAS: dict[str, tuple[str, ...]] = {
    "deal": ("ui_visibility", "important_fields", "required_fields"),
    "person": ("ui_visibility", "important_fields", "required_fields"),
    "organization": ("ui_visibility", "important_fields", "required_fields"),
    "product": ("ui_visibility",),
}


def field_v2(f: dict[str, Any], include: tuple[str, ...] = ()) -> dict[str, Any]:
    """A field schema entry as v2's Fields API returns it."""
    entity = f.get("entity") or f.get("category") or "deal"
    options = None
    if f.get("options"):
        options = [
            {"id": o["id"], "label": o["label"], "color": o.get("color"), "add_time": f["add_time"],
             "update_time": f["update_time"]}
            for o in f["options"]
        ]
    subfields = [{"field_code": key, "field_name": name, "field_type": ftype}
                 for key, name, ftype in custom_subfields(f)] or None
    out: dict[str, Any] = {
        "field_name": f["name"],
        "field_code": f["key"],
        "field_type": "people" if f["field_type"] == "person" else f["field_type"],
        "options": options,
        "subfields": subfields,
        "is_custom_field": bool(f["is_custom"]),
        "is_optional_response_field": False,
    }
    if entity == "deal":
        out["description"] = f.get("description")
    extras = {
        "ui_visibility": lambda: ui_visibility(entity, f),
        "important_fields": lambda: important_fields(f),
        "required_fields": lambda: required_fields(entity, f),
    }
    for name in FIELD_EXTRAS[entity]:
        if name in include:
            out[name] = extras[name]()
    return out


def field_include(ctx: Ctx, entity: str) -> tuple[str, ...]:
    """``include_fields`` of the v2 field endpoints; a value outside the entity's enum is a 400."""
    raw = ctx.query.get("include_fields")
    if not raw:
        return ()
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    allowed = FIELD_EXTRAS[entity]
    for name in names:
        if name not in allowed:
            raise bad_request(f"Parameter 'include_fields' must be a subset of: {', '.join(allowed)}")
    return names


def _ok(data: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "data": data, **extra}


def register(router: Router) -> None:
    """The v2 field routes of every entity that has custom fields."""
    for path, entity in FIELD_PATHS.items():

        def list_fields(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            fields = ctx.company.fields(entity)
            limit = v2_limit(ctx)
            cursor = decode_cursor(ctx.query.get("cursor"))
            start = int(cursor.get("o", 0)) if cursor else 0
            page = fields[start : start + limit]
            more = start + limit < len(fields)
            include = field_include(ctx, entity)
            return 200, _ok([field_v2(f, include) for f in page],
                            additional_data={"next_cursor": encode_cursor({"o": start + limit}) if more else None})

        def get_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            field = find_field(ctx.company, entity, ctx.params["code"])
            return 200, _ok(field_v2(field, field_include(ctx, entity)))

        def create_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            body = ctx.only(("field_name", "field_type", "options", *SETTINGS[entity]))
            return 200, _ok(field_v2(add_field_v2(ctx.company, entity, body)))

        def update_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            body = ctx.only(("field_name", "field_type", "field_code", *SETTINGS[entity]))
            return 200, _ok(field_v2(update_field_v2(ctx.company, entity, ctx.params["code"], body)))

        def remove_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            return 200, _ok(field_v2(delete_field(ctx.company, entity, ctx.params["code"])))

        def post_options(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            return 200, _ok(add_options(ctx.company, entity, ctx.params["code"], ctx.payload), additional_data={})

        def patch_options(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            return 200, _ok(update_options(ctx.company, entity, ctx.params["code"], ctx.payload),
                            additional_data={})

        def delete_options_(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            return 200, _ok(delete_options(ctx.company, entity, ctx.params["code"], ctx.payload),
                            additional_data={})

        router.add(f"/api/v2/{path}", get=list_fields, post=create_field)
        router.add(f"/api/v2/{path}/{{code}}", get=get_field, patch=update_field, delete=remove_field)
        router.add(f"/api/v2/{path}/{{code}}/options", post=post_options, patch=patch_options,
                   delete=delete_options_)
