"""A filter's conditions: Pipedrive's two condition groups, written with names, compared as ids.

Pipedrive's filter conditions (npm `pipedrive` 33.x, v1 `AddFilterRequest.conditions`,
`FilterConditions`) are one "and" glue over groups: the UI has exactly two, an "and" group (every
condition holds) and an "or" group (at least one holds). Each condition names an object (deal,
person, organization, product, activity: the five the official description lists), a field by its
numeric `field_id`, an operator and a value, all strings: an option, a stage or a user is its id,
an activity type its key (the option id of the activity `type` field).

Manifests say the same with names (docs/reference.md, `filter`):

    conditions:
      all:                                   # the "and" group
        - {field: Value, operator: ">", value: 10000}
        - {field: Stage, operator: "=", value: {pipeline: Sales, stage: Qualified}}
      any:                                   # the "or" group
        - {field: Region, operator: "=", value: EMEA}
        - {object: person, field: Owner, operator: "=", value: alice@example.com}

The canonical value keeps a field by its key (a custom field's 40-hex key, a standard field's
key such as `value`), because that is what a plan can hold for a field the same apply creates (a
placeholder of its key) and what Pipedrive answers beside each condition (`field_code`); the
client layer (reconciler/pipedrive/filters.py) turns keys into `field_id`s when it writes.
Which operators fit which field type is this module's knowledge, said at plan time with FILE:LINE.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.fieldtypes.base import FieldType, ValueProblem, suggest
from reconciler.fieldtypes.custom import is_hash_key
from reconciler.normalize import NormalizeError, Placeholder
from reconciler.vocabulary import UnknownName

# The objects a condition may be about (AddFilterRequest.conditions names these five), and the
# filter type whose own object each one is. Lead and project filters have no object of their own
# among the five: refused at validate (reconciler/filter_rules.py).
OBJECTS = ("deal", "person", "organization", "product", "activity")
OWN_OBJECT = {"deals": "deal", "people": "person", "org": "organization", "products": "product",
              "activity": "activity"}
# The operators Pipedrive names (AddFilterRequest.conditions), by the kind of field they fit
NULL_OPERATORS = ("IS NULL", "IS NOT NULL")
TEXT_OPERATORS = ("=", "!=", "LIKE '$%'", "LIKE '%$%'", "NOT LIKE '$%'", *NULL_OPERATORS)
ORDERED_OPERATORS = ("=", "!=", "<", ">", "<=", ">=", *NULL_OPERATORS)
CHOICE_OPERATORS = ("=", "!=", *NULL_OPERATORS)
OPERATORS = ("=", "!=", "<", ">", "<=", ">=", "LIKE '$%'", "LIKE '%$%'", "NOT LIKE '$%'", *NULL_OPERATORS)
TEXT_TYPES = ("varchar", "varchar_auto", "text", "phone", "address", "varchar_options")
ORDERED_TYPES = ("double", "monetary", "int", "date", "daterange", "time", "timerange")
OPTION_TYPES = ("enum", "set")
MAX_CONDITIONS = 16  # "a maximum of 16 conditions is allowed per filter"
GROUPS = {"all": "and", "any": "or"}


def operators_for(field_type: str) -> tuple[str, ...]:
    """The operators Pipedrive takes for a field of this type."""
    if field_type in TEXT_TYPES:
        return TEXT_OPERATORS
    if field_type in ORDERED_TYPES:
        return ORDERED_OPERATORS
    return CHOICE_OPERATORS


def _field(schema: Any, entity: str, name: str) -> tuple[Any, str, dict[str, Any]]:
    """(key, field type, options label -> id) of a field of an entity by name or key, custom fields
    (those the plan declares included) first, then Pipedrive's standard fields."""
    if entity not in OBJECTS:
        raise NormalizeError(f"a condition about {entity} fields is not supported (conditions name deal, person, "
                             "organization, product or activity fields: declare `object`)")
    custom = schema.custom.get(entity, {}).get(name) or []
    if len(custom) > 1:
        raise NormalizeError(f"{entity} field name {name!r} is ambiguous: name it by its key")
    if not custom and name in schema.custom_by_key.get(entity, {}):
        custom = [schema.custom_by_key[entity][name]]
    if custom:
        return custom[0].key, custom[0].field_type, dict(custom[0].options)
    standard = schema.standard_fields.get(entity, {})
    for key, info in standard.items():
        if name in (key, info["name"]):
            options = dict(info["options"])
            if key == "label":  # labels the plan declares too
                options.update({label: i for i, label in schema.label_names.get(entity, {}).items()})
            if entity == "activity" and key == "type":  # activity types the plan declares too, by key
                options.update(schema.activity_type_keys)
            return key, info["field_type"], options
    names = [info["name"] for info in standard.values()] + list(schema.custom.get(entity, {}))
    raise NormalizeError(f"unknown {entity} field {name!r}{suggest(name, names)} (a filter's condition names a field "
                         "by its name or key)")


