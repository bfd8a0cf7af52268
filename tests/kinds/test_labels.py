"""Labels as code (issue 27): the `labels` section.

Deal, person and organization labels are options of each one's standard `label` field; lead labels
have their own endpoint. One apply creates labels and the records that name them, the next plan is
empty, export then plan is empty, a change made in Pipedrive is drift and `pull` brings it back.
Live state is checked through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

LABELS = {
    "deal-strategic": {"kind": "deal", "name": "Strategic"},
    "organization-partner": {"kind": "organization", "name": "Partner"},
    "lead-inbound": {"kind": "lead", "name": "Inbound", "color": "purple"},
}


def manifests(project: Project, labels: dict | None = None) -> None:
    project.write("shape.yaml", {"labels": labels or LABELS})
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme", "labels": ["Partner"]}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "labels": ["Strategic", "Hot"]}},
        "leads": {"acme-lead": {"title": "Acme lead", "org": "acme", "labels": ["Inbound"]}},
    })


def field_labels(project: Project, entity: str) -> dict[str, int]:
    fields = project.api("GET", f"/api/v1/{entity}Fields", params={"limit": 500})
    return {o["label"]: o["id"] for o in next(f for f in fields if f["key"] == "label")["options"]}


def lead_labels(project: Project) -> dict[str, dict]:
    return {label["name"]: label for label in project.api("GET", "/api/v1/leadLabels")}


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_labels_and_the_records_that_use_them(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 6, "update": 0, "delete": 0, "unchanged": 0}
    deal = next(c for c in plan["changes"] if c["key"] == "acme-deal")
    assert "label.deal-strategic" in deal["depends_on"]

    result = project.apply()
    assert "Resources: 6 created, 0 updated, 0 deleted" in result.out
    deal_labels, org_labels, leads = field_labels(project, "deal"), field_labels(project, "organization"), \
        lead_labels(project)
    assert leads["Inbound"]["color"] == "purple"
    (live_deal,) = project.api("GET", "/api/v2/deals", params={"limit": 500})
    assert sorted(live_deal["label_ids"]) == sorted([deal_labels["Strategic"], deal_labels["Hot"]])
    (org,) = project.api("GET", "/api/v2/organizations", params={"limit": 500})
    assert org["label_ids"] == [org_labels["Partner"]]
    (lead,) = project.api("GET", "/api/v1/leads")
    assert lead["label_ids"] == [leads["Inbound"]["id"]]

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 6
    assert project.lock()["resources"]["label"]["deal-strategic"] == f"deal:{deal_labels['Strategic']}"


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "labels", "--kind", "organizations", "--kind", "deals",
               "--kind", "leads")
    exported = yaml.safe_load((out / "labels.yaml").read_text(encoding="utf-8"))["labels"]
    for label in LABELS.values():
        assert label in exported.values()
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 6


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    inbound = lead_labels(project)["Inbound"]["id"]
    project.api("PATCH", f"/api/v1/leadLabels/{inbound}", json={"color": "green"})

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "lead-inbound" and change["fields"]["color"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text())
    assert shape["labels"]["lead-inbound"] == {**LABELS["lead-inbound"], "color": "green"}
    assert project.plan_json()["changes"] == []


def test_renaming_a_label_keeps_its_id_and_the_records_that_have_it(project: Project) -> None:
    applied(project)
    before = field_labels(project, "deal")["Strategic"]
    manifests(project, {**LABELS, "deal-strategic": {"kind": "deal", "name": "Key account"}})
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["deals"]["acme-deal"]["labels"] = ["Key account", "Hot"]
    project.write("records.yaml", records)
    plan = project.plan_json()
    assert [(c["kind"], c["action"]) for c in plan["changes"]] == [("label", "update")]
    project.apply()
    assert field_labels(project, "deal")["Key account"] == before
    assert project.plan_json()["changes"] == []


def test_a_colour_on_a_deal_label_is_refused(project: Project) -> None:
    manifests(project, {**LABELS, "deal-strategic": {"kind": "deal", "name": "Strategic", "color": "red"}})
    result = project.run("plan")
    assert result.code == 1 and "Pipedrive's API cannot set on deal labels" in result.both


def test_a_colour_on_an_organization_label_is_refused_by_validate_at_its_line(project: Project) -> None:
    """No current route writes the colour of a deal, person or organization label (the official client's
    option models take a label only), so even `validate`, which reads nothing, refuses it at the line of
    `color:` and says why."""
    manifests(project, {**LABELS, "organization-partner": {"kind": "organization", "name": "Partner",
                                                           "color": "green"}})
    text = (project.path / "shape.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(text, 1) if row.strip() == "color: green")
    result = project.run("validate", str(project.path))
    assert result.code == 1 and "Traceback" not in result.both
    assert f"shape.yaml:{line}:" in result.both and "label 'organization-partner' declares a color" in result.both
    assert "UpdateDealFieldOptionsRequestInner" in result.both, result.both


def test_promoting_to_a_fresh_account_carries_the_labels_and_the_records(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "labels", "--kind", "organizations", "--kind", "deals",
               "--kind", "leads")
    fresh = Project(tmp_path / "production")
    for exported in out.rglob("*.yaml"):
        fresh.write(str(exported.relative_to(out)), exported.read_text(encoding="utf-8"))
    plan = fresh.plan_json()
    created = sorted(c["key"] for c in plan["changes"] if c["kind"] == "label")
    assert created == sorted(LABELS) and plan["summary"]["update"] == 0  # the account's own labels adopted
    fresh.apply()
    (deal,) = fresh.api("GET", "/api/v2/deals", params={"limit": 500})
    deal_labels = field_labels(fresh, "deal")
    assert sorted(deal["label_ids"]) == sorted([deal_labels["Strategic"], deal_labels["Hot"]])
    (lead,) = fresh.api("GET", "/api/v1/leads")
    assert lead["label_ids"] == [lead_labels(fresh)["Inbound"]["id"]]
    assert fresh.plan_json()["changes"] == []


def test_a_label_renamed_in_pipedrive_is_recognised_and_pull_renames_it_everywhere(project: Project) -> None:
    applied(project)
    project.apply()  # a name the same apply creates is recorded by the next one (docs/state.md)
    strategic = field_labels(project, "deal")["Strategic"]
    assert project.lock()["vocabulary"]["label"]["deal"]["Strategic"] == strategic
    project.api("PATCH", "/api/v2/dealFields/label/options", json=[{"id": strategic, "label": "Key account"}])

    result = project.run("plan", "--no-color")
    assert result.code == 0, result.both
    assert "label renamed in Pipedrive from 'Strategic' to 'Key account': deal.acme-deal" in result.both
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "deal-strategic" and change["fields"]["name"]["drift"] is True

    project.ok("pull", str(project.path))
    shape = yaml.safe_load((project.path / "shape.yaml").read_text())
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    assert shape["labels"]["deal-strategic"]["name"] == "Key account"
    assert records["deals"]["acme-deal"]["labels"] == ["Key account", "Hot"]
    assert project.plan_json()["changes"] == []


def test_a_renamed_label_undeclared_is_recognised_too(project: Project) -> None:
    applied(project)
    project.apply()
    project.write("shape.yaml", {"labels": {k: v for k, v in LABELS.items() if k != "deal-strategic"}})
    project.write("removed.yaml", {"removed": [{"from": "label.deal-strategic", "destroy": False}]})
    project.apply()
    strategic = field_labels(project, "deal")["Strategic"]
    project.api("PATCH", "/api/v2/dealFields/label/options", json=[{"id": strategic, "label": "Key account"}])
    result = project.run("plan", "--no-color", "--detailed-exitcode")
    assert result.code == 0, result.both
    assert "label renamed in Pipedrive from 'Strategic' to 'Key account'" in result.both


def test_deleting_a_label_in_use_is_counted_and_needs_consent(project: Project) -> None:
    applied(project)
    project.write("shape.yaml", {"labels": {**LABELS, "deal-strategic": {"kind": "deal", "name": "Strategic",
                                                                          "absent": True}}})
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    del records["deals"]["acme-deal"]["labels"]  # no longer managed: the live deal keeps the label
    project.write("records.yaml", records)
    refused = project.run("plan")
    assert refused.code == 1, refused.both
    assert ("label.deal-strategic (shape.yaml:2) will be deleted and takes it off 1 deal: refused without "
            "--allow-data-loss") in refused.both.replace(str(project.path) + "/", "")

    project.apply("--allow-data-loss")
    assert "Strategic" not in field_labels(project, "deal")
    (deal,) = project.api("GET", "/api/v2/deals", params={"limit": 500})
    assert deal["label_ids"] == [field_labels(project, "deal")["Hot"]]
