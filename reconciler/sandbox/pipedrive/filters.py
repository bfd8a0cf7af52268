"""``/api/v1/filters``: the saved views (list by type, get one, create, update, delete one or many).

Shapes from the official client (npm ``pipedrive`` 33.x, v1 ``FiltersApi``): the list answers
``GetFiltersResponse`` (filters without their conditions), a get ``GetFiltersResponse1`` (with
them), a create ``AddFilterRequest`` (``name``, ``conditions``, ``type``, all required) and an update
``UpdateFilterRequest`` (``conditions`` required, ``name``) both answer ``AddFiltersResponse`` (one
``Filter``). Neither request model sets ``visible_to`` or (update) ``type``. Conditions are one "and"
glue over groups glued "and" or "or", each condition ``{object, field_id, operator, value,
extra_value}``, at most 16 in all; ``include_field_code=true`` adds each field's ``field_code``.
"Only two second level condition groups are supported of which one must be glued with 'AND' and the
second with 'OR'" (the official description of addFilter): any other nesting is a 400.

What the sandbox refuses, as Pipedrive does, with a 400: a field id that is not a field of the
condition's object, an operator Pipedrive does not name, an operator that does not fit the field's
type (a "contains" on a number), an option, stage or user that does not exist. An activity
condition's field id is one of ``GET /api/v1/activityFields`` (activity_fields.py), an activity
type by its key (that field's option id).
"""

from __future__ import annotations

from typing import Any

from ..store import now_iso
from .activity_fields import fields_v1 as activity_fields
from .base import Ctx, Router
from .errors import bad_request, not_found
from .model import to_str
from .util import v1_time

TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
OBJECTS = ("person", "deal", "organization", "product", "activity")
NULL_OPERATORS = ("IS NULL", "IS NOT NULL")
OPERATORS = ("=", "!=", "<", ">", "<=", ">=", "LIKE '$%'", "LIKE '%$%'", "NOT LIKE '$%'", *NULL_OPERATORS)
TEXT = {"varchar", "varchar_auto", "text", "phone", "address", "varchar_options"}
ORDERED = {"double", "monetary", "int", "date", "daterange", "time", "timerange"}
MAX_CONDITIONS = 16
KIND = "filter"


def _fits(operator: str, field_type: str) -> bool:
    if operator in ("=", "!=", *NULL_OPERATORS):
        return True
    if operator in ("<", ">", "<=", ">="):
        return field_type in ORDERED
    return field_type in TEXT  # the LIKE operators


