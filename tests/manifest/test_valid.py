"""Valid manifests load into the model with the right values and positions.

These pin down the shapes every later stage relies on: dates and times as the text the
user meant (never YAML 1.1's sexagesimal 840 for 14:00), references as Reference values
with the position of the reference, custom fields by name, null as None, and positions
that are 1-based and point at the value (or, for a resource, at its key).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifest import Manifest, Position, Reference, load_manifests
from tests.conftest import copy_examples

ROOT = Path(__file__).resolve().parent.parent.parent
VALID = ROOT / "tests" / "fixtures" / "valid"


def load_ok(paths: list[str | os.PathLike[str]]) -> Manifest:
    manifest, problems = load_manifests(paths)
    assert [str(p) for p in problems] == []
    return manifest


@pytest.fixture()
def contract(monkeypatch: pytest.MonkeyPatch) -> Manifest:
    monkeypatch.chdir(VALID)
    return load_ok(["contract.yaml"])


def test_contract_example_loads_in_file_order(contract: Manifest) -> None:
    assert [r.address for r in contract.resources] == [
        "organization.acme",
        "person.john-doe",
        "deal.acme-renewal-2027",
        "note.acme-kickoff",
        "activity.acme-followup",
    ]
    assert contract.files == ["contract.yaml"]


def test_organization_values_and_positions(contract: Manifest) -> None:
    acme = contract.get("organization", "acme")
    assert acme is not None
    assert acme.fields == {
        "name": "Acme Corporation",
        "address": "123 Main St, Springfield",
        "owner": "alice@example.com",
        "visible_to": "company",
        "fields": {"Industry": "Manufacturing"},
    }
    assert (acme.id, acme.absent, acme.protect) == (None, False, False)
    assert acme.pos == Position("contract.yaml", 2, 3)
    assert acme.field_pos["name"] == Position("contract.yaml", 3, 11)
    assert acme.field_pos["fields.Industry"] == Position("contract.yaml", 8, 17)


def test_person_reference_lists(contract: Manifest) -> None:
    john = contract.get("person", "john-doe")
    assert john is not None
    assert john.fields["org"] == Reference("organization", "acme", None, Position("contract.yaml", 13, 10))
    assert john.fields["emails"] == ["john@acme.com"]
    assert john.fields["phones"] == ["+1 555 0100"]


def test_deal_number_date_refs_and_custom(contract: Manifest) -> None:
    deal = contract.get("deal", "acme-renewal-2027")
    assert deal is not None
    assert deal.fields["value"] == 50000 and isinstance(deal.fields["value"], int)
    assert deal.fields["expected_close_date"] == "2027-01-31"  # unquoted YAML date → text
    assert deal.fields["person"].key == "john-doe" and deal.fields["person"].kind == "person"
    assert deal.fields["fields"] == {"Lead source": "Referral"}
    assert list(deal.fields) == [
        "title", "value", "currency", "org", "person", "pipeline", "stage", "status",
        "expected_close_date", "owner", "fields",
    ]  # fmt: skip


def test_activity_time_unquoted_is_text_not_sexagesimal(contract: Manifest) -> None:
    act = contract.get("activity", "acme-followup")
    assert act is not None
    assert act.fields["due_time"] == "14:00"  # written unquoted in the fixture
    assert act.fields["duration"] == "00:30"
    assert act.fields["due_date"] == "2026-12-01"
    assert act.fields["done"] is False
    assert [act.fields[k].key for k in ("deal", "person")] == ["acme-renewal-2027", "john-doe"]


def test_note(contract: Manifest) -> None:
    note = contract.get("note", "acme-kickoff")
    assert note is not None
    assert note.fields["pinned"] is True
    assert note.fields["content"] == "Kickoff: pricing and timeline agreed."
    assert note.address == "note.acme-kickoff"


def test_directory_is_read_recursively_sorted_skipping_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    manifest = load_ok(["tree"])  # tree/.hidden/broken.yaml would fail if it were read
    assert manifest.files == ["tree/b.yaml", "tree/sub/a.yml"]
    assert [r.address for r in manifest.resources] == [
        "person.zed",
        "organization.alpha",
        "organization.beta",
        "deal.gamma",
        "activity.delta",
    ]


def test_directory_display_path_keeps_what_the_user_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    assert load_ok(["tree/"]).files == ["tree/b.yaml", "tree/sub/a.yml"]
    assert load_ok([VALID / "tree"]).files == [str(VALID / "tree" / "b.yaml"), str(VALID / "tree/sub/a.yml")]


def test_merge_keys_null_id_pin_and_id_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    manifest = load_ok(["tree"])
    alpha, beta = manifest.get("organization", "alpha"), manifest.get("organization", "beta")
    assert alpha is not None and beta is not None
    assert alpha.fields == {"owner": "bob@example.com", "visible_to": "owner", "name": "Alpha", "address": None}
    assert beta.fields["owner"] == "carol@example.com"  # explicit key beats the merged one
    assert beta.fields["name"] == "2027"  # quoted: stays text
    assert beta.id == 42
    gamma = manifest.get("deal", "gamma")
    assert gamma is not None
    assert gamma.fields["org"] == Reference("organization", None, 9, Position("tree/sub/a.yml", 14, 10))
    assert gamma.fields["value"] == 12.5
    assert "pipeline" not in gamma.fields  # stage without pipeline is allowed
    delta = manifest.get("activity", "delta")
    assert delta is not None and delta.fields["due_time"] == "09:30"


def test_same_file_twice_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    manifest = load_ok(["tree", "tree/b.yaml"])
    assert manifest.files == ["tree/b.yaml", "tree/sub/a.yml"]
    assert len(manifest.by_kind("person")) == 1


def test_byte_order_mark_and_yml(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbforganizations:\n  caf\xc3\xa9:\n    name: x\n  cafe:\n    name: Caf\xc3\xa9\n")
    manifest, problems = load_manifests([path])
    assert [p.message.split(":")[0] for p in problems] == ["invalid key 'café'"]
    assert manifest.get("organization", "cafe").fields["name"] == "Café"  # type: ignore[union-attr]


def test_empty_sections_and_absent_resources(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("organizations:\npersons:\n  gone:\n    absent: true\n    emails: [gone@example.com]\n")
    manifest = load_ok([path])
    gone = manifest.get("person", "gone")
    assert gone is not None and gone.absent and gone.fields == {"emails": ["gone@example.com"]}
    assert gone.field_pos["absent"].line == 4


def test_custom_field_shapes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "deals:\n  d:\n    title: D\n    fields:\n"
        "      Contract value: {value: 1500.5, currency: EUR}\n"
        "      Interests: [Events, Newsletter]\n"
        "      Renewal date: 2027-05-01\n"
        "      Seats: 12\n"
        "      Strategic: yes\n"
        "      Notes: null\n"
    )
    deal = load_ok([path]).get("deal", "d")
    assert deal is not None
    assert deal.fields["fields"] == {
        "Contract value": {"value": 1500.5, "currency": "EUR"},
        "Interests": ["Events", "Newsletter"],
        "Renewal date": "2027-05-01",
        "Seats": 12,
        "Strategic": True,
        "Notes": None,
    }
    assert deal.field_pos["fields.Seats"] == Position(str(path), 8, 14)


def test_manifest_get_and_by_kind(contract: Manifest) -> None:
    assert contract.get("person", "acme") is None
    assert contract.get("organization", "acme") is contract.resources[0]
    assert [r.key for r in contract.by_kind("deal")] == ["acme-renewal-2027"]
    contract.resources.append(contract.resources.pop(0))  # index must follow edits
    assert contract.get("organization", "acme") is contract.resources[-1]


def test_examples_are_valid(tmp_path: Path) -> None:
    manifest = load_ok([copy_examples(tmp_path / "examples")])
    counts = {k: len(manifest.by_kind(k)) for k in ("organization", "person", "deal", "note", "activity")}
    assert counts == {"organization": 3, "person": 6, "deal": 6, "note": 4, "activity": 6}
    assert len(manifest.files) == 3
    sales = [d for d in manifest.by_kind("deal") if d.fields["pipeline"] == "Sales"]
    assert len(sales) == 5 and {d.fields["stage"] for d in sales} == {"Qualified", "Negotiation"}
    owners = {r.fields.get("owner") for r in manifest.resources} - {None}
    assert owners == {"alice@example.com", "bob@example.com", "carol@example.com"}
