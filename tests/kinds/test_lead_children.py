"""Notes and activities whose parent is a lead (issue 27): `lead: <key>` on a note or activity.

One apply creates the lead and what hangs off it (the lead's UUID resolved at apply), the next plan
is empty, export then plan is empty, a change made in Pipedrive is drift and `pull` brings it
back, and converting the lead to a deal in Pipedrive (which moves its notes and activities to
the deal) is neither fought nor followed by a second copy. Live state is checked through the
sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

NOTE = "Met at the fair, wants a demo"


def manifests(project: Project) -> None:
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme"}},
        "leads": {"acme-lead": {"title": "Acme lead", "org": "acme"}},
        "notes": {"acme-lead-note": {"lead": "acme-lead", "content": NOTE, "pinned": True}},
        "activities": {"acme-lead-call": {"subject": "Call about the fair", "type": "call",
                                          "due_date": "2027-03-01", "lead": "acme-lead", "org": "acme"}},
    })


def the_lead(project: Project) -> dict:
    (lead,) = project.api("GET", "/api/v1/leads")
    return lead


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_lead_and_its_note_and_activity(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}
    note = next(c for c in plan["changes"] if c["kind"] == "note")
    assert "lead.acme-lead" in note["depends_on"]

    result = project.apply()
    assert "Resources: 4 created, 0 updated, 0 deleted" in result.out
    lead = the_lead(project)
    (live_note,) = project.api("GET", "/api/v1/notes", params={"lead_id": lead["id"]})
    assert live_note["content"] == NOTE and live_note["pinned_to_lead_flag"] in (True, 1)
    assert (live_note["deal_id"], live_note["person_id"]) == (None, None)
    (activity,) = project.api("GET", "/api/v2/activities", params={"lead_id": lead["id"]})
    assert activity["subject"] == "Call about the fair" and activity["lead_id"] == lead["id"]

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 4


def test_the_next_plan_lists_the_leads_children_per_lead(project: Project) -> None:
    applied(project)
    (project.path / "reconciler.lock").unlink()  # no ids: found by natural keys, per parent
    plan = project.plan_json()
    assert plan["changes"] == [] and plan["summary"]["unchanged"] == 4


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "organizations", "--kind", "leads", "--kind", "notes",
               "--kind", "activities")
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.yaml"))
    assert "lead: " in text
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 4


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    (note,) = project.api("GET", "/api/v1/notes", params={"lead_id": the_lead(project)["id"]})
    project.api("PUT", f"/api/v1/notes/{note['id']}", json={"content": "Wants a demo in March"})

    plan = project.plan_json()
    (change,) = plan["changes"]
    assert (change["kind"], change["action"]) == ("note", "update")
    assert change["fields"]["content"]["drift"] is True

    result = project.ok("pull", str(project.path))
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    assert records["notes"]["acme-lead-note"]["content"] == "Wants a demo in March"
    assert records["notes"]["acme-lead-note"]["lead"] == "acme-lead"
    assert project.plan_json()["changes"] == [], result.out


def test_a_lead_converted_in_pipedrive_takes_its_children_along_without_a_fight(project: Project) -> None:
    applied(project)
    lead = the_lead(project)
    project.api("POST", f"/api/v2/leads/{lead['id']}/convert/deal", json={})
    (deal,) = project.api("GET", "/api/v2/deals", params={"limit": 500})
    (note,) = project.api("GET", "/api/v1/notes", params={"deal_id": deal["id"]})
    assert note["lead_id"] is None  # Pipedrive moved it to the deal

    plan = project.plan_json()
    assert plan["changes"] == [], plan["changes"]  # no second note or activity, no move back
    assert {(f["kind"], f["how"]) for f in plan["followed"]} == {("lead", "converted")}
    project.apply()
    assert len(project.api("GET", "/api/v1/notes")) == 1
    assert len(project.api("GET", "/api/v2/activities", params={"limit": 500})) == 1


def test_validate_names_the_line_of_an_unknown_lead(project: Project) -> None:
    project.write("records.yaml", {
        "notes": {"stray": {"content": "x", "lead": "nobody"}},
    })
    result = project.run("validate", str(project.path))
    assert result.code == 1
    assert "records.yaml:4:" in result.both and "names lead 'nobody'" in result.both


def test_validate_refuses_a_note_on_a_lead_and_a_deal_and_an_activity_on_both(project: Project) -> None:
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme"}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme"}},
        "leads": {"acme-lead": {"title": "Acme lead", "org": "acme"}},
        "notes": {"both": {"content": "x", "deal": "acme-deal", "lead": "acme-lead"}},
        "activities": {"both": {"subject": "x", "deal": "acme-deal", "lead": "acme-lead"}},
    })
    result = project.run("validate", str(project.path))
    text = result.both
    assert result.code == 1, text
    assert "exactly one parent" in text and "declares both deal and lead" in text
    assert "records.yaml:" in text and "Traceback" not in text
