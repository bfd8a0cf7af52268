"""An activity's participants (issue 14, case 5): `participants: [john, jane]`, the first
primary, besides `person`; sent as Pipedrive's v2 `participants`, whose primary is the
activity's person (v2's `person_id` is read-only by the migration guide).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import InProcess, invoke, write_manifests


def _data(participants: list[str] | None, person: str | None = None) -> dict:
    activity = {"subject": "Workshop", "org": "p-org", "type": "meeting"}
    if participants is not None:
        activity["participants"] = participants
    if person is not None:
        activity["person"] = person
    return {
        "organizations": {"p-org": {"name": "Participants Org"}},
        "persons": {"john": {"name": "John P", "org": "p-org", "emails": ["john@p.example.com"]},
                    "jane": {"name": "Jane P", "org": "p-org", "emails": ["jane@p.example.com"]}},
        "activities": {"workshop": activity},
    }


def _live_activity(db: str) -> dict:
    sandbox = InProcess(db)
    try:
        return next(a for a in sandbox.call("GET", "/api/v2/activities") if a["subject"] == "Workshop")
    finally:
        sandbox.close()


def test_participants_apply_plan_clean_and_change(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", _data(["john", "jane"]))
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    live = _live_activity(db)
    people = {p["person_id"]: p["primary"] for p in live["participants"]}
    assert sorted(people.values()) == [False, True] and live["person_id"] == next(k for k, v in people.items() if v)
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0
    project = write_manifests(tmp_path / "p", _data(["jane", "john"]))
    plan = json.loads(invoke(["plan", str(project), "--sandbox", db, "--format", "json"]).out)
    assert [(c["action"], list(c["fields"])) for c in plan["changes"]] == [("update", ["participants"])]
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0
    out = tmp_path / "export"
    assert invoke(["export", "--out", str(out), "--sandbox", db]).code == 0
    assert invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"]).code == 0


def test_person_alone_is_sent_as_the_primary_participant(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", _data(None, person="jane"))
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    live = _live_activity(db)
    assert [p["primary"] for p in live["participants"]] == [True]
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0


def test_person_must_be_the_first_participant(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", _data(["john", "jane"], person="jane"))
    result = invoke(["plan", str(project), "--sandbox", db])
    assert result.code == 1 and "the person must be the first participant" in result.err


def test_validate_checks_participant_references(tmp_path: Path) -> None:
    project = write_manifests(tmp_path / "p", _data(["john", "nobody"]))
    result = invoke(["validate", str(project)])
    assert result.code == 1 and "names person 'nobody', which no manifest declares" in result.out
