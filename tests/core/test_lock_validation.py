"""A mangled lock or journal is named line by line, never a traceback, never a silent drop
(issue 13, case 3), and a key maps to one id (issue 12, case 4).

The cases of the issue, each through `LockFile.read` and through the CLI (one line per
problem, exit 1, nothing written); then hypothesis mutates valid locks and journals.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.lock import LockError, LockFile
from tests.conftest import invoke

GOOD = {
    "format_version": 1,
    "account": {"company_id": 7, "company_name": "Example"},
    "resources": {"organization": {"acme": 1, "globex": 2}, "deal": {"acme-renewal": 5}},
    "protected": {"organization": ["acme"]},
}
LINE = re.compile(r"^.+reconciler\.lock(\.journal)?:\d+: (error|warning): \S.*$")


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "reconciler.lock"
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(account="Example"), "account must be {company_id: N, company_name: TEXT} or null"),
    (lambda d: d["resources"]["deal"].update({"acme-renewal": "5"}), "deal 'acme-renewal': \"5\" is not a deal id"),
    (lambda d: d["resources"]["deal"].update({"acme-renewal": True}), "deal 'acme-renewal': true is not a deal id"),
    (lambda d: d["resources"].update(orgnization={"x": 3}), "unknown kind 'orgnization'; did you mean 'organization'?"),
    (lambda d: d.update(format_version=99), "format_version 99 cannot be read by this version"),
])
def test_each_malformed_entry_is_named_with_its_line(tmp_path: Path, edit, message) -> None:
    data = json.loads(json.dumps(GOOD))
    edit(data)
    path = _write(tmp_path, data)
    with pytest.raises(LockError) as caught:
        LockFile.read(path)
    lines = str(caught.value).splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert message in str(caught.value)
    text = path.read_text(encoding="utf-8").splitlines()
    number = int(lines[0].split(":")[1])
    needle = message.split("'")[1] if "'" in message else message.split()[0]
    assert needle.split()[0].strip('"') in text[number - 1] or number == 1


def test_a_merge_conflict_says_how_to_resolve_it(tmp_path: Path) -> None:
    text = json.dumps(GOOD, indent=2).replace('      "globex": 2',
                                              '<<<<<<< HEAD\n      "globex": 2\n=======\n      "initech": 3\n>>>>>>> branch')
    path = _write(tmp_path, text)
    with pytest.raises(LockError) as caught:
        LockFile.read(path)
    assert "git conflict markers" in str(caught.value) and "Keep the entries of both sides" in str(caught.value)


def test_the_cli_reports_a_bad_lock_in_one_line_per_problem_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "m.yaml").write_text("organizations:\n  acme: {name: Acme}\n", encoding="utf-8")
    bad = json.loads(json.dumps(GOOD))
    bad["resources"]["deal"]["acme-renewal"] = "5"
    bad["account"] = "x"
    _write(project, bad)
    before = (project / "reconciler.lock").read_text(encoding="utf-8")
    result = invoke(["apply", str(project), "--auto-approve", "--sandbox", str(tmp_path / "s.db")])
    assert result.code == 1
    assert "Traceback" not in result.both
    errors = [line for line in result.err.splitlines() if line.strip()]
    assert len(errors) == 2 and all(LINE.match(line) for line in errors), errors
    assert (project / "reconciler.lock").read_text(encoding="utf-8") == before


def test_journal_problems_are_warnings_and_skip_only_themselves(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    journal = [
        json.dumps({"account": {"company_id": 7, "company_name": "Example"}}),
        json.dumps({"set": ["deal", "a"]}),
        json.dumps({"set": ["deal", "b", "x"]}),
        json.dumps({"set": ["deal", "c", 9]}),
        '{"set": ["deal", "d", 1',
    ]
    (tmp_path / "reconciler.lock.journal").write_text("\n".join(journal) + "\n", encoding="utf-8")
    lock = LockFile.read(path)
    assert lock.id_for("deal", "c") == 9 and lock.id_for("deal", "a") is None
    assert len(lock.warnings) == 3 and all(LINE.match(w) for w in lock.warnings), lock.warnings
    assert "cut short" in lock.warnings[-1]


def test_a_journal_of_another_account_is_reported_not_replayed(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    (tmp_path / "reconciler.lock.journal").write_text(
        json.dumps({"account": {"company_id": 8, "company_name": "Other"}}) + "\n"
        + json.dumps({"set": ["deal", "z", 77]}) + "\n", encoding="utf-8")
    lock = LockFile.read(path)
    assert lock.id_for("deal", "z") is None
    assert "belongs to company 8, not to the lock's company 7" in lock.warnings[0]


def test_a_key_maps_to_one_id_and_an_id_to_one_key(tmp_path: Path) -> None:
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 7, "company_name": "X"})
    lock.record("organization", "acme", 1)
    lock.record("organization", "acme-corp", 1)  # a rename adopts the same object under a new key
    assert lock.resources["organization"] == {"acme-corp": 1}
    assert LockFile.read(tmp_path / "reconciler.lock").resources["organization"] == {"acme-corp": 1}


def test_lead_ids_are_uuids_in_the_lock(tmp_path: Path) -> None:
    from reconciler import kinds

    if "lead" not in kinds.BY_NAME:
        pytest.skip("leads are not a kind yet")
    data = json.loads(json.dumps(GOOD))
    data["resources"]["lead"] = {"big-lead": "6a1f5b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"}
    assert LockFile.read(_write(tmp_path, data)).id_for("lead", "big-lead") == "6a1f5b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"


# -- fuzz: random mutations of valid locks and journals -------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID_TEXT = json.dumps(GOOD, indent=2)
VALID_JOURNAL = "\n".join([json.dumps({"account": GOOD["account"]}), json.dumps({"set": ["deal", "x", 3]}),
                           json.dumps({"del": ["organization", "globex"]})]) + "\n"


@st.composite
def mutated(draw, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "truncate", "insert"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "truncate":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        else:
            noise = draw(st.one_of(
                st.sampled_from(['"deal": {', "}", "]", "true", "null", '"5"', "<<<<<<< HEAD", "=======",
                                 '"account": "x",', '"format_version": 2,', '{"set": ["lead", "k", 1]}', "-1", "1e99"]),
                st.text(alphabet=string.printable, max_size=20)))
            if action == "replace":
                lines[index] = noise
            else:
                lines.insert(index, noise)
    return "\n".join(lines) + "\n"


@FUZZ
@given(lock_text=mutated(VALID_TEXT), journal_text=mutated(VALID_JOURNAL))
def test_mutated_locks_and_journals_never_raise_anything_but_lock_errors(tmp_path: Path, lock_text, journal_text) -> None:
    path = tmp_path / "reconciler.lock"
    path.write_text(lock_text, encoding="utf-8")
    (tmp_path / "reconciler.lock.journal").write_text(journal_text, encoding="utf-8")
    try:
        lock = LockFile.read(path)
    except LockError as exc:
        assert all(LINE.match(line) for line in str(exc).splitlines()), str(exc)
        return
    assert all(LINE.match(w) for w in lock.warnings), lock.warnings
    for _kind, _key, object_id in lock.entries():
        assert isinstance(object_id, int) and not isinstance(object_id, bool) and object_id > 0
