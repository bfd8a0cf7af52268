"""Field schemas (deal, person, organization and product fields): adding, changing and deleting
custom fields and the options of option fields.

Why shared by both versions: a custom field added through v1 must show up in v2 and the other
way round; only the input names (``name`` vs ``field_name``) and the output shape differ. New
custom fields get a fresh 40-hex key and option ids from the company's option-id counter, as
Pipedrive does.

Pipedrive's rules, from the official v2 descriptions (npm ``pipedrive`` 33.x):

- only custom fields are changed or deleted ("Updates a deal custom field. The field_code and
  field_type cannot be changed. At least one field must be provided"); a system field is a 400;
- the options endpoints take a JSON array, are atomic ("all options are added or none") and fail
  when an option id does not exist; they work on enum and set custom fields and, since Pipedrive
  documents labels as custom fields ("Working with labels"), on the standard ``label`` field;
- renaming an option keeps its id, so every value that uses it stays;
- deleting an option clears it from every record that used it (the sandbox's reading: the
  description says only that the option is removed; a value naming a removed option cannot be
  read back);
- ``ui_visibility.add_visible_flag`` ("shown in the add deal modal") defaults to false for a new
  field.

Where the descriptions are silent the sandbox takes the stricter reading, so that a client that
passes against it also passes against Pipedrive: two options of one field cannot share a label.
"""

from __future__ import annotations

import json
from typing import Any

from ..company import field_record, new_field_key
from ..store import now_iso
from .errors import bad_request, not_found
from .model import Company, to_bool, to_int, to_str

FIELD_TYPES = frozenset(
    {
        "varchar",
        "varchar_auto",
        "text",
        "double",
        "monetary",
        "date",
        "set",
        "enum",
        "user",
        "org",
        "people",
        "person",
        "phone",
        "time",
        "timerange",
        "daterange",
        "address",
        "int",
    }
)
# The v2 add-field enum (AddDealFieldRequestFieldTypeConst and its person/organization/product twins).
V2_FIELD_TYPES = (
    "varchar", "text", "double", "phone", "date", "daterange", "time", "timerange", "set", "enum",
    "varchar_auto", "address", "monetary", "org", "people", "user",
)
# The v2 paths of the field schemas and the entity each describes.
FIELD_PATHS = {
    "dealFields": "deal",
    "personFields": "person",
    "organizationFields": "organization",
    "productFields": "product",
}
MAX_OPTIONS = 10_000  # "a custom field ... can have a maximum of 10,000 options" (Working with labels)
MAX_LABEL = 255

# ui_visibility keys each entity's request models take, with their shapes.
_DIALOG = {"show": "bool", "order": "int?"}
UI_KEYS: dict[str, dict[str, Any]] = {
    "deal": {"add_visible_flag": "bool", "details_visible_flag": "bool", "projects_detail_visible_flag": "bool",
             "show_in_pipelines": {"show_in_all": "bool", "pipeline_ids": "ints"}},
    "person": {"add_visible_flag": "bool", "details_visible_flag": "bool", "show_in_add_deal_dialog": _DIALOG},
    "organization": {"add_visible_flag": "bool", "details_visible_flag": "bool", "show_in_add_deal_dialog": _DIALOG,
                     "show_in_add_person_dialog": _DIALOG},
    "product": {"add_visible_flag": "bool", "details_visible_flag": "bool"},
}
IMPORTANT_KEYS = {"enabled": "bool", "stage_ids": "ints"}
REQUIRED_KEYS: dict[str, dict[str, Any]] = {
    "deal": {"enabled": "bool", "stage_ids": "ints", "statuses": "statuses"},
    "person": {"enabled": "bool"},
    "organization": {"enabled": "bool"},
}
# What each entity's add/update request model takes besides field_name/field_type/options.
SETTINGS = {
    "deal": ("ui_visibility", "important_fields", "required_fields", "description"),
    "person": ("ui_visibility", "important_fields", "required_fields"),
    "organization": ("ui_visibility", "important_fields", "required_fields"),
    "product": ("ui_visibility",),
}


