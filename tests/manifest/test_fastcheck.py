"""The fast schema check agrees with jsonschema: never valid where jsonschema says invalid."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import kinds
from reconciler.manifest import schema
from reconciler.manifest.fastcheck import compile_schema

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["", "x", "alice@example.com", "2027-01-31", "14:00", "open", "company",
                                     "USD", "Sales", "not an email", "25:99", "2027-13-45"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["id", "value", "currency", "label", "x"]), inner, max_size=3)), max_leaves=6)


def _resources(kind: kinds.KindSpec):
    names = st.sampled_from([*kind.field_names, *kinds.META_FIELDS, "unknown"])
    return st.dictionaries(names, VALUES, max_size=6)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_quick_check_never_accepts_what_jsonschema_rejects(data) -> None:
    kind = data.draw(st.sampled_from(kinds.KINDS))
    resource = data.draw(_resources(kind))
    quick = schema.quick_check(kind.name)
    assert quick is not None, "the kind schemas compile"
    assert quick(resource) == schema.validator(kind.name).is_valid(resource), resource


def test_the_examples_shape_passes_quickly() -> None:
    deal = {"title": "T", "value": 5, "currency": "USD", "org": "acme", "pipeline": "Sales", "stage": "Won",
            "status": "open", "expected_close_date": "2027-01-31", "owner": "alice@example.com",
            "fields": {"Lead source": "Referral", "Contract value": {"value": 1, "currency": "USD"}}}
    assert schema.quick_check("deal")(deal)


def test_unknown_keywords_refuse_to_compile() -> None:
    assert compile_schema({"type": "string", "maxLength": 3}) is None
    assert compile_schema({"type": "object", "properties": {"a": {"oneOf": []}}}) is None


def test_every_type_combination_agrees_with_jsonschema() -> None:
    """The one-call type checks (numbers keep bool out; 1.0 is an integer) against jsonschema itself."""
    from jsonschema import Draft202012Validator

    values = [None, True, False, 0, 1, -1, 1.0, 1.5, 2.0, "x", "", [], {}, [1], {"a": 1}]
    names = ["string", "number", "integer", "boolean", "null", "array", "object"]
    for size in (1, 2, 3):
        for combo in itertools.combinations(names, size):
            for extra in ({}, {"minLength": 1}, {"pattern": "^x"}, {"enum": ["x", None, 1, True]}):
                spec = {"type": list(combo), **extra}
                quick, slow = compile_schema(spec), Draft202012Validator(spec)
                assert quick is not None
                for value in values:
                    assert quick(value) == slow.is_valid(value), (spec, value)
