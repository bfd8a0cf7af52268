"""The account's vocabulary as apply will leave it: declared pipelines, stages and custom fields.

Records name pipelines, stages, custom fields and options by name (`pipeline: Enterprise`,
`fields: {Region: EMEA}`), and the field types turn those names into ids through the
account's schema (reconciler/pipedrive/schema.py). When the manifests also declare the
account's shape, a record may name something this very plan creates or renames. So the
planner works with a *planned* copy of the schema: each declared shape object is entered
under its declared name (its kind's `hooks.declare` calls the functions here), with its id,
key or option ids where they exist and placeholders where only apply will know them
(`Placeholder(address)`, `Placeholder(address, ("key",))`, `Placeholder(address,
("option_ids", LABEL))`). A renamed object leaves its old name, so a record still using the
old name is told so at plan time. The live schema is never changed: the client reads and
writes through it.

Also here, because it needs the live records a plan does not otherwise read: the check that
refuses to remove an option live records still use (`check_option_removals`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.normalize import Placeholder
from reconciler.pipedrive.schema import AccountSchema, CustomField

if TYPE_CHECKING:
    from reconciler.fieldtypes import FieldSpec
    from reconciler.manifest.model import Resource
    from reconciler.normalize import Context
    from reconciler.pipedrive.client import PipedriveClient
    from reconciler.plan import Plan


def planned_schema(schema: AccountSchema) -> AccountSchema:
    """A copy of the account's schema that declarations may change without touching the live one.

    A kind that shares another's custom fields (leads have the deals': one dict in the live
    schema) shares the copy too, so that a lead may name a deal field this very plan creates."""
    copies: dict[int, dict] = {}

    def shared(per: dict, copy: Any) -> dict:
        if id(per) not in copies:
            copies[id(per)] = copy(per)
        return copies[id(per)]

    return dataclasses.replace(
        schema,
        pipelines={name: list(ids) for name, ids in schema.pipelines.items()},
        pipeline_names=dict(schema.pipeline_names),
        stages={pipeline: {name: list(ids) for name, ids in per.items()} for pipeline, per in schema.stages.items()},
        stage_info=dict(schema.stage_info),
        custom={kind: shared(per, lambda d: {name: list(fields) for name, fields in d.items()})
                for kind, per in schema.custom.items()},
        custom_by_key={kind: shared(per, dict) for kind, per in schema.custom_by_key.items()},
        activity_types=set(schema.activity_types),
        activity_type_keys=dict(schema.activity_type_keys),
        label_names={kind: dict(names) for kind, names in schema.label_names.items()},
    )


def _forget(index: dict[Any, list[Any]], name: Any, item: Any) -> None:
    items = index.get(name)
    if items and item in items:
        items.remove(item)
        if not items:
            del index[name]


def declare_pipeline(schema: AccountSchema, name: str | None, target: Any, live: Mapping[str, Any] | None) -> None:
    """A pipeline under its declared name (a rename leaves the old one)."""
    if live is not None:
        _forget(schema.pipelines, live.get("name"), target)
        name = name if name is not None else live.get("name")
    if name is None:
        return
    ids = schema.pipelines.setdefault(name, [])
    if target not in ids:
        ids.append(target)
    schema.pipeline_names[target] = name


def declare_stage(schema: AccountSchema, pipeline_id: Any, name: str | None, target: Any,
                  live: Mapping[str, Any] | None) -> None:
    """A stage under its declared pipeline and name (a rename or a move leaves the old place)."""
    if live is not None:
        old_pipeline = live.get("pipeline_id")
        per = schema.stages.get(old_pipeline)
        if per is not None:
            _forget(per, live.get("name"), target)
        pipeline_id = pipeline_id if pipeline_id is not None else old_pipeline
        name = name if name is not None else live.get("name")
    if name is None or pipeline_id is None:
        return
    ids = schema.stages.setdefault(pipeline_id, {}).setdefault(name, [])
    if target not in ids:
        ids.append(target)
    schema.stage_info[target] = (pipeline_id, name)


def declare_custom_field(schema: AccountSchema, res: Resource, target: Any, live: Mapping[str, Any] | None,
                         options_spec: FieldSpec, ctx: Context) -> None:
    """A custom field under its declared kind and name, with its declared options by label.

    Its key is the live one, or a placeholder for the key the create answers; an option's id
    is the live one (a renamed option keeps it), or a placeholder for what adding it answers.
    """
    live = live or {}
    entity = res.fields.get("kind") or live.get("entity")
    name = res.fields.get("name") or live.get("field_name")
    field_type = res.fields.get("type") or live.get("field_type") or "varchar"
    if entity is None or name is None:
        return
    address = f"{res.kind}.{res.key}"
    key = live.get("key") or Placeholder(address, ("key",))
    if "options" in res.fields and res.fields["options"] is not None:
        desired = options_spec.type.to_api(options_spec, res.fields["options"], ctx, res.fields, live or None)
        options = {o["label"]: o["id"] if o["id"] is not None else Placeholder(address, ("option_ids", o["label"]))
                   for o in desired}
    else:
        options = {o["label"]: o["id"] for o in live.get("options") or []}
    by_name = schema.custom.setdefault(entity, {})
    by_key = schema.custom_by_key.setdefault(entity, {})
    old = by_key.get(key)
    if old is not None:
        _forget(by_name, old.name, old)
    field = CustomField(key=key, name=name, field_type=field_type, options=options)
    by_name.setdefault(name, []).append(field)
    by_key[key] = field


# -- options that live records use ------------------------------------------------------------


class OptionInUse(Exception):
    """A plan removes options that live records still use; the message says which and how many."""


def option_removals(plan: Plan) -> Iterable[tuple[Any, str, str, list[dict]]]:
    """(change, entity, field key, removed options) of every custom field change that removes options."""
    for change in plan.changes:
        # this module holds the shape kinds' rules (their hooks in the kinds table call it); of
        # those kinds only a custom field has options, so the kind is named here, next to that rule
        options = change.writes.get("options") if change.kind == "custom_field" and change.action == "update" else None
        if isinstance(options, dict) and options.get("remove"):
            entity, _, key = str(change.id).partition(":")
            yield change, entity, key, options["remove"]


def _uses(value: Any, option_ids: set[Any]) -> set[Any]:
    values = value if isinstance(value, list) else [value]
    return {v for v in values if v in option_ids}


def check_option_removals(client: PipedriveClient, plan: Plan, *, allow: bool) -> list[str]:
    """Refuse (OptionInUse) a plan that removes options live records use, unless the same plan
    gives every such record another value for the field, or `allow` (--allow-option-removal);
    with `allow`, the warnings say what Pipedrive will clear.

    The live records are read only here and only when a plan removes options: one scan of
    the field's kind (archived deals included), a handful of calls per 500 records.
    """
    from reconciler.pipedrive import fieldsapi

    removals = list(option_removals(plan))
    if not removals:
        return []
    rewritten: dict[tuple[str, Any], dict[Any, Any]] = {}
    for change in plan.changes:
        values = change.writes.get("custom_fields")
        if change.action == "update" and isinstance(values, dict):
            rewritten[(change.kind, change.id)] = values
    problems: list[str] = []
    warnings: list[str] = []
    for change, entity, key, removed in removals:
        ids = {o["id"] for o in removed}
        counts: dict[tuple[str, Any], int] = {}
        sources = ((fieldsapi.RECORD_KINDS.get(entity), fieldsapi.record_values(client, entity, key)),
                   ("lead", fieldsapi.lead_values(client, entity, key)))  # leads have the deals' fields
        for kind_name, values in sources:
            for record_id, value in values:
                used = _uses(value, ids)
                if not used:
                    continue
                new = rewritten.get((kind_name, record_id), {})
                if key in new and not _uses(new[key], ids):
                    continue  # the plan moves this record off the removed options
                for option_id in used:
                    where = (kind_name or entity, option_id)
                    counts[where] = counts.get(where, 0) + 1
        record_kind = fieldsapi.RECORD_KINDS.get(entity) or entity
        in_use = []
        for option in removed:
            users = [f"{n} live {k}{'s' if n != 1 else ''}" for k in (record_kind, "lead")
                     if (n := counts.get((k, option["id"]), 0))]
            if users:
                in_use.append((option["label"], " and ".join(users)))
        if not in_use:
            continue
        what = "; ".join(f"{label!r} is used by {count}" for label, count in in_use)
        if allow:
            warnings.append(f"{change.address} removes options that live records use ({what}): Pipedrive "
                            "clears them from those records (--allow-option-removal)")
        else:
            problems.append(f"{change.address}{' (' + change.source + ')' if change.source else ''} removes "
                            f"options that live records still use: {what}. Give those records another value "
                            "in the same plan, rename the option instead ({label: NEW, was: OLD}), or pass "
                            "--allow-option-removal to clear it from them")
    if problems:
        raise OptionInUse("\n".join(problems))
    return warnings
