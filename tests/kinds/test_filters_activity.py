"""Filters of activities, and the filter types reconciler refuses (issue 27).

An activity filter's conditions name activity fields by name (Type by the activity type's name,
Assigned to user by email, Done as a boolean), translated to the numeric field ids Pipedrive's
filter conditions take. Those ids come from `GET /api/v1/activityFields` (the official client's
v1 ActivityFieldsApi, current, not deprecated): `GET /api/v2/activityFields` names fields only by
`field_code`. The round trip: one apply with the records and the activity type it names, the next
plan empty, export then plan empty, a change made in Pipedrive is drift and `pull` brings it back.

Lead and project filters are refused at validate: Pipedrive's filter conditions name fields of
five objects (person, deal, organization, product, activity: AddFilterRequest.conditions), none of
them a lead's or a project's, so what such a filter's conditions would name is not documented.
Such filters made in Pipedrive are left alone: never adopted, exported or changed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.examples_project import BOB
from tests.kinds.conftest import Project

SHAPE = {
    "activity_types": {"product-demo": {"name": "Product demo", "icon_key": "presentation"}},
    "custom_fields": {"deal-tier": {"kind": "deal", "name": "Tier", "type": "enum", "options": ["Gold", "Silver"]}},
}
FILTERS = {
    "open-calls": {
        "name": "Open calls and demos",
        "type": "activity",
        "conditions": {
            "all": [
                {"field": "Done", "operator": "=", "value": False},
                {"field": "Due date", "operator": "<=", "value": "2026-12-31"},
                {"field": "Assigned to user", "operator": "=", "value": "alice@example.com"},
            ],
            "any": [
                {"field": "Type", "operator": "=", "value": "Call"},
                {"field": "Type", "operator": "=", "value": "Product demo"},
                {"object": "deal", "field": "Tier", "operator": "=", "value": "Gold"},
            ],
        },
    },
}


def manifests(project: Project, filters: dict | None = None) -> None:
    project.write("shape.yaml", {**SHAPE, "filters": filters or FILTERS})
    project.write("records.yaml", {
        "deals": {"acme-deal": {"title": "Acme deal", "fields": {"Tier": "Gold"}}},
        "activities": {"acme-call": {"subject": "Call Acme", "type": "call", "due_date": "2026-11-10",
                                     "deal": "acme-deal", "owner": "alice@example.com", "done": False}},
    })


def activity_field_ids(project: Project) -> dict[str, int]:
    """The live activity fields' numeric ids by key, as v1 lists them (what filter conditions name)."""
    return {f["key"]: f["id"] for f in project.api("GET", "/api/v1/activityFields")}


