"""Valid manifests the engine could not apply (issue 25, item 7), each through the CLI on the sandbox.

- a `set` custom field created in the same apply as a deal that selects two of its options
  (the options' ids are placeholders until apply: sorting them was an internal error);
- a reference cycle (an organization's people field naming a person who works there): said
  at validate and plan time, and cut by two phases (create without the field, then set it),
  so that one apply converges;
- a lead declared `archived: true` (Pipedrive takes no is_archived in a create): created, then archived;
- a lead naming a deal custom field created in the same apply (leads have the deals' fields).
"""

from __future__ import annotations

from tests.shape.conftest import Project


def test_a_new_set_field_with_two_options_selected_by_a_new_deal(project: Project) -> None:
    project.write("shape.yaml", {"custom_fields": {"deal-channels": {
        "kind": "deal", "name": "Channels", "type": "set", "options": ["Web", "Phone", "Mail"]}}})
    project.write("deals.yaml", {"deals": {"d": {"title": "Multi", "fields": {"Channels": ["Web", "Mail"]}}}})
    result = project.run("apply", "--auto-approve")
    assert result.code == 0 and "internal error" not in result.both, result.both
    field = project.deal_field("Channels")
    ids = {o["label"]: o["id"] for o in field["options"]}
    assert sorted(project.deals()["Multi"]["custom_fields"][field["key"]]) == sorted([ids["Web"], ids["Mail"]])
    assert project.plan_json()["changes"] == []


def cycle() -> dict:
    return {
        "custom_fields": {"org-main-contact": {"kind": "organization", "name": "Main contact", "type": "people"}},
        "organizations": {"acme": {"name": "Acme", "fields": {"Main contact": "jane"}}},
        "persons": {"jane": {"name": "Jane Doe", "emails": ["jane@acme.test"], "org": "acme"}},
    }


def test_a_reference_cycle_is_said_and_one_apply_converges(project: Project) -> None:
    project.write("crm.yaml", cycle())
    validate = project.ok("validate")
    assert "reference cycle" in validate.both and "organization.acme" in validate.both, validate.both
    planned = project.ok("plan")
    assert "reference cycle" in planned.err and "fields.Main contact" in planned.err, planned.err
    (org_create,) = [c for c in project.plan_json()["changes"] if c["kind"] == "organization"]
    assert list(org_create["later"]) == ["custom_fields"] and "custom_fields" not in org_create["writes"]
    result = project.run("apply", "--auto-approve")
    assert result.code == 0, result.both
    assert "3 created" in result.out
    lock = project.lock()["resources"]
    org = project.api("GET", f"/api/v2/organizations/{lock['organization']['acme']}")
    key = next(f["key"] for f in project.api("GET", "/api/v1/organizationFields", params={"limit": 500})
               if f["name"] == "Main contact")
    value = org["custom_fields"][key]
    assert (value.get("value") if isinstance(value, dict) else value) == lock["person"]["jane"]
    assert project.plan_json()["changes"] == []


def test_a_lead_declared_archived_is_created_then_archived(project: Project) -> None:
    project.write("crm.yaml", {"organizations": {"acme": {"name": "Acme"}},
                               "leads": {"old": {"title": "Old lead", "org": "acme", "archived": True}}})
    result = project.run("apply", "--auto-approve")
    assert result.code == 0, result.both
    archived = project.api("GET", "/api/v1/leads/archived")
    assert [lead["title"] for lead in archived] == ["Old lead"]
    assert project.plan_json()["changes"] == []


def test_a_lead_names_a_deal_field_created_in_the_same_apply(project: Project) -> None:
    project.write("crm.yaml", {
        "custom_fields": {"deal-budget": {"kind": "deal", "name": "Budget code", "type": "varchar"}},
        "organizations": {"acme": {"name": "Acme"}},
        "leads": {"l": {"title": "New lead", "org": "acme", "fields": {"Budget code": "B-7"}}},
    })
    result = project.run("apply", "--auto-approve")
    assert result.code == 0, result.both
    key = project.deal_field("Budget code")["key"]
    (lead,) = project.api("GET", "/api/v1/leads")
    assert lead[key] == "B-7"
    assert project.plan_json()["changes"] == []


def test_a_saved_plan_carries_the_second_write(project: Project) -> None:
    project.write("crm.yaml", {"organizations": {"acme": {"name": "Acme"}},
                               "leads": {"old": {"title": "Old lead", "org": "acme", "archived": True}}})
    saved = project.path.parent / "plan.json"
    project.ok("plan", "--out", str(saved))
    result = project.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.code == 0, result.both
    assert [lead["title"] for lead in project.api("GET", "/api/v1/leads/archived")] == ["Old lead"]
    assert project.plan_json()["changes"] == []
