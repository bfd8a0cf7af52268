"""Issue 24, item 7 (engine parts): the smaller failures of the same day, each as it was seen."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke
from tests.examples_project import BOB, ExamplesProject


def test_the_option_removal_guard_counts_leads_too(project: ExamplesProject) -> None:
    project.edit("initech.yaml", "    expected_close_date: 2027-02-15\n    labels: [Warm]\n",
                 "    expected_close_date: 2027-02-15\n    labels: [Warm]\n    fields:\n      Lead source: Website\n")
    assert project.run("apply", "--auto-approve").code == 0
    (project.path / "shape.yaml").write_text(
        "custom_fields:\n  lead-source:\n    kind: deal\n    name: Lead source\n    type: enum\n"
        "    options: [Referral, Cold call, Event, Partner]\n")
    project.edit("initech.yaml", "    labels: [Warm]\n    fields:\n      Lead source: Website\n",
                 "    labels: [Warm]\n")
    project.edit("globex.yaml", "      Lead source: Website\n", "      Lead source: Cold call\n")  # moved off it
    result = project.run("plan")
    assert result.code == 1, result.out
    assert "'Website' is used by 1 live lead" in result.err


def test_pull_works_on_a_file_that_uses_null(project: ExamplesProject) -> None:
    project.edit("acme.yaml", "    status: open\n", "    status: open\n    lost_reason: null\n")
    assert project.run("apply", "--auto-approve").code == 0
    deal = project.id("deal", "acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"value": 52000}, headers=BOB)
    result = project.run("pull")
    assert result.code == 0, result.err
    text = (project.path / "accounts" / "acme.yaml").read_text()
    assert "value: 52000" in text and "    lost_reason: null\n" in text


def test_export_does_not_manage_lost_time(project: ExamplesProject, tmp_path: Path) -> None:
    deal = project.id("deal", "globex-reseller")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"status": "lost", "lost_reason": "Budget"}, headers=BOB)
    out = tmp_path / "exported"
    assert invoke(["export", "--out", str(out), "--sandbox", str(project.db)]).code == 0
    texts = "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "lost_time" not in texts and "lost_reason: Budget" in texts


def test_pulling_a_deal_that_became_lost_writes_its_lost_reason(project: ExamplesProject) -> None:
    deal = project.id("deal", "globex-reseller")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"status": "lost", "lost_reason": "Budget"}, headers=BOB)
    result = project.run("pull")
    assert result.code == 0, result.err
    text = (project.path / "accounts" / "globex.yaml").read_text()
    assert "status: lost" in text and "lost_reason: Budget" in text
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_drift_only_does_not_list_moved_entries(project: ExamplesProject) -> None:
    for name in ("acme.yaml", "globex.yaml", "initech.yaml"):
        path = project.path / "accounts" / name
        path.write_text(path.read_text().replace("acme-kickoff", "acme-kick-off"))
    (project.path / "moved.yaml").write_text("moved:\n  - {from: note.acme-kickoff, to: note.acme-kick-off}\n")
    plan = project.plan_json("--drift-only")
    assert plan["moved"] == [] and plan["changes"] == []
    text = project.run("plan", "--drift-only", "--no-color").out
    assert "has moved" not in text


def test_a_keep_plan_says_what_it_keeps_instead_of_no_changes(project: ExamplesProject) -> None:
    deal = project.id("deal", "acme-renewal-2027")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"value": 1}, headers=BOB)
    text = project.run("plan", "--on-drift", "keep", "--no-color").out
    assert "No changes. The live account matches the manifests." not in text
    assert "1 object changed in Pipedrive since the last apply, kept as Pipedrive has them" in text
    plan = json.loads(project.run("plan", "--on-drift", "keep", "--format", "json").out)
    assert plan["kept"][0]["fields"]["value"]["drift"] is True
