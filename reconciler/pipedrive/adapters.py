"""One shape per kind, whichever API version answered.

The rest of the program sees "canonical" live objects: flat dicts shaped like API v2
(plain references, `custom_fields` keyed by hash with v2 values, `emails`/`phones` as
lists of {value, primary, label}). These two functions convert an answer of either
version into that shape and canonical changes into each version's request body, field by
field: each field's type knows its wire forms (reconciler/fieldtypes/) and the kinds
table its names per version; the few quirks that are not about one field are the kind's
named hooks. Keeping both directions side by side is what makes a v1-only gateway and a
v2 one plan identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import kinds
from reconciler.fieldtypes import FieldSpec, FieldType, is_hash_key


def from_api(kind: str, record: Mapping[str, Any], version: str,
             custom: Mapping[str, FieldSpec] | None = None) -> dict:
    """An API answer (either version) → the canonical live object.

    `custom` is the kind's custom fields by key, from the account's schema; without it,
    v2 custom values are kept as they are (they are canonical already) and v1 ones, whose
    shape depends on their type, are read as text.
    """
    spec = kinds.kind(kind)
    out: dict[str, Any] = {"id": spec.parse_id(record["id"]), "update_time": record.get("update_time")}
    get = record.get
    for api, wire, field_spec in _readers(spec, version):
        if field_spec is None:  # the value as answered (FieldType.read, without the call)
            value = get(wire)
            out[api] = None if value == "" else value
        else:
            out[api] = field_spec.type.read(field_spec, record, version)
    for field_spec in spec.attached_fields:  # how many there are, when the list was asked to say
        count_field = getattr(field_spec.type, "count_field", None)
        if count_field and count_field in record:
            out[count_field] = record[count_field]
    spec.hooks.read(record, out, version)
    out["custom_fields"] = _custom_from_api(spec, record, version, custom or {})
    return out


_READERS: dict[tuple[str, str], tuple[kinds.KindSpec, tuple[tuple[str, str, FieldSpec | None], ...]]] = {}


def _readers(spec: kinds.KindSpec, version: str) -> tuple[tuple[str, str, FieldSpec | None], ...]:
    """A kind's fields as from_api reads them in this version, in the kind's order (the
    canonical object's key order is part of its fingerprint): (canonical name, wire name,
    None) for a type that takes the answer's value as it is (FieldType.read itself, done
    without a call: a plan converts tens of thousands of objects), else the field's spec.

    Kept per kind object, so that a kinds table changed at run time is seen.
    """
    found = _READERS.get((spec.name, version))
    if found is None or found[0] is not spec:
        fields: list[tuple[str, str, FieldSpec | None]] = []
        for field_spec in spec.fields:
            ftype = field_spec.type
            if ftype is kinds.CUSTOM or ftype.attached:
                continue
            as_answered = (type(ftype).read is FieldType.read and type(ftype).raw is FieldType.raw
                           and not field_spec.container)
            fields.append((field_spec.api, field_spec.wire_name(version), None if as_answered else field_spec))
        found = _READERS[(spec.name, version)] = (spec, tuple(fields))
    return found[1]


def _custom_from_api(spec: kinds.KindSpec, record: Mapping[str, Any], version: str,
                     custom: Mapping[str, FieldSpec]) -> dict[str, Any]:
    if spec.field("fields") is None:
        return {}  # notes and activities have no custom fields we manage: skip the key scan
    if version == "v2":
        values = dict(record.get("custom_fields") or {})
        return {key: custom[key].type.read(custom[key], record, version) if key in custom else value
                for key, value in values.items()}
    out: dict[str, Any] = {}
    for key in record:
        if not is_hash_key(key):
            continue
        field_spec = custom.get(key)
        value = field_spec.type.read(field_spec, record, version) if field_spec else record[key]
        out[key] = None if value == "" else value
    return out


def to_api(kind: str, changes: Mapping[str, Any], version: str,
           custom: Mapping[str, FieldSpec] | None = None) -> dict:
    """Canonical changes (only the fields to write) → a request body for that version."""
    spec = kinds.kind(kind)
    by_api = {f.api: f for f in spec.fields if f.type is not kinds.CUSTOM}
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "custom_fields":
            continue
        field_spec = by_api.get(name)
        if field_spec is not None and field_spec.type.attached:
            continue  # written by calls of its own (PipedriveClient.write_attached)
        if field_spec is None:
            body[name] = value  # a hook's key (a note's _parent): the hook takes it out
        else:
            body.update(field_spec.type.write(field_spec, value, version))
    spec.hooks.write(changes, body, version)
    values = changes.get("custom_fields") or {}
    if values:
        written: dict[str, Any] = {}
        for key, value in values.items():
            field_spec = (custom or {}).get(key)
            written.update(field_spec.type.write(field_spec, value, version) if field_spec else {key: value})
        if version == "v2":
            body["custom_fields"] = written
        else:
            body.update(written)
    return body


def gone(record: Mapping[str, Any]) -> bool:
    """A deleted object still readable for a while (Pipedrive keeps them 30 days)."""
    return bool(record.get("is_deleted") or record.get("active_flag") is False or record.get("status") == "deleted")
