"""Custom fields: the `fields:` mapping, unknown types, and Pipedrive's custom field types mapped to
field types (CUSTOM_TYPES)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.fieldtypes.base import Drop, FieldSpec, FieldType
from reconciler.fieldtypes.composites import DATE_RANGE, MONEY, TIME_OF_DAY, TIME_RANGE
from reconciler.fieldtypes.options import OPTION, OPTIONS
from reconciler.fieldtypes.references import REF, USER
from reconciler.fieldtypes.scalars import ADDRESS, DATE, LARGE_TEXT, NUMBER, STRING
from reconciler.normalize import Context, UnknownName
from reconciler.vocabulary import CustomField


class Raw(FieldType):
    """A custom field of a type reconciler does not know: compared and sent as written."""

    name = "raw"

    def same(self, spec, desired, live):
        if desired in ("", None) and live in ("", None):
            return True
        return desired == live

    def comparable(self, spec, value, like=None):
        return None if value == "" else value

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        return None if value == "" else value

    def export(self, spec, value, ctx, obj):
        if isinstance(value, dict | list):
            raise Drop("this value has no manifest form")
        return value


class CustomFields(FieldType):
    """The `fields:` mapping: custom fields by name; each value is typed by the account's schema."""

    name = "custom"

    def currencies(self, spec, value):  # monetary values declared with their own currency
        return [v["currency"] for v in (value or {}).values() if isinstance(v, dict) and isinstance(v.get("currency"), str)]

    def schema(self, spec):
        return {"type": "object", "additionalProperties": custom_value_schema()}, ""

    def expectation(self, spec):
        return "a mapping of custom field names to values"

    def convert(self, spec, value, pos):
        return dict(value)

    def members(self, spec: FieldSpec, value: Any, ctx: Context, kind: str) -> Iterator[tuple[str, Any, Any]]:
        """(label, FieldSpec or UnknownName, value) for each declared custom field."""
        for name, item in (value or {}).items():
            try:
                yield f"fields.{name}", ctx.schema.custom_field(kind, name).spec, item
            except UnknownName as exc:
                yield f"fields.{name}", exc, item


def custom_value_schema() -> dict[str, Any]:
    """What a custom field's value may look like before the account says its type."""
    return {
        "description": "A custom field's value: text, a number, true/false, a date as YYYY-MM-DD, a time "
        "HH:MM, an option's label, a list of option labels (multiple options), {value, currency} "
        "(monetary), {from, until} (date or time range), a user's email, the key of an organization or "
        "person or {id: N}, or null (empty).",
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": {"type": "string"}},
            {
                "type": "object",
                "description": "A monetary custom field with its own currency.",
                "properties": {
                    "value": {"type": "number", "description": "The amount."},
                    "currency": {"type": "string", "minLength": 1, "description": "ISO 4217 currency code, e.g. USD."},
                },
                "required": ["value", "currency"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "A date range (YYYY-MM-DD) or time range (HH:MM).",
                "properties": {"from": {"type": "string"}, "until": {"type": ["string", "null"]}},
                "required": ["from"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "An existing organization or person by its Pipedrive id.",
                "properties": {"id": {"type": "integer", "minimum": 1}},
                "required": ["id"],
                "additionalProperties": False,
            },
        ],
    }


# -- the registry of custom field types ---------------------------------------------------------------

# Pipedrive's custom field types (the `field_type` of /dealFields etc.) → field type, and
# for reference types the kind they point at.
CUSTOM_TYPES: dict[str, tuple[FieldType, str | None]] = {
    "varchar": (STRING, None),
    "varchar_auto": (STRING, None),
    "phone": (STRING, None),
    "text": (LARGE_TEXT, None),
    "double": (NUMBER, None),
    "int": (NUMBER, None),
    "monetary": (MONEY, None),
    "enum": (OPTION, None),
    "set": (OPTIONS, None),
    "date": (DATE, None),
    "time": (TIME_OF_DAY, None),
    "timerange": (TIME_RANGE, None),
    "daterange": (DATE_RANGE, None),
    "user": (USER, None),
    "org": (REF, "organization"),
    "people": (REF, "person"),
    "address": (ADDRESS, None),
}


def custom_spec(key: str, name: str, field_type: str, options: Mapping[str, Any] | None = None) -> FieldSpec:
    """The FieldSpec of one custom field of an account (its 40-character key, name and type)."""
    ftype, ref_kind = CUSTOM_TYPES.get(field_type, (RAW, None))
    return FieldSpec(name=name, type=ftype, api=key, container="custom_fields", ref_kind=ref_kind,
                     options=dict(options or {}))


def is_hash_key(key: str) -> bool:
    """A custom field's key: 40 lowercase hex characters."""
    return len(key) == 40 and all(c in "0123456789abcdef" for c in key)


# -- registered instances ----------------------------------------------------------------------

CUSTOM = CustomFields()
RAW = Raw()


def custom_field(key: Any, name: str, field_type: str, options: Mapping[str, Any] | None = None) -> CustomField:
    """One custom field of the account's vocabulary, with its FieldSpec (what converts its values)."""
    return CustomField(key=key, name=name, field_type=field_type, options=dict(options or {}),
                       spec=custom_spec(key, name, field_type, options))
