"""Issue 17's must-show: the account's shape and the records that use it, in one apply.

On a fresh sandbox, one apply creates a pipeline with four stages, a deal custom field with
three options and ten deals in those stages with those options; the next plan is empty; an
export (of the records, and of the shape too) then plans empty. Renaming an option keeps its
id and every record's value (checked through the sandbox's API, not through reconciler);
removing an option that live records use is refused with the count of those records.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import check_plan_json
from tests.shape.conftest import Project

STAGES = ("Discovery", "Pilot", "Contract", "Live")
REGIONS = ("EMEA", "Americas", "APAC")


def shape(options: list | None = None) -> dict:
    return {
        "pipelines": {"enterprise": {"name": "Enterprise", "deal_probability": True}},
        "stages": {f"ent-{name.lower()}": {"pipeline": "enterprise", "name": name, "order": i + 1,
                                           "probability": 25 * (i + 1)}
                   for i, name in enumerate(STAGES)},
        "custom_fields": {"deal-region": {"kind": "deal", "name": "Region", "type": "enum",
                                          "options": options or list(REGIONS)}},
    }


def deals(region_of=lambda i: REGIONS[i % 3]) -> dict:
    return {"deals": {f"deal-{i}": {"title": f"Enterprise deal {i}", "value": 1000 * (i + 1), "currency": "EUR",
                                    "pipeline": "Enterprise", "stage": STAGES[i % 4],
                                    "fields": {"Region": region_of(i)}}
                      for i in range(10)}}


def applied(project: Project) -> Project:
    project.write("shape.yaml", shape())
    project.write("deals.yaml", deals())
    project.apply()
    return project


def test_one_apply_creates_the_shape_and_the_deals_that_use_it(project: Project) -> None:
    project.write("shape.yaml", shape())
    project.write("deals.yaml", deals())
    plan = project.plan_json()
    assert plan["summary"] == {"create": 16, "update": 0, "delete": 0, "unchanged": 0}
    assert [c["kind"] for c in plan["changes"][:6]] == ["pipeline", *["stage"] * 4, "custom_field"]
    deal = next(c for c in plan["changes"] if c["key"] == "deal-0")
    assert set(deal["depends_on"]) == {"pipeline.enterprise", "stage.ent-discovery", "custom_field.deal-region"}

    result = project.apply()
    assert "Resources: 16 created, 0 updated, 0 deleted" in result.out

    pipeline = next(p for p in project.api("GET", "/api/v2/pipelines") if p["name"] == "Enterprise")
    assert pipeline["is_deal_probability_enabled"] is True
    stages = project.api("GET", "/api/v2/stages", params={"pipeline_id": pipeline["id"], "sort_by": "order_nr"})
    assert [(s["name"], s["deal_probability"]) for s in stages] == [(n, 25 * (i + 1)) for i, n in enumerate(STAGES)]
    field = project.deal_field("Region")
    assert [o["label"] for o in field["options"]] == list(REGIONS)
    option_id = {o["label"]: o["id"] for o in field["options"]}
    stage_id = {s["name"]: s["id"] for s in stages}
    live = project.deals()
    for i in range(10):
        deal = live[f"Enterprise deal {i}"]
        assert deal["pipeline_id"] == pipeline["id"] and deal["stage_id"] == stage_id[STAGES[i % 4]]
        assert deal["custom_fields"][field["key"]] == option_id[REGIONS[i % 3]]

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 16
    lock = project.lock()
    assert set(lock["resources"]) == {"pipeline", "stage", "custom_field", "deal"}
    assert lock["resources"]["custom_field"]["deal-region"] == f"deal:{field['key']}"


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    records = tmp_path / "records"
    project.ok("export", "--out", str(records))
    assert not (records / "pipelines.yaml").exists()  # the shape only when asked for
    assert project.plan_json(path=records)["changes"] == []

    everything = tmp_path / "everything"
    project.ok("export", "--out", str(everything), "--kind", "pipelines", "--kind", "stages",
               "--kind", "custom_fields", "--kind", "deals")
    exported = (everything / "custom_fields.yaml").read_text(encoding="utf-8")
    assert "deal-region:" in exported and "options: [EMEA, Americas, APAC]" in exported
    assert "Title" not in exported  # Pipedrive's system fields are not the manifests' to declare
    stages = (everything / "stages.yaml").read_text(encoding="utf-8")
    assert "enterprise-pilot:\n    pipeline: enterprise\n    name: Pilot\n    order: 2" in stages
    plan = project.plan_json(path=everything)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] > 16


def test_renaming_an_option_keeps_its_id_and_every_value(project: Project) -> None:
    applied(project)
    before = project.deal_field("Region")
    old_values = {title: d["custom_fields"][before["key"]] for title, d in project.deals().items()}
    americas = next(o["id"] for o in before["options"] if o["label"] == "Americas")

    project.write("shape.yaml", shape(["EMEA", {"label": "AMER", "was": "Americas"}, "APAC"]))
    project.write("deals.yaml", deals(lambda i: ("EMEA", "AMER", "APAC")[i % 3]))
    plan = project.plan_json()
    assert [(c["kind"], c["action"]) for c in plan["changes"]] == [("custom_field", "update")]
    detail = plan["changes"][0]["fields"]["options"]["detail"]
    assert detail == {"added": [], "removed": [], "renamed": [["Americas", "AMER"]]}
    text = project.ok("plan").out
    assert '~"Americas"→"AMER"' in text
    project.apply()

    after = project.deal_field("Region")
    assert after["key"] == before["key"]
    assert [(o["id"], o["label"]) for o in after["options"]] == [
        (o["id"], "AMER" if o["id"] == americas else o["label"]) for o in before["options"]]
    assert {title: d["custom_fields"][after["key"]] for title, d in project.deals().items()} == old_values
    assert project.plan_json()["changes"] == []  # `was` may stay in the manifest: the label is matched first


def without_region(data: dict, keep: tuple[int, ...] = ()) -> dict:
    """The deals, declaring Region only for deals `keep` (the others' Region is left unmanaged)."""
    return {"deals": {key: {f: v for f, v in deal.items() if f != "fields" or int(key.split("-")[1]) in keep}
                      for key, deal in data["deals"].items()}}


def test_removing_an_option_in_use_is_refused_with_the_count(project: Project) -> None:
    applied(project)
    project.write("shape.yaml", shape(["EMEA", "Americas"]))  # APAC goes: deals 2, 5 and 8 use it
    project.write("deals.yaml", without_region(deals()))
    refused = project.run("plan")
    assert refused.code == 1
    errors = [line for line in refused.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, refused.err
    assert "custom_field.deal-region" in errors[0] and "'APAC' is used by 3 live deals" in errors[0]
    assert "--allow-option-removal" in errors[0]
    assert project.run("apply", "--auto-approve").code == 1
    assert [o["label"] for o in project.deal_field("Region")["options"]] == list(REGIONS)  # nothing written

    # the same plan gives deals 2 and 5 another region: the count says who is left
    project.write("deals.yaml", without_region(deals(lambda i: "EMEA" if i in (2, 5) else REGIONS[i % 3]), (2, 5)))
    refused = project.run("plan")
    assert refused.code == 1 and "'APAC' is used by 1 live deal." in refused.err, refused.err

    # every user of APAC moved in the same plan: allowed
    project.write("deals.yaml", deals(lambda i: "EMEA" if i % 3 == 2 else REGIONS[i % 3]))
    project.apply()
    assert [o["label"] for o in project.deal_field("Region")["options"]] == ["EMEA", "Americas"]
    assert project.plan_json()["changes"] == []


def test_allow_option_removal_clears_the_option_from_its_records(project: Project) -> None:
    applied(project)
    project.write("shape.yaml", shape(["EMEA", "Americas"]))
    project.write("deals.yaml", without_region(deals()))  # Region no longer managed
    result = project.apply("--allow-option-removal")
    assert "'APAC' is used by 3 live deals" in result.err and "clears them" in result.err
    field = project.deal_field("Region")
    assert [o["label"] for o in field["options"]] == ["EMEA", "Americas"]
    cleared = [t for t, d in project.deals().items() if d["custom_fields"][field["key"]] is None]
    assert sorted(cleared) == sorted(f"Enterprise deal {i}" for i in (2, 5, 8))


def test_reordering_and_adding_options_keeps_the_ids(project: Project) -> None:
    applied(project)
    before = {o["label"]: o["id"] for o in project.deal_field("Region")["options"]}
    project.write("shape.yaml", shape(["APAC", "LATAM", "EMEA", "Americas"]))
    project.write("deals.yaml", deals(lambda i: "LATAM" if i == 0 else REGIONS[i % 3]))
    plan = project.plan_json()
    field_change = next(c for c in plan["changes"] if c["kind"] == "custom_field")
    assert field_change["writes"]["options"]["reorder"] is True
    deal = next(c for c in plan["changes"] if c["kind"] == "deal")
    assert deal["depends_on"] == ["custom_field.deal-region"]  # the new option's id comes from that update
    project.apply()
    after = project.deal_field("Region")["options"]
    assert [o["label"] for o in after] == ["APAC", "LATAM", "EMEA", "Americas"]
    assert all(before[o["label"]] == o["id"] for o in after if o["label"] in before)
    latam = next(o["id"] for o in after if o["label"] == "LATAM")
    assert project.deals()["Enterprise deal 0"]["custom_fields"][project.deal_field("Region")["key"]] == latam
    assert project.plan_json()["changes"] == []


def test_a_saved_plan_resolves_keys_and_option_ids_at_apply(project: Project, tmp_path: Path) -> None:
    project.write("shape.yaml", shape())
    project.write("deals.yaml", deals())
    saved = tmp_path / "plan.json"
    project.ok("plan", "--out", str(saved))
    data = check_plan_json(json.loads(saved.read_text(encoding="utf-8")))
    writes = next(c for c in data["changes"] if c["key"] == "deal-0")["writes"]
    assert writes["custom_fields"] == {
        '$ref:["custom_field.deal-region", "key"]': {"$ref": "custom_field.deal-region",
                                                     "part": ["option_ids", "EMEA"]}}
    assert writes["stage_id"] == {"$ref": "stage.ent-discovery"}
    assert "Plan: 16 to create" in project.ok("show", str(saved)).out
    project.ok("apply", "--plan", str(saved), "--auto-approve")
    field = project.deal_field("Region")
    emea = next(o["id"] for o in field["options"] if o["label"] == "EMEA")
    assert project.deals()["Enterprise deal 0"]["custom_fields"][field["key"]] == emea
    assert project.plan_json()["changes"] == []


def test_renaming_a_stage_and_a_field_keeps_their_deals(project: Project) -> None:
    applied(project)
    key = project.deal_field("Region")["key"]
    data = shape()
    data["stages"]["ent-pilot"]["name"] = "Pilot phase"
    data["custom_fields"]["deal-region"]["name"] = "Sales region"
    project.write("shape.yaml", data)
    project.write("deals.yaml", json.loads(json.dumps(deals()).replace('"Pilot"', '"Pilot phase"')
                                           .replace('"Region"', '"Sales region"')))
    plan = project.plan_json()
    assert sorted((c["kind"], c["key"], sorted(c["fields"])) for c in plan["changes"]) == [
        ("custom_field", "deal-region", ["name"]), ("stage", "ent-pilot", ["name"])]
    project.apply()
    assert project.deal_field("Sales region")["key"] == key
    assert project.plan_json()["changes"] == []
    # the old names are gone from the plan's vocabulary: a deal still naming one is told so
    project.write("deals.yaml", deals())
    refused = project.run("plan")
    assert refused.code == 1 and "unknown stage in pipeline 'Enterprise' 'Pilot'" in refused.err, refused.err