def _field_name(schema: Any, entity: str, key: Any) -> tuple[str, str, dict[Any, str]]:
    """(name as manifests write it, field type, option id -> label) of a field by its key."""
    custom = schema.custom_by_key.get(entity, {}).get(key)
    if custom is not None:
        unique = len(schema.custom.get(entity, {}).get(custom.name) or []) == 1
        return (custom.name if unique else key), custom.field_type, dict(custom.option_labels)
    info = schema.standard_fields.get(entity, {}).get(key)
    if info is None:
        return str(key), "varchar", {}
    labels = {i: label for label, i in info["options"].items()}
    if key == "label":
        labels.update(schema.label_names.get(entity, {}))
    if entity == "activity" and key == "type":
        labels.update({type_key: name for name, type_key in schema.activity_type_keys.items()})
    return info["name"], info["field_type"], labels


def _value_to_api(schema: Any, field_type: str, options: Mapping[str, Any], name: str, value: Any) -> Any:
    if field_type in OPTION_TYPES or (options and field_type == "varchar_options"):
        if str(value) not in options:
            raise NormalizeError(f"unknown option {value!r} of field {name!r}{suggest(str(value), list(options))} "
                                 f"(options: {', '.join(map(repr, options))})")
        return _text(options[str(value)])
    if field_type == "stage":
        if isinstance(value, Mapping):
            return _text(schema.stage_id(value["stage"], schema.pipeline_id(value["pipeline"])))
        return _text(schema.stage_id(str(value), None))
    if field_type == "user":
        return _text(schema.user_id(str(value)))
    return _text(value)


def _text(value: Any) -> Any:
    """Pipedrive's condition values are strings; a placeholder stays one until apply knows the id."""
    if value is None or isinstance(value, Placeholder):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _value_from_api(schema: Any, field_type: str, labels: Mapping[Any, str], value: Any) -> Any:
    if value is None:
        return None
    if field_type in OPTION_TYPES or (labels and field_type == "varchar_options"):
        for option_id, label in labels.items():
            if str(option_id) == str(value):
                return label
        return value
    if field_type == "stage" and str(value).isdigit() and int(value) in schema.stage_info:
        pipeline_id, stage = schema.stage_info[int(value)]
        return {"pipeline": schema.pipeline_names.get(pipeline_id, pipeline_id), "stage": stage}
    if field_type == "user" and str(value).isdigit() and int(value) in schema.emails_by_user:
        return schema.emails_by_user[int(value)]
    if field_type == "boolean" and str(value) in ("0", "1"):  # written as "1"/"0" (_text)
        return str(value) == "1"
    if field_type in ORDERED_TYPES and field_type not in ("date", "daterange", "time", "timerange"):
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    return value


