"""`moved:` (issue 12, case 5): renaming a key and its name together keeps the object.

Before, it deleted and recreated the object, losing its history in Pipedrive and leaving
what hung off it pointing at a deleted parent. A `moved` entry carries the identity over:
the plan says the key moved and shows only the field updates; once applied the entry can
go. A deletion of an object that live objects outside the manifests point at names them.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import InProcess, invoke, write_manifests

BEFORE = {
    "organizations": {"acme": {"name": "Acme Corporation"}},
    "persons": {"john": {"name": "John", "org": "acme", "emails": ["john@acme.example.com"]}},
}


def test_a_moved_key_renamed_with_its_name_keeps_the_object(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", BEFORE)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    org_id = json.loads((project / "reconciler.lock").read_text())["resources"]["organization"]["acme"]
    after = {
        "organizations": {"acme-corp": {"name": "Acme Corp International"}},
        "persons": {"john": {"name": "John", "org": "acme-corp", "emails": ["john@acme.example.com"]}},
    }
    write_manifests(project, after)
    (project / "moves.yaml").write_text("moved:\n  - {from: organization.acme, to: organization.acme-corp}\n",
                                        encoding="utf-8")
    text = invoke(["plan", str(project), "--sandbox", db])
    assert text.code == 0, text.both
    assert "organization.acme has moved to organization.acme-corp" in text.out
    plan = json.loads(invoke(["plan", str(project), "--sandbox", db, "--format", "json"]).out)
    assert [(c["action"], c["key"], c["id"], list(c["fields"])) for c in plan["changes"]] == [
        ("update", "acme-corp", org_id, ["name"])]
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    lock = json.loads((project / "reconciler.lock").read_text())["resources"]["organization"]
    assert lock == {"acme-corp": org_id}
    (project / "moves.yaml").unlink()  # once applied, the entry can go
    again = invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"])
    assert again.code == 0, again.both


def test_moved_entries_are_checked_offline(tmp_path: Path) -> None:
    project = write_manifests(tmp_path / "p", BEFORE)
    (project / "moves.yaml").write_text(
        "moved:\n  - {from: organization.acme, to: organization.nowhere}\n"
        "  - {from: organization.old, to: person.john}\n"
        "  - {from: orgs, to: organization.acme}\n", encoding="utf-8")
    result = invoke(["validate", str(project)])
    assert result.code == 1
    assert "moved to organization.nowhere, which no manifest declares" in result.out
    assert "moved from organization.acme, which the manifests still declare" in result.out
    assert "a key moves within its kind" in result.out
    assert "moved 'from' must be KIND.KEY" in result.out


def test_a_delete_names_the_live_objects_it_orphans(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", BEFORE)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    org_id = json.loads((project / "reconciler.lock").read_text())["resources"]["organization"]["acme"]
    sandbox = InProcess(db)
    try:  # made in the UI, not in the manifests
        person = sandbox.call("POST", "/api/v2/persons", json={"name": "Jane UI", "org_id": org_id})["id"]
        note = sandbox.call("POST", "/api/v1/notes", json={"content": "From the UI", "org_id": org_id})["id"]
    finally:
        sandbox.close()
    write_manifests(project, {"persons": {"john": {"name": "John", "emails": ["john@acme.example.com"]}}})
    text = invoke(["plan", str(project), "--sandbox", db])
    assert text.code == 0, text.both
    assert f"orphans 2 objects not in the manifests: person {person}, note {note}" in text.out
    plan = json.loads(invoke(["plan", str(project), "--sandbox", db, "--format", "json"]).out)
    delete = next(c for c in plan["changes"] if c["action"] == "delete")
    assert delete["orphans"] == [f"person {person}", f"note {note}"]
