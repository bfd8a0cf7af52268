"""Live objects → manifest values and file placement, so that the next plan finds nothing to change.

Each field is converted by its field type (`from_api` then `export`: the same functions
the planner compares with, so the round trip holds by construction); a value a manifest
cannot name (an inactive user, an option without a label) is left undeclared, hence
unmanaged, and counted in a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.export.emit import ORDERED_KINDS, Flow, FlowList
from reconciler.export.keys import assign_keys, parent_field
from reconciler.export.paths import portable_name
from reconciler.fieldtypes import Drop, FieldSpec
from reconciler.kinds import KindSpec
from reconciler.normalize import Context, text_key
from reconciler.vocabulary import AccountSchema

ACCOUNTS_DIR = "accounts"


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _styled(value: Any) -> Any:
    """Small mappings and lists are written inline, as people write them."""
    if isinstance(value, dict) and not any(isinstance(v, list) for v in value.values()):
        return Flow(value)
    if isinstance(value, list):
        return FlowList(value)
    return value


class Converter:
    """One object's declared fields in manifest language, through each field's type."""

    def __init__(self, schema: AccountSchema, keys: dict[str, dict[Any, str]]) -> None:
        self.schema = schema
        self.keys = keys
        self.ctx = Context(schema=schema, resolve_key=lambda kind, key: None, key_for_id=self._key_for_id,
                           exported=frozenset(keys))
        self.warnings: list[str] = []
        self.dropped: dict[str, int] = {}  # "deal owner: user 9 is not an active user" -> count

    def _key_for_id(self, kind: str, object_id: Any) -> str | None:
        return self.keys.get(kind, {}).get(object_id)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def _value(self, field_spec: FieldSpec, obj: dict, where: str) -> Any:
        """A field's exportable manifest value, or None when it is left undeclared."""
        value = field_spec.type.from_api_value(field_spec, field_spec.live(obj), self.ctx)
        if _is_empty(value):
            return None
        try:
            value = field_spec.type.export(field_spec, value, self.ctx, obj)
        except Drop as reason:
            self._drop(f"{where}: {reason}")
            return None
        return None if _is_empty(value) else _styled(value)

    def fields(self, spec: KindSpec, obj: dict) -> dict[str, Any]:
        """Only fields with a value, plus what the next plan needs to find nothing to change."""
        out: dict[str, Any] = {}
        parent = parent_field(spec, obj) if spec.parent_count == (1, 1) else None
        for field_spec in spec.fields:
            if field_spec.read_only:
                continue
            if field_spec.type is kinds.CUSTOM:
                custom = self.custom(spec, obj)
                if custom:
                    out[field_spec.name] = custom
                continue
            if field_spec.type is kinds.REF and parent is not None and field_spec.name != parent:
                continue  # a note names exactly one parent
            value = self._value(field_spec, obj, f"{spec.name} {field_spec.name}")
            if value is not None:
                out[field_spec.name] = value
        spec.hooks.export(out)
        return out

    def custom(self, spec: KindSpec, obj: dict) -> dict[str, Any]:
        """Custom fields by name, options by label, in the account's field order."""
        if not obj.get("custom_fields"):
            return {}
        out: dict[str, Any] = {}
        for custom in self.schema.custom_by_key.get(spec.name, {}).values():
            if _is_empty(custom.spec.live(obj)):
                continue
            if len(self.schema.custom.get(spec.name, {}).get(custom.name, [])) > 1:
                self._drop(f"{spec.name} custom field {custom.name!r}: its name is shared by several fields")
                continue
            value = self._value(custom.spec, obj, f"{spec.name} custom field {custom.name!r}")
            if value is not None:
                out[custom.name] = value
        return out

    def summary(self) -> list[str]:
        """One warning per reason, with how many values it left undeclared."""
        return [f"not declared ({count}x): {reason}" for reason, count in sorted(self.dropped.items())] + self.warnings


@dataclass
class ExportFiles:
    """What to write: relative path → {section: {key: fields}}, and kind → {key: id} for the lock."""

    files: dict[str, dict[str, dict[str, dict]]] = field(default_factory=dict)
    lock: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


HOME = next(spec for spec in kinds.KINDS if spec.export_home)  # one file per object of this kind