def named_in(value: Any, filter_type: Any, schema: Any) -> Iterator[tuple[str, str, str, Any]]:
    """(what, scope, name, id) of every option, pipeline, stage, user and activity type declared conditions
    name, as the lock's vocabulary records them (reconciler/renames.py): options under their field's key,
    stages under their pipeline's id, users by email, activity types named by name. Names the account does
    not know are left to the plan's errors."""
    own = OWN_OBJECT.get(str(filter_type), "deal")
    for group in ("all", "any"):
        for item in (value or {}).get(group) or []:
            raw, entity = item.get("value"), item.get("object") or own
            try:
                key, field_type, options = _field(schema, entity, str(item["field"]))
                if field_type in OPTION_TYPES and str(raw) in options and isinstance(key, str) and is_hash_key(key):
                    yield "option", str(key), str(raw), options[str(raw)]
                elif field_type == "stage" and isinstance(raw, Mapping):
                    pipeline_id = schema.pipeline_id(raw["pipeline"])
                    yield "pipeline", "", raw["pipeline"], pipeline_id
                    yield "stage", str(pipeline_id), raw["stage"], schema.stage_id(raw["stage"], pipeline_id)
                elif field_type == "user" and isinstance(raw, str):
                    yield "user", "", raw, schema.user_id(raw)
                elif (entity, key) == ("activity", "type") and isinstance(raw, str) \
                        and raw in schema.activity_type_keys and raw not in schema.activity_types:  # by name
                    yield "activity_type", "", raw, schema.activity_type_keys[raw]
            except (NormalizeError, UnknownName):
                continue


def renamed_in(value: Any, what: str, old: str, new: str) -> Any:
    """Declared conditions with a name renamed in Pipedrive replaced (what `pull` writes back)."""
    out = {}
    for group, items in (value or {}).items():
        changed = []
        for item in items:
            item = dict(item)
            raw = item.get("value")
            if isinstance(raw, Mapping) and what in ("pipeline", "stage") and raw.get(what) == old:
                item["value"] = {**raw, what: new}
            elif what in ("option", "user", "activity_type") and raw == old:
                item["value"] = new
            changed.append(item)
        out[group] = changed
    return out


