"""Clearing an activity's participants (issue 24 item 7): `PATCH /api/v2/activities/{id} {"participants": []}`
leaves the activity with no person, as Pipedrive (its `person_id` is the primary participant); the sandbox
used to keep `person_id`, so the engine planned the same clear after every apply and never converged."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import InProcess, invoke, write_manifests


def _data(person: str | None) -> dict:
    activity: dict = {"subject": "Clearing call", "org": "c-org", "type": "call", "person": person}
    return {
        "organizations": {"c-org": {"name": "Clearing Org"}},
        "persons": {"ann": {"name": "Ann C", "org": "c-org", "emails": ["ann@c.example.com"]}},
        "activities": {"call": activity},
    }


def test_participants_cleared_clear_the_person_over_the_api() -> None:
    sandbox = InProcess()
    try:
        person = sandbox.call("POST", "/api/v2/persons", json={"name": "Ann"})
        activity = sandbox.call("POST", "/api/v2/activities", json={
            "subject": "Call", "type": "call", "participants": [{"person_id": person["id"], "primary": True}]})
        assert activity["person_id"] == person["id"]
        cleared = sandbox.call("PATCH", f"/api/v2/activities/{activity['id']}", json={"participants": []})
        assert (cleared["person_id"], cleared["participants"]) == (None, [])
    finally:
        sandbox.close()


def test_removing_the_person_converges(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", _data("ann"))
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    project = write_manifests(tmp_path / "p", _data(None))
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    result = invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"])
    assert result.code == 0, result.out
