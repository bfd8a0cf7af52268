"""Goals assigned to a team by name, goals spanning several pipelines, and a deals_progressed goal's
stage (issue 27: "assignee by user email or team").

Pipedrive's only list of teams is v1 `GET /legacyTeams` (official client: `LegacyTeamsApi.getTeams`,
answer `GetTeamsResponse`); a goal holds a team's id (`assignee {id, type: team}`), a list of pipeline
ids (`type.params.pipeline_id`, an array in `GoalTypeParams`) and, for deals_progressed goals only,
a stage id (`type.params.stage_id`). The manifests name all three by name. Each is applied in one run
with what it names, the next plan is empty, export then plan is empty, a change made in Pipedrive is
drift and `pull` brings it back; an unknown name is refused with FILE:LINE. Live state is checked
through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.examples_project import BOB
from tests.kinds.conftest import Project

SHAPE = {
    "pipelines": {"channel": {"name": "Channel"}},
    "stages": {"channel-signed": {"pipeline": "channel", "name": "Signed", "order": 1}},
}
GOALS = {
    "field-team": {"title": "Field team revenue", "team": "Field sales", "type": "deals_won",
                   "pipeline": ["Channel", "Sales"], "target": 50000, "tracking_metric": "sum", "currency": "EUR",
                   "interval": "quarterly", "start": "2026-01-01", "end": "2026-12-31"},
    "signed": {"title": "Channel deals signed", "assignee": "bob@example.com", "type": "deals_progressed",
               "pipeline": "Channel", "stage": {"pipeline": "Channel", "stage": "Signed"}, "target": 8,
               "tracking_metric": "quantity", "interval": "monthly", "start": "2026-01-01", "end": None},
}


def manifests(project: Project, goals: dict | None = None) -> None:
    project.write("shape.yaml", {**SHAPE, "goals": goals or GOALS})


def shape(project: Project) -> dict:
    return yaml.safe_load((project.path / "shape.yaml").read_text(encoding="utf-8"))


def live_goals(project: Project) -> dict[str, dict]:
    found = []
    for assignee_type in ("person", "team"):
        found += project.api("GET", "/api/v1/goals/find", params={"assignee.type": assignee_type})["goals"]
    return {g["title"]: g for g in found}


def teams(project: Project) -> dict[str, int]:
    return {t["name"]: t["id"] for t in project.api("GET", "/api/v1/legacyTeams")}


def pipelines(project: Project) -> dict[str, int]:
    return {p["name"]: p["id"] for p in project.api("GET", "/api/v2/pipelines")}


def stage_id(project: Project, pipeline: str, name: str) -> int:
    pipeline_id = pipelines(project)[pipeline]
    return next(s["id"] for s in project.api("GET", "/api/v2/stages", params={"pipeline_id": pipeline_id})
                if s["name"] == name)


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_writes_the_team_the_pipelines_and_the_stage_by_their_ids(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"]["create"] == 4
    project.apply()

    goals, ids = live_goals(project), pipelines(project)
    field = goals["Field team revenue"]
    assert field["assignee"] == {"id": teams(project)["Field sales"], "type": "team"}
    assert sorted(field["type"]["params"]["pipeline_id"]) == sorted([ids["Channel"], ids["Sales"]])
    signed = goals["Channel deals signed"]
    assert signed["type"]["name"] == "deals_progressed"
    assert signed["type"]["params"]["pipeline_id"] == [ids["Channel"]]
    assert signed["type"]["params"]["stage_id"] == stage_id(project, "Channel", "Signed")

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 4


def test_the_order_of_the_pipelines_is_no_change(project: Project) -> None:
    applied(project)
    manifests(project, {**GOALS, "field-team": {**GOALS["field-team"], "pipeline": ["Sales", "Channel"]}})
    assert project.plan_json()["changes"] == []


def test_export_writes_the_team_the_pipelines_and_the_stage_by_name_and_then_plan_is_empty(
        project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "goals", "--kind", "pipelines", "--kind", "stages")
    exported = yaml.safe_load((out / "goals.yaml").read_text(encoding="utf-8"))["goals"]
    by_title = {g["title"]: g for g in exported.values()}
    field = by_title["Field team revenue"]
    assert field["team"] == "Field sales" and "assignee" not in field
    assert sorted(field["pipeline"]) == ["Channel", "Sales"]
    signed = by_title["Channel deals signed"]
    assert signed["pipeline"] == "Channel" and signed["stage"] == {"pipeline": "Channel", "stage": "Signed"}
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 4


def test_a_goal_given_to_another_team_in_pipedrive_is_drift_and_pulled(project: Project) -> None:
    applied(project)
    goal = live_goals(project)["Field team revenue"]
    project.api("PUT", f"/api/v1/goals/{goal['id']}", headers=BOB,
                json={"assignee": {"id": teams(project)["Inside sales"], "type": "team"}})
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "field-team" and change["fields"]["team"]["drift"] is True
    project.ok("pull", str(project.path))
    assert shape(project)["goals"]["field-team"]["team"] == "Inside sales"
    assert project.plan_json()["changes"] == []


def test_pipelines_and_a_stage_changed_in_pipedrive_are_drift_and_pulled(project: Project) -> None:
    applied(project)
    goals, ids = live_goals(project), pipelines(project)
    project.api("PUT", f"/api/v1/goals/{goals['Field team revenue']['id']}", headers=BOB,
                json={"type": {"name": "deals_won", "params": {"pipeline_id": [ids["Sales"], ids["Partners"]]}}})
    qualified = stage_id(project, "Sales", "Qualified")
    project.api("PUT", f"/api/v1/goals/{goals['Channel deals signed']['id']}", headers=BOB,
                json={"type": {"name": "deals_progressed",
                               "params": {"pipeline_id": [ids["Sales"]], "stage_id": qualified}}})
    changes = {c["key"]: c for c in project.plan_json()["changes"]}
    assert changes["field-team"]["fields"]["pipeline"]["drift"] is True
    assert changes["signed"]["fields"]["stage"]["drift"] is True
    project.ok("pull", str(project.path))
    pulled = shape(project)["goals"]
    assert sorted(pulled["field-team"]["pipeline"]) == ["Partners", "Sales"]
    assert pulled["signed"]["pipeline"] == "Sales"
    assert pulled["signed"]["stage"] == {"pipeline": "Sales", "stage": "Qualified"}
    assert project.plan_json()["changes"] == []


def test_a_team_renamed_in_pipedrive_is_the_same_team_and_pull_writes_its_new_name(project: Project) -> None:
    applied(project)
    assert project.lock()["vocabulary"]["team"] == {"Field sales": teams(project)["Field sales"]}
    project.api("PUT", f"/api/v1/legacyTeams/{teams(project)['Field sales']}", headers=BOB,
                json={"name": "Field sales EMEA"})
    result = project.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.both
    assert "team renamed in Pipedrive from 'Field sales' to 'Field sales EMEA'" in result.err
    project.ok("pull", str(project.path))
    assert shape(project)["goals"]["field-team"]["team"] == "Field sales EMEA"
    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.both


def test_an_unknown_team_pipeline_or_stage_is_refused_with_file_and_line(project: Project) -> None:
    manifests(project, {"field-team": {**GOALS["field-team"], "team": "Feild sales"},
                        "signed": {**GOALS["signed"], "pipeline": ["Channel", "Partnres"]}})
    result = project.run("plan")
    assert result.code == 1 and "Traceback" not in result.both
    assert "shape.yaml:" in result.both and "Feild sales" in result.both and "Field sales" in result.both
    assert "Partnres" in result.both
    manifests(project, {"field-team": {**GOALS["field-team"], "team": 99}})
    result = project.run("plan")
    assert result.code == 1 and "shape.yaml:" in result.both and "no team has id 99" in result.both
    manifests(project, {"signed": {**GOALS["signed"], "stage": {"pipeline": "Channel", "stage": "Singed"}}})
    result = project.run("plan")
    assert result.code == 1 and "shape.yaml:" in result.both and "Singed" in result.both


def test_a_stage_is_only_for_deals_progressed_goals_and_within_the_goals_pipelines(project: Project) -> None:
    manifests(project, {"signed": {**GOALS["signed"], "type": "deals_won"}})
    result = project.run("plan")
    assert result.code == 1 and "shape.yaml:" in result.both and "deals_progressed" in result.both
    manifests(project, {"signed": {**GOALS["signed"], "pipeline": "Sales"}})
    result = project.run("plan")
    assert result.code == 1 and "shape.yaml:" in result.both and "'Channel'" in result.both


def test_validate_refuses_a_malformed_stage_or_pipeline_list_with_file_and_line(project: Project) -> None:
    manifests(project, {"signed": {**GOALS["signed"], "stage": "Signed"}})
    result = project.run("validate")
    assert result.code == 1 and "shape.yaml:" in result.both and "stage" in result.both
    for pipelines, said in (([], "lists no pipeline"), (["Sales", "Sales"], "names a pipeline twice")):
        manifests(project, {"field-team": {**GOALS["field-team"], "pipeline": pipelines}})
        result = project.run("validate")
        assert result.code == 1 and "shape.yaml:" in result.both and said in result.both, result.both


def test_a_team_by_id_still_works(project: Project) -> None:
    team = teams(project)["Inside sales"]
    manifests(project, {"field-team": {**GOALS["field-team"], "team": team}})
    project.apply()
    assert live_goals(project)["Field team revenue"]["assignee"] == {"id": team, "type": "team"}
    assert project.plan_json()["changes"] == []


def test_a_lock_written_when_a_goal_held_one_pipeline_id_still_matches() -> None:
    """Before goals took several pipelines, a goal's pipeline was one id, digested alone in the
    lock's `applied`; the same pipeline read now (a list of one id) digests the same, so upgrading
    shows no drift (and two pipelines, in any order, digest as one value)."""
    from reconciler import kinds
    from reconciler.drift import digest
    from reconciler.fieldtypes import PIPELINE, FieldSpec

    spec = kinds.kind("goal").field("pipeline")
    before = FieldSpec("pipeline", PIPELINE, "pipeline_id")
    assert digest(spec, [7]) == digest(before, 7)
    assert digest(spec, [3, 7]) == digest(spec, [7, 3]) != digest(spec, [7])
    assert digest(spec, None) == digest(before, None)


def test_a_pipeline_and_stage_renamed_in_pipedrive_are_pulled_into_the_goals(project: Project) -> None:
    qualified = {"title": "Qualified in sales", "assignee": "bob@example.com", "type": "deals_progressed",
                 "pipeline": ["Sales", "Partners"], "stage": {"pipeline": "Sales", "stage": "Qualified"},
                 "target": 8, "tracking_metric": "quantity", "interval": "monthly", "start": "2026-01-01"}
    project.write("shape.yaml", {"goals": {"qualified": qualified}})
    project.apply()
    sales = pipelines(project)["Sales"]
    project.api("PATCH", f"/api/v2/stages/{stage_id(project, 'Sales', 'Qualified')}", headers=BOB,
                json={"name": "Qualifying"})
    project.api("PATCH", f"/api/v2/pipelines/{sales}", headers=BOB, json={"name": "Sales EU"})
    result = project.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.both
    assert "pipeline renamed in Pipedrive from 'Sales' to 'Sales EU'" in result.err
    assert "stage renamed in Pipedrive from 'Qualified' to 'Qualifying'" in result.err
    project.ok("pull", str(project.path))
    goal = shape(project)["goals"]["qualified"]
    assert goal["pipeline"] == ["Sales EU", "Partners"]
    assert goal["stage"] == {"pipeline": "Sales EU", "stage": "Qualifying"}
    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.both
