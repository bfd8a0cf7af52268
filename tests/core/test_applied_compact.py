"""The lock's last-applied digests held compact in memory (reconciler/appliedform.py, issue 28).

A lock read holds each resource's digests as one string with field names shared by every resource
of the same fields; it must stand for the same dict everywhere (equality, lookups, the journal, the
file written back), leave every other part of the lock plain, and make the same plans.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest

from reconciler.appliedform import AppliedDigests, Packer
from reconciler.lock import LockFile
from reconciler.lockcheck import LockError
from tests.examples_project import BOB, ExamplesProject, examples_fixtures

DEAL_A = {"currency": "2b42c6c8", "stage": "e0dd43bb", "title": "17efeda8"}
DEAL_B = {"currency": "2b42c6c8", "stage": "ba323482", "title": "757d2f9a"}

# A lock exactly as reconciler wrote it before digests were held compact (format_version 1, the
# format this change keeps): it must read the same and be written back byte for byte.
OLD_LOCK = """{
  "format_version": 1,
  "account": {
    "company_id": 7,
    "company_name": "Acme"
  },
  "resources": {
    "deal": {
      "a": 1,
      "b": 2,
      "c": 3
    },
    "lead": {
      "hot": "0b8e2f4c-7a7e-4c1e-9c39-2f1e0c5b6a11"
    }
  },
  "protected": {},
  "vocabulary": {
    "activity_type": {
      "Call": "call_1",
      "Demo": "demo_1"
    }
  },
  "applied": {
    "deal": {
      "a": {"currency":"2b42c6c8","stage":"e0dd43bb","title":"17efeda8"},
      "b": {"currency":"2b42c6c8","stage":"ba323482","title":"757d2f9a"},
      "c": {"password":"pbkdf2-sha256$long-digest","title":"0000000c"}
    },
    "lead": {
      "hot": {"title":"0000000d"}
    }
  }
}
"""


def _old_lock(tmp_path: Path) -> Path:
    path = tmp_path / "reconciler.lock"
    path.write_text(OLD_LOCK, encoding="utf-8")
    return path


def test_a_lock_holds_each_resources_digests_compact_and_equal_to_their_dict(tmp_path: Path) -> None:
    lock = LockFile.read(_old_lock(tmp_path))
    a, b = lock.applied["deal"]["a"], lock.applied["deal"]["b"]
    assert isinstance(a, AppliedDigests) and isinstance(b, AppliedDigests)
    assert a._layout is b._layout  # one set of field names for both
    assert a == DEAL_A and DEAL_A == a and b == DEAL_B and a != b and a != DEAL_B
    assert dict(a) == DEAL_A and a.as_dict() == DEAL_A and list(a) == list(DEAL_A) and len(a) == 3
    assert list(a.items()) == list(DEAL_A.items()) and list(a.values()) == list(DEAL_A.values())
    assert list(a.keys()) == list(DEAL_A)
    assert a["stage"] == a.get("stage") == "e0dd43bb" and "stage" in a
    assert a.get("value") is None and a.get("value", "-") == "-" and "value" not in a
    with pytest.raises(KeyError):
        a["value"]  # noqa: B018
    assert repr(a) == repr(DEAL_A)
    assert copy.deepcopy(a) == DEAL_A and type(copy.copy(a)) is dict  # copies are the dict it stands for
    assert pickle.loads(pickle.dumps(a)) == DEAL_A
    assert json.dumps(a.as_dict()) == json.dumps(DEAL_A)
    # digests of different lengths (a hand-edited lock, a webhook's password record) stay a dict
    assert type(lock.applied["deal"]["c"]) is dict
    assert lock.applied == {"deal": {"a": DEAL_A, "b": DEAL_B,
                                     "c": {"password": "pbkdf2-sha256$long-digest", "title": "0000000c"}},
                            "lead": {"hot": {"title": "0000000d"}}}


def test_every_other_part_of_the_lock_stays_plain(tmp_path: Path) -> None:
    """Objects of strings alone elsewhere (a lead's UUIDs, activity type keys, the account) are dicts."""
    lock = LockFile.read(_old_lock(tmp_path))
    assert type(lock.resources["lead"]) is dict and lock.resources["lead"]["hot"].startswith("0b8e")
    assert type(lock.vocabulary["activity_type"]) is dict
    assert lock.vocabulary == {"activity_type": {"Call": "call_1", "Demo": "demo_1"}}
    assert type(lock.account) is dict and type(lock.applied) is dict and type(lock.applied["deal"]) is dict
    path = tmp_path / "named.lock"
    path.write_text('{"format_version": 1, "account": {"company_name": "Acme"}}', encoding="utf-8")
    assert type(LockFile.read(path).account) is dict


@pytest.mark.parametrize(("text", "message"), [
    ('{"format_version": 1, "applied": {"deal": {"a": "00000001"}}}',
     "applied.deal.a must map field names to digests (strings)"),
    ('{"format_version": 1, "applied": {"deal": {"a": {"title": 1}}}}',
     "applied.deal.a must map field names to digests (strings)"),
    ('{"format_version": 1, "applied": {"deal": "00000001"}}', "applied.deal must map keys to {field: digest}"),
    ('{"format_version": 1, "applied": "00000001"}', "applied must map kinds to {key: {field: digest}}"),
    ('{"format_version": "2", "account": "x"}', "format_version '2' cannot be read"),
    ('{"format_version": 1, "resources": {"lead": {"a": "b"}}}', "lead 'a': \"b\" is not a lead id"),
])
def test_a_broken_lock_is_refused_as_before(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "reconciler.lock"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LockError, match="reconciler.lock:1: error: ") as caught:
        LockFile.read(path)
    assert message in str(caught.value)


def test_an_old_lock_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    lock = LockFile.read(_old_lock(tmp_path))
    lock.save()
    assert lock.path.read_text(encoding="utf-8") == OLD_LOCK
    again = LockFile.read(lock.path)
    assert again.applied == lock.applied and again.resources == lock.resources


def test_the_journal_writes_compact_digests_as_their_dict(tmp_path: Path) -> None:
    """A key renamed (moved:) carries what was applied: a compact record, journalled as JSON and
    replayed after a crash as the same dict."""
    lock = LockFile.read(_old_lock(tmp_path))
    lock.record("deal", "a-renamed", 1)  # the id of "a": "a" goes, its digests move
    lock.record_applied_many([("deal", "b", dict(DEAL_B)), ("deal", "c", {"title": "0000000e"})])
    lines = [json.loads(line) for line in lock.journal_path.read_text(encoding="utf-8").splitlines()]
    assert {"applied": ["deal", "a-renamed", DEAL_A]} in lines
    assert not any(entry.get("applied", [None, None])[1] == "b" for entry in lines)  # unchanged: not written
    replayed = LockFile.read(lock.path)  # the crash: the lock as it was, and the journal
    assert replayed.applied["deal"]["a-renamed"] == DEAL_A and "a" not in replayed.applied["deal"]
    assert replayed.applied["deal"]["c"] == {"title": "0000000e"}
    replayed.save()
    assert json.loads(lock.path.read_text(encoding="utf-8"))["applied"]["deal"]["a-renamed"] == DEAL_A


def test_the_packer_keeps_a_dict_where_it_cannot_pack() -> None:
    packer = Packer()
    assert packer.pack({}) == {} and type(packer.pack({})) is dict
    assert type(packer.pack({"a": "", "b": ""})) is dict  # nothing to slice
    assert type(packer.pack({"a": "12", "b": "123"})) is dict
    with pytest.raises(TypeError):
        packer.pack({"a": 1})
    same = packer.pack({"x": "ab", "y": "cd"})
    assert isinstance(same, AppliedDigests) and same == {"x": "ab", "y": "cd"}
    assert isinstance(same._packed, bytes)  # hexadecimal: half the memory
    assert packer.pack({"x": "ef", "y": "01"})._layout is same._layout
    assert packer.pack({"y": "ef", "x": "01"}) == {"x": "01", "y": "ef"}  # another order, another layout
    for text in ({"x": "gh", "y": "ij"}, {"x": "AB", "y": "cd"}, {"x": "a ", "y": "cd"}, {"x": "abc", "y": "def"}):
        kept = packer.pack(text)  # not lower-case hexadecimal (or of odd length): kept as a string
        assert isinstance(kept, AppliedDigests) and isinstance(kept._packed, str)
        assert kept == text and dict(kept) == text and kept["y"] == text["y"]


class Project(ExamplesProject):
    def deal_id(self, key: str) -> int:
        return self.id("deal", key)


applied_examples, project = examples_fixtures(Project)


def _comparable(plan: dict) -> dict:
    return {k: v for k, v in plan.items() if k not in ("created_at", "stats", "digest")}  # digest: of created_at too


@pytest.mark.parametrize("on_drift", ["overwrite", "keep"])
def test_compact_digests_make_the_same_plan_as_dicts(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                     on_drift: str) -> None:
    """Drift (Pipedrive moved), a conflict (both moved) and a change made in git: the plan from a
    lock read compact is the plan from the same lock read as dicts, field by field."""
    deal_id = project.deal_id("acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{deal_id}", json={"title": "Renamed in the UI", "value": 1},
                headers=BOB)
    project.edit("acme.yaml", "    value: 50000\n", "    value: 60000\n")
    args = ["--on-drift", on_drift]
    compact = project.plan_json(*args)
    fields = compact["changes"][0]["fields"] if compact["changes"] else {}
    assert compact["summary"]["drift"] + compact["summary"]["conflict"] >= 1, compact
    assert {"title", "value"} <= set(fields) if on_drift == "overwrite" else compact["kept"]
    monkeypatch.setattr(Packer, "pack", lambda self, fields: dict(fields))  # every record a dict, as before
    assert type(LockFile.read(project.path / "reconciler.lock").applied["deal"]["acme-renewal-2027"]) is dict
    eager = project.plan_json(*args)
    assert _comparable(eager) == _comparable(compact)


def test_a_compact_record_compares_with_a_dict_field_by_field() -> None:
    packer = Packer()
    for digests in ({"a": "00000001", "b": "0000000f"}, {"a": "zz", "b": "yy"}):
        packed = packer.pack(digests)
        assert isinstance(packed, AppliedDigests) and packed == dict(digests)
        assert packed == dict(reversed(digests.items()))  # order does not matter, as for dicts
        first, second = digests.values()
        assert packed != {"a": first}  # a field fewer
        assert packed != {**digests, "c": first}  # a field more
        assert packed != {"a": first, "c": second}  # another field
        assert packed != {"a": first, "b": 1}  # not a string
        assert packed != {"a": first + second[:1], "b": second[1:]}  # the same characters, cut elsewhere
        assert packed != {"a": second, "b": first}
        assert not (packed == {"a": first, "b": None})
