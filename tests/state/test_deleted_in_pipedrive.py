"""Issue 24, reproduction 4: an object deleted in Pipedrive on purpose is drift of the whole object.

`--on-drift keep` does not create it again, `fail` stops naming it, `overwrite` (the default)
creates it again and says so; the markdown plan lists it with the drift, first; `pull` takes
it out of the manifests and the lock, and the next plan is empty.
"""

from __future__ import annotations

import json

from tests.examples_project import BOB, ExamplesProject


def bob_deletes(project: ExamplesProject, kind: str, key: str) -> int:
    object_id = project.id(kind, key)
    path = {"note": f"/api/v1/notes/{object_id}", "activity": f"/api/v2/activities/{object_id}",
            "deal": f"/api/v2/deals/{object_id}"}[kind]
    project.api("DELETE", path, headers=BOB)
    return object_id


def note_contents(project: ExamplesProject) -> list[str]:
    return [n["content"] for n in project.api("GET", "/api/v1/notes", params={"limit": 500})]


def test_keep_leaves_a_deleted_note_deleted(project: ExamplesProject) -> None:
    old_id = bob_deletes(project, "note", "acme-kickoff")
    plan = project.plan_json("--on-drift", "keep")
    assert plan["changes"] == []
    (kept,) = plan["kept"]
    assert (kept["kind"], kept["key"], kept["id"], kept["deleted"]) == ("note", "acme-kickoff", old_id, True)
    text = project.run("plan", "--on-drift", "keep", "--no-color").out
    assert f"note.acme-kickoff (id {old_id}) deleted in Pipedrive" in text
    assert "No changes. The live account matches the manifests." not in text
    assert "1 object deleted in Pipedrive since the last apply, kept as Pipedrive has them" in text
    result = project.run("apply", "--auto-approve", "--on-drift", "keep")
    assert result.code == 0, result.err
    assert not any("Kickoff" in c for c in note_contents(project))
    drift = project.run("plan", "--drift-only", "--detailed-exitcode", "--on-drift", "keep")
    assert drift.code == 2, drift.out


def test_fail_stops_on_a_deleted_activity(project: ExamplesProject) -> None:
    bob_deletes(project, "activity", "acme-followup")
    result = project.run("plan", "--on-drift", "fail")
    assert result.code == 1
    assert "activity 'acme-followup' was deleted in Pipedrive since the last apply" in result.err
    assert "acme.yaml:" in result.err


def test_overwrite_creates_a_deleted_deal_again_and_says_so_first(project: ExamplesProject) -> None:
    old_id = bob_deletes(project, "deal", "globex-support-upgrade")
    project.edit("acme.yaml", "    value: 50000\n", "    value: 51000\n")  # an ordinary change beside it
    markdown = project.run("plan", "--format", "markdown").out
    deleted = markdown.index("deal.globex-support-upgrade")
    assert deleted < markdown.index("deal.acme-renewal-2027")
    assert f"deleted in Pipedrive (it was id {old_id}), will be created again" in markdown
    assert project.run("plan", "--drift-only", "--detailed-exitcode").code == 2
    assert project.run("apply", "--auto-approve").code == 0
    assert project.id("deal", "globex-support-upgrade") != old_id


def test_pull_takes_a_deleted_object_out_of_the_manifests(project: ExamplesProject) -> None:
    old_id = bob_deletes(project, "note", "acme-kickoff")
    result = project.run("pull")
    assert result.code == 0, result.err
    assert f"note.acme-kickoff removed (deleted in Pipedrive, it was id {old_id})" in result.out
    text = (project.path / "accounts" / "acme.yaml").read_text()
    assert "acme-kickoff" not in text and "acme-org-profile" in text
    assert "acme-kickoff" not in json.loads((project.path / "reconciler.lock").read_text())["resources"]["note"]
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_what_names_a_deleted_object_is_left_alone_and_pull_says_so(project: ExamplesProject) -> None:
    bob_deletes(project, "deal", "acme-renewal-2027")  # its note and activity stay in Pipedrive
    text = project.run("plan", "--on-drift", "keep", "--no-color").out
    assert "note.acme-kickoff" in text and "names deal.acme-renewal-2027, deleted in Pipedrive" in text
    assert "2 resources naming a deleted one left as they are" in text
    before = (project.path / "accounts" / "acme.yaml").read_text()
    result = project.run("pull")
    assert result.code == 1
    assert "acme.yaml:73:3: error: note 'acme-kickoff' names deal.acme-renewal-2027" in result.err
    assert (project.path / "accounts" / "acme.yaml").read_text() == before  # nothing written
