"""Notes and activities on a lead, and the currency check, over HTTP against `reconciler sandbox serve`.

The CLI runs as a subprocess (`--endpoint`); the UI edit is a raw API call to the served sandbox. One
apply creates a lead with its note and activity, the next plan is empty, a note edited in Pipedrive is
drift that `pull` brings back; a currency the account lacks is refused by plan before any write.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.examples_project import BOB


def cli(server, *args: str):
    return run_cli(*args, "--endpoint", server.endpoint)


def test_a_leads_note_and_activity_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("leadchildren")
    project = tmp_path / "crm"
    project.mkdir()
    records = {"organizations": {"acme": {"name": "Acme"}},
               "leads": {"acme-lead": {"title": "Acme lead", "org": "acme"}},
               "notes": {"acme-lead-note": {"lead": "acme-lead", "content": "Met at the fair"}},
               "activities": {"acme-lead-call": {"subject": "Call after the fair", "lead": "acme-lead",
                                                 "org": "acme", "type": "call"}}}
    (project / "records.yaml").write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")

    applied = cli(server, "apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 4 created" in applied.out, applied.both[-2000:]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0

    (lead,) = server.api.call("GET", "/api/v1/leads")
    (note,) = server.api.call("GET", "/api/v1/notes", params={"lead_id": lead["id"]})
    server.api.call("PUT", f"/api/v1/notes/{note['id']}", json={"content": "Met at the fair in March"},
                    headers=BOB)
    drift = cli(server, "plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]
    pulled = cli(server, "pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    now = yaml.safe_load((project / "records.yaml").read_text(encoding="utf-8"))
    assert now["notes"]["acme-lead-note"] == {"lead": "acme-lead", "content": "Met at the fair in March"}
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0

    records["deals"] = {"acme-deal": {"title": "Acme deal", "org": "acme", "value": 5, "currency": "XYZ"}}
    (project / "records.yaml").write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")
    refused = cli(server, "apply", str(project), "--auto-approve")
    assert refused.code == 1 and "currency 'XYZ' is not one of the account's currencies" in refused.both
    assert "Traceback" not in refused.both
    assert server.api.call("GET", "/api/v2/deals", params={"limit": 500}) == []
