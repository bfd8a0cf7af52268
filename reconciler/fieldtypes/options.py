"""Words and option labels: fixed choices, visibility, labels, custom single/multi-option fields."""

from __future__ import annotations

from typing import Any

from reconciler.fieldtypes.base import (
    VISIBILITY_IDS,
    VISIBILITY_NAMES,
    Drop,
    FieldSpec,
    FieldType,
    as_id,
    suggest,
)
from reconciler.normalize import NormalizeError


class Choice(FieldType):
    """One of a fixed set of words (a deal's status), sent as the word itself."""

    name = "enum"
    quote_hint = True

    def schema(self, spec):
        return {"type": "string", "enum": list(spec.choices)}, ""

    def expectation(self, spec):
        return "one of " + ", ".join(spec.choices)

    def hint(self, spec, value):
        if not isinstance(value, str):
            return ""
        return suggest(value, spec.choices)


class Visibility(Choice):
    """Who can see an object: owner (1), company (3), owner_group (5), company_group (7)."""

    name = "visibility"

    def to_api(self, spec, value, ctx, declared, live):
        return VISIBILITY_IDS[value]

    def from_api(self, spec, value, ctx):
        return VISIBILITY_NAMES.get(int(value), int(value))

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def export(self, spec, value, ctx, obj):
        if not isinstance(value, str):
            raise Drop(f"unknown value {value}")
        return value


class VisibilityText(Visibility):
    """Visibility sent as text ("3"), as leads take it."""

    name = "visibility (text)"

    def write(self, spec, value, version):
        return {spec.wire_name(version): None if value is None else str(value)}


class Labels(FieldType):
    """Labels by name (a deal's Hot, Warm); the API speaks label ids (option ids, or UUIDs for leads).

    Which labels exist is the account's: `FieldSpec.ref_kind` names the kind whose label set it is.
    """

    name = "labels"

    def schema(self, spec):
        return {"type": "array", "items": {"type": "string", "minLength": 1}}, "Label names, as shown in Pipedrive."

    def expectation(self, spec):
        return "a list of label names"

    def hint(self, spec, value):
        return f"; write a list: [{value}]" if isinstance(value, str) else ""

    def convert(self, spec, value, pos):
        return list(value)

    def to_api(self, spec, value, ctx, declared, live):
        return sorted((ctx.schema.label_id(spec.ref_kind or "", str(name)) for name in value), key=str)

    def write(self, spec, value, version):
        # no labels is [], never null: the official request models do not mark label_ids nullable
        # (UpdateLeadRequest refuses null; issue 27)
        return {spec.wire_name(version): [] if value is None else value}

    def from_api(self, spec, value, ctx):
        names = ctx.schema.label_names.get(spec.ref_kind or "", {})
        return sorted((names.get(i, {"id": i}) for i in value or []), key=lambda v: (isinstance(v, dict), str(v)))

    def same(self, spec, desired, live):
        return sorted(desired or [], key=str) == sorted(live or [], key=str)

    def comparable(self, spec, value, like=None):
        return sorted(value or [], key=str)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            value = [] if value in (None, "") else [value]
        return [as_id(v) for v in value]

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        if any(isinstance(v, dict) for v in value):
            raise Drop("a label id has no name")
        return value


def _bad_option(spec: FieldSpec, value: Any) -> NormalizeError:
    choices = ", ".join(repr(label) for label in spec.options)
    return NormalizeError(f"unknown option {value!r} for custom field {spec.name!r} (choices: {choices})")


class Option(FieldType):
    """One option of a custom single-option field, by its label; the API speaks option ids."""

    name = "option"

    def to_api(self, spec, value, ctx, declared, live):
        if str(value) not in spec.options:
            raise _bad_option(spec, value)
        return spec.options[str(value)]

    def from_api(self, spec, value, ctx):
        return spec.option_labels.get(as_id(value), value)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            value = value.get("id")
        return as_id(value)

    def export(self, spec, value, ctx, obj):
        if not isinstance(value, str):
            raise Drop("an option id has no label")
        return value


class Options(FieldType):
    """Several options of a custom multi-option field, by label; cleared with null, never []."""

    name = "options"

    def to_api(self, spec, value, ctx, declared, live):
        labels = value if isinstance(value, list) else [value]
        ids = []
        for label in labels:
            if str(label) not in spec.options:
                raise _bad_option(spec, label)
            ids.append(spec.options[str(label)])
        return sorted(ids, key=_option_order) or None  # Pipedrive's v2 refuses []: null is "no option"

    def from_api(self, spec, value, ctx):
        ids = value if isinstance(value, list) else [value]
        labels = spec.option_labels
        return [labels.get(i, i) for i in sorted(ids, key=_option_order)]

    def same(self, spec, desired, live):
        return sorted(desired or [], key=_option_order) == sorted(live or [], key=_option_order)

    def comparable(self, spec, value, like=None):
        return sorted(value or [], key=_option_order)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, "", []):
            return None
        if isinstance(value, str):
            return [as_id(v) for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            value = [value]
        return [as_id(v.get("id") if isinstance(v, dict) else v) for v in value]

    def write(self, spec, value, version):
        if version == "v1" and isinstance(value, list):
            return {spec.api: ",".join(str(v) for v in value)}
        return {spec.api: value}

    def export(self, spec, value, ctx, obj):
        if any(not isinstance(label, str) for label in value):
            raise Drop("an option id has no label")
        return value


# -- registered instances ----------------------------------------------------------------------

def _option_order(option_id: Any) -> tuple[str, Any]:
    """A total order over option ids of any type: ints, strings, and the placeholders of options
    this plan adds (a set field created in the same apply as the records that use it)."""
    if isinstance(option_id, int | str):
        return type(option_id).__name__, option_id
    return "~" + type(option_id).__name__, str(option_id)


VISIBILITY_TEXT = VisibilityText()
LABELS = Labels()
VISIBILITY = Visibility()
ENUM = Choice()
OPTION = Option()
OPTIONS = Options()
