"""Identity as data (issues 12, 13, 16): natural keys come from the kinds table, every
problem is reported at once, and ids are opaque values.

Fast unit tests: resources are loaded from small manifests, live objects are canonical
dicts as the adapters make them; no sandbox.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler import identity, kinds
from reconciler.identity import IdentityError, desired_keys, live_keys, match, same_key_problems
from reconciler.lock import LockFile
from reconciler.manifest import load_manifests


def _load(tmp_path: Path, text: str):
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    manifest, problems = load_manifests([str(tmp_path / "m.yaml")])
    assert not problems, problems
    return manifest.resources


def test_identity_reads_the_match_keys_of_the_kinds_table(monkeypatch, tmp_path: Path) -> None:
    """Changing a kind's match_keys changes identity: nothing is hard-coded elsewhere."""
    res = _load(tmp_path, "organizations:\n  acme:\n    name: Acme  Corp\n    address: 1 Main St\n")
    assert desired_keys(res[0], {}) == [("name", "acme corp")]
    changed = dataclasses.replace(kinds.ORGANIZATION, match_keys=(("address",),))
    monkeypatch.setitem(kinds.BY_NAME, "organization", changed)
    assert desired_keys(res[0], {}) == [("address", "1 main st")]
    assert live_keys("organization", {"id": 1, "name": "X", "address": "1 MAIN  st"}) == [("address", "1 main st")]


def test_natural_keys_per_kind(tmp_path: Path) -> None:
    res = {r.address: r for r in _load(tmp_path, """
organizations:
  acme: {name: Acme}
persons:
  john: {name: John Doe, emails: [John@Acme.com], org: acme}
  jane: {name: Jane Roe, org: acme}
  solo: {name: Solo}
deals:
  d1: {title: Renewal, org: acme}
  d2: {title: Pilot, person: jane}
  d3: {title: Loose}
notes:
  n1: {deal: d1, content: "a & b"}
activities:
  a1: {subject: Call, deal: d1}
""")}
    matched = {("organization", "acme"): 7, ("person", "jane"): 8, ("deal", "d1"): 9}
    assert desired_keys(res["person.john"], matched) == [("emails", "john@acme.com")]
    assert desired_keys(res["person.jane"], matched) == [("name+org", "jane roe", 7)]
    assert desired_keys(res["person.solo"], matched) == [("name", "solo")]
    assert desired_keys(res["deal.d1"], matched) == [("title+org", "renewal", 7)]
    assert desired_keys(res["deal.d2"], matched) == [("title+person", "pilot", 8)]
    assert desired_keys(res["deal.d3"], matched) == [("title", "loose")]
    assert desired_keys(res["note.n1"], matched) == [("@parent+content", "deal", 9, "a & b")]
    assert desired_keys(res["activity.a1"], matched) == [("subject+due_date+@parent", "call", None, "deal", 9)]
    # a parent that is not live yet: nothing can match, and no other rule is tried
    assert desired_keys(res["deal.d1"], {}) == []
    assert desired_keys(res["person.jane"], {}) == []


def test_live_keys_cover_every_rule_and_parent() -> None:
    note = {"id": 1, "content": "a &amp; b", "deal_id": 9, "person_id": 8, "org_id": None}
    assert live_keys("note", note) == [("@parent+content", "deal", 9, "a & b"), ("@parent+content", "person", 8, "a & b")]
    person = {"id": 2, "name": "Jane  Roe", "org_id": 7, "emails": [{"value": "x@y.com", "primary": False},
                                                                     {"value": "J@Y.com", "primary": True}]}
    assert live_keys("person", person) == [("emails", "j@y.com"), ("name+org", "jane roe", 7), ("name", "jane roe")]


def test_every_identity_problem_is_reported_at_once(tmp_path: Path) -> None:
    res = _load(tmp_path, """
organizations:
  a: {name: Twin}
  b: {name: Other}
persons:
  p: {name: P, emails: [p@x.com]}
""")
    live = {
        "organization": {1: {"id": 1, "name": "Twin"}, 2: {"id": 2, "name": "twin"},
                         3: {"id": 3, "name": "Other"}, 4: {"id": 4, "name": "OTHER"}},
        "person": {5: {"id": 5, "name": "P", "emails": [{"value": "p@x.com", "primary": True}]},
                   6: {"id": 6, "name": "Q", "emails": [{"value": "P@x.com", "primary": True}]}},
    }
    with pytest.raises(IdentityError) as caught:
        match(res, live, None)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 3, messages
    assert messages[0].startswith(f"{tmp_path / 'm.yaml'}:3:3: error: organization 'a' matches 2 live objects (ids 1, 2)")
    assert "organization 'b' matches 2 live objects (ids 3, 4)" in messages[1]
    assert "person 'p' matches 2 live objects (ids 5, 6)" in messages[2]


def test_ids_are_opaque_values(tmp_path: Path) -> None:
    res = _load(tmp_path, "organizations:\n  acme: {name: Acme}\n")
    uuid = "6a1f5b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"
    ident = match(res, {"organization": {uuid: {"id": uuid, "name": "Acme"}}}, None)
    assert ident.ids == {("organization", "acme"): uuid}
    lock = LockFile(path=tmp_path / "reconciler.lock")
    lock.resources = {"organization": {"acme": uuid}}
    assert match(res, {"organization": {uuid: {"id": uuid, "name": "Renamed"}}}, lock).matches[
        ("organization", "acme")].how == "lock"


def test_same_key_problems_spare_resources_found_by_id_or_lock(tmp_path: Path) -> None:
    res = _load(tmp_path, """
deals:
  pilot: {title: Pilot}
  pilot-2: {title: Pilot}
""")
    assert len(same_key_problems(res, None)) == 1
    lock = LockFile(path=tmp_path / "reconciler.lock")
    lock.resources = {"deal": {"pilot": 1, "pilot-2": 2}}
    assert same_key_problems(res, lock) == []  # an exported account with two deals of one title


def test_declared_parent_prefers_the_kinds_table_order(tmp_path: Path) -> None:
    res = _load(tmp_path, """
organizations:
  o: {name: O}
deals:
  d: {title: D, org: o}
activities:
  a: {subject: S, org: o, deal: d}
""")
    assert identity.declared_parent(res[-1]) == "deal"
