"""Leads (issue 16): a kind whose ids are UUIDs, v1 only, with labels of its own and the deals'
custom fields. Applied, planned clean, exported and planned clean, an edit is one write, an
archived lead is found (never created again), and the lock keeps UUIDs as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.conftest import KEY, InProcess, invoke

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _data(**extra) -> dict:
    lead = {"title": "Acme expansion", "org": "lead-org", "owner": "alice@example.com",
            "value": {"amount": 25000, "currency": "EUR"}, "expected_close_date": "2027-03-01",
            "labels": ["Hot"], "fields": {"Lead source": "Referral"}, **extra}
    return {
        "organizations": {"lead-org": {"name": "Lead Org"}},
        "persons": {"lead-person": {"name": "Lead Person", "org": "lead-org", "emails": ["lead@lead.example.com"]}},
        "leads": {"acme-expansion": lead,
                  "person-lead": {"title": "A lead without an org", "person": "lead-person", "value": 500}},
    }


def _write(project: Path, data: dict) -> Path:
    project.mkdir(exist_ok=True)
    (project / "all.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return project


def test_leads_round_trip_with_uuid_ids(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _write(tmp_path / "p", _data())
    first = invoke(["apply", str(project), "--auto-approve", "--sandbox", db])
    assert first.code == 0, first.both
    lock = json.loads((project / "reconciler.lock").read_text(encoding="utf-8"))
    assert all(UUID.match(i) for i in lock["resources"]["lead"].values()), lock["resources"]["lead"]
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0
    out = tmp_path / "export"
    exported = invoke(["export", "--out", str(out), "--sandbox", db])
    assert exported.code == 0, exported.both
    text = "".join(f.read_text(encoding="utf-8") for f in out.rglob("*.yaml"))
    assert "leads:" in text and "labels: [Hot]" in text and "Lead source: Referral" in text
    assert invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"]).code == 0


def test_an_archived_lead_is_found_and_an_edit_is_one_write(tmp_path: Path, http_sandbox) -> None:
    env = {"MATON_API_KEY": KEY}
    endpoint = ["--endpoint", http_sandbox.endpoint]
    project = _write(tmp_path / "p", _data())
    assert invoke(["apply", str(project), "--auto-approve", *endpoint], env=env).code == 0
    lead_id = json.loads((project / "reconciler.lock").read_text())["resources"]["lead"]["acme-expansion"]
    http_sandbox.api.call("PATCH", f"/api/v1/leads/{lead_id}", json={"is_archived": True})
    (project / "reconciler.lock").unlink()  # found by natural key among archived leads, not created again
    plan = json.loads(invoke(["plan", str(project), *endpoint, "--format", "json"], env=env).out)
    assert not [c for c in plan["changes"] if c["action"] == "create"], plan["changes"]
    _write(tmp_path / "p", _data(archived=False, expected_close_date="2027-04-01"))
    http_sandbox.gateway.reset_stats()
    assert invoke(["apply", str(project), "--auto-approve", *endpoint], env=env).code == 0
    writes = {r: n for r, n in http_sandbox.gateway.stats()["by_route"].items() if not r.startswith("GET")}
    assert writes == {"PATCH /api/v1/leads/{id}": 1}
    assert invoke(["plan", str(project), *endpoint, "--detailed-exitcode"], env=env).code == 0


def test_a_lead_needs_an_org_or_a_person(tmp_path: Path) -> None:
    data = _data()
    del data["leads"]["acme-expansion"]["org"]
    result = invoke(["validate", str(_write(tmp_path / "p", data))])
    assert result.code == 1 and "lead 'acme-expansion' needs at least one parent" in result.out


def test_unknown_lead_label(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    result = invoke(["plan", str(_write(tmp_path / "p", _data(labels=["Lukewarm"]))), "--sandbox", db])
    assert result.code == 1 and "unknown lead label 'Lukewarm'" in result.err


def test_lead_ids_stay_strings_in_the_sandbox_api(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert invoke(["apply", str(_write(tmp_path / "p", _data())), "--auto-approve", "--sandbox", db]).code == 0
    sandbox = InProcess(db)
    try:
        leads = sandbox.call("GET", "/api/v1/leads")
    finally:
        sandbox.close()
    assert {lead["title"] for lead in leads} >= {"Acme expansion", "A lead without an org"}
