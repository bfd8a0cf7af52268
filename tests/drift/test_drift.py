"""Three-way plans (issue 15, "Must show"): drift, conflicts, ignore_changes, --on-drift, --drift-only.

examples/ is applied once per module to its own sandbox database; each test starts from a
copy of that database and project. Changes "made in Pipedrive" go through the sandbox's API
as Bob (the sandbox-only `X-Sandbox-User` header), so the plan can name who made them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import InProcess, invoke
from tests.examples_project import BOB, ExamplesProject, examples_fixtures


class Project(ExamplesProject):
    """A copy of examples/ applied to its own sandbox database."""

    def deal_id(self, key: str) -> int:
        return self.id("deal", key)

    def bob_moves(self, key: str, stage: str) -> None:
        deal_id = self.deal_id(key)
        self.api("PATCH", f"/api/v2/deals/{deal_id}", json={"stage_id": self.stage_id(deal_id, stage)}, headers=BOB)


applied_examples, project = examples_fixtures(Project)


def test_the_lock_records_each_declared_field_one_line_per_resource(project: Project) -> None:
    lock = project.lock()
    applied = lock["applied"]["deal"]["acme-renewal-2027"]
    assert set(applied) == {"title", "value", "currency", "org", "person", "pipeline", "stage", "status",
                            "expected_close_date", "owner", "fields.Lead source", "fields.Contract value"}
    assert all(re.fullmatch(r"[0-9a-f]{8}", digest) for digest in applied.values())
    assert set(lock["applied"]["deal"]) == set(lock["resources"]["deal"])
    text = (project.path / "reconciler.lock").read_text()
    line = next(line for line in text.splitlines() if line.strip().startswith('"acme-renewal-2027": {"'))
    assert json.loads("{" + line.strip().rstrip(",") + "}")["acme-renewal-2027"] == applied
    summary = project.plan_json()["summary"]
    assert (summary["create"], summary["update"], summary["delete"]) == (0, 0, 0) and "drift" not in summary


def test_a_field_changed_in_pipedrive_is_drift_named_with_who_and_when(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert (change["kind"], change["key"], change["action"]) == ("deal", "acme-renewal-2027", "update")
    stage = change["fields"]["stage"]
    assert list(change["fields"]) == ["stage"]
    assert stage["drift"] is True and "conflict" not in stage
    assert (stage["before"], stage["after"]) == ("Proposal Made", "Negotiation")
    assert stage["changed_by"] == "Bob Brown <bob@example.com>"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", stage["changed_at"])
    assert plan["summary"]["drift"] == 1 and plan["summary"]["conflict"] == 0
    assert plan["stats"]["api_calls"] > 0
    text = project.run("plan", "--no-color")
    assert "drift: changed in Pipedrive by Bob Brown <bob@example.com> at " in text.out
    assert "Drift: 1 field drifted" in text.out
    # overwrite (the default): apply puts the manifest's stage back, and the plan is empty after
    assert project.run("apply", "--auto-approve").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_the_same_field_changed_on_both_sides_is_a_conflict(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    project.edit("acme.yaml", "    stage: Negotiation\n", "    stage: Contact Made\n")
    plan = project.plan_json()
    (change,) = plan["changes"]
    stage = change["fields"]["stage"]
    assert stage["conflict"] is True and "drift" not in stage
    assert stage["changed_by"] == "Bob Brown <bob@example.com>"
    assert plan["summary"]["conflict"] == 1 and plan["summary"]["drift"] == 0
    markdown = project.run("plan", "--format", "markdown").out
    assert "> **Warning: 1 conflict**" in markdown
    assert markdown.index("#### Conflicts") < markdown.index("deal.acme-renewal-2027")
    assert "conflict: changed in Pipedrive by Bob Brown <bob@example.com> at " in markdown


def test_a_manifest_change_alone_is_neither_drift_nor_conflict(project: Project) -> None:
    project.edit("acme.yaml", "    stage: Negotiation\n", "    stage: Contact Made\n")
    (change,) = project.plan_json()["changes"]
    assert change["fields"] == {"stage": {"before": "Negotiation", "after": "Contact Made"}}


def test_ignore_changes_plans_nothing_ever_after_the_create(project: Project) -> None:
    project.edit("acme.yaml", "  acme-robotics-pilot:\n",
                 "  acme-robotics-pilot:\n    ignore_changes: [stage, expected_close_date]\n")
    project.edit("acme.yaml", "    stage: Qualified\n", "    stage: Lead In\n")
    project.edit("acme.yaml", "    expected_close_date: 2026-11-15\n", "    expected_close_date: 2026-12-15\n")
    project.bob_moves("acme-robotics-pilot", "Proposal Made")
    assert project.run("plan", "--detailed-exitcode").code == 0
    assert project.run("apply", "--auto-approve").code == 0
    project.bob_moves("acme-robotics-pilot", "Negotiation")
    assert project.run("plan", "--detailed-exitcode").code == 0
    deal = project.api("GET", f"/api/v2/deals/{project.deal_id('acme-robotics-pilot')}")
    assert deal["stage_id"] == project.stage_id(deal["id"], "Negotiation")  # never written back
    assert "stage" not in project.lock()["applied"]["deal"]["acme-robotics-pilot"]


def test_ignore_changes_all_makes_a_resource_create_only(project: Project) -> None:
    project.edit("acme.yaml", "  acme-robotics-pilot:\n", "  acme-robotics-pilot:\n    ignore_changes: all\n")
    project.edit("acme.yaml", "    title: Acme robotics pilot\n", "    title: Acme robotics pilot (renamed)\n")
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_ignore_changes_sends_the_fields_when_the_object_is_created(project: Project) -> None:
    project.edit("acme.yaml", "\nnotes:", "\n  acme-extra:\n    title: Acme extra\n    org: acme\n"
                 "    pipeline: Sales\n    stage: Qualified\n    ignore_changes: [stage]\n\nnotes:")
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["action"] == "create" and "stage" in change["fields"]
    assert project.run("apply", "--auto-approve").code == 0
    deal_id = project.deal_id("acme-extra")
    assert project.api("GET", f"/api/v2/deals/{deal_id}")["stage_id"] == project.stage_id(deal_id, "Qualified")


def test_a_kind_default_in_reconciler_toml_ignores_a_field(project: Project) -> None:
    (project.path / "reconciler.toml").write_text('[ignore_changes]\ndeal = ["stage"]\n')
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    assert project.run("plan", "--detailed-exitcode").code == 0
    # a resource's own list replaces the default: [] manages every field again
    project.edit("acme.yaml", "  acme-renewal-2027:\n", "  acme-renewal-2027:\n    ignore_changes: []\n")
    assert project.run("plan", "--detailed-exitcode").code == 2


def test_unknown_fields_in_ignore_changes_are_errors_where_written(project: Project) -> None:
    project.edit("acme.yaml", "  acme-robotics-pilot:\n", "  acme-robotics-pilot:\n    ignore_changes: [stagee]\n")
    result = invoke(["validate", str(project.path)])
    assert result.code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: error: ignore_changes: unknown deal field 'stagee'; did you mean "
                     r"'stage'\?", result.out), result.out
    project.edit("acme.yaml", "[stagee]", "[fields.Lead sauce]")
    result = project.run("plan")
    assert result.code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: error: ignore_changes: fields.Lead sauce: ", result.err), result.err
    (project.path / "reconciler.toml").write_text('[ignore_changes]\ndeal = ["stagee"]\n')
    result = project.run("plan")
    assert result.code == 1 and "unknown deal field 'stagee'" in result.err


def test_on_drift_keep_writes_nothing_and_reports_the_drift(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    plan = project.plan_json("--on-drift", "keep")
    assert plan["changes"] == []
    (kept,) = plan["kept"]
    assert kept["key"] == "acme-renewal-2027" and kept["fields"]["stage"]["drift"] is True
    assert plan["summary"]["drift"] == 1
    applied = project.run("apply", "--auto-approve", "--on-drift", "keep")
    assert applied.code == 0 and "0 updated" in applied.out
    deal_id = project.deal_id("acme-renewal-2027")
    assert project.api("GET", f"/api/v2/deals/{deal_id}")["stage_id"] == project.stage_id(deal_id, "Proposal Made")
    # still drift on the next plan (what was applied has not changed), kept by the project's setting
    (project.path / "reconciler.toml").write_text('on_drift = "keep"\n')
    again = project.plan_json()
    assert again["changes"] == [] and again["kept"][0]["fields"]["stage"]["drift"] is True
    assert "drift kept" in project.run("plan", "--no-color").out


def test_on_drift_fail_refuses_naming_the_drifted_fields(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    project.edit("globex.yaml", "title:", "title:")  # untouched file: only the drift matters
    result = project.run("plan", "--on-drift", "fail")
    assert result.code == 1
    assert re.search(r"acme\.yaml:\d+:\d+: error: deal 'acme-renewal-2027' field stage: changed in Pipedrive "
                     r"since the last apply \(drift\); --on-drift fail", result.err), result.err
    assert project.run("apply", "--auto-approve", "--on-drift", "fail").code == 1
    deal_id = project.deal_id("acme-renewal-2027")
    assert project.api("GET", f"/api/v2/deals/{deal_id}")["stage_id"] == project.stage_id(deal_id, "Proposal Made")


def test_drift_only_reports_only_pipedrive_changes(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    project.edit("acme.yaml", "    expected_close_date: 2026-11-15\n",
                 "    expected_close_date: 2026-12-15\n")  # a manifest change: not drift
    plan = project.plan_json("--drift-only", "--detailed-exitcode", code=2)
    (change,) = plan["changes"]
    assert list(change["fields"]) == ["stage"] and change["writes"] == {}
    assert plan["drift_only"] is True and plan["summary"]["drift"] == 1
    assert project.run("plan", "--drift-only", "--out", str(project.path / "p.json")).code == 1
    project.edit("acme.yaml", "    expected_close_date: 2026-12-15\n", "    expected_close_date: 2026-11-15\n")
    assert project.run("apply", "--auto-approve").code == 0
    clean = project.plan_json("--drift-only", "--detailed-exitcode")
    assert clean["changes"] == [] and clean["summary"]["drift"] == 0


def test_drift_details_cost_calls_counted_in_stats_and_can_be_turned_off(project: Project) -> None:
    project.bob_moves("acme-renewal-2027", "Proposal Made")
    with_details = project.plan_json("--drift-details")
    without = project.plan_json("--no-drift-details")
    assert with_details["stats"]["api_calls"] == without["stats"]["api_calls"] + 1
    stage = without["changes"][0]["fields"]["stage"]
    assert "changed_by" not in stage and stage["changed_at"].endswith(" UTC")  # the deal's update_time


def test_apply_of_a_saved_plan_records_what_it_applied(project: Project) -> None:
    project.edit("acme.yaml", "    value: 50000\n", "    value: 51000\n")
    before = project.lock()["applied"]["deal"]["acme-renewal-2027"]["value"]
    out = project.path / "plan.json"
    assert project.run("plan", "--out", str(out)).code == 0
    assert project.run("apply", "--plan", str(out), "--auto-approve").code == 0
    after = project.lock()["applied"]["deal"]["acme-renewal-2027"]["value"]
    assert after != before
    project.bob_moves("acme-renewal-2027", "Qualified")
    (change,) = project.plan_json()["changes"]
    assert change["fields"]["stage"]["drift"] is True


def test_an_activity_without_history_gets_its_update_time_only(project: Project) -> None:
    followup = project.lock()["resources"]["activity"]["acme-followup"]
    project.api("PATCH", f"/api/v2/activities/{followup}", json={"due_time": "15:30"}, headers=BOB)
    (change,) = project.plan_json("--drift-details")["changes"]
    due = change["fields"]["due_time"]
    assert due["drift"] is True and "changed_by" not in due and due["changed_at"].endswith(" UTC")


def test_details_are_skipped_when_they_would_cost_much_and_the_plan_says_so(project: Project) -> None:
    lock = project.lock()["resources"]["deal"]
    for key in sorted(lock)[:4]:
        project.api("PATCH", f"/api/v2/deals/{lock[key]}", json={"title": f"{key} (renamed in Pipedrive)"}, headers=BOB)
    result = project.run("plan", "--format", "json")
    plan = json.loads(result.out)
    assert plan["summary"]["drift"] == 4
    assert "who changed the 4 drifted objects was not looked up (it would cost 4 calls, 80 tokens): pass " \
           "--drift-details to fetch it" in result.err
    assert all("changed_by" not in c["fields"]["title"] for c in plan["changes"])


def test_a_steady_plan_file_carries_no_digests(project: Project, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    plan = json.loads(saved.read_text())
    assert "applied" not in plan and all("applied" not in c for c in plan["changes"])


def test_only_a_plan_made_to_be_applied_carries_what_apply_records(project: Project, tmp_path: Path) -> None:
    lock = project.lock()
    del lock["applied"]  # a lock written before digests existed
    (project.path / "reconciler.lock").write_text(json.dumps(lock, indent=2))
    shown = project.plan_json()
    assert "applied" not in shown  # only shown: nothing hashed, nothing carried
    saved = tmp_path / "plan.json"
    assert project.run("plan", "--out", str(saved)).code == 0
    recorded = json.loads(saved.read_text())["applied"]
    assert set(recorded["deal"]) == set(lock["resources"]["deal"])
    assert project.run("apply", "--plan", str(saved), "--auto-approve").code == 0
    assert set(project.lock()["applied"]["deal"]) == set(lock["resources"]["deal"])


def test_ignore_changes_fields_means_every_custom_field(project: Project) -> None:
    project.edit("acme.yaml", "  acme-robotics-pilot:\n", "  acme-robotics-pilot:\n    ignore_changes: [fields]\n")
    project.edit("acme.yaml", "      Lead source: Event\n", "      Lead source: Website\n")
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_apply_refuses_a_drift_only_plan(project: Project, tmp_path: Path) -> None:
    from reconciler.plan import Plan

    report = project.plan_json("--drift-only")
    saved = Plan.from_json(report)  # its digest matches: a report saved by other means
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(saved.to_json()))
    result = invoke(["apply", "--plan", str(path), "--auto-approve", "--sandbox", str(project.db)])
    assert result.code == 1 and "drift report (plan --drift-only): it is never applied" in result.err


def test_the_sandbox_refuses_an_unknown_acting_user(project: Project) -> None:
    sandbox = InProcess(str(project.db))
    try:
        answer = sandbox.raw.request("GET", "/api/v1/users/me", headers={"X-Sandbox-User": "zed@example.com"})
        assert answer.status_code == 400 and "X-Sandbox-User: no user 'zed@example.com'" in answer.text
        me = sandbox.call("GET", "/api/v1/users/me", headers={"X-Sandbox-User": "2"})
        assert me["email"] == "bob@example.com"
    finally:
        sandbox.close()