def live_filter(project: Project, name: str) -> dict:
    found = next(f for f in project.api("GET", "/api/v1/filters") if f["name"] == name)
    return project.api("GET", f"/api/v1/filters/{found['id']}", params={"include_field_code": "true"})


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_activity_filter_with_the_type_field_and_records_it_names(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"]["create"] == 5, plan["summary"]
    made = next(c for c in plan["changes"] if c["key"] == "open-calls")
    assert {"activity_type.product-demo", "custom_field.deal-tier"} <= set(made["depends_on"])

    project.apply()
    ids = activity_field_ids(project)
    demo = next(t for t in project.api("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    tier = project.deal_field("Tier")
    gold = next(o["id"] for o in tier["options"] if o["label"] == "Gold")
    live = live_filter(project, "Open calls and demos")
    assert live["type"] == "activity"
    and_group, or_group = live["conditions"]["conditions"]
    assert [(c["object"], c["field_id"], c["field_code"], c["operator"], c["value"])
            for c in and_group["conditions"]] == [
        ("activity", str(ids["done"]), "done", "=", "0"),
        ("activity", str(ids["due_date"]), "due_date", "<=", "2026-12-31"),
        ("activity", str(ids["owner_id"]), "owner_id", "=", "1")]
    assert [(c["object"], c["field_code"], c["value"]) for c in or_group["conditions"]] == [
        ("activity", "type", "call"), ("activity", "type", demo["key_string"]), ("deal", tier["key"], str(gold))]

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 5


def test_export_writes_the_activity_filter_by_name_and_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "filters", "--kind", "activity_types",
               "--kind", "custom_fields", "--kind", "deals", "--kind", "activities")
    exported = yaml.safe_load((out / "filters.yaml").read_text(encoding="utf-8"))["filters"]
    (written,) = [f for f in exported.values() if f["name"] == "Open calls and demos"]
    assert written == FILTERS["open-calls"]  # names, labels, emails and booleans, not ids
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 5


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    live = live_filter(project, "Open calls and demos")
    conditions = live["conditions"]
    for group in conditions["conditions"]:
        for c in group["conditions"]:
            c.pop("field_code", None)
            c.pop("json_value_flag", None)
    conditions["conditions"][0]["conditions"][2]["value"] = "2"  # Assigned to user: Bob, as the UI saves it
    conditions["conditions"][1]["conditions"][0]["value"] = "meeting"  # Type: Meeting
    project.api("PUT", f"/api/v1/filters/{live['id']}", json={"conditions": conditions}, headers=BOB)

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "open-calls" and change["action"] == "update"
    assert change["fields"]["conditions"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text(encoding="utf-8"))
    pulled = shape["filters"]["open-calls"]["conditions"]
    assert pulled["all"][2] == {"field": "Assigned to user", "operator": "=", "value": "bob@example.com"}
    assert pulled["any"][0] == {"field": "Type", "operator": "=", "value": "Meeting"}
    assert project.plan_json()["changes"] == []


def test_unknown_activity_fields_and_types_are_said_with_file_and_line(project: Project) -> None:
    for condition, message in (
        ({"field": "Dew date", "operator": "=", "value": "2026-01-01"}, "unknown activity field 'Dew date'"),
        ({"field": "Type", "operator": "=", "value": "Cal"}, "unknown option 'Cal' of field 'Type'"),
        ({"field": "Subject", "operator": ">", "value": "a"}, "does not fit activity field 'Subject'"),
        ({"field": "Assigned to user", "operator": "=", "value": "nobody@example.com"},
         "unknown user 'nobody@example.com'"),
    ):
        manifests(project, {"wrong": {"name": "Wrong", "type": "activity", "conditions": {"all": [condition]}}})
        result = project.run("plan")
        assert result.code == 1 and "shape.yaml:" in result.both and message in result.both, result.both
        assert "Traceback" not in result.both


def test_the_sandbox_serves_v1_activity_fields_and_checks_activity_conditions(project: Project) -> None:
    listed = project.api("GET", "/api/v1/activityFields")
    by_key = {f["key"]: f for f in listed}
    assert {"subject", "type", "due_date", "owner_id", "done"} <= set(by_key)
    assert all(isinstance(f["id"], int) for f in listed) and len({f["id"] for f in listed}) == len(listed)
    assert by_key["type"]["field_type"] == "varchar_options"
    assert {"id": "call", "label": "Call"} in by_key["type"]["options"]
    v2 = {f["field_code"]: f for f in project.api("GET", "/api/v2/activityFields", params={"limit": 500})}
    assert [o["id"] for o in v2["type"]["options"]] == [o["id"] for o in by_key["type"]["options"]]

    def body(key: str, operator: str, value: str | None) -> dict:
        field_id = str(by_key[key]["id"]) if key in by_key else "999999"
        condition = {"object": "activity", "field_id": field_id, "operator": operator, "value": value,
                     "extra_value": None}
        return {"name": "X", "type": "activity", "conditions": {"glue": "and", "conditions": [
            {"glue": "and", "conditions": [condition]}, {"glue": "or", "conditions": []}]}}

    made = project.api("POST", "/api/v1/filters", json=body("type", "=", "call"))
    assert made["conditions"]["conditions"][0]["conditions"][0]["field_id"] == str(by_key["type"]["id"])
    from tests.conftest import InProcess

    sandbox = InProcess(str(project.db))
    try:
        for refused, why in (
            (body("nope", "=", "a"), "does not exist for activity"),
            (body("type", "=", "nope"), "Option with id nope does not exist"),
            (body("subject", ">", "a"), "is not valid for the field Subject"),
            (body("owner_id", "=", "999"), "User with id 999 does not exist"),
        ):
            response = sandbox.raw.post("/api/v1/filters", json=refused)
            assert response.status_code == 400 and why in response.text, (why, response.text)
    finally:
        sandbox.close()


def test_lead_and_project_filters_are_refused_at_validate_with_file_and_line(project: Project) -> None:
    for filter_type in ("leads", "projects"):
        project.write("shape.yaml", {"filters": {"f": {"name": "F", "type": filter_type,
                                                       "conditions": {"all": []}}}})
        result = project.run("validate")
        assert result.code == 1, result.both
        lines = (project.path / "shape.yaml").read_text(encoding="utf-8").splitlines()
        line = next(n for n, text in enumerate(lines, 1) if text.strip() == f"type: {filter_type}")
        assert f"shape.yaml:{line}:" in result.both, result.both
        assert f"filters of {filter_type} are not supported" in result.both, result.both
        assert "person, deal, organization, product or activity" in result.both, result.both
        assert "Traceback" not in result.both


def test_lead_and_project_filters_made_in_pipedrive_are_left_alone(project: Project, tmp_path: Path) -> None:
    applied(project)
    title = next(f["id"] for f in project.api("GET", "/api/v1/dealFields", params={"limit": 500})
                 if f["key"] == "title")
    theirs = {}
    for filter_type in ("leads", "projects"):
        theirs[filter_type] = project.api("POST", "/api/v1/filters", headers=BOB, json={
            "name": "Open calls and demos", "type": filter_type,  # the managed filter's name, another type
            "conditions": {"glue": "and", "conditions": [
                {"glue": "and", "conditions": [{"object": "deal", "field_id": str(title), "operator": "IS NOT NULL",
                                                "value": None, "extra_value": None}]},
                {"glue": "or", "conditions": []}]}})
    assert project.plan_json()["changes"] == []
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "filters")
    exported = yaml.safe_load((out / "filters.yaml").read_text(encoding="utf-8"))["filters"]
    assert sorted(f["type"] for f in exported.values()) == ["activity"]
    manifests(project, {"open-calls": {**FILTERS["open-calls"], "absent": True}})
    project.apply()
    names = {(f["name"], f["type"]) for f in project.api("GET", "/api/v1/filters")}
    assert names == {("Open calls and demos", "leads"), ("Open calls and demos", "projects")}
