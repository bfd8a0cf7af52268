"""JSON Schemas (draft 2020-12) for manifests, generated from the kinds table.

The schemas are derived, never hand-written: `kinds.py` says what each field is, this
module says how each field type looks in YAML. `scripts/gen_schemas.py` writes the result
to `reconciler/schemas/` for editors (`# yaml-language-server: $schema=...`), and a test
fails when the committed files drift from what this module builds. The loader validates
with the in-memory schemas, so a stale file on disk can never change what `validate` says.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.kinds import FieldSpec, KindSpec

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Deliberately loose: enough to catch "alice" or "alice@" without rejecting real addresses.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"  # 9:30 is read as 09:30

MANIFEST_FILE = "manifest.schema.json"


def schema_file(kind: KindSpec) -> str:
    """The file name of one kind's schema, e.g. `deal.schema.json`."""
    return f"{kind.name}.schema.json"


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _money_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A monetary custom field with its own currency.",
        "properties": {
            "value": {"type": "number", "description": "The amount."},
            "currency": {"type": "string", "minLength": 1, "description": "ISO 4217 currency code, e.g. USD."},
        },
        "required": ["value", "currency"],
        "additionalProperties": False,
    }


def _custom_value_schema() -> dict[str, Any]:
    return {
        "description": "A custom field's value: text, a number, true/false, a date as YYYY-MM-DD, an option's "
        "label, a list of option labels (multiple options), {value, currency} (monetary), or null (empty).",
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": {"type": "string"}},
            _money_schema(),
        ],
    }


def _type_schema(spec: FieldSpec) -> tuple[dict[str, Any], str]:
    """The schema of one field type (without null), and a sentence that explains the shape."""
    t = spec.type
    if t in (kinds.STRING, kinds.TEXT):
        return ({"type": "string"} if spec.nullable else {"type": "string", "minLength": 1}), ""
    if t == kinds.PIPELINE:
        return {"type": "string", "minLength": 1}, "Must name an existing pipeline."
    if t == kinds.STAGE:
        return {"type": "string", "minLength": 1}, "Must name a stage of the deal's pipeline."
    if t == kinds.NUMBER:
        return {"type": "number"}, ""
    if t == kinds.BOOL:
        return {"type": "boolean"}, ""
    if t == kinds.DATE:
        return {"type": "string", "pattern": DATE_PATTERN, "format": "date"}, "An unquoted YAML date is accepted."
    if t == kinds.TIME:
        return {"type": "string", "pattern": TIME_PATTERN}, "Quoted (\"14:00\") or not; 9:30 means 09:30."
    if t == kinds.EMAILS:
        return {"type": "array", "items": {"type": "string", "pattern": EMAIL_PATTERN}}, ""
    if t == kinds.PHONES:
        return {"type": "array", "items": {"type": "string", "minLength": 1}}, ""
    if t == kinds.USER:
        return {"type": "string", "pattern": EMAIL_PATTERN, "format": "email"}, "Must be a user of the account."
    if t in (kinds.VISIBILITY, kinds.ENUM):
        return {"type": "string", "enum": list(spec.choices)}, ""
    if t == kinds.REF:
        target = spec.ref_kind or ""
        return (
            {
                "anyOf": [
                    {"type": "string", "pattern": kinds.KEY_PATTERN},
                    {
                        "type": "object",
                        "properties": {"id": {"type": "integer", "minimum": 1}},
                        "required": ["id"],
                        "additionalProperties": False,
                    },
                ]
            },
            f"The key of {_article(target)} in the manifests, or {{id: N}} for an existing Pipedrive {target}.",
        )
    if t == kinds.CUSTOM:
        return {"type": "object", "additionalProperties": _custom_value_schema()}, ""
    raise ValueError(f"kinds.py has a field type the schema generator does not know: {t!r}")


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The schema of one declared field, nullable unless kinds says otherwise."""
    base, note = _type_schema(spec)
    description = spec.description + (f" {note}" if note else "")
    if spec.nullable:
        description += " null declares it empty."
        if isinstance(base.get("type"), str) and "anyOf" not in base:
            base = dict(base, type=[base["type"], "null"])
            if "enum" in base:
                base["enum"] = [*base["enum"], None]
        else:
            base = {"anyOf": [*base.get("anyOf", [base]), {"type": "null"}]}
    return {"description": description, **base}


def meta_schema(name: str) -> dict[str, Any]:
    """The schema of a key every resource may carry (id, absent, protect)."""
    description = kinds.META_DESCRIPTIONS[name]
    if name == "id":
        return {"description": description, "type": "integer", "minimum": 1}
    return {"description": description, "type": "boolean"}


def kind_schema(kind: KindSpec) -> dict[str, Any]:
    """The whole schema of one resource of a kind."""
    properties: dict[str, Any] = {name: meta_schema(name) for name in kinds.META_FIELDS}
    for spec in kind.fields:
        properties[spec.name] = field_schema(spec)
    return {
        "$schema": DRAFT,
        "title": kind.name,
        "description": f"One {kind.name} in the `{kind.section}` section of a reconciler manifest. "
        "Only the fields it declares are managed; a field left out is never changed.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def manifest_schema() -> dict[str, Any]:
    """The schema of a whole manifest file: the kind sections, each a map of key → resource."""
    return {
        "$schema": DRAFT,
        "title": "reconciler manifest",
        "description": "A reconciler manifest file: kind sections, each mapping resource keys to resources.",
        "type": "object",
        "properties": {
            kind.section: {
                "description": f"The {kind.section}, by key. A key is unique among {kind.section} across all "
                "manifests read together.",
                "type": ["object", "null"],
                "propertyNames": {"pattern": kinds.KEY_PATTERN},
                "additionalProperties": {"$ref": schema_file(kind)},
            }
            for kind in kinds.KINDS
        },
        "additionalProperties": False,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema this module owns, by file name."""
    result = {schema_file(kind): kind_schema(kind) for kind in kinds.KINDS}
    result[MANIFEST_FILE] = manifest_schema()
    return result


def render(schema: dict[str, Any]) -> str:
    """The exact text committed for a schema: stable key order, two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@cache
def validator(kind_name: str) -> Draft202012Validator:
    """A compiled validator per kind, built once; only asked when the quick check fails.

    jsonschema is imported here, not at the top: it costs a tenth of a second to import,
    and a run whose manifests are valid never needs it.
    """
    from jsonschema import Draft202012Validator

    schema = kind_schema(kinds.kind(kind_name))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def quick_check(kind_name: str):
    """A fast predicate for the same schema (see fastcheck), or None when it cannot be compiled."""
    from reconciler.manifest.fastcheck import compile_schema

    return compile_schema(kind_schema(kinds.kind(kind_name)))
