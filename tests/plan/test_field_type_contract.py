"""Every registered field type holds to one contract (reconciler/fieldtypes/).

For each type, with a representative declared value:
- its JSON Schema is a valid schema, and the declared value validates against it (a custom
  field's type: against the schema of a value under `fields:`, the one its manifests meet);
- manifest round trip: the declared value, converted as the loader does, sent to the API form
  (`to_api_value`) and shown back in manifest language (`from_api_value`), is the value declared;
- wire round trip: the canonical value written in each API version's body and read back from
  it (`write`, then `read`) means the same thing (`same`);
- comparison consistent with the canonical form: values `same()` calls equal have equal
  `comparable()` forms (what the lock's digests are made of), and a value is the same as itself.

A new field type is registered in reconciler/fieldtypes/ and gets a sample here; the first test
fails until it has one, so no type escapes the contract.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler import fieldtypes
from reconciler.fieldtypes import CUSTOM_TYPES, FieldSpec, FieldType, custom_value_schema
from reconciler.manifest.model import Position
from reconciler.normalize import Context
from reconciler.vocabulary import AccountSchema

CUSTOM_FIELD_TYPES = {ftype for ftype, _ in CUSTOM_TYPES.values()}
POS = Position("contract.yaml", 1, 1)
IDS = {("organization", "acme"): 7, ("person", "ann"): 11, ("person", "bob"): 12, ("product", "widget"): 21}
KEYS = {(kind, object_id): key for (kind, key), object_id in IDS.items()}
OPTIONS = {"EMEA": 1, "APAC": 2}

# registered name -> (FieldSpec options, a declared manifest value)
SAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "STRING": ({}, "Acme Holdings"),
    "CURRENCY_CODE": ({}, "EUR"),
    "ACTIVITY_TYPE": ({}, "call"),
    "TEXT": ({}, "Line one\nline & <two>"),
    "LARGE_TEXT": ({}, "A long text"),
    "ADDRESS": ({}, "1 Main St, Springfield"),
    "NUMBER": ({}, 12.5),
    "PERCENT": ({}, 40),
    "DATE": ({}, "2027-01-31"),
    "TIME": ({}, "14:00"),
    "BOOL": ({}, True),
    "JSON_BOOL": ({}, True),
    "EMAILS": ({}, ["ann@acme.example", "billing@acme.example"]),
    "PHONES": ({}, ["+1 555 0100"]),
    "REF": ({"ref_kind": "organization"}, "acme"),
    "PARTICIPANTS": ({"ref_kind": "person"}, ["ann", "bob"]),
    "VISIBILITY": ({"choices": ("owner", "company", "owner_group", "company_group")}, "company"),
    "VISIBILITY_TEXT": ({"choices": ("owner", "company", "owner_group", "company_group")}, "owner"),
    "DATETIME": ({}, "2027-01-31 14:00:00"),
    "LABELS": ({"ref_kind": "deal"}, ["Hot"]),
    "PRICES": ({}, [{"price": 120, "currency": "USD", "cost": 80}]),
    "LEAD_VALUE": ({}, {"amount": 100, "currency": "EUR"}),
    "DEAL_PRODUCTS": ({"ref_kind": "product"}, [{"product": "widget", "quantity": 2, "item_price": 10}]),
    "USER": ({}, "alice@example.com"),
    "PIPELINE": ({}, "Sales"),
    "STAGE": ({}, "Won"),
    "ENUM": ({"choices": ("open", "won", "lost")}, "won"),
    "CUSTOM": ({}, None),  # a container: each member is typed by the account (covered by its members' types)
    "OPTION": ({"options": OPTIONS}, "EMEA"),
    "OPTIONS": ({"options": OPTIONS}, ["EMEA", "APAC"]),  # a set: shown in option order
    "MONEY": ({}, {"value": 100, "currency": "EUR"}),
    "TIME_OF_DAY": ({}, "09:30"),
    "TIME_RANGE": ({}, {"from": "09:00", "until": "17:00"}),
    "DATE_RANGE": ({}, {"from": "2027-01-01", "until": "2027-01-31"}),
    "RAW": ({}, "anything"),
    "OPTION_LIST": ({}, ["EMEA", "APAC"]),
    "POSITION": ({}, 2),
    "ROTTING": ({}, 14),
    "CONDITIONS": ({}, {"all": [{"field": "Stage", "operator": "=", "value": {"pipeline": "Sales", "stage": "Won"}}],
                        "any": [{"field": "Owner", "operator": "=", "value": "alice@example.com"},
                                {"object": "person", "field": "Email", "operator": "IS NULL"}]}),
    "FOLLOWERS": ({}, ["alice@example.com"]),
    "ORG_PARENT": ({"ref_kind": "organization"}, "acme"),
    "ORG_RELATED": ({"ref_kind": "organization"}, ["acme"]),
    "VARIATIONS": ({}, [{"name": "Large", "prices": [{"price": 150, "currency": "USD"}]}]),
    "TEAM": ({}, "Field sales"),
    "PIPELINES": ({}, ["Sales", "Partners"]),
    "GOAL_STAGE": ({}, {"pipeline": "Sales", "stage": "Won"}),
}


def _context() -> Context:
    schema = AccountSchema(
        users_by_email={"alice@example.com": 1}, emails_by_user={1: "alice@example.com"},
        pipelines={"Sales": [1], "Partners": [2]}, pipeline_names={1: "Sales", 2: "Partners"},
        teams={"Field sales": [4]}, team_names={4: "Field sales"},
        stages={1: {"Won": [3]}}, stage_info={3: (1, "Won")},
        label_names={"deal": {5: "Hot"}}, activity_types={"call"},
        standard_fields={"deal": {"stage_id": {"name": "Stage", "field_type": "stage", "options": {}},
                                  "user_id": {"name": "Owner", "field_type": "user", "options": {}}},
                         "person": {"email": {"name": "Email", "field_type": "varchar", "options": {}}}},
    )
    return Context(schema=schema, resolve_key=lambda kind, key: IDS[(kind, key)],
                   key_for_id=lambda kind, object_id: KEYS.get((kind, object_id)))


def _case(name: str) -> tuple[FieldType, FieldSpec, Any]:
    ftype = fieldtypes.registered()[name]
    options, value = SAMPLES[name]
    return ftype, FieldSpec(name="f", type=ftype, api="f", **options), value


def _canonical(ftype: FieldType, spec: FieldSpec, value: Any, ctx: Context) -> Any:
    declared = {"pipeline": "Sales"} if ftype is fieldtypes.STAGE else {}
    return ftype.to_api_value(spec, ftype.convert(spec, value, POS), ctx, declared, None)


def test_every_registered_type_has_a_sample():
    assert sorted(fieldtypes.registered()) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_schema_is_valid_and_takes_the_sample(name):
    ftype, spec, value = _case(name)
    schema, doc = ftype.schema(spec)
    Draft202012Validator.check_schema(schema)
    assert isinstance(doc, str)
    if value is None:
        return
    own = not list(Draft202012Validator(schema).iter_errors(value))
    if ftype in CUSTOM_FIELD_TYPES:  # declared under `fields:`, whose schema says what a custom value may be
        assert not list(Draft202012Validator(custom_value_schema()).iter_errors(value)), (name, value)
    else:
        assert own, (name, value, schema)


@pytest.mark.parametrize("name", sorted(n for n, (_, v) in SAMPLES.items() if v is not None))
def test_manifest_round_trip(name):
    ftype, spec, value = _case(name)
    ctx = _context()
    shown = ftype.from_api_value(spec, _canonical(ftype, spec, value, ctx), ctx)
    assert shown == value


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("name", sorted(n for n, (_, v) in SAMPLES.items() if v is not None))
def test_wire_round_trip_means_the_same(name, version):
    ftype, spec, value = _case(name)
    canonical = _canonical(ftype, spec, value, _context())
    body = ftype.write(spec, canonical, version)
    if ftype.attached or not body:
        pytest.skip(f"{name} is never in a request body (written by calls of its own, or not at all)")
    back = ftype.read(spec, body, version)
    assert ftype.same(spec, canonical, back), (name, version, canonical, body, back)
    assert ftype.comparable(spec, back, canonical) == ftype.comparable(spec, canonical, canonical)


@pytest.mark.parametrize("name", sorted(n for n, (_, v) in SAMPLES.items() if v is not None))
def test_comparison_consistent_with_comparable_form(name):
    ftype, spec, value = _case(name)
    canonical = _canonical(ftype, spec, value, _context())
    assert ftype.same(spec, canonical, canonical)
    assert ftype.comparable(spec, canonical) == ftype.comparable(spec, canonical)
    assert ftype.same(spec, None, None)
    if not ftype.same(spec, canonical, None):
        assert ftype.comparable(spec, canonical) != ftype.comparable(spec, None)
