"""Activity types in the lock's vocabulary (issue 24, invariant 6: "no command fails on a vocabulary
renamed in Pipedrive").

Activities name their type by key (`call`) or by the name of one of the account's own types
(`type: Product demo`), and an activity filter's `Type` condition names it the same way. Pipedrive's
Settings rename a type (PUT /v1/activityTypes/{id} with a new name; its key stays). The lock records
every type named by name with its key, from the apply that creates it, an apply that adopts it and an
export, so after a rename the plan recognises the old name ("activity type renamed in Pipedrive from X
to Y") instead of failing with "unknown activity type"; `pull` rewrites the name in the
`activity_types` section, every activity's `type:` and every filter condition; the next plan is empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.kinds.conftest import Project

DEMO = {"name": "Product demo", "icon_key": "presentation", "color": "FFC107"}
FILTER = {"name": "Demos", "type": "activity",
          "conditions": {"all": [{"field": "Type", "operator": "=", "value": "Product demo"}]}}
RECORDS = {
    "organizations": {"acme": {"name": "Acme"}},
    "activities": {
        "acme-demo": {"subject": "Demo for Acme", "type": "Product demo", "due_date": "2027-03-01", "org": "acme"},
        "acme-call": {"subject": "Call Acme", "type": "call", "due_date": "2027-03-02", "org": "acme"},
    },
}


def manifests(project: Project, managed: bool = True) -> None:
    shape: dict = {"filters": {"demos": FILTER}}
    if managed:
        shape = {"activity_types": {"product-demo": DEMO}, **shape}
    project.write("shape.yaml", shape)
    project.write("records.yaml", RECORDS)


def type_id(project: Project, name: str) -> int:
    return next(t["id"] for t in project.api("GET", "/api/v1/activityTypes") if t["name"] == name and t["active_flag"])


def rename(project: Project, old: str, new: str) -> None:
    """What a user does in Settings > Activities: the type keeps its key."""
    project.api("PUT", f"/api/v1/activityTypes/{type_id(project, old)}", json={"name": new})


def read(project: Project, name: str) -> dict:
    return yaml.safe_load((project.path / name).read_text(encoding="utf-8"))


def assert_pulled_everywhere(project: Project, new: str, managed: bool = True) -> None:
    shape, records = read(project, "shape.yaml"), read(project, "records.yaml")
    if managed:
        assert shape["activity_types"]["product-demo"]["name"] == new
    assert records["activities"]["acme-demo"]["type"] == new
    assert records["activities"]["acme-call"]["type"] == "call"
    assert shape["filters"]["demos"]["conditions"]["all"][0]["value"] == new


def test_the_apply_that_creates_a_type_records_it_and_a_rename_right_after_leaves_plan_working(
        project: Project) -> None:
    manifests(project)
    project.apply()
    key = next(t["key_string"] for t in project.api("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    assert project.lock()["vocabulary"]["activity_type"] == {"Product demo": key}
    rename(project, "Product demo", "Demo")

    result = project.run("plan", "--no-color")
    assert result.code == 0, result.both
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Demo'" in result.both
    assert "activity.acme-demo" in result.both and "filter.demos" in result.both
    (change,) = project.plan_json()["changes"]  # the managed type's name is drift; records and the filter: no change
    assert change["kind"] == "activity_type" and change["action"] == "update"
    assert change["fields"]["name"]["drift"] is True
    assert project.run("plan", "--drift-only").code == 0

    project.ok("pull", str(project.path))
    assert_pulled_everywhere(project, "Demo")
    assert project.lock()["vocabulary"]["activity_type"] == {"Demo": key}
    again = project.run("plan", "--no-color", "--detailed-exitcode")
    assert again.code == 0 and "renamed" not in again.both, again.both


def test_a_type_of_the_account_not_managed_here_renamed_is_recognised_and_pulled(project: Project) -> None:
    project.api("POST", "/api/v1/activityTypes", json={"name": "Product demo", "icon_key": "presentation"})
    manifests(project, managed=False)
    project.apply()
    rename(project, "Product demo", "Live demo")

    result = project.run("plan", "--no-color", "--detailed-exitcode")
    assert result.code == 0, result.both  # nothing to change: the same type, by its key
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Live demo'" in result.both
    project.ok("pull", str(project.path))
    assert_pulled_everywhere(project, "Live demo", managed=False)
    again = project.run("plan", "--no-color", "--detailed-exitcode")
    assert again.code == 0 and "renamed" not in again.both, again.both


def test_a_type_only_a_filter_names_is_recorded_and_its_condition_pulled(project: Project) -> None:
    """Before, only activities' `type:` was recorded: the filter's condition failed with "unknown option"."""
    project.api("POST", "/api/v1/activityTypes", json={"name": "Product demo", "icon_key": "presentation"})
    project.write("shape.yaml", {"filters": {"demos": FILTER}})
    project.apply()
    assert "Product demo" in project.lock()["vocabulary"]["activity_type"]
    rename(project, "Product demo", "Demo")

    result = project.run("plan", "--no-color", "--detailed-exitcode")
    assert result.code == 0, result.both
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Demo': filter.demos" in result.both
    project.ok("pull", str(project.path))
    assert read(project, "shape.yaml")["filters"]["demos"]["conditions"]["all"][0]["value"] == "Demo"
    again = project.run("plan", "--no-color", "--detailed-exitcode")
    assert again.code == 0 and "renamed" not in again.both, again.both


def test_export_records_the_types_it_writes_by_name(project: Project, tmp_path: Path) -> None:
    manifests(project)
    project.apply()
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "activity_types", "--kind", "organizations",
               "--kind", "activities", "--kind", "filters")
    exported = json.loads((out / "reconciler.lock").read_text(encoding="utf-8"))
    assert "Product demo" in exported["vocabulary"]["activity_type"]
    rename(project, "Product demo", "Demo")
    result = project.run("plan", "--no-color", path=out)
    assert result.code == 0, result.both
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Demo'" in result.both


def test_over_http_a_renamed_type_leaves_plan_working_and_pull_rewrites_it(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("types")
    project = Project(tmp_path / "over-http")
    manifests(project)
    assert run_cli("apply", str(project.path), "--auto-approve", "--endpoint", server.endpoint).code == 0
    found = next(t for t in server.api.call("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    server.api.call("PUT", f"/api/v1/activityTypes/{found['id']}", json={"name": "Demo"})  # Settings > Activities

    plan = run_cli("plan", str(project.path), "--no-color", "--endpoint", server.endpoint)
    assert plan.code == 0, plan.both[-2000:]
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Demo'" in plan.both
    pulled = run_cli("pull", str(project.path), "--endpoint", server.endpoint)
    assert pulled.code == 0, pulled.both[-2000:]
    assert_pulled_everywhere(project, "Demo")
    again = run_cli("plan", str(project.path), "--detailed-exitcode", "--endpoint", server.endpoint)
    assert again.code == 0, again.both[-2000:]
