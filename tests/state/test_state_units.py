"""The state's pieces on their own: the lock's vocabulary, and classify on values recorded with an
earlier shape of the manifests (issue 24, reproduction 2, at the level of the field types)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.drift import classify, digest
from reconciler.fieldtypes import DealProducts, OptionList, PlainAmount, Prices, custom_spec
from reconciler.lock import LockFile
from reconciler.lockcheck import LockError


def test_the_lock_keeps_the_vocabulary_sorted_and_reads_it_back(tmp_path: Path) -> None:
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 1, "company_name": "X"})
    lock.resources = {"deal": {"a": 1}}
    lock.vocabulary = {"stage": {"1": {"Won": 3, "Lead In": 2}}, "pipeline": {"Sales": 1},
                       "option": {"a" * 40: {"Website": 12}}}
    lock.save()
    data = json.loads(lock.path.read_text())
    assert list(data["vocabulary"]) == ["option", "pipeline", "stage"]
    assert list(data["vocabulary"]["stage"]["1"]) == ["Lead In", "Won"]
    assert LockFile.read(lock.path).vocabulary == lock.vocabulary


def test_a_malformed_vocabulary_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "reconciler.lock"
    path.write_text(json.dumps({"format_version": 1, "account": None, "resources": {},
                                "vocabulary": {"pipeline": {"Sales": [1]}, "colour": {}}}, indent=2))
    with pytest.raises(LockError) as error:
        LockFile.read(path)
    assert "vocabulary.pipeline is not one of" in str(error.value)
    assert "vocabulary.colour is not one of" in str(error.value)


def spec_of(ftype, name: str = "x") -> kinds.FieldSpec:
    return kinds.FieldSpec(name, ftype, name)


def test_options_digest_by_label_whatever_ids_the_create_sent() -> None:
    spec = spec_of(OptionList(), "options")
    created = [{"id": None, "label": "EMEA"}, {"id": None, "label": "APAC"}]
    live = [{"id": 7, "label": "EMEA"}, {"id": 8, "label": "APAC"}]
    recorded = digest(spec, created)
    renamed = [{"id": 7, "label": "Europe"}, {"id": 8, "label": "APAC"}]
    assert classify(spec, renamed, live, recorded) is None  # a manifest change, not drift
    assert classify(spec, created, [{"id": 7, "label": "Emea!"}, live[1]], recorded) == "drift"


def test_a_deal_product_line_removed_from_the_manifests_is_not_drift() -> None:
    spec = spec_of(DealProducts(), "products")
    two = [{"product_id": 4, "quantity": 2, "item_price": 10}, {"product_id": 4, "quantity": 1, "item_price": 5}]
    live = [{"id": 1, "product_id": 4, "quantity": 2.0, "item_price": 10, "discount": 0, "tax": 0,
             "discount_type": "percentage", "comments": None, "is_enabled": True},
            {"id": 2, "product_id": 4, "quantity": 1.0, "item_price": 5, "discount": 0, "tax": 0,
             "discount_type": "percentage", "comments": None, "is_enabled": True}]
    recorded = digest(spec, two)
    assert classify(spec, two[:1], live, recorded) is None
    live[1]["quantity"] = 3.0  # changed in Pipedrive: still drift, whatever the manifests now say
    assert classify(spec, two[:1], live, recorded) == "conflict"


def test_a_price_removed_from_the_manifests_is_not_drift() -> None:
    spec = spec_of(Prices(), "prices")
    both = [{"price": 120, "currency": "USD"}, {"price": 100, "currency": "EUR"}]
    live = [{"price": 120.0, "currency": "USD", "cost": 0}, {"price": 100.0, "currency": "EUR", "cost": 0}]
    assert classify(spec, both[:1], live, digest(spec, both)) is None


def test_a_monetary_value_made_a_plain_number_is_not_drift() -> None:
    spec = custom_spec("b" * 40, "Contract", "monetary")
    recorded = digest(spec, {"value": 150000, "currency": "USD"})
    live = {"value": 150000.0, "currency": "USD"}
    assert classify(spec, PlainAmount(value=160000, currency="USD"), live, recorded) is None
    assert classify(spec, PlainAmount(value=160000, currency="USD"), {"value": 1.0, "currency": "USD"},
                    recorded) == "conflict"


def test_a_plain_monetary_number_given_its_currency_is_not_drift() -> None:
    spec = custom_spec("b" * 40, "Contract", "monetary")
    recorded = digest(spec, PlainAmount(value=150000, currency="USD"))
    live = {"value": 150000.0, "currency": "USD"}
    assert classify(spec, {"value": 160000, "currency": "USD"}, live, recorded) is None
    assert classify(spec, {"value": 160000, "currency": "USD"}, {"value": 2.0, "currency": "USD"},
                    recorded) == "conflict"


def test_a_null_tax_is_the_0_pipedrive_stores() -> None:
    tax = kinds.kind("product").field("tax")
    assert tax.type.same(tax, None, 0) and digest(tax, None) == digest(tax, 0)
