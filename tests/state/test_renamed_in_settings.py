"""Issue 24, reproduction 6: names renamed in Pipedrive's Settings are recognised by their recorded id.

An option, a pipeline or a stage renamed in Pipedrive leaves `plan`, `plan --drift-only` and
`pull` working: the plan says "renamed in Pipedrive from X to Y" (the old name still means
the same id), `pull` rewrites the old name everywhere the manifests use it and refreshes the
lock, and the next plan is empty and says nothing of it. A managed custom field whose option
was renamed is drift, never a delete and a create of the option.
"""

from __future__ import annotations

from tests.examples_project import BOB, ExamplesProject

REGION = """custom_fields:
  deal-region:
    kind: deal
    name: Region
    type: enum
    options: [EMEA, Americas, APAC]
"""


def rename_option(project: ExamplesProject, field_name: str, old: str, new: str) -> None:
    fields = project.api("GET", "/api/v1/dealFields", params={"limit": 500})
    found = next(f for f in fields if f["name"] == field_name)
    option = next(o for o in found["options"] if o["label"] == old)
    project.api("PATCH", f"/api/v2/dealFields/{found['key']}/options", headers=BOB,
                json=[{"id": option["id"], "label": new}])


def test_the_lock_records_the_names_the_manifests_use(project: ExamplesProject) -> None:
    vocabulary = project.lock()["vocabulary"]
    assert set(vocabulary["pipeline"]) == {"Sales", "Partners"}
    assert any("Referral" in labels for labels in vocabulary["option"].values())
    assert any("Negotiation" in names for names in vocabulary["stage"].values())


def test_an_option_renamed_in_settings_leaves_plan_working_and_pull_rewrites_it(project: ExamplesProject) -> None:
    rename_option(project, "Lead source", "Referral", "Referrals")
    result = project.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.err
    assert "option renamed in Pipedrive from 'Referral' to 'Referrals'" in result.err
    assert "deal.acme-renewal-2027" in result.err
    assert project.run("plan", "--drift-only").code == 0
    pulled = project.run("pull")
    assert pulled.code == 0, pulled.err
    assert "Lead source: Referrals" in (project.path / "accounts" / "acme.yaml").read_text()
    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.err
    assert any("Referrals" in labels for labels in project.lock()["vocabulary"]["option"].values())


def test_a_pipeline_and_a_stage_renamed_in_pipedrive_are_pulled_into_every_deal(project: ExamplesProject) -> None:
    sales = project.lock()["vocabulary"]["pipeline"]["Sales"]
    project.api("PATCH", f"/api/v2/pipelines/{sales}", headers=BOB, json={"name": "Sales EU"})
    stage = project.lock()["vocabulary"]["stage"][str(sales)]["Negotiation"]
    project.api("PATCH", f"/api/v2/stages/{stage}", headers=BOB, json={"name": "Negotiating"})
    result = project.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.err
    assert "pipeline renamed in Pipedrive from 'Sales' to 'Sales EU'" in result.err
    assert "stage renamed in Pipedrive from 'Negotiation' to 'Negotiating'" in result.err
    pulled = project.run("pull")
    assert pulled.code == 0, pulled.err
    texts = "".join(p.read_text() for p in (project.path / "accounts").glob("*.yaml"))
    assert "pipeline: Sales\n" not in texts and texts.count("pipeline: Sales EU\n") == 5
    assert "stage: Negotiation\n" not in texts and "stage: Negotiating\n" in texts
    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.err


def test_a_managed_fields_option_renamed_in_settings_is_drift_never_a_delete(project: ExamplesProject) -> None:
    (project.path / "shape.yaml").write_text(REGION)
    assert project.run("apply", "--auto-approve").code == 0
    project.edit("acme.yaml", "      Lead source: Referral\n", "      Lead source: Referral\n      Region: EMEA\n")
    assert project.run("apply", "--auto-approve").code == 0
    rename_option(project, "Region", "EMEA", "Europe")
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["kind"] == "custom_field" and change["fields"]["options"].get("drift") is True
    assert change["writes"]["options"]["remove"] == []  # the option keeps its id: relabelled back, not replaced
    assert project.run("plan", "--on-drift", "keep", "--detailed-exitcode").code == 0
    pulled = project.run("pull")
    assert pulled.code == 0, pulled.err
    assert "options: [Europe, Americas, APAC]" in (project.path / "shape.yaml").read_text()
    assert "Region: Europe" in (project.path / "accounts" / "acme.yaml").read_text()
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_a_label_renamed_in_pipedrive_is_recognised_and_pulled(project: ExamplesProject) -> None:
    warm = project.lock()["vocabulary"]["label"]["lead"]["Warm"]
    project.api("PATCH", f"/api/v1/leadLabels/{warm}", headers=BOB, json={"name": "Warm lead"})
    result = project.run("plan", "--detailed-exitcode")
    assert result.code == 0, result.err
    assert "label renamed in Pipedrive from 'Warm' to 'Warm lead'" in result.err
    assert project.run("pull").code == 0
    assert "labels: [Warm lead]" in (project.path / "accounts" / "initech.yaml").read_text()
    again = project.run("plan", "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.err
