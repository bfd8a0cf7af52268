"""`pull` after a lead was converted to a deal in Pipedrive (issue 27): the manifests name the deal.

Converting a lead (`POST /api/v2/leads/{id}/convert/deal`, the sandbox serves it) deletes the
lead and moves its notes and activities to the new deal. Plans already followed that (the
children are planned on the deal, the lead is never created again) but asked the user to edit
the manifests by hand, and `pull` left them saying `lead: KEY`, so every plan after it kept
saying so. Now pull accepts the conversion as it accepts any other change made in Pipedrive:
the lead leaves the manifests (its lock entry is forgotten), the deal it became is written in
its place, keyed by the lead's key (or, when a resource already manages that deal, that
resource is named), and each `lead: KEY` becomes `deal: KEY` where it stood; a note's pin is
written as Pipedrive carried it (a pin is per parent). The next plan is empty and a later UI
edit is drift. Live state is checked through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.examples_project import BOB
from tests.kinds.conftest import Project

RECORDS = """\
organizations:
  acme:
    name: Acme
# the lead from the fair
leads:
  acme-lead:
    title: Acme lead
    org: acme
notes:
  acme-lead-note:
    lead: acme-lead  # where the note hangs
    content: Met at the fair, wants a demo
    pinned: true
activities:
  acme-lead-call:
    subject: Call about the fair
    type: call
    due_date: 2027-03-01
    lead: acme-lead
    org: acme
"""


def converted(project: Project) -> int:
    """Apply, then convert the lead as a salesperson does in the UI; the new deal's id."""
    project.write("records.yaml", RECORDS)
    project.apply()
    (lead,) = project.api("GET", "/api/v1/leads")
    job = project.api("POST", f"/api/v2/leads/{lead['id']}/convert/deal", json={}, headers=BOB)
    return project.api("GET", f"/api/v2/leads/{lead['id']}/convert/status/{job['conversion_id']}")["deal_id"]


def records(project: Project) -> dict:
    return yaml.safe_load((project.path / "records.yaml").read_text(encoding="utf-8"))


def test_pull_writes_the_deal_a_lead_became_and_names_it_in_the_children(project: Project) -> None:
    deal = converted(project)
    pulled = project.ok("pull", str(project.path))
    assert f"lead.acme-lead converted in Pipedrive to deal {deal}" in pulled.out, pulled.out

    now = records(project)
    assert "leads" not in now
    assert now["deals"]["acme-lead"]["title"] == "Acme lead" and now["deals"]["acme-lead"]["org"] == "acme"
    assert now["notes"]["acme-lead-note"] == {"deal": "acme-lead", "content": "Met at the fair, wants a demo",
                                              "pinned": False}  # Pipedrive did not carry the lead's pin
    assert now["activities"]["acme-lead-call"]["deal"] == "acme-lead"
    assert "lead" not in now["activities"]["acme-lead-call"]
    text = (project.path / "records.yaml").read_text(encoding="utf-8")
    assert "deal: acme-lead  # where the note hangs" in text  # in the lead's place, its comment kept
    lock = project.lock()["resources"]
    assert lock["deal"]["acme-lead"] == deal and "acme-lead" not in lock.get("lead", {})

    plan = project.plan_json()
    assert plan["changes"] == [] and "followed" not in plan and not plan.get("warnings"), plan
    assert len(project.api("GET", "/api/v2/deals", params={"limit": 500})) == 1
    assert len(project.api("GET", "/api/v1/notes")) == 1

    (note,) = project.api("GET", "/api/v1/notes", params={"deal_id": deal})
    project.api("PUT", f"/api/v1/notes/{note['id']}", json={"content": "Wants a demo in March"}, headers=BOB)
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"value": 900}, headers=BOB)
    later = {c["key"]: c["fields"] for c in project.plan_json()["changes"]}
    assert later["acme-lead-note"]["content"]["drift"] is True and not later["acme-lead-note"]["content"].get("conflict")
    assert later["acme-lead"]["value"]["drift"] is True and not later["acme-lead"]["value"].get("conflict")


def test_pull_names_the_deal_a_resource_already_manages(project: Project) -> None:
    deal = converted(project)
    text = RECORDS + "deals:\n  fair-deal:\n    title: Acme lead\n    org: acme\n"  # declared as the plan asked
    project.write("records.yaml", text)
    before = project.plan_json()
    assert before["followed"][0]["into_key"] == "fair-deal"

    project.ok("pull", str(project.path))
    now = records(project)
    assert "leads" not in now and list(now["deals"]) == ["fair-deal"]
    assert now["notes"]["acme-lead-note"]["deal"] == "fair-deal"
    assert now["activities"]["acme-lead-call"]["deal"] == "fair-deal"
    assert project.lock()["resources"]["deal"]["fair-deal"] == deal
    plan = project.plan_json()
    assert plan["changes"] == [] and "followed" not in plan, plan


def test_children_in_other_files_and_a_taken_deal_key(project: Project) -> None:
    """The lead in one file, its note in another, a managed deal already keyed like the lead."""
    whole = yaml.safe_load(RECORDS)
    project.write("records.yaml", {"organizations": whole["organizations"], "leads": whole["leads"],
                                   "deals": {"acme-lead": {"title": "Older Acme deal", "org": "acme"}}})
    project.write("notes.yaml", {"notes": whole["notes"]})
    project.apply()
    (lead,) = project.api("GET", "/api/v1/leads")
    project.api("POST", f"/api/v2/leads/{lead['id']}/convert/deal", json={}, headers=BOB)
    deal = next(d["id"] for d in project.api("GET", "/api/v2/deals", params={"limit": 500})
                if d["title"] == "Acme lead")

    project.ok("pull", str(project.path))
    now = records(project)
    assert "leads" not in now and now["deals"][f"acme-lead-{deal}"]["title"] == "Acme lead"
    notes = yaml.safe_load((project.path / "notes.yaml").read_text(encoding="utf-8"))["notes"]
    assert notes["acme-lead-note"]["deal"] == f"acme-lead-{deal}"
    assert project.plan_json()["changes"] == []
    again = project.ok("pull", str(project.path))  # nothing left to accept
    assert "Nothing to pull" in again.out, again.out


def test_a_pull_after_a_conversion_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("leadconverted")

    def cli(*args: str):
        return run_cli(*args, "--endpoint", server.endpoint)

    project = tmp_path / "crm"
    project.mkdir()
    (project / "records.yaml").write_text(RECORDS, encoding="utf-8")
    assert cli("apply", str(project), "--auto-approve").code == 0
    (lead,) = server.api.call("GET", "/api/v1/leads")
    server.api.call("POST", f"/api/v2/leads/{lead['id']}/convert/deal", json={}, headers=BOB)
    (deal,) = server.api.call("GET", "/api/v2/deals", params={"limit": 500})

    pulled = cli("pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    now = yaml.safe_load((project / "records.yaml").read_text(encoding="utf-8"))
    assert "leads" not in now and now["notes"]["acme-lead-note"]["deal"] == "acme-lead"
    assert cli("plan", str(project), "--detailed-exitcode").code == 0

    (note,) = server.api.call("GET", "/api/v1/notes", params={"deal_id": deal["id"]})
    server.api.call("PUT", f"/api/v1/notes/{note['id']}", json={"content": "Wants a demo in April"}, headers=BOB)
    drift = cli("plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]
    (change,) = json.loads(cli("plan", str(project), "--format", "json").out)["changes"]
    assert change["fields"]["content"]["drift"] is True and not change["fields"]["content"].get("conflict")
    assert len(server.api.call("GET", "/api/v2/deals", params={"limit": 500})) == 1
