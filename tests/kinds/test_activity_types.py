"""Activity types as code (issue 27): the `activity_types` section.

One apply creates a type and the activities that name it (by name or by the key Pipedrive gives
it), the next plan is empty, export then plan is empty, a change made in Pipedrive is drift and
`pull` brings it back, and `absent: true` deactivates the type (Pipedrive's delete), after which
declaring the name again creates an active type. Live state is checked through the sandbox's
API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

DEMO = {"name": "Product demo", "icon_key": "presentation", "color": "FFC107"}


def manifests(project: Project, demo: dict | None = None) -> None:
    project.write("shape.yaml", {"activity_types": {"product-demo": demo or DEMO}})
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme"}},
        "activities": {
            "acme-demo": {"subject": "Demo for Acme", "type": "Product demo", "due_date": "2027-03-01",
                          "org": "acme"},
            "acme-call": {"subject": "Call Acme", "type": "call", "due_date": "2027-03-02", "org": "acme"},
        },
    })


def live_types(project: Project) -> dict[str, dict]:
    return {t["name"]: t for t in project.api("GET", "/api/v1/activityTypes")}


def activity_types_of(project: Project) -> dict[str, str]:
    return {a["subject"]: a["type"] for a in project.api("GET", "/api/v2/activities", params={"limit": 500})}


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_type_and_the_activities_that_use_it(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}
    assert plan["changes"][0]["kind"] == "activity_type"
    demo = next(c for c in plan["changes"] if c["key"] == "acme-demo")
    assert "activity_type.product-demo" in demo["depends_on"]

    result = project.apply()
    assert "Resources: 4 created, 0 updated, 0 deleted" in result.out
    created = live_types(project)["Product demo"]
    assert (created["icon_key"], created["color"], created["active_flag"]) == ("presentation", "FFC107", True)
    assert activity_types_of(project) == {"Demo for Acme": created["key_string"], "Call Acme": "call"}

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 4
    assert project.lock()["resources"]["activity_type"]["product-demo"] == created["id"]


def test_a_fresh_account_takes_the_type_by_its_key_once_it_exists(project: Project) -> None:
    applied(project)
    key = live_types(project)["Product demo"]["key_string"]
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["activities"]["acme-demo"]["type"] = key  # the key export writes
    project.write("records.yaml", records)
    assert project.plan_json()["changes"] == []


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "activity_types", "--kind", "organizations",
               "--kind", "activities")
    exported = yaml.safe_load((out / "activity_types.yaml").read_text(encoding="utf-8"))
    assert list(exported["activity_types"].values()) == [DEMO]  # Pipedrive's own types are not exported
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 4


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    type_id = live_types(project)["Product demo"]["id"]
    project.api("PUT", f"/api/v1/activityTypes/{type_id}", json={"color": "2196F3", "icon_key": "camera"})

    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["kind"] == "activity_type" and change["action"] == "update"
    assert change["fields"]["color"]["drift"] is True and change["fields"]["icon_key"]["drift"] is True

    result = project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text())
    assert shape["activity_types"]["product-demo"] == {**DEMO, "color": "2196F3", "icon_key": "camera"}
    assert project.plan_json()["changes"] == [], result.out


def test_absent_deactivates_and_declaring_again_creates_an_active_type(project: Project) -> None:
    applied(project)
    old = live_types(project)["Product demo"]
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["activities"]["acme-demo"]["type"] = "meeting"
    project.write("records.yaml", records)
    project.write("shape.yaml", {"activity_types": {"product-demo": {"name": "Product demo", "absent": True}}})
    plan = project.plan_json()
    assert {(c["kind"], c["action"]) for c in plan["changes"]} == {("activity", "update"), ("activity_type", "delete")}
    project.apply()
    kept = next(t for t in project.api("GET", "/api/v1/activityTypes") if t["id"] == old["id"])
    assert kept["active_flag"] is False  # deactivated, not deleted: past activities keep it
    assert project.plan_json()["changes"] == []

    manifests(project)
    plan = project.plan_json()
    assert {(c["kind"], c["action"]) for c in plan["changes"]} == {("activity_type", "create"), ("activity", "update")}
    project.apply()
    again = [t for t in project.api("GET", "/api/v1/activityTypes") if t["name"] == "Product demo"]
    active = [t for t in again if t["active_flag"]]
    assert len(active) == 1 and active[0]["id"] != old["id"]
    assert activity_types_of(project)["Demo for Acme"] == active[0]["key_string"]


def test_promoting_to_a_fresh_account_carries_the_type_and_its_activities(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "activity_types", "--kind", "organizations",
               "--kind", "activities")
    activities = [a for f in out.rglob("*.yaml")
                  for a in (yaml.safe_load(f.read_text(encoding="utf-8")).get("activities") or {}).values()]
    assert {a["subject"]: a["type"] for a in activities} == {"Demo for Acme": "Product demo",
                                                                       "Call Acme": "call"}

    fresh = Project(tmp_path / "production")
    # production once had a type of that name, since deactivated: Pipedrive gives the new one another key
    old = fresh.api("POST", "/api/v1/activityTypes", json={"name": "Product demo", "icon_key": "task"})
    fresh.api("DELETE", f"/api/v1/activityTypes/{old['id']}")
    for exported in out.rglob("*.yaml"):
        fresh.write(str(exported.relative_to(out)), exported.read_text(encoding="utf-8"))
    plan = fresh.plan_json()
    assert plan["summary"]["create"] == 4 and plan["summary"]["update"] == 0
    fresh.apply()
    created = live_types(fresh)
    key = next(t["key_string"] for t in fresh.api("GET", "/api/v1/activityTypes")
               if t["name"] == "Product demo" and t["active_flag"])
    assert key != old["key_string"] and created["Product demo"]["color"] == "FFC107"
    assert activity_types_of(fresh) == {"Demo for Acme": key, "Call Acme": "call"}
    assert fresh.plan_json()["changes"] == []


def test_an_unknown_type_is_named_with_the_declared_ones(project: Project) -> None:
    manifests(project)
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["activities"]["acme-demo"]["type"] = "Product dmo"
    project.write("records.yaml", records)
    result = project.run("plan")
    assert result.code == 1 and "unknown activity type 'Product dmo'; did you mean 'Product demo'?" in result.both


def test_a_type_renamed_in_pipedrive_is_recognised_and_pull_renames_it_everywhere(project: Project) -> None:
    applied(project)
    assert project.lock()["vocabulary"]["activity_type"] == {"Product demo": live_types(project)["Product demo"]["key_string"]}
    type_id = live_types(project)["Product demo"]["id"]
    project.api("PUT", f"/api/v1/activityTypes/{type_id}", json={"name": "Demo"})

    result = project.run("plan", "--no-color")
    assert result.code == 0, result.both
    assert "activity type renamed in Pipedrive from 'Product demo' to 'Demo': activity.acme-demo" in result.both
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "product-demo" and change["fields"]["name"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text())
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    assert shape["activity_types"]["product-demo"]["name"] == "Demo"
    assert records["activities"]["acme-demo"]["type"] == "Demo"
    assert project.plan_json()["changes"] == []


def test_validate_refuses_an_unknown_icon_and_a_cleared_colour(project: Project) -> None:
    project.write("shape.yaml", "activity_types:\n  demo:\n    name: Product demo\n    icon_key: rocket\n"
                                "    color: null\n")
    result = project.run("validate")
    assert result.code == 1
    assert "shape.yaml:4:" in result.both and "rocket" in result.both
    assert "shape.yaml:5:" in result.both and "UpdateActivityTypeRequest.color is not nullable" in result.both


def test_absent_is_said_as_a_deactivation_in_every_plan_format(project: Project) -> None:
    applied(project)
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["activities"]["acme-demo"]["type"] = "meeting"
    project.write("records.yaml", records)
    project.write("shape.yaml", {"activity_types": {"product-demo": {"name": "Product demo", "absent": True}}})

    plan = project.plan_json()
    (gone,) = [c for c in plan["changes"] if c["kind"] == "activity_type"]
    assert (gone["action"], gone["deleted_as"]) == ("delete", "deactivated")  # the action stays: scripts key on it
    for fmt in ("text", "markdown"):
        out = project.ok("plan", "--format", fmt).out
        assert "activity_type.product-demo" in out and "will be deactivated" in out, out
        assert "will be deleted" not in out and "(1 of them deactivated, not deleted)" in out, out
    result = project.apply()
    assert "activity_type.product-demo" in result.both and ": deactivated" in result.both, result.both
