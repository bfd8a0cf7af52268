"""Goals as code (issue 27): the `goals` section (Pipedrive's v1 goals, sales targets).

One apply creates a pipeline, an activity type and the goals that name them by name (ids at
apply), the next plan is empty, export then plan is empty (export writes names), a change made
in Pipedrive is drift and `pull` brings it back; unknown names are refused with FILE:LINE.
Live state is checked through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

SHAPE = {
    "pipelines": {"channel": {"name": "Channel"}},
    "activity_types": {"product-demo": {"name": "Product demo", "icon_key": "presentation"}},
}
GOALS = {
    "partner-deals": {"title": "Partner deals won", "assignee": "bob@example.com", "type": "deals_won",
                      "pipeline": "Channel", "target": 20000, "tracking_metric": "sum", "currency": "EUR",
                      "interval": "quarterly", "start": "2026-01-01", "end": "2026-12-31"},
    "demos": {"title": "Demos given", "assignee": "alice@example.com", "type": "activities_completed",
              "activity_type": "Product demo", "target": 12, "tracking_metric": "quantity",
              "interval": "monthly", "start": "2026-01-01", "end": None},
}


def manifests(project: Project, goals: dict | None = None) -> None:
    project.write("shape.yaml", {**SHAPE, "goals": goals or GOALS})


def live_goals(project: Project) -> dict[str, dict]:
    found = project.api("GET", "/api/v1/goals/find", params={"assignee.type": "person"})
    return {g["title"]: g for g in found["goals"]}


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_goals_and_the_pipeline_and_type_they_name(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}
    demos = next(c for c in plan["changes"] if c["key"] == "demos")
    assert "activity_type.product-demo" in demos["depends_on"]

    result = project.apply()
    assert "Resources: 4 created, 0 updated, 0 deleted" in result.out
    pipeline = next(p for p in project.api("GET", "/api/v2/pipelines") if p["name"] == "Channel")
    demo_type = next(t for t in project.api("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    users = {u["email"]: u["id"] for u in project.api("GET", "/api/v1/users")}
    eur = next(c["id"] for c in project.api("GET", "/api/v1/currencies") if c["code"] == "EUR")
    goals = live_goals(project)
    partner = goals["Partner deals won"]
    assert partner["assignee"] == {"id": users["bob@example.com"], "type": "person"}
    assert partner["type"] == {"name": "deals_won", "params": {"pipeline_id": [pipeline["id"]], "activity_type_id": None}}
    assert partner["expected_outcome"] == {"target": 20000, "tracking_metric": "sum", "currency_id": eur}
    assert partner["duration"] == {"start": "2026-01-01", "end": "2026-12-31"}
    demo = goals["Demos given"]
    assert demo["type"]["params"]["activity_type_id"] == [demo_type["id"]]
    assert demo["duration"]["end"] is None

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 4
    assert project.lock()["resources"]["goal"]["demos"] == demo["id"]


def test_export_writes_names_and_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "goals", "--kind", "pipelines", "--kind", "activity_types")
    exported = yaml.safe_load((out / "goals.yaml").read_text(encoding="utf-8"))["goals"]
    by_title = {g["title"]: g for g in exported.values()}
    assert by_title["Partner deals won"]["pipeline"] == "Channel"
    assert by_title["Partner deals won"]["assignee"] == "bob@example.com"
    assert by_title["Demos given"]["activity_type"] == "Product demo"
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 4


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    goal_id = live_goals(project)["Demos given"]["id"]
    project.api("PUT", f"/api/v1/goals/{goal_id}",  # as the UI would: the outcome part, whole
                json={"expected_outcome": {"target": 15, "tracking_metric": "quantity"}})

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "demos" and change["fields"]["target"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text())
    assert shape["goals"]["demos"]["target"] == 15
    assert project.plan_json()["changes"] == []


def test_an_update_sends_the_changed_part_whole(project: Project) -> None:
    applied(project)
    manifests(project, {**GOALS, "partner-deals": {**GOALS["partner-deals"], "target": 25000}})
    (change,) = project.plan_json()["changes"]
    assert list(change["fields"]) == ["target"]
    project.apply()
    outcome = live_goals(project)["Partner deals won"]["expected_outcome"]
    assert outcome["target"] == 25000 and outcome["tracking_metric"] == "sum" and outcome["currency_id"]
    assert project.plan_json()["changes"] == []


def test_removing_a_goal_deletes_it(project: Project) -> None:
    applied(project)
    manifests(project, {"demos": GOALS["demos"]})
    plan = project.plan_json()
    assert [(c["kind"], c["key"], c["action"]) for c in plan["changes"]] == [("goal", "partner-deals", "delete")]
    project.apply()
    assert list(live_goals(project)) == ["Demos given"]


def test_unknown_names_are_refused_with_file_and_line(project: Project) -> None:
    manifests(project, {**GOALS, "demos": {**GOALS["demos"], "assignee": "nobody@example.com"},
                        "partner-deals": {**GOALS["partner-deals"], "pipeline": "Partnres"}})
    result = project.run("plan")
    assert result.code == 1
    assert "shape.yaml:" in result.both and "nobody@example.com" in result.both and "Partnres" in result.both
    assert "Traceback" not in result.both


def test_validate_refuses_a_bad_type_with_file_and_line(project: Project) -> None:
    manifests(project, {"demos": {**GOALS["demos"], "type": "deals_lost"}})
    result = project.run("validate")
    assert result.code == 1 and "shape.yaml:" in result.both and "deals_lost" in result.both


def test_goals_go_along_when_a_shape_is_promoted_to_a_fresh_account(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "promoted"
    project.ok("export", "--out", str(out), "--kind", "pipelines", "--kind", "stages", "--kind", "activity_types",
               "--kind", "goals")
    (out / "reconciler.lock").unlink()  # the lock is the other account's ids: the shape is found by name
    fresh = Project(tmp_path / "fresh")  # another sandbox, another company
    plan = fresh.plan_json(path=out)
    created = {(c["kind"], c["key"]) for c in plan["changes"] if c["action"] == "create"}
    assert {("activity_type", "product-demo"), ("pipeline", "channel")} <= created
    assert {key for kind, key in created if kind == "goal"} == {"partner-deals-won", "demos-given"}
    fresh.apply(path=out)
    goals = live_goals(fresh)
    demo_type = next(t for t in fresh.api("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    assert goals["Demos given"]["type"]["params"]["activity_type_id"] == [demo_type["id"]]
    assert fresh.plan_json(path=out)["changes"] == []
