"""The vocabulary the manifests were applied with: names of pipelines, stages, options, labels, activity types,
teams and users.

Records name an account's vocabulary by name (`pipeline: Sales`, `Lead source: Website`);
Pipedrive names it by id, and people rename things in Settings. The lock keeps, for every
name the manifests use, the id it had when last applied (docs/state.md, `vocabulary`):

    {"pipeline": {"Sales": 1}, "stage": {"1": {"Negotiation": 5}},
     "option": {"<custom field key>": {"Website": 12}}, "activity_type": {"Product demo": "product_demo"},
     "label": {"deal": {"Hot": 3}}, "user": {"bob@example.com": 2}, "team": {"Field sales": 1}}

A later plan that finds a recorded name gone from the account but its id alive under another
name treats the old name as that id (an alias in the account schema) and says "renamed in
Pipedrive from X to Y", instead of failing on an unknown name or deleting and re-creating an
option; `pull` rewrites the old name wherever the manifests use it. Users are named by email,
which a user can change in Pipedrive: a recorded email whose id now has another one is the
same user, "renamed in Pipedrive" from the old email to the new one, as a stage is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler import kinds
from reconciler.fieldtypes import custom_spec
from reconciler.normalize import Placeholder
from reconciler.vocabulary import AccountSchema, UnknownName

OPTION_TYPES = ("option", "options")  # the field types whose values name custom field options
FLAT = ("pipeline", "activity_type", "user", "team")  # recorded as {name: id}; the others under a scope


@dataclass(frozen=True)
class Use:
    """One place the manifests name a vocabulary item: resource, field label, what, name and id."""

    kind: str
    key: str
    label: str  # "pipeline", "stage", "fields.Lead source", "followers"
    what: str  # pipeline | stage | option | label | activity_type | user
    scope: str  # "" for a pipeline, an activity type or a user, the pipeline id for a stage, the custom
    # field key for an option, the kind whose labels they are for a label
    name: str
    id: Any


def uses(resources: list[Any], schema: AccountSchema) -> Iterator[Use]:
    """Every pipeline, stage, option, label, activity type and user name the resources use, with the id it
    resolves to now (a user: every field that names one by email, followers and user custom fields too)."""
    for res in resources:
        if res.absent:
            continue
        spec = kinds.kind(res.kind)
        pipeline_id = None
        for name, value in res.fields.items():
            field = spec.field(name)
            if field is None or value is None:
                continue
            type_name = field.type.name
            if type_name == "pipeline" and isinstance(value, str):
                try:
                    pipeline_id = schema.pipeline_id(value)
                except UnknownName:
                    continue
                yield Use(res.kind, res.key, name, "pipeline", "", value, pipeline_id)
            elif type_name in ("team", "pipelines", "goal stage"):
                yield from _goal_uses(res, name, type_name, value, schema)
            elif type_name == "custom":
                yield from _option_uses(res, value, schema)
            elif type_name == "labels" and isinstance(value, list):
                yield from _label_uses(res, name, field.ref_kind or "", value, schema)
            elif type_name == "filter conditions":
                yield from _condition_uses(res, name, value, schema)
            elif type_name == "user" and isinstance(value, str):
                yield from _user_uses(res, name, [value], schema)
            elif type_name == "followers" and isinstance(value, list):
                yield from _user_uses(res, name, value, schema)
            elif type_name == "activity type" and isinstance(value, str) and value not in schema.activity_types:
                type_key = schema.activity_type_keys.get(value)  # named by name (a key is never renamed)
                deactivated = schema.inactive_activity_types.get(value, set()) - {value}
                if type_key is None and len(deactivated) == 1:  # its activities keep it: so does the record
                    (type_key,) = deactivated
                if type_key is not None:
                    yield Use(res.kind, res.key, name, "activity_type", "", value, type_key)
        stage = res.fields.get("stage")
        if isinstance(stage, str) and spec.field("stage") is not None and spec.field("stage").type.name == "stage":
            try:
                stage_id = schema.stage_id(stage, pipeline_id)
            except UnknownName:
                continue
            yield Use(res.kind, res.key, "stage", "stage", str(schema.stage_info[stage_id][0]), stage, stage_id)


def _goal_uses(res: Any, field_name: str, type_name: str, value: Any, schema: AccountSchema) -> Iterator[Use]:
    """A goal's team, pipelines (one or a list) and stage ({pipeline, stage}), reconciler/fieldtypes/goals.py."""
    try:
        if type_name == "team" and isinstance(value, str):
            yield Use(res.kind, res.key, field_name, "team", "", value, schema.team_id(value))
        elif type_name == "pipelines":
            for name in value if isinstance(value, list) else [value]:
                yield Use(res.kind, res.key, field_name, "pipeline", "", str(name), schema.pipeline_id(str(name)))
        elif type_name == "goal stage" and isinstance(value, dict):
            pipeline_id = schema.pipeline_id(str(value["pipeline"]))
            stage_id = schema.stage_id(str(value["stage"]), pipeline_id)
            if not _is_placeholder(pipeline_id):
                yield Use(res.kind, res.key, field_name, "pipeline", "", str(value["pipeline"]), pipeline_id)
                if not _is_placeholder(stage_id):
                    yield Use(res.kind, res.key, field_name, "stage", str(pipeline_id), str(value["stage"]), stage_id)
    except UnknownName:  # the plan says so at the field
        return


