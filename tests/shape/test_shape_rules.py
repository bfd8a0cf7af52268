"""Pipedrive's rules about the account's shape, said at plan time or kept by apply's order.

System fields cannot be managed; a field's type and kind cannot change; enum and set fields
need options and other types have none; a stage or custom field deleted is a delete like any
other (counted against --max-deletes, refused when protected); a pipeline deleted takes its
stages with it (Pipedrive keeps a stage in every pipeline, so they are not deleted first);
a stage whose deals the same plan moves away can go; Pipedrive's API cannot move a pipeline
or stage, so a position that differs is a warning, never a change.
"""

from __future__ import annotations

import pytest

from tests.shape.conftest import Project


def base() -> dict:
    return {
        "pipelines": {"enterprise": {"name": "Enterprise"}},
        "stages": {"ent-a": {"pipeline": "enterprise", "name": "A", "order": 1},
                   "ent-b": {"pipeline": "enterprise", "name": "B", "order": 2},
                   "ent-c": {"pipeline": "enterprise", "name": "C", "order": 3}},
        "custom_fields": {"deal-tier": {"kind": "deal", "name": "Tier", "type": "enum", "options": ["Gold", "Silver"]},
                          "deal-notes": {"kind": "deal", "name": "Account notes", "type": "text"}},
    }


@pytest.fixture
def applied(project: Project) -> Project:
    project.write("shape.yaml", base())
    project.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Enterprise", "stage": "B"}}})
    project.apply()
    return project


def problems(project: Project) -> list[str]:
    result = project.run("plan")
    assert result.code == 1, result.both
    return [line for line in result.err.splitlines() if ": error: " in line or line.startswith("error:")]


def test_a_system_field_cannot_be_managed(project: Project) -> None:
    project.write("fields.yaml", {"custom_fields": {"title": {"kind": "deal", "name": "Title", "type": "varchar"}}})
    found = problems(project)
    assert len(found) == 1 and "fields.yaml:2:3: error: custom_field 'title' is Pipedrive's system field 'title'" \
        in found[0] and "only custom fields can be managed" in found[0], found


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "set"}, "is an enum field in Pipedrive, the manifests say set: Pipedrive cannot change a field's type"),
    ({"options": []}, "is an enum field: it keeps at least one option"),
])
def test_what_a_field_cannot_become(applied: Project, change: dict, message: str) -> None:
    data = base()
    data["custom_fields"]["deal-tier"].update(change)
    applied.write("shape.yaml", data)
    found = problems(applied)
    assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize(("field", "message"), [
    ({"kind": "deal", "name": "Size", "type": "set"}, "is a set field: declare its options"),
    ({"kind": "deal", "name": "Size", "type": "double", "options": ["S"]}, "declares options, but only enum and set"),
])
def test_options_belong_to_enum_and_set_fields(project: Project, field: dict, message: str) -> None:
    project.write("fields.yaml", {"custom_fields": {"deal-size": field}})
    found = problems(project)
    assert len(found) == 1 and message in found[0], found


def test_activity_fields_and_unknown_types_are_refused_offline(project: Project) -> None:
    project.write("fields.yaml", {"custom_fields": {
        "activity-mood": {"kind": "activity", "name": "Mood", "type": "varchar"},
        "deal-size": {"kind": "deal", "name": "Size", "type": "dropdown"},
        "deal-dup": {"kind": "deal", "name": "Dup", "type": "enum", "options": ["A", "a"]},
    }})
    result = project.run("validate")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any("field 'kind' must be one of deal, person, organization, product, got string 'activity'" in line
               for line in lines), lines
    assert any("field 'type' must be one of varchar" in line for line in lines), lines
    assert any("field 'options' names option 'a' twice" in line for line in lines), lines


def test_deleting_a_stage_and_a_field_counts_and_respects_protect(applied: Project) -> None:
    data = base()
    del data["stages"]["ent-c"]
    del data["custom_fields"]["deal-notes"]
    applied.write("shape.yaml", data)
    plan = applied.plan_json()
    assert sorted((c["action"], c["kind"], c["key"]) for c in plan["changes"]) == [
        ("delete", "custom_field", "deal-notes"), ("delete", "stage", "ent-c")]
    refused = applied.run("apply", "--auto-approve", "--max-deletes", "1")
    assert refused.code == 1 and "the plan deletes 2 objects, more than --max-deletes 1" in refused.err

    protected = base()
    protected["stages"]["ent-c"]["protect"] = True
    applied.write("shape.yaml", protected)
    applied.apply()  # records the protection in the lock
    applied.write("shape.yaml", data)
    found = problems(applied)
    assert any("stage 'ent-c'" in line and "is protected" in line for line in found), found

    applied.write("shape.yaml", {**base(), "stages": {**base()["stages"], "ent-c": {
        "pipeline": "enterprise", "name": "C", "absent": True}}})
    applied.apply()
    names = [s["name"] for s in applied.api("GET", "/api/v2/stages") if s["pipeline_id"] == applied.lock()[
        "resources"]["pipeline"]["enterprise"]]
    assert names == ["A", "B"]


