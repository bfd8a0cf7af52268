"""Letting go, reviewed in git (issue 24 item 7): `removed: [{from: KIND.KEY, destroy: false}]`.

Before, a key that left the manifests was deleted from Pipedrive, and the only way to stop
managing an object without deleting it was to trim the lock by hand. A `removed:` entry says
it in a manifest, where the pull request shows it: the plan lists the object as no longer
managed, apply drops its lock entry, and the object stays. `destroy: true` deletes it.
"""

from __future__ import annotations

import pytest

from tests.conftest import invoke
from tests.examples_project import ExamplesProject

PROFILE = ("  acme-org-profile:\n    org: acme\n"
           "    content: Three plants in the Midwest; procurement signs anything above 10k.\n\n")


def _let_go(project: ExamplesProject, entry: str) -> None:
    project.edit("acme.yaml", PROFILE, "")
    with open(project.path / "accounts" / "acme.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"\nremoved:\n  - {entry}\n")


def test_removed_with_destroy_false_stops_managing_without_deleting(project: ExamplesProject) -> None:
    note = project.id("note", "acme-org-profile")
    _let_go(project, "{from: note.acme-org-profile, destroy: false}")
    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "delete"] == []
    assert plan["released"] == [{"kind": "note", "key": "acme-org-profile", "id": note}]
    text = project.run("plan").out
    assert f"note.acme-org-profile (id {note}) will no longer be managed" in text
    markdown = project.run("plan", "--format", "markdown").out
    assert "no longer managed" in markdown and "`note.acme-org-profile`" in markdown

    assert project.run("apply", "--auto-approve").code == 0
    assert "acme-org-profile" not in project.lock()["resources"]["note"]
    assert "acme-org-profile" not in project.lock().get("applied", {}).get("note", {})
    assert project.api("GET", f"/api/v1/notes/{note}")["content"].startswith("Three plants")
    # the entry has done its job: with or without it, nothing more is planned
    assert project.run("plan", "--detailed-exitcode").code == 0
    project.edit("acme.yaml", "\nremoved:\n  - {from: note.acme-org-profile, destroy: false}\n", "\n")
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_without_an_entry_or_with_destroy_true_the_object_is_deleted(project: ExamplesProject) -> None:
    note = project.id("note", "acme-org-profile")
    project.edit("acme.yaml", PROFILE, "")
    (delete,) = [c for c in project.plan_json()["changes"] if c["action"] == "delete"]
    assert (delete["key"], delete["id"]) == ("acme-org-profile", note)
    with open(project.path / "accounts" / "acme.yaml", "a", encoding="utf-8") as handle:
        handle.write("\nremoved:\n  - {from: note.acme-org-profile, destroy: true}\n")
    plan = project.plan_json()
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("delete", "acme-org-profile")]
    assert "released" not in plan


@pytest.mark.parametrize(("entry", "message"), [
    ("{from: note.acme-kickoff, destroy: false}", "removed note.acme-kickoff, which the manifests still declare"),
    ("{from: note.acme-org-profile, destroy: maybe}", "removed 'destroy' must be true or false"),
    ("{from: acme-org-profile}", "removed 'from' must be KIND.KEY"),
    ("{from: note.acme-org-profile, keep: true}", "each 'removed' entry is {from: KIND.KEY, destroy: false|true}"),
])
def test_removed_entries_are_checked_offline(project: ExamplesProject, entry: str, message: str) -> None:
    _let_go(project, entry)
    result = invoke(["validate", str(project.path)])
    assert result.code == 1
    line = next(line for line in result.both.splitlines() if message in line)
    assert line.startswith(str(project.path / "accounts" / "acme.yaml") + ":") and ": error: " in line


def test_the_manifest_schema_knows_removed() -> None:
    from jsonschema import Draft202012Validator

    from reconciler.manifest.schema import manifest_schema

    validator = Draft202012Validator(manifest_schema())
    assert not list(validator.iter_errors({"removed": [{"from": "deal.acme-old", "destroy": False}]}))
    assert list(validator.iter_errors({"removed": [{"from": "deal.acme-old", "destroy": "no"}]}))
