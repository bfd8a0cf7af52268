"""Field schemas (dealFields, personFields, organizationFields): adding custom fields.

Why shared by both versions: a custom field added through v1 must show up in v2 and the
other way round; only the input names (``name`` vs ``field_name``) and the output shape
differ. New custom fields get a fresh 40-hex key and option ids from the company's
option-id counter, as Pipedrive does.
"""

from __future__ import annotations

from typing import Any

from ..company import field_record, new_field_key
from .errors import bad_request
from .model import Company, to_str

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


def add_field(
    company: Company,
    entity: str,
    *,
    name: Any,
    field_type: Any,
    options: Any,
    strict: bool,
    name_param: str,
) -> dict[str, Any]:
    """Create a custom field; enum and set fields need at least one option label."""
    if name is None or (isinstance(name, str) and not name.strip()):
        raise bad_request(f"Parameter '{name_param}' is required")
    name = to_str(name, name_param, strict).strip()
    if field_type is None:
        raise bad_request("Parameter 'field_type' is required")
    field_type = to_str(field_type, "field_type", strict)
    if field_type not in FIELD_TYPES:
        raise bad_request(f"Parameter 'field_type' must be one of: {', '.join(sorted(FIELD_TYPES))}")
    if field_type == "person":
        field_type = "people"
    labels: list[str] = []
    if options is not None:
        if not strict and isinstance(options, str):
            import json

            try:
                options = json.loads(options)
            except ValueError:
                options = [o for o in options.split(",") if o.strip()]
        if not isinstance(options, list):
            raise bad_request("Parameter 'options' must be an array")
        for option in options:
            label = option.get("label") if isinstance(option, dict) else (option if not strict else None)
            if not isinstance(label, str) or not label.strip():
                raise bad_request("Each option must have a non-empty 'label'")
            labels.append(label.strip())
    if field_type in ("enum", "set") and not labels:
        raise bad_request("Options are required for enum and set fields")
    if field_type not in ("enum", "set") and labels:
        raise bad_request("Options are only allowed for enum and set fields")
    if any(f["name"].lower() == name.lower() for f in company.fields(entity)):
        raise bad_request(f"A field named '{name}' already exists")
    from ..store import now_iso

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
    company.store.insert(company.id, "field", record)
    company._fields.pop(entity, None)
    return record