def test_a_stage_whose_deals_the_plan_moves_can_go(applied: Project) -> None:
    data = base()
    del data["stages"]["ent-b"]
    applied.write("shape.yaml", data)
    applied.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Enterprise", "stage": "C"}}})
    applied.apply()
    pipeline = applied.lock()["resources"]["pipeline"]["enterprise"]
    stages = {s["name"]: s["id"] for s in applied.api("GET", "/api/v2/stages") if s["pipeline_id"] == pipeline}
    assert sorted(stages) == ["A", "C"]
    assert applied.deals()["Big one"]["stage_id"] == stages["C"]


def test_a_pipeline_goes_with_its_stages(applied: Project) -> None:
    applied.write("shape.yaml", {"custom_fields": base()["custom_fields"]})
    applied.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Sales", "stage": "Qualified"}}})
    plan = applied.plan_json()
    deletes = {c["key"]: c for c in plan["changes"] if c["action"] == "delete"}
    assert sorted(deletes) == ["ent-a", "ent-b", "ent-c", "enterprise"]
    assert all(deletes[key]["depends_on"] == ["pipeline.enterprise"] for key in ("ent-a", "ent-b", "ent-c"))
    result = applied.apply("--max-deletes", "4")
    assert "4 deleted" in result.out
    assert "Enterprise" not in [p["name"] for p in applied.api("GET", "/api/v2/pipelines")]
    assert applied.lock()["resources"].get("stage", {}) == {}
    assert applied.plan_json()["changes"] == []


def test_positions_pipedrive_cannot_change_are_warnings(applied: Project) -> None:
    data = base()
    data["stages"]["ent-a"]["order"] = 3
    data["stages"]["ent-c"]["order"] = 1
    applied.write("shape.yaml", data)
    result = applied.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.both  # not a change: nothing can be sent for it
    assert "warning: stage.ent-a is stage number 1 in Pipedrive, the manifests say 3: Pipedrive's API cannot " \
           "reorder stages, so move it in Pipedrive" in result.err


def test_new_stages_are_created_in_their_declared_order(project: Project) -> None:
    stages = {f"s{i}": {"pipeline": "p", "name": f"Step {i}", "order": i} for i in (4, 2, 3, 1)}
    project.write("shape.yaml", {"pipelines": {"p": {"name": "Steps"}}, "stages": stages})
    plan = project.plan_json()
    creates = {c["key"]: c["depends_on"] for c in plan["changes"] if c["kind"] == "stage"}
    assert creates == {"s1": ["pipeline.p"], "s2": ["pipeline.p", "stage.s1"], "s3": ["pipeline.p", "stage.s2"],
                       "s4": ["pipeline.p", "stage.s3"]}
    project.apply()
    pipeline = project.lock()["resources"]["pipeline"]["p"]
    live = project.api("GET", "/api/v2/stages", params={"pipeline_id": pipeline, "sort_by": "order_nr"})
    assert [s["name"] for s in live] == ["Step 1", "Step 2", "Step 3", "Step 4"]


def test_a_pipeline_keeps_a_stage(applied: Project) -> None:
    data = base()
    data["stages"] = {key: {**stage, "absent": True} for key, stage in data["stages"].items()}
    applied.write("shape.yaml", data)
    applied.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Sales", "stage": "Qualified"}}})
    found = problems(applied)
    assert len(found) == 1, found
    assert "the plan deletes every stage of pipeline id" in found[0] and "(stage.ent-a, stage.ent-b, stage.ent-c)" \
        in found[0] and "Pipedrive keeps at least one stage in a pipeline" in found[0]
    assert found[0].startswith(str(applied.path / "shape.yaml") + ":")
    data["stages"]["ent-d"] = {"pipeline": "enterprise", "name": "D"}  # a new one: the others may go
    applied.write("shape.yaml", data)
    applied.apply("--max-deletes", "3")
    pipeline = applied.lock()["resources"]["pipeline"]["enterprise"]
    assert [s["name"] for s in applied.api("GET", "/api/v2/stages") if s["pipeline_id"] == pipeline] == ["D"]