def _option_uses(res: Any, value: Any, schema: AccountSchema) -> Iterator[Use]:
    for field_name, item in (value or {}).items():
        try:
            custom = schema.custom_field(res.kind, field_name)
        except UnknownName:
            continue
        if custom.spec.type.name == "user" and isinstance(item, str):  # a custom field of the user type
            yield from _user_uses(res, f"fields.{field_name}", [item], schema)
        if custom.spec.type.name not in OPTION_TYPES or item is None:
            continue
        for label in item if isinstance(item, list) else [item]:
            option_id = custom.options.get(str(label))
            if option_id is not None and not _is_placeholder(option_id):
                yield Use(res.kind, res.key, f"fields.{field_name}", "option", custom.key, str(label), option_id)


def _user_uses(res: Any, field_name: str, emails: list, schema: AccountSchema) -> Iterator[Use]:
    """The users a field names by email: an owner, a followers list, a custom field of the user type."""
    for email in emails:
        if not isinstance(email, str):
            continue
        try:
            user_id = schema.user_id(email)
        except UnknownName:  # unknown or deactivated: the plan says so at the field
            continue
        yield Use(res.kind, res.key, field_name, "user", "", email, user_id)


def _label_uses(res: Any, field_name: str, label_kind: str, value: list, schema: AccountSchema) -> Iterator[Use]:
    for label in value:
        try:
            label_id = schema.label_id(label_kind, str(label))
        except UnknownName:
            continue
        if not _is_placeholder(label_id):
            yield Use(res.kind, res.key, field_name, "label", label_kind, str(label), label_id)


def _condition_uses(res: Any, field_name: str, value: Any, schema: AccountSchema) -> Iterator[Use]:
    """The options, pipelines, stages and users a filter's conditions name (reconciler/fieldtypes/conditions.py)."""
    from reconciler.fieldtypes.conditions import named_in

    for what, scope, name, object_id in named_in(value, res.fields.get("type"), schema):
        if not _is_placeholder(object_id):
            yield Use(res.kind, res.key, field_name, what, scope, name, object_id)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, Placeholder)


def recorded(resources: list[Any], schema: AccountSchema) -> tuple[dict[str, Any], list[Use]]:
    """What the lock records of the names the resources use, in one walk of them:

    - its `vocabulary`: every name whose id the account has now → that id;
    - the names whose id the plan's own creates answer (an activity type, a label, a pipeline
      declared and created by the same apply): apply records them once it knows the id
      (`record_created`), so a rename made in Pipedrive right after that apply is recognised too.
      A name scoped by an object the plan creates (an option of a new field) waits for the next plan.
    """
    out: dict[str, Any] = {}
    pending: list[Use] = []
    for use in uses(resources, schema):
        scoped = use.what in FLAT or use.scope.isalnum()
        if _is_placeholder(use.id):
            if scoped:
                pending.append(use)
        elif scoped:
            _record(out, use.what, use.scope, use.name, use.id)
    return out, pending


def _record(out: dict[str, Any], what: str, scope: str, name: str, object_id: Any) -> None:
    if what in FLAT:
        out.setdefault(what, {})[name] = object_id
    else:
        out.setdefault(what, {}).setdefault(scope, {})[name] = object_id


def forget_kept(vocabulary: dict[str, Any], kept: list[dict]) -> None:
    """A name the plan declares (a type or pipeline renamed in git) that `--on-drift keep` leaves
    unapplied, Pipedrive's name differing (drift, a conflict): not recorded as the account's."""
    for entry in kept:
        name = (entry.get("fields") or {}).get("name")
        if entry["kind"] in FLAT and name is not None:
            (vocabulary.get(entry["kind"]) or {}).pop(name.get("after"), None)


