"""`reconciler pull` (issue 15, "Must show"): five edits made in Pipedrive come back into a copy of
examples/ as exactly five changed values (comments, order and quoting untouched), and the next
plan is empty. Also: conflicts need --prefer, and --add-children adds a note a colleague made."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples_project import BOB, ExamplesProject, apply_examples_once, copy_applied


def git(directory: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True,
                          text=True).stdout


class Project(ExamplesProject):
    def option_id(self, field: str, label: str) -> tuple[str, int]:
        fields = self.api("GET", "/api/v1/dealFields", params={"limit": 500})
        found = next(f for f in fields if f["name"] == field)
        return found["key"], next(o["id"] for o in found["options"] if o["label"] == label)


@pytest.fixture(scope="module")
def applied_examples(tmp_path_factory) -> Path:
    return apply_examples_once(tmp_path_factory)[0]


@pytest.fixture
def project(applied_examples: Path, tmp_path: Path) -> Iterator[Project]:
    path, db = copy_applied(applied_examples, tmp_path)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "applied")
    yield Project(path, db)


def five_ui_edits(project: Project) -> None:
    renewal = project.id("deal", "acme-renewal-2027")
    pilot = project.id("deal", "acme-robotics-pilot")
    key, website = project.option_id("Lead source", "Website")
    project.api("PATCH", f"/api/v2/deals/{renewal}", headers=BOB,
                json={"stage_id": project.stage_id(renewal, "Proposal Made"), "expected_close_date": "2027-02-15"})
    project.api("PATCH", f"/api/v2/deals/{pilot}", headers=BOB,
                json={"title": "Acme robotics pilot, phase 2", "custom_fields": {key: website}})
    followup = project.id("activity", "acme-followup")
    project.api("PATCH", f"/api/v2/activities/{followup}", headers=BOB, json={"due_time": "15:30"})


def test_pull_writes_exactly_the_five_values_changed_in_pipedrive(project: Project) -> None:
    five_ui_edits(project)
    before = {p.name: p.read_text() for p in (project.path / "accounts").glob("*.yaml")}
    result = project.run("pull")
    assert result.code == 0, result.err
    assert "Pulled 5 values into 1 file" in result.out
    assert "changed by Bob Brown <bob@example.com>" in result.out
    diff = git(project.path, "diff", "-U0", "--", "accounts")
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["-    stage: Negotiation", "-    expected_close_date: 2027-01-31",
                       "-    title: Acme robotics pilot", "-      Lead source: Event", '-    due_time: "14:00"'], diff
    assert added == ["+    stage: Proposal Made", "+    expected_close_date: 2027-02-15",
                     "+    title: Acme robotics pilot, phase 2", "+      Lead source: Website", '+    due_time: "15:30"'], diff
    after = (project.path / "accounts" / "acme.yaml").read_text()
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == \
        [line for line in before["acme.yaml"].splitlines() if line.lstrip().startswith("#")]
    for name in ("globex.yaml", "initech.yaml"):
        assert (project.path / "accounts" / name).read_text() == before[name]
    assert project.run("plan", "--detailed-exitcode").code == 0
    # and what Pipedrive changes next is drift again
    renewal = project.id("deal", "acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{renewal}", headers=BOB, json={"value": 1})
    plan = json.loads(project.run("plan", "--format", "json").out)
    assert plan["changes"][0]["fields"]["value"]["drift"] is True



def test_pull_records_what_a_full_plan_of_the_files_it_leaves_records(project: Project) -> None:
    """pull records what is applied from a plan of the files as it leaves them, reading again only
    the file it rewrote (the others are taken from its first load): the lock must be what a
    no-change apply (a full plan, every file read, recorded) makes of the same files."""
    five_ui_edits(project)
    assert project.run("pull").code == 0
    pulled = project.lock()
    result = project.run("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert "No changes" in result.out
    refreshed = project.lock()
    assert pulled["applied"]["deal"]["acme-renewal-2027"] and pulled["vocabulary"]["stage"]
    for part in ("resources", "applied", "vocabulary"):
        assert pulled.get(part) == refreshed.get(part), part


def test_pull_with_nothing_changed_writes_nothing_yet_records_what_it_saw(project: Project) -> None:
    recorded = project.lock()
    lock_file = project.path / "reconciler.lock"
    lock_file.write_text(json.dumps({k: v for k, v in recorded.items() if k != "applied"}, indent=2) + "\n")
    git(project.path, "add", "-A")
    git(project.path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "ids only")
    result = project.run("pull")
    assert result.code == 0 and "Nothing to pull" in result.out
    assert git(project.path, "status", "--porcelain", "--", "accounts") == ""
    assert project.lock()["applied"] == recorded["applied"]  # an ids-only lock: what pull saw is now the record


def test_pull_refuses_a_conflict_unless_told_which_side_wins(project: Project) -> None:
    renewal = project.id("deal", "acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{renewal}", headers=BOB,
                json={"stage_id": project.stage_id(renewal, "Proposal Made")})
    acme = project.path / "accounts" / "acme.yaml"
    acme.write_text(acme.read_text().replace("    stage: Negotiation\n", "    stage: Contact Made\n", 1))
    edited = acme.read_text()
    result = project.run("pull")
    assert result.code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: error: deal 'acme-renewal-2027' field stage: changed in Pipedrive and "
                     r"in the manifests since the last apply \(conflict\); pull --prefer pipedrive", result.err)
    assert acme.read_text() == edited
    kept = project.run("pull", "--prefer", "manifests")
    assert kept.code == 0 and acme.read_text() == edited
    taken = project.run("pull", "--prefer", "pipedrive")
    assert taken.code == 0, taken.err
    assert "    stage: Proposal Made\n" in acme.read_text()
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_add_children_adds_a_note_a_colleague_made_on_a_managed_deal(project: Project) -> None:
    renewal = project.id("deal", "acme-renewal-2027")
    project.api("POST", "/api/v1/notes", headers=BOB, json={"deal_id": renewal, "content": "Call went well."})
    assert project.run("pull").code == 0  # without --add-children: nothing to pull
    result = project.run("pull", "--add-children")
    assert result.code == 0, result.err
    acme = (project.path / "accounts" / "acme.yaml").read_text()
    assert "  acme-renewal-2027-call-went-well:\n    deal: acme-renewal-2027\n    content: Call went well." in acme
    assert project.lock()["resources"]["note"]["acme-renewal-2027-call-went-well"] > 0
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_keeps_a_flow_list_a_flow_list(project: Project) -> None:
    john = project.id("person", "john-doe")
    project.api("PATCH", f"/api/v2/persons/{john}", headers=BOB,
                json={"phones": [{"value": "+1 555 0199", "primary": True, "label": "work"}]})
    assert project.run("pull").code == 0
    diff = git(project.path, "diff", "-U0", "--", "accounts")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == \
        ['-    phones: ["+1 555 0100"]', '+    phones: ["+1 555 0199"]'], diff


def test_pull_rewrites_a_value_where_it_stands_in_a_file_of_any_layout(project: Project) -> None:
    """Issue #28: a changed value is rewritten in place (manifest/spans.py), so a layout the round-trip
    editor could not keep (extra spaces after a colon, which it refused before) is no obstacle: every
    byte but the value's own stays."""
    acme = project.path / "accounts" / "acme.yaml"
    odd = acme.read_text().replace("    title: Acme renewal 2027\n", "    title:    Acme renewal 2027\n", 1)
    acme.write_text(odd)
    renewal = project.id("deal", "acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{renewal}", headers=BOB,
                json={"stage_id": project.stage_id(renewal, "Proposal Made")})
    result = project.run("pull")
    assert result.code == 0, result.err
    assert acme.read_text() == odd.replace("    stage: Negotiation\n", "    stage: Proposal Made\n", 1)


