"""What the team-day state machine (test_team_day.py) found, each as an ordinary regression test."""

from __future__ import annotations

from tests.conftest import invoke
from tests.examples_project import BOB, ExamplesProject


def test_pull_of_a_deleted_note_whose_key_a_pending_moved_entry_renames(project: ExamplesProject) -> None:
    """Shrunk from a failing day: ops rename a note's key with `moved:` (not applied yet), a
    salesperson deletes the note, `pull` takes the resource out of the manifests. It left the
    `moved:` entry naming the key: the files it had written no longer validated and pull failed
    after writing them. Now the entry goes with the resource, and the next plan is empty."""
    note = project.id("note", "acme-kickoff")
    project.edit("acme.yaml", "  acme-kickoff:\n", "  acme-kickoff-2027:\n")
    with open(project.path / "accounts" / "acme.yaml", "a", encoding="utf-8") as handle:
        handle.write("\nmoved:\n  - {from: note.acme-kickoff, to: note.acme-kickoff-2027}\n")
    project.api("DELETE", f"/api/v1/notes/{note}", headers=BOB)

    pulled = project.run("pull")
    assert pulled.code == 0, pulled.both
    text = (project.path / "accounts" / "acme.yaml").read_text(encoding="utf-8")
    assert "acme-kickoff" not in text and "moved:" not in text
    assert invoke(["validate", str(project.path)]).code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0