class Conditions(FieldType):
    """A filter's conditions: `all` (Pipedrive's "and" group) and `any` (its "or" group)."""

    name = "filter conditions"
    vocabulary = "fields"  # what the account's schema must load: every entity's fields (AccountSchema.load)

    def schema(self, spec):
        value = {"anyOf": [
            {"type": ["string", "number", "boolean"]},
            {"type": "object", "properties": {"pipeline": {"type": "string", "minLength": 1},
                                              "stage": {"type": "string", "minLength": 1}},
             "required": ["pipeline", "stage"], "additionalProperties": False,
             "description": "A stage by its pipeline and name."},
        ]}
        condition = {
            "type": "object",
            "properties": {
                "object": {"enum": list(OBJECTS), "description": "What the condition is about; the filter's own "
                           "object when left out."},
                "field": {"type": "string", "minLength": 1, "description": "A field by its name (custom or standard) "
                          "or key."},
                "operator": {"enum": list(OPERATORS), "description": "Pipedrive's operator; which ones a field takes "
                             "depends on its type."},
                "value": value,
                "extra_value": {"type": ["string", "number"], "description": "A second value, for conditions that "
                                "take two."},
            },
            "required": ["field", "operator"],
            "additionalProperties": False,
        }
        group = {"type": "array", "items": condition}
        return ({"type": "object", "properties": {"all": group, "any": group}, "additionalProperties": False},
                "`all`: conditions that must all hold (Pipedrive's AND group); `any`: at least one of them "
                "(its OR group). Each is {field, operator, value}, values by name: an option by label, a stage as "
                "{pipeline, stage}, a user by email.")

    def expectation(self, spec):
        return "a mapping of `all` and `any`, each a list of {field, operator, value}"

    def convert(self, spec, value, pos):
        count = 0
        for group in ("all", "any"):
            for item in value.get(group) or []:
                count += 1
                has_value = item.get("value") is not None
                if item["operator"] in NULL_OPERATORS and has_value:
                    raise ValueProblem(f"field '{spec.name}': operator {item['operator']!r} takes no value "
                                       f"(field {item['field']!r})")
                if item["operator"] not in NULL_OPERATORS and not has_value:
                    raise ValueProblem(f"field '{spec.name}': operator {item['operator']!r} needs a value "
                                       f"(field {item['field']!r})")
        if count > MAX_CONDITIONS:
            raise ValueProblem(f"field '{spec.name}' has {count} conditions: Pipedrive allows at most "
                               f"{MAX_CONDITIONS} per filter")
        return {group: [dict(item) for item in value[group] or []] for group in ("all", "any") if group in value}

    def to_api(self, spec, value, ctx, declared, live):
        filter_type = declared.get("type") or (live or {}).get("type") or "deals"
        own = OWN_OBJECT.get(filter_type, "deal")
        out: dict[str, list[dict[str, Any]]] = {}
        for group in ("all", "any"):
            items = []
            for item in value.get(group) or []:
                entity = item.get("object") or own
                key, field_type, options = _field(ctx.schema, entity, str(item["field"]))
                operator = item["operator"]
                if operator not in operators_for(field_type):
                    raise NormalizeError(f"operator {operator!r} does not fit {entity} field {item['field']!r} "
                                         f"({field_type}): Pipedrive takes {', '.join(operators_for(field_type))}")
                raw = item.get("value")
                items.append({
                    "object": entity, "field": key, "operator": operator,
                    "value": None if raw is None else _value_to_api(ctx.schema, field_type, options,
                                                                    str(item["field"]), raw),
                    "extra_value": _text(item.get("extra_value")),
                })
            out[group] = items
        return {**out, "own": own}

    def from_api(self, spec, value, ctx):
        """Manifest language: names, labels, {pipeline, stage}, emails; `object` only when it is not
        the filter's own (`own`, which the canonical value carries for this); empty groups left out."""
        out: dict[str, list[dict[str, Any]]] = {}
        own = (value or {}).get("own")
        for group in ("all", "any"):
            items = []
            for item in (value or {}).get(group) or []:
                name, field_type, labels = _field_name(ctx.schema, item["object"], item["field"])
                shown: dict[str, Any] = {"field": name, "operator": item["operator"]}
                if item["object"] != own:
                    shown = {"object": item["object"], **shown}
                if item.get("value") is not None:
                    shown["value"] = _value_from_api(ctx.schema, field_type, labels, item["value"])
                if item.get("extra_value") is not None:
                    shown["extra_value"] = item["extra_value"]
                items.append(shown)
            if items:
                out[group] = items
        return out

    def comparable(self, spec, value, like=None):
        return {group: [[str(c.get(k)) if c.get(k) is not None else None
                         for k in ("object", "field", "operator", "value", "extra_value")]
                        for c in (value or {}).get(group) or []] for group in ("all", "any")}

    def same(self, spec, desired, live):
        if any(isinstance(c.get(k), Placeholder) for group in ("all", "any") for c in (desired or {}).get(group) or []
               for k in ("field", "value")):
            return False
        return self.comparable(spec, desired) == self.comparable(spec, live)

    def read(self, spec, record, version):
        """Pipedrive's nested groups → {all, any}: an "and" group's conditions under `all`, an "or"
        group's under `any` (the UI's two); a field by its `field_code` (asked for with
        include_field_code), else by the key the client learnt for its `field_id` (`_field_keys`)."""
        raw = self.raw(spec, record, version)
        if not isinstance(raw, Mapping):
            return None
        keys = record.get("_field_keys") or {}
        out: dict[str, Any] = {"all": [], "any": [], "own": OWN_OBJECT.get(str(record.get("type")))}
        for group in raw.get("conditions") or []:
            if not isinstance(group, Mapping):
                continue
            name = "any" if group.get("glue") == "or" else "all"
            for c in group.get("conditions") or []:
                if not isinstance(c, Mapping):
                    continue
                field = c.get("field_code") or keys.get(str(c.get("field_id"))) or str(c.get("field_id"))
                out[name].append({"object": c.get("object"), "field": field, "operator": c.get("operator"),
                                  "value": _text(c.get("value")), "extra_value": _text(c.get("extra_value"))})
        return out

    def write(self, spec, value, version):
        """Pipedrive's nested form with each field by its `field_code`; the client
        (reconciler/pipedrive/filters.py) sends `field_id`s instead, which it looks up at write time."""
        def one(c: Mapping[str, Any]) -> dict[str, Any]:
            return {"object": c["object"], "field_code": c["field"], "operator": c["operator"],
                    "value": _text(c.get("value")), "extra_value": _text(c.get("extra_value"))}

        groups = [{"glue": GROUPS[name], "conditions": [one(c) for c in (value or {}).get(name) or []]}
                  for name in ("all", "any")]
        return {spec.wire_name(version): {"glue": "and", "conditions": groups}}

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return value


CONDITIONS = Conditions()