def test_pull_refuses_to_reformat_a_file_it_cannot_write_back_unchanged(project: Project) -> None:
    """Where a structure must be added (here a note a colleague made), the round-trip editor writes the
    file; a layout it cannot keep is refused, never reformatted."""
    acme = project.path / "accounts" / "acme.yaml"
    odd = acme.read_text().replace("    title: Acme renewal 2027\n", "    title:    Acme renewal 2027\n", 1)
    acme.write_text(odd)
    renewal = project.id("deal", "acme-renewal-2027")
    project.api("POST", "/api/v1/notes", headers=BOB, json={"deal_id": renewal, "content": "Call went well."})
    result = project.run("pull", "--add-children")
    assert result.code == 1
    assert "acme.yaml:1:1: error: this file's layout cannot be kept by the round-trip YAML editor" in result.err
    assert acme.read_text() == odd


def test_pull_reads_the_account_once(project: Project) -> None:
    """Issue #28: pull planned twice (plan, write, plan again to refresh the lock: 2x the calls of a
    plan). It now plans the rewritten files against the first plan's reads: the calls of one plan."""
    five_ui_edits(project)
    plan_calls = project.plan_json("--on-drift", "keep")["stats"]["api_calls"]
    result = project.run("pull")
    assert result.code == 0, result.err
    pull_calls = int(re.search(r"API calls: (\d+)", result.out).group(1))
    assert pull_calls == plan_calls, (pull_calls, plan_calls)
    assert project.run("plan", "--detailed-exitcode").code == 0
