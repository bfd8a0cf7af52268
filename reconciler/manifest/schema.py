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
from reconciler.fieldtypes import DATE_PATTERN, EMAIL_PATTERN, TIME_PATTERN  # noqa: F401  (re-exported)
from reconciler.kinds import FieldSpec, KindSpec

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

DRAFT = "https://json-schema.org/draft/2020-12/schema"


MANIFEST_FILE = "manifest.schema.json"
# Where a schema says it belongs ($id): versioned, so that an editor or a tool that caches by id
# never mixes two releases' schemas. It identifies, it is not fetched: files point at their
# schema by path (the modeline `export` writes, reconciler/export/schemas.py).
SCHEMA_ID_BASE = "https://reconciler.dev/schemas/"


def schema_id(file_name: str) -> str:
    """The $id of one of the schemas this module writes."""
    from reconciler import __version__

    return f"{SCHEMA_ID_BASE}{__version__}/{file_name}"


def schema_file(kind: KindSpec) -> str:
    """The file name of one kind's schema, e.g. `deal.schema.json`."""
    return f"{kind.name}.schema.json"


def _type_schema(spec: FieldSpec) -> tuple[dict[str, Any], str]:
    """The schema of one field type (without null), and a sentence that explains the shape.

    Each field type says it itself (reconciler/fieldtypes/): one place per type.
    """
    return spec.type.schema(spec)


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
    """The schema of a key every resource may carry (id, absent, protect, ignore_changes)."""
    description = kinds.META_DESCRIPTIONS[name]
    if name == "id":
        return {"description": description, "type": "integer", "minimum": 1}
    if name == "ignore_changes":
        return {"description": description, "anyOf": [
            {"const": "all"},
            {"type": "array", "items": {"type": "string", "minLength": 1}},
        ]}
    return {"description": description, "type": "boolean"}


def kind_schema(kind: KindSpec) -> dict[str, Any]:
    """The whole schema of one resource of a kind."""
    properties: dict[str, Any] = {name: meta_schema(name) for name in kinds.META_FIELDS}
    if kind.deleted_as != "deleted":  # what `absent` does where Pipedrive does not delete (activity types)
        properties["absent"]["description"] = (f"true declares that the object must not be active: apply "
                                               f"{kind.deleted_as.removesuffix('d')}s it if it is (Pipedrive "
                                               "keeps it for the records that used it).")
    for spec in kind.fields:
        properties[spec.name] = field_schema(spec)
    return {
        "$schema": DRAFT,
        "$id": schema_id(schema_file(kind)),
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
        "$id": schema_id(MANIFEST_FILE),
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
        } | {"moved": moved_schema(), "removed": removed_schema()},
        "additionalProperties": False,
    }


# A resource address in `moved:` and `removed:` entries: KIND.KEY.
_ADDRESS = {"type": "string", "pattern": "^[a-z_]+\\.[a-z0-9][a-z0-9._-]{0,127}$"}


def moved_schema() -> dict[str, Any]:
    """`moved:` entries: a key renamed, its identity carried over (nothing deleted or created)."""
    return {
        "description": "Keys renamed: each entry carries the live object of `from` over to `to` (the lock's "
        "entry moves; nothing is deleted or created), as Terraform's moved blocks. Once applied, the entry "
        "can be removed.",
        "type": ["array", "null"],
        "items": {
            "type": "object",
            "properties": {"from": {**_ADDRESS, "description": "The old address, KIND.KEY."},
                           "to": {**_ADDRESS, "description": "The new address, KIND.KEY (declared in the manifests)."}},
            "required": ["from", "to"],
            "additionalProperties": False,
        },
    }


def removed_schema() -> dict[str, Any]:
    """`removed:` entries: keys no longer managed, their objects kept unless `destroy: true`."""
    return {
        "description": "Keys no longer managed, as Terraform's removed blocks: with `destroy: false` the "
        "lock's entry is dropped at apply and the object stays in Pipedrive; `destroy: true` deletes it, as "
        "removing the key alone does. The key must not be declared. Once applied, the entry can be removed.",
        "type": ["array", "null"],
        "items": {
            "type": "object",
            "properties": {"from": {**_ADDRESS, "description": "The address let go, KIND.KEY."},
                           "destroy": {"type": "boolean", "default": False,
                                       "description": "Delete the object (true) or only stop managing it (false)."}},
            "required": ["from"],
            "additionalProperties": False,
        },
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
