"""Deleting a custom field, a pipeline or a stage by consent (issue 25, item 3).

Removing a custom field whose values live records hold (declared then removed, or only
adopted, such as the sandbox company's Industry) used to be one plain delete line, counted
1 against --max-deletes; every record's value was then gone. A pipeline or stage that
unmanaged deals sit in was deleted halfway (its stages went, then the pipeline was refused).
Now the plan counts the records (managed or not, leads included), shows the counts in text,
JSON and markdown, refuses without --allow-data-loss, counts them against --max-deletes, and
all of it happens before the first write.
"""

from __future__ import annotations

import json

import pytest

from tests.shape.conftest import Project


def shape() -> dict:
    return {
        "pipelines": {"enterprise": {"name": "Enterprise"}},
        "stages": {"ent-a": {"pipeline": "enterprise", "name": "A", "order": 1},
                   "ent-b": {"pipeline": "enterprise", "name": "B", "order": 2},
                   "ent-c": {"pipeline": "enterprise", "name": "C", "order": 3}},
        "custom_fields": {"deal-tier": {"kind": "deal", "name": "Tier", "type": "enum", "options": ["Gold", "Silver"]}},
    }


@pytest.fixture
def applied(project: Project) -> Project:
    project.write("shape.yaml", shape())
    project.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Enterprise", "stage": "B",
                                                   "fields": {"Tier": "Gold"}}}})
    project.apply()
    return project


def _stage_ids(project: Project) -> dict[str, int]:
    pipeline = project.lock()["resources"]["pipeline"]["enterprise"]
    return {s["name"]: s["id"] for s in project.api("GET", "/api/v2/stages") if s["pipeline_id"] == pipeline}


def _unmanaged_holders(project: Project) -> None:
    """A deal and a lead that no manifest declares, both holding a Tier value."""
    field = project.deal_field("Tier")
    silver = next(o["id"] for o in field["options"] if o["label"] == "Silver")
    project.api("POST", "/api/v2/deals", json={"title": "Side deal", "stage_id": _stage_ids(project)["C"],
                                              "custom_fields": {field["key"]: silver}})
    org = project.api("POST", "/api/v2/organizations", json={"name": "Lead Org"})
    project.api("POST", "/api/v1/leads", json={"title": "A lead", "organization_id": org["id"], field["key"]: silver})


def test_removing_a_field_that_records_use_is_refused_with_counts(applied: Project) -> None:
    _unmanaged_holders(applied)
    data = shape()
    del data["custom_fields"]["deal-tier"]
    applied.write("shape.yaml", data)
    applied.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Enterprise", "stage": "B"}}})

    refused = applied.run("plan")
    assert refused.code == 1 and "Traceback" not in refused.both
    assert "custom_field.deal-tier" in refused.err and "destroys the values of 2 deals and 1 lead" in refused.err
    assert "refused without --allow-data-loss" in refused.err
    assert applied.run("apply", "--auto-approve", "--max-deletes", "50").code == 1
    assert applied.deal_field("Tier")  # nothing was written

    plan = applied.plan_json("--allow-data-loss")
    (delete,) = [c for c in plan["changes"] if c["action"] == "delete"]
    assert delete["data_loss"] == {"deal": 2, "lead": 1}
    text = applied.ok("plan", "--allow-data-loss").out
    assert "custom_field.deal-tier" in text and "destroys the values of 2 deals and 1 lead" in text
    markdown = applied.ok("plan", "--allow-data-loss", "--format", "markdown").out
    assert "destroys the values of 2 deals and 1 lead" in markdown

    over = applied.run("apply", "--auto-approve", "--allow-data-loss", "--max-deletes", "3")
    assert over.code == 1
    assert "the plan deletes 1 objects and data of 3 records, more than --max-deletes 3" in over.err
    exit_code = applied.run("plan", "--allow-data-loss", "--max-deletes", "3", "--detailed-exitcode")
    assert exit_code.code == 1 and "more than --max-deletes 3" in exit_code.err
    applied.apply("--allow-data-loss", "--max-deletes", "4")
    assert not [f for f in applied.api("GET", "/api/v1/dealFields", params={"limit": 500}) if f["name"] == "Tier"]