def record_created(vocabulary: dict[str, Any], pending: list[Use], resolve: Any) -> None:
    """Enter into the lock's `vocabulary` the names `recorded` found pending, with the id apply
    got for each (`resolve`: the placeholder's value, None when that create did not happen)."""
    for use in pending:
        object_id = resolve(use.id)
        if object_id is not None:
            _record(vocabulary, use.what, use.scope, use.name, object_id)


def add_aliases(schema: AccountSchema, vocabulary: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """Names the lock recorded that the account no longer has, whose id it still has under another
    name, entered into the schema as that id. Returns (what, scope, old name) → the current name."""
    renamed: dict[tuple[str, str, str], str] = {}
    for old, object_id in (vocabulary.get("pipeline") or {}).items():
        current = schema.pipeline_names.get(object_id)
        if current is not None and current != old and old not in schema.pipelines:
            schema.pipelines[old] = [object_id]
            renamed[("pipeline", "", old)] = current
    names_by_key = {key: name for name, key in schema.activity_type_keys.items()}
    for old, type_key in (vocabulary.get("activity_type") or {}).items():
        current = names_by_key.get(type_key)
        if current is not None and current != old and old not in schema.activity_type_keys:
            schema.activity_type_keys[old] = type_key
            renamed[("activity_type", "", old)] = current
        elif current is None and old not in schema.activity_type_keys and type_key in schema.inactive_activity_types:
            schema.inactive_activity_types.setdefault(old, set()).add(type_key)  # deactivated since it was recorded
    for old, user_id in (vocabulary.get("user") or {}).items():  # a user changed their email address
        current = schema.emails_by_user.get(user_id)
        if current is not None and current.lower() != old.lower() and old.lower() not in schema.users_by_email \
                and old.lower() not in schema.inactive_users:
            schema.users_by_email[old.lower()] = user_id
            renamed[("user", "", old)] = current
    for old, team_id in (vocabulary.get("team") or {}).items():  # a team renamed in Settings > Teams
        current = schema.team_names.get(team_id)
        if current is not None and current != old and old not in schema.teams:
            schema.teams[old] = [team_id]
            renamed[("team", "", old)] = current
    for label_kind, names in (vocabulary.get("label") or {}).items():
        current_names = schema.label_names.get(label_kind, {})
        for old, label_id in names.items():
            current = current_names.get(label_id)
            if current is None or current == old or old in current_names.values():
                continue
            schema.label_aliases.setdefault(label_kind, {})[old] = label_id
            renamed[("label", label_kind, old)] = current
    for scope, names in (vocabulary.get("stage") or {}).items():
        per = schema.stages.get(int(scope)) if scope.isdigit() else None
        for old, object_id in names.items():
            info = schema.stage_info.get(object_id)
            if per is None or info is None or info[1] == old or old in per or str(info[0]) != scope:
                continue
            per[old] = [object_id]
            renamed[("stage", scope, old)] = info[1]
    for field_key, names in (vocabulary.get("option") or {}).items():
        for by_key in schema.custom_by_key.values():
            custom = by_key.get(field_key)
            if custom is None:
                continue
            current = custom.option_labels
            aliases = {old: i for old, i in names.items() if i in current and current[i] != old
                       and old not in custom.options}
            if not aliases:
                continue
            # the aliases first: the id's current label stays the one shown (option_labels)
            custom.options = {**aliases, **custom.options}
            custom.spec = custom_spec(custom.key, custom.name, custom.field_type, custom.options)  # with the aliases
            schema.option_aliases.setdefault(field_key, {}).update(aliases)
            for old, i in aliases.items():
                renamed[("option", field_key, old)] = current[i]
    return renamed


def renames_used(resources: list[Any], schema: AccountSchema,
                 renamed: dict[tuple[str, str, str], str]) -> list[Use]:
    """The places the resources still use a name renamed in Pipedrive."""
    if not renamed:
        return []
    return [use for use in uses(resources, schema) if (use.what, use.scope, use.name) in renamed]


def notices(used: list[Use], renamed: dict[tuple[str, str, str], str]) -> list[str]:
    """One line per renamed name the manifests use: what the plan says instead of failing."""
    seen: dict[tuple[str, str, str], list[str]] = {}
    for use in used:
        seen.setdefault((use.what, use.scope, use.name), []).append(f"{use.kind}.{use.key}")
    lines = []
    for (what, _scope, old), where in seen.items():
        shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
        said = what.replace("_", " ")  # "activity type"
        lines.append(f"{said} renamed in Pipedrive from {old!r} to {renamed[(what, _scope, old)]!r}: "
                     f"{shown} still name it by its old name (the same {said}, by its id); `reconciler pull` "
                     "writes the new name into the manifests")
    return lines
