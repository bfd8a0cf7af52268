"""Filters as code (issue 27): the `filters` section, Pipedrive's saved views.

A filter is declared with its name, type and conditions written with names (fields, options,
stages, users), translated to Pipedrive's ids at plan/apply time. One apply creates a filter
together with the custom field, option, stage and records it names; the next plan is empty;
export then plan is empty; a change made in Pipedrive is drift and `pull` brings it back.
Live state is checked through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.examples_project import BOB
from tests.kinds.conftest import Project

SHAPE = {
    "pipelines": {"enterprise": {"name": "Enterprise"}},
    "stages": {"enterprise-qualified": {"pipeline": "enterprise", "name": "Qualified", "order": 1}},
    "custom_fields": {"deal-tier": {"kind": "deal", "name": "Tier", "type": "enum", "options": ["Gold", "Silver"]}},
}
FILTERS = {
    "big-gold-deals": {
        "name": "Big gold deals",
        "type": "deals",
        "conditions": {
            "all": [
                {"field": "Value", "operator": ">", "value": 10000},
                {"field": "Tier", "operator": "=", "value": "Gold"},
                {"field": "Stage", "operator": "=", "value": {"pipeline": "Enterprise", "stage": "Qualified"}},
            ],
            "any": [
                {"field": "Owner", "operator": "=", "value": "alice@example.com"},
                {"field": "Title", "operator": "LIKE '%$%'", "value": "Acme"},
            ],
        },
    },
    "people-without-email": {
        "name": "People without email",
        "type": "people",
        "conditions": {"all": [{"field": "Email", "operator": "IS NULL"}]},
    },
}


def manifests(project: Project, filters: dict | None = None) -> None:
    project.write("shape.yaml", {**SHAPE, "filters": filters or FILTERS})
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme"}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "pipeline": "Enterprise", "stage": "Qualified",
                                "value": 20000, "fields": {"Tier": "Gold"}}},
    })


def live_filters(project: Project) -> dict[str, dict]:
    """Live filters by name, each with its conditions (one get each, as Pipedrive serves them)."""
    return {f["name"]: project.api("GET", f"/api/v1/filters/{f['id']}", params={"include_field_code": "true"})
            for f in project.api("GET", "/api/v1/filters")}


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_filters_with_the_fields_stages_and_records_they_name(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 7, "update": 0, "delete": 0, "unchanged": 0}
    big = next(c for c in plan["changes"] if c["key"] == "big-gold-deals")
    assert {"custom_field.deal-tier", "stage.enterprise-qualified"} <= set(big["depends_on"])

    result = project.apply()
    assert "Resources: 7 created, 0 updated, 0 deleted" in result.out
    tier = project.deal_field("Tier")
    gold = next(o["id"] for o in tier["options"] if o["label"] == "Gold")
    pipeline = next(p for p in project.api("GET", "/api/v2/pipelines") if p["name"] == "Enterprise")
    stage = next(s for s in project.api("GET", "/api/v2/stages", params={"pipeline_id": pipeline["id"]}))
    live = live_filters(project)
    and_group, or_group = live["Big gold deals"]["conditions"]["conditions"]
    assert (and_group["glue"], or_group["glue"]) == ("and", "or")
    assert [(c["field_code"], c["operator"], c["value"]) for c in and_group["conditions"]] == [
        ("value", ">", "10000"), (tier["key"], "=", str(gold)), ("stage_id", "=", str(stage["id"]))]
    assert [(c["field_code"], c["value"]) for c in or_group["conditions"]] == [("user_id", "1"), ("title", "Acme")]
    assert live["Big gold deals"]["type"] == "deals"
    (email,) = live["People without email"]["conditions"]["conditions"][0]["conditions"]
    assert (email["object"], email["field_code"], email["operator"], email["value"]) == (
        "person", "email", "IS NULL", None)

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 7


def test_export_writes_filters_by_name_and_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "filters", "--kind", "pipelines", "--kind", "stages",
               "--kind", "custom_fields", "--kind", "organizations", "--kind", "deals")
    exported = yaml.safe_load((out / "filters.yaml").read_text(encoding="utf-8"))["filters"]
    assert sorted(f["name"] for f in exported.values()) == ["Big gold deals", "People without email"]
    big = next(f for f in exported.values() if f["name"] == "Big gold deals")
    assert big == FILTERS["big-gold-deals"]  # names, labels, {pipeline, stage} and emails, not ids
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 7


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    live = live_filters(project)["Big gold deals"]
    conditions = live["conditions"]
    silver = next(o["id"] for o in project.deal_field("Tier")["options"] if o["label"] == "Silver")
    conditions["conditions"][0]["conditions"][1]["value"] = str(silver)  # Tier = Silver, as the UI saves it
    for group in conditions["conditions"]:
        for c in group["conditions"]:
            c.pop("field_code", None)
    project.api("PUT", f"/api/v1/filters/{live['id']}", json={"name": "Big deals", "conditions": conditions},
                headers=BOB)

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "big-gold-deals" and change["action"] == "update"
    assert change["fields"]["name"]["drift"] is True and change["fields"]["conditions"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text(encoding="utf-8"))
    pulled = shape["filters"]["big-gold-deals"]
    assert pulled["name"] == "Big deals"
    assert pulled["conditions"]["all"][1] == {"field": "Tier", "operator": "=", "value": "Silver"}
    assert project.plan_json()["changes"] == []


def test_a_rename_sends_the_live_conditions_back_as_pipedrive_requires(project: Project) -> None:
    applied(project)
    before = live_filters(project)["Big gold deals"]
    manifests(project, {**FILTERS, "big-gold-deals": {**FILTERS["big-gold-deals"], "name": "Gold pipeline"}})
    (change,) = project.plan_json()["changes"]
    assert list(change["fields"]) == ["name"]
    project.apply()
    after = live_filters(project)["Gold pipeline"]
    assert after["id"] == before["id"] and after["conditions"] == before["conditions"]
    assert project.plan_json()["changes"] == []


def test_absent_deletes_the_managed_filter_and_leaves_everyone_elses(project: Project) -> None:
    applied(project)
    email = project.api("GET", "/api/v1/personFields", params={"limit": 500})
    email_id = next(f["id"] for f in email if f["key"] == "email")
    bobs = project.api("POST", "/api/v1/filters", headers=BOB, json={
        "name": "Bob's view", "type": "people",
        "conditions": {"glue": "and", "conditions": [
            {"glue": "and", "conditions": [{"object": "person", "field_id": str(email_id), "operator": "IS NULL",
                                            "value": None, "extra_value": None}]},
            {"glue": "or", "conditions": []}]}})
    manifests(project, {**FILTERS, "people-without-email": {**FILTERS["people-without-email"], "absent": True}})
    plan = project.plan_json()
    assert [(c["key"], c["action"]) for c in plan["changes"]] == [("people-without-email", "delete")]
    project.apply()
    names = {f["name"] for f in project.api("GET", "/api/v1/filters")}
    assert names == {"Big gold deals", "Bob's view"}
    assert project.api("GET", f"/api/v1/filters/{bobs['id']}")["name"] == "Bob's view"
    assert project.plan_json()["changes"] == []


def test_what_pipedrive_would_refuse_is_said_with_file_and_line(project: Project) -> None:
    bad = {"wrong": {"name": "Wrong", "type": "deals", "conditions": {"all": [
        {"field": "Value", "operator": "LIKE '%$%'", "value": "10"}]}}}
    manifests(project, bad)
    result = project.run("plan")
    assert result.code == 1 and "shape.yaml:" in result.both
    assert "operator \"LIKE '%$%'\" does not fit deal field 'Value' (monetary)" in result.both

    for condition, message in (
        ({"field": "Regoin", "operator": "=", "value": "x"}, "unknown deal field 'Regoin'"),
        ({"field": "Tier", "operator": "=", "value": "Bronze"}, "field 'Tier' has no option 'Bronze'"),  # offline
        ({"field": "Lead source", "operator": "=", "value": "Bronze"}, "unknown option 'Bronze' of field 'Lead source'"),
        ({"field": "Stage", "operator": "=", "value": {"pipeline": "Enterprise", "stage": "Won"}},
         "unknown stage in pipeline 'Enterprise' 'Won'"),
        ({"field": "Owner", "operator": "=", "value": "nobody@example.com"}, "unknown user 'nobody@example.com'"),
    ):
        manifests(project, {"wrong": {"name": "Wrong", "type": "deals", "conditions": {"all": [condition]}}})
        result = project.run("plan")
        assert result.code == 1 and "shape.yaml:" in result.both and message in result.both, result.both
        assert "Traceback" not in result.both


def test_validate_refuses_the_shape_pipedrive_refuses_offline(project: Project) -> None:
    for condition, message in (
        ({"field": "Value", "operator": "contains", "value": 1}, "operator"),
        ({"field": "Email", "operator": "IS NULL", "value": "x"}, "operator 'IS NULL' takes no value"),
        ({"field": "Email", "operator": "="}, "operator '=' needs a value"),
    ):
        project.write("shape.yaml", {"filters": {"f": {"name": "F", "type": "people",
                                                       "conditions": {"all": [condition]}}}})
        result = project.run("validate")
        assert result.code == 1 and "shape.yaml:" in result.both and message in result.both, result.both
    many = [{"field": "Name", "operator": "IS NOT NULL"}] * 17
    project.write("shape.yaml", {"filters": {"f": {"name": "F", "type": "people", "conditions": {"any": many}}}})
    result = project.run("validate")
    assert result.code == 1 and "at most 16 per filter" in result.both


def test_a_filters_type_cannot_change(project: Project) -> None:
    applied(project)
    manifests(project, {**FILTERS, "people-without-email": {**FILTERS["people-without-email"], "type": "org",
                                                            "conditions": {"all": []}}})
    result = project.run("plan")
    assert result.code == 1 and "a filter's type cannot change" in result.both


def test_an_option_and_a_stage_renamed_in_pipedrive_are_recognised_and_pull_renames_them(project: Project) -> None:
    applied(project)
    project.apply()  # names the same apply creates are recorded by the next one (docs/state.md)
    vocabulary = project.lock()["vocabulary"]
    tier = project.deal_field("Tier")
    gold = next(o["id"] for o in tier["options"] if o["label"] == "Gold")
    assert vocabulary["option"][tier["key"]]["Gold"] == gold
    pipeline = next(p for p in project.api("GET", "/api/v2/pipelines") if p["name"] == "Enterprise")
    (stage,) = project.api("GET", "/api/v2/stages", params={"pipeline_id": pipeline["id"]})
    assert vocabulary["stage"][str(pipeline["id"])]["Qualified"] == stage["id"]
    project.api("PATCH", f"/api/v2/dealFields/{tier['key']}/options", json=[{"id": gold, "label": "Platinum"}])
    project.api("PATCH", f"/api/v2/stages/{stage['id']}", json={"name": "Sales qualified"})

    result = project.run("plan", "--no-color")
    assert result.code == 0, result.both
    assert "option renamed in Pipedrive from 'Gold' to 'Platinum'" in result.both
    assert "stage renamed in Pipedrive from 'Qualified' to 'Sales qualified'" in result.both

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text(encoding="utf-8"))
    conditions = shape["filters"]["big-gold-deals"]["conditions"]["all"]
    assert conditions[1]["value"] == "Platinum"
    assert conditions[2]["value"] == {"pipeline": "Enterprise", "stage": "Sales qualified"}
    assert project.plan_json()["changes"] == []


def test_the_sandbox_refuses_what_pipedrive_refuses(project: Project) -> None:
    """The served /v1/filters refuses, with a 400, bodies Pipedrive's description says it refuses."""
    from tests.conftest import InProcess

    fields = {f["key"]: f["id"] for f in project.api("GET", "/api/v1/dealFields", params={"limit": 500})}

    def condition(key: str, operator: str, value: str | None) -> dict:
        return {"object": "deal", "field_id": str(fields.get(key, 999999)), "operator": operator, "value": value,
                "extra_value": None}

    def body(*conditions: dict, groups: tuple[str, ...] = ("and", "or")) -> dict:
        return {"name": "X", "type": "deals", "conditions": {"glue": "and", "conditions": [
            {"glue": glue, "conditions": list(conditions) if index == 0 else []}
            for index, glue in enumerate(groups)]}}

    sandbox = InProcess(str(project.db))
    try:
        for refused, why in (
            (body(condition("title", "LIKE '%$%'", "a"), groups=("or", "and")), "two condition groups"),
            (body(condition("title", "=", "a"), groups=("and",)), "two condition groups"),
            (body(condition("nope", "=", "a")), "does not exist for deal"),
            (body(condition("value", "LIKE '%$%'", "1")), "is not valid for the field Value"),
            (body(condition("title", "contains", "a")), "Operator must be one of"),
            (body(condition("stage_id", "=", "999")), "Stage with id 999 does not exist"),
            (body(condition("user_id", "=", "999")), "User with id 999 does not exist"),
            (body(*[condition("title", "IS NULL", None)] * 17), "at most 16 conditions"),
            ({**body(), "visible_to": "1"}, "'visible_to' is not allowed"),
        ):
            response = sandbox.raw.post("/api/v1/filters", json=refused)
            assert response.status_code == 400 and why in response.text, (why, response.text)
    finally:
        sandbox.close()


def test_validate_checks_conditions_against_custom_fields_the_manifests_declare(project: Project) -> None:
    for condition, message in (
        ({"field": "Tier", "operator": ">", "value": "Gold"}, "operator '>' does not fit field 'Tier' (enum)"),
        ({"field": "Tier", "operator": "=", "value": "Bronze"}, "field 'Tier' has no option 'Bronze'"),
    ):
        project.write("shape.yaml", {**SHAPE, "filters": {"f": {"name": "F", "type": "deals",
                                                               "conditions": {"all": [condition]}}}})
        result = project.run("validate")
        assert result.code == 1 and message in result.both, result.both
        lines = (project.path / "shape.yaml").read_text(encoding="utf-8").splitlines()
        line = next(n for n, text in enumerate(lines, 1) if text.strip() == "all:")
        assert f"shape.yaml:{line}:" in result.both, result.both  # where the filter's conditions start