# ----------------------------------------------------------------------------- defaults
def ui_visibility(entity: str, field: dict[str, Any]) -> dict[str, Any]:
    """The field's ui_visibility as v2 answers it: the entity's shape with the stored settings."""
    out: dict[str, Any] = {"add_visible_flag": bool(field.get("add_visible_flag", True)),
                           "details_visible_flag": bool(field.get("details_visible_flag", True))}
    if entity == "deal":
        out.update({"projects_detail_visible_flag": False,
                    "show_in_pipelines": {"show_in_all": True, "pipeline_ids": []}})
    elif entity == "person":
        out["show_in_add_deal_dialog"] = {"show": False, "order": 0}
    elif entity == "organization":
        out.update({"org_detail_visible_flag": True, "person_detail_visible_flag": False,
                    "deal_detail_visible_flag": False,
                    "show_in_add_deal_dialog": {"show": False, "order": 0},
                    "show_in_add_person_dialog": {"show": False, "order": 0}})
    for key, value in (field.get("ui_visibility") or {}).items():
        out[key] = json.loads(json.dumps(value))
    return out


def important_fields(field: dict[str, Any]) -> dict[str, Any]:
    return {"enabled": False, "stage_ids": [], **(field.get("important_fields") or {})}


def required_fields(entity: str, field: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"enabled": False}
    if entity == "deal":
        out.update({"stage_ids": [], "statuses": {}})
    return {**out, **(field.get("required_fields") or {})}


