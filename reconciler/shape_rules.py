"""The shape kinds' rules: what the kinds table's hooks for pipelines, stages and custom fields do.

Two jobs, neither of which makes a call or needs the kinds table (which imports this module):

- The account's vocabulary as apply will leave it. Records name pipelines, stages, custom
  fields and options by name (`pipeline: Enterprise`, `fields: {Region: EMEA}`), and the field
  types turn those names into ids through the account's schema (reconciler/vocabulary.py).
  When the manifests also declare the account's shape, a record may name something this very
  plan creates or renames. So the planner works with a *planned* copy of the schema: each
  declared shape object is entered under its declared name (its kind's `hooks.declare` calls
  the functions here), with its id, key or option ids where they exist and placeholders where
  only apply will know them (`Placeholder(address)`, `Placeholder(address, ("key",))`,
  `Placeholder(address, ("option_ids", LABEL))`). A renamed object leaves its old name, so a
  record still using the old name is told so at plan time. The live schema is never changed:
  the client reads and writes through it.
- A custom field's answer read into its canonical form (`read_extra`), its option changes
  worked out at plan time (`plan_option_writes`), and what Pipedrive would refuse
  (`check_custom_field`). Its calls are reconciler/pipedrive/fieldsapi.py's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.fieldtypes import article, as_bool, as_id, custom_field, is_hash_key
from reconciler.normalize import Placeholder
from reconciler.vocabulary import AccountSchema

if TYPE_CHECKING:
    from reconciler.fieldtypes import FieldSpec
    from reconciler.manifest.model import Resource
    from reconciler.normalize import Context

OPTION_TYPES = ("enum", "set")


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
    field = custom_field(key, name, field_type, options)
    by_name.setdefault(name, []).append(field)
    by_key[key] = field


# -- custom fields: reading, plan time ------------------------------------------------------------


def read_extra(record: Mapping[str, Any], out: dict[str, Any], version: str) -> None:
    """What a field's answer says besides its declared fields: key, id, custom or system, and
    the options by label (for placeholders of added options). Both answer shapes: v1 lists
    (`key`, `name`, `edit_flag`, numeric `id`) and v2 writes (`field_code`, `field_name`,
    `is_custom_field`, `ui_visibility`)."""
    key = str(record.get("key") or record.get("field_code") or "")
    entity = str(record.get("entity") or out.get("entity") or "")
    out["entity"] = entity
    out["key"] = key
    out["id"] = f"{entity}:{key}"
    out["field_id"] = as_id(record.get("_field_id"))
    if "is_custom_field" in record:
        out["custom"] = as_bool(record.get("is_custom_field"))
    else:
        out["custom"] = as_bool(record.get("edit_flag")) and is_hash_key(key)
    if out.get("field_name") is None:
        out["field_name"] = record.get("field_name") or record.get("name")
    if out.get("field_type") == "person":
        out["field_type"] = "people"  # v1 says person where v2 (and the add-field enum) say people
    ui = record.get("ui_visibility")
    if isinstance(ui, dict) and "add_visible_flag" in ui:
        out["add_visible_flag"] = as_bool(ui["add_visible_flag"])
    out["option_ids"] = {o["label"]: o["id"] for o in out.get("options") or []}


def plan_option_writes(live: Mapping[str, Any] | None, writes: dict[str, Any]) -> None:
    """Turn the declared option list into the calls that make it, against the live options.

    A create keeps the list (the create sends it in order). An update gets
    {"list", "add", "rename", "remove", "reorder"}: what to add, relabel and remove, and whether
    the order that v2's calls leave (kept options in their order, added ones last) differs from
    the declared one; then apply sends the whole list to v1 instead (it keeps ids too).
    """
    desired = writes.get("options")
    if live is None or not isinstance(desired, list):
        return
    current = [o for o in live.get("options") or []]
    labels = {o["id"]: o["label"] for o in current}
    kept = {o["id"] for o in desired if o["id"] is not None}
    remove = [dict(o) for o in current if o["id"] not in kept]
    rename = [{"id": o["id"], "label": o["label"]} for o in desired
              if o["id"] is not None and labels.get(o["id"]) != o["label"]]
    add = [o["label"] for o in desired if o["id"] is None]
    after_v2 = [("id", o["id"]) for o in current if o["id"] in kept] + [("label", label) for label in add]
    wanted = [("id", o["id"]) if o["id"] is not None else ("label", o["label"]) for o in desired]
    writes["options"] = {"list": desired, "add": add, "rename": rename, "remove": remove,
                         "reorder": after_v2 != wanted}
    if writes["options"]["reorder"]:
        writes["_field_id"] = live.get("field_id")


def check_custom_field(declared: Mapping[str, Any], live: Mapping[str, Any] | None,
                       writes: Mapping[str, Any]) -> str | None:
    """What Pipedrive would refuse, said at plan time, before anything is written."""
    if live is not None:
        if not live.get("custom"):
            return (f"is Pipedrive's system field {live.get('key')!r} of {live.get('entity')}s: only custom fields "
                    "can be managed; remove it from the manifests")
        if "entity" in writes:
            return (f"is a field of {live.get('entity')}s in Pipedrive, the manifests say {declared.get('kind')}: "
                    "a field cannot move; declare a new field (another key) and remove this one")
        if "field_type" in writes:
            return (f"is {article(str(live.get('field_type')))} field in Pipedrive, the manifests say "
                    f"{declared.get('type')}: "
                    "Pipedrive cannot change a field's type; declare a new field (another name) and remove this one")
    field_type = declared.get("type") or (live or {}).get("field_type")
    options = declared.get("options")
    if field_type in OPTION_TYPES:
        if live is None and not options:
            return f"is {article(field_type)} field: declare its options (Pipedrive needs at least one)"
        if "options" in declared and not options:
            return f"is {article(field_type)} field: it keeps at least one option"
    elif options:
        return f"declares options, but only enum and set fields have options (its type is {field_type})"
    return None


# -- activity types and labels: entered into the planned vocabulary as apply will leave them --------

# labels that are options of each kind's standard `label` field (lead labels have their own endpoint)
LABEL_FIELD_ENTITIES = ("deal", "person", "organization")


def declare_activity_type(schema: AccountSchema, res: Resource, target: Any, live: Mapping[str, Any] | None) -> None:
    """A declared type under its declared name, as apply will leave it (reconciler/pipedrive/activitytypes.py writes it): its
    live key, or the key its create will answer; a rename leaves the old name."""
    live = live or {}
    name = res.fields.get("name") or live.get("name")
    if name is None:
        return
    key = live.get("key_string") or Placeholder(res.address, ("key_string",))
    old = live.get("name")
    if old is not None and old != name and schema.activity_type_keys.get(old) == key:
        del schema.activity_type_keys[old]
    schema.activity_type_keys[name] = key
    if not isinstance(key, Placeholder):
        schema.activity_types.add(key)


def declare_label(schema: AccountSchema, res: Resource, target: Any, live: Mapping[str, Any] | None) -> None:
    """A declared label under its declared name, as apply will leave it (reconciler/pipedrive/labelsapi.py writes it): its live
    id, or the id its create will answer. A rename keeps the id, so the old name goes with it."""
    live = live or {}
    entity = res.fields.get("kind") or live.get("entity")
    name = res.fields.get("name") or live.get("name")
    if entity is None or name is None:
        return
    label_id = live.get("label_id")
    if label_id is None:
        label_id = Placeholder(res.address, ("label_id",))
    schema.label_names.setdefault(entity, {})[label_id] = name


def label_colour_problem(entity: str) -> str:
    """Why a deal, person or organization label cannot declare a colour: no current route writes one. The
    official client's option models take a label only (npm pipedrive 33.x: v2 AddDealFieldOptionsRequestInner,
    UpdateDealFieldOptionsRequestInner, which the person and organization fields APIs take too; 24.x: v1 UpdateFieldRequest
    documents options as {id, label}); only activity field options and lead labels carry a colour."""
    return (f"declares a color, which Pipedrive's API cannot set on {entity} labels: its label options take a "
            "label only (the official client's Add/UpdateDealFieldOptionsRequestInner, which every v2 fields API "
            "takes, and v1's UpdateFieldRequest); pick the colour in Pipedrive and leave `color` out")


def check_label(declared: Mapping[str, Any], live: Mapping[str, Any] | None) -> str | None:
    """What Pipedrive would refuse: a colour on a deal, person or organization label (the field option
    models carry none), a lead label without one (AddLeadLabelRequest requires it), a change of kind."""
    entity = declared.get("kind") or (live or {}).get("entity")
    if live is not None and declared.get("kind") not in (None, live.get("entity")):
        return f"is a {live.get('entity')} label in Pipedrive: a label's kind cannot change"
    if entity in LABEL_FIELD_ENTITIES and declared.get("color") is not None:
        return label_colour_problem(entity)
    if entity == "lead" and live is None and declared.get("color") is None:
        return "declares no color: Pipedrive needs one for a new lead label (AddLeadLabelRequest.color)"
    return None