def _condition(ctx: Ctx, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad_request("Each condition must be an object")
    entity = item.get("object")
    if entity not in OBJECTS:
        raise bad_request(f"Condition object must be one of: {', '.join(OBJECTS)}")
    field_id = str(item.get("field_id") or "")
    fields = {str(f["id"]): f for f in _fields(ctx, entity)}
    field = fields.get(field_id)
    if field is None:
        raise bad_request(f"Field with id {field_id or '(none)'} does not exist for {entity}")
    operator = item.get("operator")
    if operator not in OPERATORS:
        raise bad_request(f"Operator must be one of: {', '.join(OPERATORS)}")
    if not _fits(operator, field["field_type"]):
        raise bad_request(f"Operator {operator} is not valid for the field {field['name']} ({field['field_type']})")
    value = item.get("value")
    value = None if value is None else to_str(value, "value", False)
    if operator not in NULL_OPERATORS and value is not None:
        _check_value(ctx, field, value)
    extra = item.get("extra_value")
    return {"object": entity, "field_id": field_id, "operator": operator, "value": value,
            "extra_value": None if extra is None else to_str(extra, "extra_value", False)}


def _check_value(ctx: Ctx, field: dict[str, Any], value: str) -> None:
    kind = field["field_type"]
    if kind in ("enum", "set", "varchar_options") and field.get("options"):
        if value not in {str(o["id"]) for o in field["options"]}:
            raise bad_request(f"Option with id {value} does not exist for the field {field['name']}")
    elif kind == "stage":
        stage = ctx.company.get("stage", int(value)) if value.isdigit() else None
        if stage is None or stage.get("is_deleted"):
            raise bad_request(f"Stage with id {value} does not exist")
    elif kind == "user":
        if not value.isdigit():
            raise bad_request(f"User with id {value} does not exist")
        ctx.company.require_user(int(value))


def _conditions(ctx: Ctx, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("glue") != "and" or not isinstance(raw.get("conditions"), list):
        raise bad_request("Parameter 'conditions' must be an object with glue 'and' and a list of condition groups")
    glues = [group.get("glue") if isinstance(group, dict) else None for group in raw["conditions"]]
    if glues != ["and", "or"]:  # "only two second level condition groups are supported" (the official description)
        raise bad_request("Parameter 'conditions' must hold two condition groups: the first glued 'and', the "
                          "second glued 'or'")
    groups, count = [], 0
    for group in raw["conditions"]:
        items = [_condition(ctx, item) for item in group.get("conditions") or []]
        count += len(items)
        groups.append({"glue": group["glue"], "conditions": items})
    if count > MAX_CONDITIONS:
        raise bad_request(f"A filter can have at most {MAX_CONDITIONS} conditions")
    return {"glue": "and", "conditions": groups}


def _fields(ctx: Ctx, entity: str) -> list[dict[str, Any]]:
    """The fields a condition about this object may name: its field schema (activities' from
    activity_fields.py: they have no custom fields)."""
    return activity_fields(ctx) if entity == "activity" else ctx.company.fields(entity)


def _codes(ctx: Ctx) -> dict[tuple[str, str], str]:
    return {(entity, str(f["id"])): f["key"] for entity in OBJECTS for f in _fields(ctx, entity)}


def filter_v1(ctx: Ctx, record: dict[str, Any], with_conditions: bool) -> dict[str, Any]:
    """One filter as the official ``Filter`` model has it (conditions only where the answer has them)."""
    out: dict[str, Any] = {
        "id": record["id"],
        "name": record["name"],
        "filter_code": record.get("filter_code"),
        "is_editable": True,
        "active_flag": not record.get("is_deleted"),
        "type": record["type"],
        "temporary_flag": False,
        "user_id": record["user_id"],
        "add_time": v1_time(record["add_time"]),
        "update_time": v1_time(record["update_time"]),
        "visible_to": record.get("visible_to", "7"),
        "last_used_time": None,
        "custom_view_id": None,
    }
    if with_conditions:
        codes = _codes(ctx) if ctx.query.get("include_field_code") in ("true", "1") else None
        groups = []
        for group in record["conditions"]["conditions"]:
            items = []
            for c in group["conditions"]:
                item = {**c, "json_value_flag": False}
                if codes is not None:
                    item["field_code"] = codes.get((c["object"], c["field_id"]))
                items.append(item)
            groups.append({"glue": group["glue"], "conditions": items})
        out["conditions"] = {"glue": "and", "conditions": groups}
    return out


def register(router: Router) -> None:
    def _one(ctx: Ctx) -> dict[str, Any]:
        found = ctx.company.get(KIND, ctx.id())
        if found is None or found.get("is_deleted"):
            raise not_found("Filter not found")
        return found

    def list_filters(ctx: Ctx) -> tuple[int, Any]:
        wanted = ctx.query.get("type")
        if wanted is not None and wanted not in TYPES:
            raise bad_request(f"Parameter 'type' must be one of: {', '.join(TYPES)}")
        records = ctx.company.store.select(ctx.company.id, KIND)
        return 200, {"success": True, "data": [filter_v1(ctx, r, False) for r in records
                                                if wanted is None or r["type"] == wanted]}

    def post(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "conditions", "type"))
        name = body.get("name")
        if name is None or not to_str(name, "name", True).strip():
            raise bad_request("Parameter 'name' is required")
        if body.get("type") not in TYPES:
            raise bad_request(f"Parameter 'type' must be one of: {', '.join(TYPES)}")
        record = {"name": name.strip(), "type": body["type"], "conditions": _conditions(ctx, body.get("conditions")),
                  "user_id": ctx.company.api_user_id, "visible_to": "7", "filter_code": None}
        record = ctx.company.store.insert(ctx.company.id, KIND, record)
        return 201, {"success": True, "data": filter_v1(ctx, record, True)}

    def get(ctx: Ctx) -> tuple[int, Any]:
        return 200, {"success": True, "data": filter_v1(ctx, _one(ctx), True)}

    def put(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "conditions"))
        record = _one(ctx)
        if "conditions" not in body:
            raise bad_request("Parameter 'conditions' is required")
        record["conditions"] = _conditions(ctx, body["conditions"])
        if "name" in body:
            if body["name"] is None or not to_str(body["name"], "name", True).strip():
                raise bad_request("Parameter 'name' cannot be empty")
            record["name"] = body["name"].strip()
        record["update_time"] = now_iso()
        ctx.company.store.put(ctx.company.id, KIND, record)
        return 200, {"success": True, "data": filter_v1(ctx, record, True)}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = _one(ctx)
        record["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, KIND, record)
        return 200, {"success": True, "data": {"id": record["id"]}}

    def delete_many(ctx: Ctx) -> tuple[int, Any]:
        raw = ctx.query.get("ids") or ""
        ids = [int(i) for i in raw.split(",") if i.strip().isdigit()]
        if not ids:
            raise bad_request("Parameter 'ids' is required")
        gone = []
        for record in ctx.company.store.get_many(ctx.company.id, KIND, ids).values():
            if not record.get("is_deleted"):
                record["is_deleted"] = True
                ctx.company.store.put(ctx.company.id, KIND, record)
                gone.append(record["id"])
        return 200, {"success": True, "data": {"id": gone}}

    router.add("/api/v1/filters", get=list_filters, post=post, delete=delete_many)
    router.add("/api/v1/filters/{id}", get=get, put=put, delete=delete)
