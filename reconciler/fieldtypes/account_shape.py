"""The account's shape: a custom field's option list, the position and rotting of pipelines and stages."""

from __future__ import annotations

from typing import Any

from reconciler.fieldtypes.base import FieldType, ValueProblem, as_bool, as_id


class Renamed(str):
    """A declared option label that renames a live option (`{label: NEW, was: OLD}`): the label
    itself wherever it is shown or saved, with the old label beside it for matching and for
    the plan's detail ("renamed")."""

    was: str

    def __new__(cls, label: str, was: str) -> Renamed:
        item = super().__new__(cls, label)
        item.was = was
        return item

    def __getnewargs__(self) -> tuple[str, str]:  # copies (deepdiff's, pickle's) keep `was`
        return str(self), self.was


def _option_item(value: Any) -> tuple[str, str | None]:
    """(label, old label) of one declared option: `EMEA`, or `{label: Americas, was: America}`."""
    if isinstance(value, dict):
        return str(value["label"]), (str(value["was"]) if value.get("was") is not None else None)
    return str(value), getattr(value, "was", None)


class OptionList(FieldType):
    """A custom field's options, in order: labels, or `{label: NEW, was: OLD}` for a rename.

    Pipedrive keeps an option's id when it is relabelled, so every record using it keeps its
    value; a new label alone would be a new option (and the old one removed, clearing every
    record that used it). `was` says which live option a label is: it is matched by its label
    first (so the manifest can keep `was` after the rename is applied), then by `was`. The
    canonical value is a list of {id, label} in order, id None for an option to add.
    """

    name = "options"

    def schema(self, spec):
        item = {"anyOf": [
            {"type": "string", "minLength": 1},
            {"type": "object", "description": "An option renamed: its new label, and the label it has in "
             "Pipedrive now (its id, and every value using it, stay).",
             "properties": {"label": {"type": "string", "minLength": 1},
                            "was": {"type": "string", "minLength": 1}},
             "required": ["label", "was"], "additionalProperties": False},
        ]}
        return {"type": "array", "items": item}, ""

    def expectation(self, spec):
        return "a list of option labels (or {label: NEW, was: OLD} for a rename)"

    def convert(self, spec, value, pos):
        seen: set[str] = set()
        for item in value:
            label = _option_item(item)[0]
            if label.casefold() in seen:
                raise ValueProblem(f"field '{spec.name}' names option {label!r} twice: option labels are unique "
                                   "within a field")
            seen.add(label.casefold())
        return [Renamed(*_option_item(item)) if isinstance(item, dict) else item for item in value]

    def to_api(self, spec, value, ctx, declared, live):
        live_options = list((live or {}).get(spec.api) or [])
        free = {o["id"]: o["label"] for o in live_options}

        def take(label: str | None) -> Any:
            if label is None:
                return None
            for exact in (True, False):
                for option_id, live_label in free.items():
                    if live_label == label if exact else live_label.casefold() == label.casefold():
                        del free[option_id]
                        return option_id
            return None

        items = [_option_item(v) for v in value or []]
        ids: list[Any] = [take(label) for label, _ in items]  # labels first: a label kept keeps its option
        for index, (_, was) in enumerate(items):
            if ids[index] is None:
                ids[index] = take(was)
        # a label the lock recorded for an option since renamed in Pipedrive is that option (its id)
        aliases = getattr(ctx.schema, "option_aliases", {}).get((live or {}).get("key"), {})
        for index, (label, _) in enumerate(items):
            if ids[index] is None and aliases.get(label) in free:
                ids[index] = aliases[label]
                del free[aliases[label]]
        return [{"id": option_id, "label": label} for option_id, (label, _) in zip(ids, items, strict=True)]

    def from_api(self, spec, value, ctx):
        return [o["label"] for o in value or []]

    def same(self, spec, desired, live):
        return [o["label"] for o in desired or []] == [o["label"] for o in live or []]

    def comparable(self, spec, value, like=None):
        # the labels, in order, as `same` compares them: an option's id is Pipedrive's (None in
        # what a create sends), so the digest of what was applied equals that of what is live
        return [str(o["label"]) for o in value or []]

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if not value:
            return None
        return [{"id": as_id(o.get("id")), "label": str(o.get("label"))} for o in value if isinstance(o, dict)]

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return list(value)


class Position(FieldType):
    """Where a pipeline or stage is shown (Pipedrive's `order_nr`), lowest first.

    Pipedrive's API v2 can place nothing: a new pipeline or stage goes last and none can be
    moved. So a position is never written nor counted as a change: new ones are created in
    the declared order (the kinds table's `create_sequence`), and a live one elsewhere than
    declared is a notice (KindHooks.check) telling where to move it by hand.
    """

    name = "position"

    def schema(self, spec):
        return {"type": "integer", "minimum": 1}, ""

    def expectation(self, spec):
        return "a whole number, 1 or more"

    def same(self, spec, desired, live):
        return True

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def write(self, spec, value, version):
        return {}

    def match_value(self, spec, value):
        return value

    match_live = match_value


class Rotting(FieldType):
    """A stage's rotting: after how many days a deal in it rots, or null (off).

    Pipedrive stores a flag and a number (v2 `is_deal_rot_enabled` and `days_to_rotten`, v1
    `rotten_flag` and `rotten_days`); a manifest says one number or null.
    """

    name = "rotting days"
    FLAGS = {"v1": ("rotten_flag", "rotten_days"), "v2": ("is_deal_rot_enabled", "days_to_rotten")}

    def schema(self, spec):
        return {"type": "integer", "minimum": 1}, ""

    def expectation(self, spec):
        return "a whole number of days, 1 or more"

    def read(self, spec, record, version):
        flag, days = self.FLAGS[version]
        return as_id(record.get(days)) if as_bool(record.get(flag)) else None

    def write(self, spec, value, version):
        flag, days = self.FLAGS[version]
        return {flag: value is not None, days: value}

    def match_value(self, spec, value):
        return value

    match_live = match_value


# -- registered instances ----------------------------------------------------------------------

OPTION_LIST = OptionList()
POSITION = Position()
ROTTING = Rotting()