# ----------------------------------------------------------------------------- validation
def _shaped(value: Any, shape: Any, name: str) -> Any:
    """``value`` checked against a small shape: "bool", "int?", "ints", "statuses" or an object."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise bad_request(f"Parameter '{name}' must be an object")
        out = {}
        for key, item in value.items():
            if key not in shape:
                raise bad_request(f"Parameter '{name}.{key}' is not allowed for this request")
            out[key] = _shaped(item, shape[key], f"{name}.{key}")
        return out
    if shape == "bool":
        return to_bool(value, name, True)
    if shape == "int?":
        return None if value is None else to_int(value, name, True)
    if shape == "ints":
        if not isinstance(value, list):
            raise bad_request(f"Parameter '{name}' must be an array of integers")
        return [to_int(v, name, True) for v in value]
    if shape == "statuses":
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value.values()
        ):
            raise bad_request(f"Parameter '{name}' must be an object of string arrays")
        return value
    raise AssertionError(shape)


def _check_stage_ids(company: Company, ids: list[int], name: str) -> None:
    for stage_id in ids:
        stage = company.get("stage", stage_id)
        if stage is None or stage.get("is_deleted"):
            raise bad_request(f"Parameter '{name}': stage with id {stage_id} does not exist")


def settings(company: Company, entity: str, body: dict[str, Any], field: dict[str, Any]) -> dict[str, Any]:
    """The ui_visibility, important_fields, required_fields and description of a v2 add or update,
    as changes to the stored field (settings merge over what the field already has)."""
    changes: dict[str, Any] = {}
    if "ui_visibility" in body:
        ui = _shaped(body["ui_visibility"], UI_KEYS[entity], "ui_visibility")
        for key in ("add_visible_flag", "details_visible_flag"):
            if key in ui:
                changes[key] = ui.pop(key)
        if ui:
            changes["ui_visibility"] = {**(field.get("ui_visibility") or {}), **ui}
        pipelines = ui.get("show_in_pipelines", {}).get("pipeline_ids", [])
        for pipeline_id in pipelines:
            company.require("pipeline", pipeline_id)
    if "important_fields" in body:
        important = _shaped(body["important_fields"], IMPORTANT_KEYS, "important_fields")
        _check_stage_ids(company, important.get("stage_ids", []), "important_fields.stage_ids")
        changes["important_fields"] = {**(field.get("important_fields") or {}), **important}
    if "required_fields" in body:
        required = _shaped(body["required_fields"], REQUIRED_KEYS[entity], "required_fields")
        _check_stage_ids(company, required.get("stage_ids", []), "required_fields.stage_ids")
        changes["required_fields"] = {**(field.get("required_fields") or {}), **required}
    if "description" in body:
        value = body["description"]
        changes["description"] = None if value is None else to_str(value, "description", True)
    return changes


def _name(company: Company, entity: str, name: Any, param: str, strict: bool, *, skip: int | None = None) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        raise bad_request(f"Parameter '{param}' is required")
    name = to_str(name, param, strict).strip()
    if any(f["name"].lower() == name.lower() and f["id"] != skip for f in company.fields(entity)):
        raise bad_request(f"A field named '{name}' already exists")
    return name


def _labels(options: Any, strict: bool) -> list[str]:
    """Option labels from a request: ``[{label}]`` (v1 also a JSON string or a comma list)."""
    if options is None:
        return []
    if not strict and isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            options = [o for o in options.split(",") if o.strip()]
    if not isinstance(options, list):
        raise bad_request("Parameter 'options' must be an array")
    labels: list[str] = []
    for option in options:
        label = option.get("label") if isinstance(option, dict) else (option if not strict else None)
        if not isinstance(label, str) or not label.strip():
            raise bad_request("Each option must have a non-empty 'label'")
        labels.append(_label(label))
    _unique(labels)
    return labels


def _label(label: str) -> str:
    label = label.strip()
    if len(label) > MAX_LABEL:
        raise bad_request(f"An option label is at most {MAX_LABEL} characters")
    return label


def _unique(labels: list[str]) -> None:
    seen: set[str] = set()
    for label in labels:
        if label.lower() in seen:
            raise bad_request(f"Option '{label}' appears twice; option labels must be unique within a field")
        seen.add(label.lower())


# ----------------------------------------------------------------------------- add
def add_field(
    company: Company,
    entity: str,
    *,
    name: Any,
    field_type: Any,
    options: Any,
    strict: bool,
    name_param: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create a custom field; enum and set fields need at least one option label.

    ``extra`` is a v2 body's ui_visibility, important_fields, required_fields and description.
    """
    name = _name(company, entity, name, name_param, strict)
    if field_type is None:
        raise bad_request("Parameter 'field_type' is required")
    field_type = to_str(field_type, "field_type", strict)
    allowed = V2_FIELD_TYPES if strict else tuple(sorted(FIELD_TYPES))
    if field_type not in allowed:
        raise bad_request(f"Parameter 'field_type' must be one of: {', '.join(sorted(allowed))}")
    if field_type == "person":
        field_type = "people"
    labels = _labels(options, strict)
    if field_type in ("enum", "set") and not labels:
        raise bad_request("Options are required for enum and set fields")
    if field_type not in ("enum", "set") and labels:
        raise bad_request("Options are only allowed for enum and set fields")
    stamp = now_iso()
    order = max([f["order_nr"] for f in company.fields(entity)] or [0]) + 1
    record = field_record(
        company.store,
        company.id,
        entity=entity,
        key=new_field_key(),
        name=name,
        field_type=field_type,
        labels=labels,
        is_custom=True,
        order_nr=order,
        stamp=stamp,
    )
    if strict:
        record["add_visible_flag"] = False  # the official default of ui_visibility.add_visible_flag
        record.update(settings(company, entity, extra or {}, record))
    company.store.insert(company.id, "field", record)
    company.forget_fields(entity)
    return record