def home_of(spec: KindSpec, obj: dict, live: dict[str, dict[Any, dict]], keys: dict[str, dict[Any, str]]) -> Any:
    """The exported home object (organization) an object hangs off: its own, else its parents'.

    References are followed in the order the kinds table lists them, the home kind first,
    so a deal with an org and a person goes with its org, a person-only deal with the
    person's organization, a note with its one declared parent's.
    """
    homes = keys.get(HOME.name, {})
    seen: set[tuple[str, Any]] = set()

    def walk(kind_spec: KindSpec, item: dict | None, refs: tuple[str, ...] | None = None) -> Any:
        if item is None or (kind_spec.name, item["id"]) in seen:
            return None
        seen.add((kind_spec.name, item["id"]))
        if kind_spec.name == HOME.name:
            return item["id"] if item["id"] in homes else None
        ref_specs = sorted(kind_spec.ref_fields, key=lambda f: f.ref_kind != HOME.name)
        for ref in ref_specs:
            if refs is not None and ref.name not in refs:
                continue
            if item.get(ref.api) and ref.ref_kind:
                target = kinds.kind(ref.ref_kind)
                found = walk(target, live.get(target.name, {}).get(item[ref.api]))
                if found is not None:
                    return found
        return None

    if spec.parent_count == (1, 1):  # exactly one parent (notes): follow the one declared
        parent = parent_field(spec, obj)
        return walk(spec, obj, (parent,)) if parent else None
    return walk(spec, obj)


def _has_title(spec: KindSpec, obj: dict) -> bool:
    """Whether an object has the title a manifest must give it to create it (a note's content)."""
    if spec.title_field not in spec.required_on_create:
        return True
    title_spec = spec.field(spec.title_field)
    value = obj.get(title_spec.api if title_spec else spec.title_field)
    text = text_key(value) if title_spec is not None and title_spec.type is kinds.TEXT else value
    return bool(str(text or "").strip())


def _without_gone_references(live: dict[str, dict[Any, dict]]) -> tuple[dict[str, dict[Any, dict]], int]:
    """The objects read, with their references to objects of a kind read whole that the account no
    longer lists taken out, and how many: Pipedrive may keep a note's or a deal's link to a deal or
    person deleted since, which no manifest can name (the plan refuses an {id: N} it cannot find).
    A child left with no parent is then skipped as any parentless one is (found by the team-day test)."""
    gone = 0
    out: dict[str, dict[Any, dict]] = {}
    for kind_name, objects in live.items():
        refs = [f for f in kinds.kind(kind_name).ref_fields if f.ref_kind in live]
        kept: dict[Any, dict] = {}
        for object_id, obj in objects.items():
            missing = [f.api for f in refs if obj.get(f.api) and obj[f.api] not in live[f.ref_kind]]
            if missing:
                gone += len(missing)
                obj = {**obj, **dict.fromkeys(missing)}
            kept[object_id] = obj
        out[kind_name] = kept
    return out, gone


def build_files(
    live: dict[str, dict[Any, dict]],
    schema: AccountSchema,
    reserved: dict[str, dict[str, Any]] | None = None,
) -> ExportFiles:
    """Keys, declared fields and file placement for every object read."""
    result = ExportFiles()
    live, gone = _without_gone_references(live)
    if gone:
        result.warnings.append(f"left out {gone} reference(s) to objects the account no longer lists (deleted "
                               "in Pipedrive, their children kept): a manifest cannot name them")
    keys: dict[str, dict[Any, str]] = {}
    skipped: dict[str, int] = {}
    exportable: dict[str, dict[Any, dict]] = {}
    for spec in ORDERED_KINDS:
        if spec.name not in live:
            continue
        objects = {}
        for object_id, obj in live[spec.name].items():
            if not spec.hooks.exportable(obj):
                continue  # not the manifests' to declare (Pipedrive's system fields)
            if spec.parent_count[0] >= 1 and parent_field(spec, obj) is None:
                skipped[spec.name] = skipped.get(spec.name, 0) + 1  # a manifest needs a parent
                continue
            if not _has_title(spec, obj):
                skipped[spec.name] = skipped.get(spec.name, 0) + 1  # e.g. an empty note
                continue
            objects[object_id] = obj
        exportable[spec.name] = objects
        previous = {object_id: key for key, object_id in (reserved or {}).get(spec.name, {}).items()}
        keys[spec.name] = assign_keys(spec, objects, keys, previous)
    converter = Converter(schema, keys)
    for spec in ORDERED_KINDS:
        if spec.name not in exportable:
            continue
        result.counts[spec.name] = len(exportable[spec.name])
        for object_id, obj in exportable[spec.name].items():
            key = keys[spec.name][object_id]
            home = home_of(spec, obj, live, keys)
            path = (f"{ACCOUNTS_DIR}/{portable_name(keys[HOME.name][home])}.yaml" if home is not None
                    else f"{spec.section}.yaml")
            section = result.files.setdefault(path, {}).setdefault(spec.section, {})
            section[key] = converter.fields(spec, obj)
            result.lock.setdefault(spec.name, {})[key] = object_id
    if not result.files and exportable:
        # an empty account still gets a manifest: plan refuses a directory without any
        first = next(spec for spec in ORDERED_KINDS if spec.name in exportable)
        result.files[f"{first.section}.yaml"] = {first.section: {}}
    for kind_name, count in sorted(skipped.items()):
        result.warnings.append(f"skipped {count} {kinds.kind(kind_name).section} with no parent or an empty "
                               f"{kinds.kind(kind_name).title_field} (a manifest cannot declare them)")
    result.warnings.extend(converter.summary())
    return result
