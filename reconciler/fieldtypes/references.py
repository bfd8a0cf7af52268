"""References: to other manifest resources (`org:`), and to the account's own objects by name
(users, pipelines, stages, activity types)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reconciler.fieldtypes.base import (
    EMAIL_PATTERN,
    KEY_PATTERN,
    UUID_PATTERN,
    Drop,
    FieldSpec,
    FieldType,
    article,
    as_id,
    suggest,
)
from reconciler.fieldtypes.scalars import Text
from reconciler.manifest.model import Reference
from reconciler.normalize import NormalizeError, Placeholder

if TYPE_CHECKING:
    from reconciler.manifest.model import Position


class SingleReference(FieldType):
    """What every field naming one object of `spec.ref_kind` shares: the manifest's value (a key or
    `{id: N}`) becomes a Reference, which is what the dependency graph and `moved:` follow."""

    def convert(self, spec, value, pos):
        return ref_value(spec.ref_kind or "", value, pos)

    def references(self, spec, value):
        if isinstance(value, Reference):
            yield value


class Ref(SingleReference):
    """Another resource by manifest key, or an existing object by `{id: N}`."""

    name = "ref"

    def schema(self, spec):
        target = spec.ref_kind or ""
        return (
            {"anyOf": [
                {"type": "string", "pattern": KEY_PATTERN},
                {"type": "object", "properties": {"id": _id_schema(spec)},
                 "required": ["id"], "additionalProperties": False},
            ]},
            f"The key of {article(target)} in the manifests, or {{id: N}} for an existing Pipedrive {target}.",
        )

    def expectation(self, spec):
        return f"the key of {article(spec.ref_kind or '')} or {{id: N}} with N a positive integer"

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, Reference):  # a custom field's value, read without knowing its type
            value = ref_value(spec.ref_kind or "", value, None)
        if value.id is not None:
            return value.id
        resolved = ctx.resolve_key(value.kind, value.key or "")
        if resolved is None:
            raise NormalizeError(f"reference to {value.kind} {value.key!r} cannot be resolved")
        return resolved

    def from_api(self, spec, value, ctx):
        key = ctx.key_for_id(spec.ref_kind or "", value)
        return key if key is not None else {"id": value}

    def same(self, spec, desired, live):
        if isinstance(desired, Placeholder):
            return False
        return desired == live

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def match_value(self, spec, value):
        return value  # identity resolves references to ids before comparing

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return value


def _id_schema(spec: FieldSpec) -> dict[str, Any]:
    """An id in `{id: N}`: a positive integer, or a UUID for kinds with opaque ids (leads)."""
    if spec.uuid_ref:
        return {"type": "string", "pattern": UUID_PATTERN}
    return {"type": "integer", "minimum": 1}


_KEY_RE = re.compile(KEY_PATTERN)


def ref_value(kind: str, value: Any, pos: Position | None) -> Reference:
    """A reference from its manifest form: a key, or {id: N}."""
    if isinstance(value, dict):
        return Reference(kind=kind, key=None, id=value["id"], pos=pos)  # type: ignore[arg-type]
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise NormalizeError(f"expected the key of {article(kind)} or {{id: N}}, got {value!r}")
    return Reference(kind=kind, key=value, id=None, pos=pos)  # type: ignore[arg-type]


class AccountObject(FieldType):
    """A reference to one of the account's own objects (user, pipeline, stage) by a readable name.

    Manifests name it (an email, a pipeline or stage name); the API holds its id. Reading keeps
    the id whatever shape the answer gives it (a bare id or an object), and resolving names
    to ids is the account schema's job (`ctx.schema`), looked up once per plan.
    """

    quote_hint = True
    described_as = "a name"

    def expectation(self, spec):
        return self.described_as

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))


class User(AccountObject):
    """A Pipedrive user, by email."""

    name = "user"
    described_as = "a user's email address"

    def schema(self, spec):
        return {"type": "string", "pattern": EMAIL_PATTERN, "format": "email"}, "Must be a user of the account."

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, str):
            raise NormalizeError(f"expected a user's email address, got {value!r}")
        return ctx.schema.user_id(value)

    def from_api(self, spec, value, ctx):
        return ctx.schema.emails_by_user.get(value, {"id": value})

    def match_value(self, spec, value):
        return value

    match_live = match_value


class ActivityType(Text):
    """An activity type by its key (call, meeting...) or its name (Product demo): the account's own
    list, with the types the manifests declare (a new one's key is known after apply), checked at plan time."""

    name = "activity type"
    vocabulary = "activity_types"  # what the account's schema must load for this type (AccountSchema.load)

    def to_api(self, spec, value, ctx, declared, live):
        known = ctx.schema.activity_types
        if value in ctx.schema.activity_type_keys and value not in known:
            return ctx.schema.activity_type_keys[value]  # by name
        held = (live or {}).get(spec.api)
        if held in ctx.schema.inactive_activity_types.get(value, ()):
            return held  # deactivated in Pipedrive: the activities that hold it keep it
        if value in ctx.schema.inactive_activity_types:
            raise NormalizeError(f"activity type {value!r} is deactivated in Pipedrive: its past activities keep it, "
                                 "no other can be given it (declare it in activity_types to create it again)")
        if known and value not in known:
            names = sorted(known | {n for n in ctx.schema.activity_type_keys if isinstance(n, str)})
            hint = suggest(str(value), names)
            raise NormalizeError(f"unknown activity type {value!r}{hint or ''} (types: {', '.join(names)})")
        return value

    # Pipedrive's own types, whose keys are the same in every account; a type an account added
    # has a key Pipedrive derived there (product_demo, product_demo_2...), so export names it
    # by name: a fresh account that creates it in the same apply then takes the records too.
    BUILT_IN = ("call", "meeting", "task", "deadline", "email", "lunch")

    def export(self, spec, value, ctx, obj):
        if value in self.BUILT_IN:
            return value
        names = [name for name, key in ctx.schema.activity_type_keys.items() if key == value]
        return names[0] if len(names) == 1 else value


class Pipeline(AccountObject):
    """A pipeline by name."""

    name = "pipeline"
    described_as = "a pipeline name"

    def schema(self, spec):
        return {"type": "string", "minLength": 1}, "Must name an existing pipeline."

    def to_api(self, spec, value, ctx, declared, live):
        return ctx.schema.pipeline_id(value)

    def from_api(self, spec, value, ctx):
        return ctx.schema.pipeline_names.get(value, {"id": value})

    def export(self, spec, value, ctx, obj):
        value = super().export(spec, value, ctx, obj)
        if len(ctx.schema.pipelines.get(value, [])) > 1:
            # the stage is still declared: plan resolves it in the deal's live pipeline
            raise Drop(f"the name {value!r} is shared by several pipelines")
        return value


class Stage(AccountObject):
    """A stage by name, within the object's pipeline (declared, else live)."""

    name = "stage"
    described_as = "a stage name"

    def schema(self, spec):
        return {"type": "string", "minLength": 1}, "Must name a stage of the deal's pipeline."

    def to_api(self, spec, value, ctx, declared, live):
        pipeline_id = None
        if declared.get("pipeline") is not None:
            pipeline_id = ctx.schema.pipeline_id(declared["pipeline"])
        elif live is not None and live.get("pipeline_id"):
            pipeline_id = live["pipeline_id"]
        return ctx.schema.stage_id(value, pipeline_id)

    def from_api(self, spec, value, ctx):
        info = ctx.schema.stage_info.get(value)
        return info[1] if info else {"id": value}

    def export(self, spec, value, ctx, obj):
        value = super().export(spec, value, ctx, obj)
        if len(ctx.schema.stages.get(obj.get("pipeline_id"), {}).get(value, [])) > 1:
            raise Drop(f"the name {value!r} is not unique in its pipeline")
        return value


# -- registered instances ----------------------------------------------------------------------

ACTIVITY_TYPE = ActivityType()
REF = Ref()
USER = User()
PIPELINE = Pipeline()
STAGE = Stage()
