"""One shape per kind, whichever API version answered.

The rest of the program sees "canonical" live objects: flat dicts shaped like API v2
(plain integer references, `custom_fields` keyed by hash with v2 values, `emails`/`phones`
as lists of {value, primary, label}). These functions convert v1 and v2 answers into that
shape, and canonical changes into each version's request body. Keeping both directions
side by side is what makes a v1-only gateway and a v2 one plan identically.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler import kinds

HASH_KEY = re.compile(r"^[0-9a-f]{40}$")

# canonical fields kept per kind (besides id and custom_fields)
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    spec.name: tuple(f.api for f in spec.fields if f.type != kinds.CUSTOM) for spec in kinds.KINDS
}


def _ref(value: Any) -> int | None:
    """v1 nests references as objects ({"value": 5, "name": ...}); v2 sends the integer."""
    if isinstance(value, dict):
        value = value.get("value", value.get("id"))
    if value in (None, "", 0):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _time(value: Any) -> str | None:
    """Pipedrive answers HH:MM or HH:MM:SS; the manifest speaks HH:MM."""
    if value in (None, ""):
        return None
    text = str(value)
    return text[:5] if len(text) >= 5 else text


def _contacts(values: Any) -> list[dict]:
    out = []
    for item in values or []:
        if isinstance(item, dict):
            value = item.get("value")
            if value in (None, ""):
                continue
            out.append({"value": str(value), "primary": _bool(item.get("primary")), "label": item.get("label")})
        elif item:
            out.append({"value": str(item), "primary": not out, "label": None})
    return out


def _address(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("formatted_address")
    return value or None


def _v1_custom_fields(record: dict, field_types: dict[str, str]) -> dict[str, Any]:
    """v1 puts custom fields at the root by hash, monetary currency in a `_currency` sibling."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if not HASH_KEY.match(key):
            continue
        field_type = field_types.get(key, "varchar")
        out[key] = v1_custom_value(field_type, value, record.get(f"{key}_currency"))
    return out


def v1_custom_value(field_type: str, value: Any, currency: Any = None) -> Any:
    """One v1 custom field value in v2's shape."""
    if value in (None, ""):
        return None
    if field_type == "enum":
        if isinstance(value, dict):
            value = value.get("id")
        return int(value)
    if field_type == "set":
        if isinstance(value, str):
            return [int(v) for v in value.split(",") if v.strip()]
        return [int(v.get("id") if isinstance(v, dict) else v) for v in value]
    if field_type == "monetary":
        if isinstance(value, dict):
            return {"value": value.get("value"), "currency": value.get("currency")}
        return {"value": value, "currency": currency}
    if field_type in ("double", "int") and isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def from_api(kind: str, record: dict, version: str, field_types: dict[str, str] | None = None) -> dict:
    """An API answer (either version) → the canonical live object."""
    field_types = field_types or {}
    out: dict[str, Any] = {"id": int(record["id"])}
    out["update_time"] = record.get("update_time")
    if version == "v2":
        custom = dict(record.get("custom_fields") or {})
    elif kinds.kind(kind).field_schema_path is None:
        custom = {}  # notes and activities have no custom fields we manage: skip the key scan
    else:
        custom = _v1_custom_fields(record, field_types)
    if kind == "organization":
        out["name"] = record.get("name")
        out["address"] = _address(record.get("address"))
        out["owner_id"] = _ref(record.get("owner_id"))
        out["visible_to"] = _ref(record.get("visible_to"))
    elif kind == "person":
        out["name"] = record.get("name")
        out["org_id"] = _ref(record.get("org_id"))
        out["emails"] = _contacts(record.get("emails") if version == "v2" else record.get("email"))
        out["phones"] = _contacts(record.get("phones") if version == "v2" else record.get("phone"))
        out["owner_id"] = _ref(record.get("owner_id"))
        out["visible_to"] = _ref(record.get("visible_to"))
    elif kind == "deal":
        for name in ("title", "currency", "status", "expected_close_date", "lost_reason"):
            out[name] = record.get(name)
        out["value"] = record.get("value")
        for name in ("org_id", "person_id", "pipeline_id", "stage_id"):
            out[name] = _ref(record.get(name))
        out["owner_id"] = _ref(record.get("owner_id") if version == "v2" else record.get("user_id"))
        out["visible_to"] = _ref(record.get("visible_to"))
    elif kind == "note":
        out["content"] = record.get("content")
        for name in ("deal_id", "person_id", "org_id"):
            out[name] = _ref(record.get(name))
        parent_flag = (
            "pinned_to_deal_flag" if out["deal_id"] else
            "pinned_to_person_flag" if out["person_id"] else "pinned_to_organization_flag"
        )
        out["pinned"] = _bool(record.get(parent_flag))
        # a note can hang off several parents; `pinned` is compared with the declared one's flag
        out["pinned_flags"] = {
            "deal": _bool(record.get("pinned_to_deal_flag")),
            "person": _bool(record.get("pinned_to_person_flag")),
            "org": _bool(record.get("pinned_to_organization_flag")),
        }
        out["owner_id"] = _ref(record.get("user_id"))
    elif kind == "activity":
        out["subject"] = record.get("subject")
        out["type"] = record.get("type")
        out["due_date"] = record.get("due_date") or None
        out["due_time"] = _time(record.get("due_time"))
        out["duration"] = _time(record.get("duration"))
        for name in ("deal_id", "person_id", "org_id"):
            out[name] = _ref(record.get(name))
        out["done"] = _bool(record.get("done"))
        out["note"] = record.get("note") or None
        out["owner_id"] = _ref(record.get("owner_id") if version == "v2" else record.get("user_id"))
    out["custom_fields"] = custom
    return out


def to_api(kind: str, changes: dict[str, Any], version: str, field_types: dict[str, str] | None = None) -> dict:
    """Canonical changes (only the fields to write) → a request body for that version."""
    field_types = field_types or {}
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "custom_fields":
            continue
        if name == "address" and version == "v2":
            body["address"] = {"value": value} if value is not None else None
        elif name in ("emails", "phones"):
            api_name = name if version == "v2" else name[:-1]
            body[api_name] = [
                {"value": c["value"], "primary": c["primary"], **({"label": c["label"]} if c.get("label") else {})}
                for c in value or []
            ]
        elif name == "owner_id" and version == "v1" and kind in ("deal", "activity", "note"):
            body["user_id"] = value
        elif name == "pinned" and kind == "note":
            pass  # set below, against the note's parent
        elif name == "done" and version == "v1":
            body["done"] = 1 if value else 0
        else:
            body[name] = value
    if kind == "note" and "pinned" in changes:
        parent = "deal" if changes.get("deal_id") else "person" if changes.get("person_id") else "organization"
        if "_parent" in changes:
            parent = changes["_parent"]
        body[f"pinned_to_{parent}_flag"] = 1 if changes["pinned"] else 0
    body.pop("_parent", None)
    custom = changes.get("custom_fields") or {}
    if custom:
        if version == "v2" and kind != "note":
            body["custom_fields"] = dict(custom)
        else:
            for key, value in custom.items():
                body.update(v1_custom_body(field_types.get(key, "varchar"), key, value))
    return body


def v1_custom_body(field_type: str, key: str, value: Any) -> dict[str, Any]:
    """One custom field as v1 request keys."""
    if value is None:
        return {key: None}
    if field_type == "monetary" and isinstance(value, dict):
        out = {key: value.get("value")}
        if value.get("currency"):
            out[f"{key}_currency"] = value["currency"]
        return out
    if field_type == "set" and isinstance(value, list):
        return {key: ",".join(str(v) for v in value)}
    return {key: value}