def test_an_adopted_field_such_as_industry_is_counted_too(project: Project) -> None:
    industry = {"kind": "organization", "name": "Industry", "type": "enum",
                "options": ["Manufacturing", "Software", "Retail", "Healthcare", "Finance", "Logistics"]}
    project.write("shape.yaml", {"custom_fields": {"org-industry": industry}})
    project.apply()  # adopted by name: now in the lock
    field = next(f for f in project.api("GET", "/api/v1/organizationFields", params={"limit": 500})
                 if f["name"] == "Industry")
    retail = next(o["id"] for o in field["options"] if o["label"] == "Retail")
    project.api("POST", "/api/v2/organizations", json={"name": "Shop", "custom_fields": {field["key"]: retail}})
    project.write("shape.yaml", {"organizations": {"x": {"name": "X"}}})
    refused = project.run("plan")
    assert refused.code == 1 and "custom_field.org-industry" in refused.err
    assert "destroys the values of 1 organization" in refused.err


def test_a_pipeline_with_unmanaged_deals_is_refused_before_any_write(applied: Project) -> None:
    _unmanaged_holders(applied)
    applied.write("shape.yaml", {"custom_fields": shape()["custom_fields"]})
    applied.write("deals.yaml", {"deals": {"big": {"title": "Big one", "pipeline": "Sales", "stage": "Qualified",
                                                   "fields": {"Tier": "Gold"}}}})
    refused = applied.run("apply", "--auto-approve", "--max-deletes", "50")
    assert refused.code == 1
    assert "pipeline.enterprise" in refused.err and "1 deal is in it" in refused.err, refused.err
    assert "stage.ent-c" not in refused.err  # counted once, with its pipeline
    assert sorted(_stage_ids(applied)) == ["A", "B", "C"]  # nothing deleted
    assert applied.deals()["Big one"]["stage_id"] in _stage_ids(applied).values()  # nor moved

    # with consent, Pipedrive may still refuse the pipeline (the sandbox does, as deals sit in
    # it): then its stages are not deleted either, never half a pipeline
    result = applied.run("apply", "--auto-approve", "--allow-data-loss", "--max-deletes", "50")
    assert result.code == 1
    assert sorted(_stage_ids(applied)) == ["A", "B", "C"]
    assert "depends on pipeline.enterprise, which failed" in result.err


def test_a_stage_with_unmanaged_deals_needs_consent_and_a_saved_plan_too(applied: Project) -> None:
    _unmanaged_holders(applied)
    data = shape()
    del data["stages"]["ent-c"]
    applied.write("shape.yaml", data)
    refused = applied.run("plan")
    assert refused.code == 1 and "stage.ent-c" in refused.err and "1 deal is in it" in refused.err
    saved = applied.path.parent / "plan.json"
    applied.ok("plan", "--allow-data-loss", "--out", str(saved))
    assert json.loads(saved.read_text())["changes"][-1]["data_loss"] == {"deal": 1}
    without = applied.run("apply", "--plan", str(saved), "--auto-approve")
    assert without.code == 1 and "refused without --allow-data-loss" in without.err
    assert "C" in _stage_ids(applied)


def test_a_field_nobody_uses_goes_without_consent(applied: Project) -> None:
    data = shape()
    data["custom_fields"]["deal-notes"] = {"kind": "deal", "name": "Notes", "type": "text"}
    applied.write("shape.yaml", data)
    applied.apply()
    del data["custom_fields"]["deal-notes"]
    applied.write("shape.yaml", data)
    plan = applied.plan_json()
    (delete,) = [c for c in plan["changes"] if c["action"] == "delete"]
    assert "data_loss" not in delete
    applied.apply()