def add_field_v2(company: Company, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v2/{entity}Fields``."""
    return add_field(
        company,
        entity,
        name=body.get("field_name"),
        field_type=body.get("field_type"),
        options=body.get("options"),
        strict=True,
        name_param="field_name",
        extra=body,
    )


# ----------------------------------------------------------------------------- change, delete
def find_field(company: Company, entity: str, code: str) -> dict[str, Any]:
    for field in company.fields(entity):
        if field["key"] == code:
            return field
    raise not_found("Field not found")


def _custom_only(field: dict[str, Any], action: str) -> None:
    if not field["is_custom"]:
        raise bad_request(f"Field '{field['key']}' is a system field and cannot be {action}; "
                          "only custom fields can")


def update_field_v2(company: Company, entity: str, code: str, body: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /api/v2/{entity}Fields/{field_code}``: name and settings of a custom field."""
    field = find_field(company, entity, code)
    for fixed in ("field_code", "field_type"):
        if fixed in body:
            raise bad_request(f"Parameter '{fixed}' cannot be changed")
    if not body:
        raise bad_request("At least one field must be provided in the request body")
    _custom_only(field, "changed")
    changes = settings(company, entity, body, field)
    if "field_name" in body:
        changes["name"] = _name(company, entity, body["field_name"], "field_name", True, skip=field["id"])
    field.update(changes)
    company.store.put(company.id, "field", field)
    company.forget_fields(entity)
    return field


def delete_field(company: Company, entity: str, code: str) -> dict[str, Any]:
    """``DELETE /api/v2/{entity}Fields/{field_code}``: marks a custom field deleted.

    Records keep their stored value, as Pipedrive keeps deleted fields' data, but no answer shows
    it and no write can name the field any more.
    """
    field = find_field(company, entity, code)
    _custom_only(field, "deleted")
    field["is_deleted"] = True
    company.store.put(company.id, "field", field)
    company.forget_fields(entity)
    return field


def update_field_v1(company: Company, entity: str, field: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """``PUT /api/v1/{entity}Fields/{id}`` (official UpdateFieldRequest: name, options, add_visible_flag).

    ``options`` is the field's whole list after the update, in order, as the official description
    says: "All active items must be supplied and already existing items must have their ID
    supplied. New items only require a label." So it is the one call that reorders options; an
    option left out is deleted and cleared from the records that used it, like the v2 delete.
    """
    _custom_only(field, "changed")
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(company, entity, body["name"], "name", False, skip=field["id"])
    if "add_visible_flag" in body:
        changes["add_visible_flag"] = to_bool(body["add_visible_flag"], "add_visible_flag", False)
    removed: set[int] = set()
    if "options" in body:
        if field["field_type"] not in ("enum", "set"):
            raise bad_request("Options are only allowed for enum and set fields")
        items = body["options"]
        if isinstance(items, str):
            try:
                items = json.loads(items)
            except ValueError:
                raise bad_request("Parameter 'options' must be a JSON array") from None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise bad_request("Parameter 'options' must be an array of objects")
        known = {o["id"]: o for o in field.get("options") or []}
        options: list[dict[str, Any]] = []
        new_labels: list[str] = []
        for item in items:
            label = item.get("label")
            if not isinstance(label, str) or not label.strip():
                raise bad_request("Each option must have a non-empty 'label'")
            if item.get("id") is None:
                new_labels.append(_label(label))
                options.append({"id": None, "label": _label(label)})
                continue
            option_id = to_int(item["id"], "id", False)
            if option_id not in known or any(o["id"] == option_id for o in options):
                raise bad_request(f"Option with id {option_id} does not exist for field '{field['key']}'")
            options.append({**known[option_id], "label": _label(label)})
        if not options:
            raise bad_request(f"Field '{field['key']}' must keep at least one option")
        _unique([o["label"] for o in options])
        if new_labels:
            first = company.store.next_ids(company.id, "field_option", len(new_labels))
            fresh = iter(range(first, first + len(new_labels)))
            options = [o if o["id"] is not None else {"id": next(fresh), "label": o["label"]} for o in options]
        kept = {o["id"] for o in options}
        removed = {i for i in known if i not in kept}
        changes["options"] = options
    if not changes:
        raise bad_request("At least one field must be provided in the request body")
    field.update(changes)
    if "options" in changes:
        _save_options(company, entity, field, changes["options"])
    else:
        company.store.put(company.id, "field", field)
        company.forget_fields(entity)
    if removed:
        clear_options(company, entity, field, removed)
    return field


# ----------------------------------------------------------------------------- options
def _option_field(company: Company, entity: str, code: str) -> dict[str, Any]:
    field = find_field(company, entity, code)
    if field["is_custom"] and field["field_type"] in ("enum", "set"):
        return field
    if not field["is_custom"] and field["key"] == "label":
        return field  # labels are custom fields in all but name (Pipedrive's "Working with labels")
    raise bad_request(f"Field '{code}' has no options that can be changed (only enum and set custom fields "
                      "and the label field have)")


def _items(payload: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The options endpoints' body: a non-empty JSON array of objects with exactly ``keys``."""
    if not isinstance(payload, list) or not payload:
        raise bad_request("The request body must be a non-empty array of options")
    for item in payload:
        if not isinstance(item, dict):
            raise bad_request("Each option must be an object")
        for key in item:
            if key not in keys:
                raise bad_request(f"Parameter '{key}' is not allowed for this request")
        for key in keys:
            if key not in item:
                raise bad_request(f"Each option needs '{key}'")
    return payload


def _ids(items: list[dict[str, Any]], field: dict[str, Any]) -> list[int]:
    known = {o["id"] for o in field.get("options") or []}
    ids = [to_int(item["id"], "id", True) for item in items]
    if len(set(ids)) != len(ids):
        raise bad_request("An option id appears twice in the request")
    missing = [i for i in ids if i not in known]
    if missing:
        raise bad_request(f"Option with id {missing[0]} does not exist for field '{field['key']}'")
    return ids


def _save_options(company: Company, entity: str, field: dict[str, Any], options: list[dict[str, Any]]) -> None:
    if len(options) > MAX_OPTIONS:
        raise bad_request(f"A field can have at most {MAX_OPTIONS} options")
    _unique([o["label"] for o in options])
    field["options"] = options
    company.store.put(company.id, "field", field)
    company.forget_fields(entity)


def add_options(company: Company, entity: str, code: str, payload: Any) -> list[dict[str, Any]]:
    """``POST .../options``: new options at the end, with ids from the company's option counter."""
    field = _option_field(company, entity, code)
    labels = [_label(to_str(item["label"], "label", True)) for item in _items(payload, ("label",))]
    if any(not label for label in labels):
        raise bad_request("Each option must have a non-empty 'label'")
    first = company.store.next_ids(company.id, "field_option", len(labels))
    added = [{"id": first + i, "label": label} for i, label in enumerate(labels)]
    _save_options(company, entity, field, list(field.get("options") or []) + added)
    return added


def update_options(company: Company, entity: str, code: str, payload: Any) -> list[dict[str, Any]]:
    """``PATCH .../options``: relabel options; each keeps its id, so every value using it stays."""
    field = _option_field(company, entity, code)
    items = _items(payload, ("id", "label"))
    ids = _ids(items, field)
    labels = {i: _label(to_str(item["label"], "label", True)) for i, item in zip(ids, items, strict=True)}
    if any(not label for label in labels.values()):
        raise bad_request("Each option must have a non-empty 'label'")
    options = [{**o, "label": labels.get(o["id"], o["label"])} for o in field.get("options") or []]
    _save_options(company, entity, field, options)
    return [{"id": i, "label": labels[i]} for i in ids]


def delete_options(company: Company, entity: str, code: str, payload: Any) -> list[dict[str, Any]]:
    """``DELETE .../options``: remove options and clear them from every record that used them."""
    field = _option_field(company, entity, code)
    ids = set(_ids(_items(payload, ("id",)), field))
    removed = [dict(o) for o in field.get("options") or [] if o["id"] in ids]
    kept = [o for o in field.get("options") or [] if o["id"] not in ids]
    if field["is_custom"] and not kept:
        raise bad_request(f"Field '{code}' must keep at least one option")
    _save_options(company, entity, field, kept)
    clear_options(company, entity, field, ids)
    return [{"id": o["id"], "label": o["label"]} for o in removed]


def clear_options(company: Company, entity: str, field: dict[str, Any], ids: set[int]) -> int:
    """Remove option ``ids`` from every record's value of ``field``; how many records changed.

    Deal custom fields are also the leads' custom fields (leads inherit the deals' structure).
    """
    label_field = not field["is_custom"]
    kinds = (entity,) if label_field or entity != "deal" else ("deal", "lead")
    key = field["key"]
    changed = 0
    for kind in kinds:
        probe = ('data LIKE ?', ['%"label_ids":[_%']) if label_field else ('data LIKE ?', [f'%"{key}"%'])
        for record in company.store.select(company.id, kind, deleted=None, sql=[probe]):
            if label_field:
                before = list(record.get("label_ids") or [])
                record["label_ids"] = [i for i in before if i not in ids]
                if record["label_ids"] == before:
                    continue
            else:
                values = record.get("custom_fields") or {}
                value = values.get(key)
                if isinstance(value, list):
                    left = [i for i in value if i not in ids]
                    if left == value:
                        continue
                    if left:
                        values[key] = left
                    else:
                        values.pop(key)
                elif value in ids:
                    values.pop(key)
                else:
                    continue
            company.store.put(company.id, kind, record)
            changed += 1
    return changed
