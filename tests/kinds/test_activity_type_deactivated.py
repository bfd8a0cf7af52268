"""An activity type deleted in Settings (Pipedrive deactivates it; past activities keep it), found by
the team day (tests/state/team_day_admin.py).

The declared type is deleted in Pipedrive, as any object is: `--on-drift keep` leaves it so, `pull`
takes it out of the manifests. Before, both failed on the activities that name it ("unknown
activity type 'Product demo'"): the account's list had only active types, so the name its
activities were applied with meant nothing, though each activity still holds that type. Now a
deactivated type is still the one an activity holding it names (by name, by key, or by the name
the lock recorded before a rename): no change; giving it to any other activity is still refused
at plan (Pipedrive takes only active types).
"""

from __future__ import annotations

from pathlib import Path

from tests.kinds.conftest import Project
from tests.kinds.test_activity_type_renamed import RECORDS, read, rename, type_id

DEMO = {"name": "Product demo", "icon_key": "presentation", "color": "FFC107"}


def applied(project: Project) -> None:
    project.write("shape.yaml", {"activity_types": {"product-demo": DEMO}})
    project.write("records.yaml", RECORDS)
    project.apply()


def deactivate(project: Project, name: str) -> None:
    """Settings > Activities > delete: DELETE /v1/activityTypes/{id} (active_flag false)."""
    project.api("DELETE", f"/api/v1/activityTypes/{type_id(project, name)}")


def demo_type(project: Project) -> str:
    return next(a["type"] for a in project.api("GET", "/api/v2/activities") if a["subject"] == "Demo for Acme")


def test_keep_leaves_a_deactivated_type_and_its_activities_as_they_are(project: Project) -> None:
    applied(project)
    deactivate(project, "Product demo")
    plan = project.plan_json("--on-drift", "keep")
    assert plan["changes"] == [], plan["changes"]
    assert [k["key"] for k in plan["kept"]] == ["product-demo"]
    project.ok("apply", "--auto-approve", "--on-drift", "keep")
    assert project.plan_json("--on-drift", "keep")["changes"] == []


def test_pull_takes_a_deactivated_type_out_and_the_next_plan_is_empty(project: Project) -> None:
    applied(project)
    held = demo_type(project)
    deactivate(project, "Product demo")
    project.ok("pull", str(project.path))
    assert "product-demo" not in (read(project, "shape.yaml").get("activity_types") or {})
    assert read(project, "records.yaml")["activities"]["acme-demo"]["type"] == "Product demo"
    assert project.run("plan", "--detailed-exitcode").code == 0
    assert demo_type(project) == held


def test_a_type_renamed_then_deactivated_is_still_the_one_its_activities_hold(project: Project) -> None:
    applied(project)
    rename(project, "Product demo", "Demo")
    deactivate(project, "Demo")
    assert project.plan_json("--on-drift", "keep")["changes"] == []
    project.ok("pull", str(project.path))
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_export_of_an_activity_with_a_deactivated_type_plans_nothing(project: Project, tmp_path: Path) -> None:
    applied(project)
    deactivate(project, "Product demo")
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "organizations", "--kind", "activities")
    again = project.run("plan", "--detailed-exitcode", path=out)
    assert again.code == 0, again.both[-2000:]


def test_a_deactivated_type_is_not_given_to_another_activity(project: Project) -> None:
    applied(project)
    deactivate(project, "Product demo")
    records = {**RECORDS, "activities": {**RECORDS["activities"], "acme-call": {
        **RECORDS["activities"]["acme-call"], "type": "Product demo"}}}
    project.write("records.yaml", records)
    result = project.run("plan", "--on-drift", "keep")
    assert result.code == 1 and "records.yaml" in result.both and "Product demo" in result.both, result.both
    assert "Traceback" not in result.both


def test_overwrite_creates_the_type_again_and_its_activities_take_it(project: Project) -> None:
    applied(project)
    old = demo_type(project)
    deactivate(project, "Product demo")
    project.apply()
    assert demo_type(project) != old
    assert project.run("plan", "--detailed-exitcode").code == 0
