"""The lock's digests (reconciler/drift.py): values a field type calls the same digest the same, the
lock writes them one line per resource, validates them, and replays them from the journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.drift import digest
from reconciler.fieldtypes import MONEY, OPTIONS, TIME_OF_DAY, PlainAmount, custom_spec
from reconciler.lock import LockFile
from reconciler.lockcheck import LockError

DEAL = kinds.kind("deal")
PERSON = kinds.kind("person")
NOTE = kinds.kind("note")
ACTIVITY = kinds.kind("activity")

SAME = [
    (DEAL.field("title"), "Acme", "Acme"),
    (DEAL.field("lost_reason"), "", None),
    (DEAL.field("value"), 50000, 50000.0),
    (DEAL.field("value"), None, 0),
    (NOTE.field("content"), "Reply to &lt;john@acme.com&gt;", "<p>Reply to &lt;john@acme.com&gt;</p>"),
    (PERSON.field("emails"), [{"value": "A@x.com", "primary": True, "label": "work"}],
     [{"value": "a@x.com ", "primary": True, "label": None}]),
    (ACTIVITY.field("participants"), [{"person_id": 1, "primary": True}, {"person_id": 2, "primary": False}],
     [{"person_id": 2, "primary": False}, {"person_id": 1, "primary": True}]),
]


@pytest.mark.parametrize(("spec", "desired", "live"), SAME, ids=lambda v: getattr(v, "name", None) or "")
def test_values_the_type_calls_the_same_digest_the_same(spec, desired, live) -> None:
    assert spec.type.same(spec, desired, live)
    assert digest(spec, desired) == digest(spec, live, desired)


def test_custom_types_digest_as_they_compare() -> None:
    options = custom_spec("a" * 40, "Interests", "set", {"A": 1, "B": 2})
    assert OPTIONS.same(options, [2, 1], [1, 2]) and digest(options, [2, 1]) == digest(options, [1, 2])
    money = custom_spec("b" * 40, "Contract", "monetary")
    plain = PlainAmount(value=100, currency="USD")
    assert MONEY.same(money, plain, {"value": 100.0, "currency": "EUR"})
    assert digest(money, plain) == digest(money, {"value": 100.0, "currency": "EUR"}, plain)
    assert digest(money, {"value": 100, "currency": "USD"}) != digest(money, {"value": 100, "currency": "EUR"})
    clock = custom_spec("c" * 40, "Call at", "time")
    assert digest(clock, {"value": "09:00:00"}) == digest(clock, {"value": "09:00", "timezone_id": 1})
    assert TIME_OF_DAY.same(clock, {"value": "09:00:00"}, {"value": "09:00", "timezone_id": 1})


def test_different_values_digest_differently() -> None:
    stage = DEAL.field("stage")
    assert digest(stage, 3) != digest(stage, 4)
    assert len(digest(stage, 3)) == 8


def _lock(tmp_path: Path) -> LockFile:
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 1, "company_name": "X"})
    lock.resources = {"deal": {"a": 1, "b": 2}}
    return lock


def test_the_lock_writes_applied_one_line_per_resource_and_reads_it_back(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    lock.applied = {"deal": {"b": {"value": "0000000b", "title": "0000000a"}, "a": {"title": "00000001"}}}
    lock.save()
    text = lock.path.read_text()
    assert '      "a": {"title":"00000001"},\n      "b": {"title":"0000000a","value":"0000000b"}\n' in text
    assert LockFile.read(lock.path).applied == {"deal": {"a": {"title": "00000001"},
                                                        "b": {"title": "0000000a", "value": "0000000b"}}}
    lock.forget("deal", "a")
    lock.save()
    assert set(json.loads(lock.path.read_text())["applied"]["deal"]) == {"b"}


def test_applied_digests_are_journalled_and_replayed_after_a_crash(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    lock.save()
    lock.record_applied("deal", "a", {"title": "12345678"})  # journalled, never compacted (a crash)
    assert LockFile.read(lock.path).applied == {"deal": {"a": {"title": "12345678"}}}


def test_a_malformed_applied_section_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "reconciler.lock"
    path.write_text(json.dumps({"format_version": 1, "account": None, "resources": {"deal": {"a": 1}},
                                "applied": {"deal": {"a": {"title": 5}}, "dael": {}}}, indent=2))
    with pytest.raises(LockError) as error:
        LockFile.read(path)
    message = str(error.value)
    assert "applied.deal.a must map field names to digests" in message
    assert "unknown kind 'dael'; did you mean 'deal'?" in message
    assert all(line.startswith(f"{path}:") for line in message.splitlines())


def test_the_next_kinds_types_digest_as_they_compare() -> None:
    from reconciler.fieldtypes import DateTime, DealProducts, Labels, LeadValue, Prices

    cases = [
        (DateTime(), "2027-01-31 14:00:00", "2027-01-31T14:00:00Z", None),
        (Labels(), [3, 1], [1, 3], None),
        (Prices(), [{"price": 120, "currency": "USD"}], [{"price": 120.0, "currency": "USD", "cost": 80}], None),
        (LeadValue(), {"amount": 5, "currency": "EUR"}, {"amount": 5.0, "currency": "EUR"}, None),
        (DealProducts(), [{"product_id": 4, "quantity": 2, "item_price": 10}],
         [{"id": 99, "product_id": 4, "quantity": 2.0, "item_price": 10, "discount": None}], None),
    ]
    for ftype, desired, live, _ in cases:
        spec = kinds.FieldSpec("x", ftype, "x")
        assert ftype.same(spec, desired, live), ftype
        assert digest(spec, desired) == digest(spec, live, desired), ftype


def test_a_renamed_key_keeps_what_was_applied(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    lock.applied = {"deal": {"a": {"title": "00000001"}}}
    lock.save()
    lock.record("deal", "a-renamed", 1)  # moved: {from: deal.a, to: deal.a-renamed}
    lock.save()
    again = LockFile.read(lock.path)
    assert again.resources["deal"] == {"a-renamed": 1, "b": 2}
    assert again.applied == {"deal": {"a-renamed": {"title": "00000001"}}}
