"""Activity types and labels over HTTP, against `reconciler sandbox serve`, as a user runs them.

The CLI runs as a subprocess (`--endpoint`); the UI edits are raw API calls to the served sandbox.
One apply creates an activity type, a deal label and a lead label with the records that name them;
the next plan is empty; edits made in Pipedrive are drift, `pull` brings them back, and the plan
is empty again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.examples_project import BOB


def cli(server, *args: str):
    return run_cli(*args, "--endpoint", server.endpoint)


def test_activity_types_and_labels_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("kinds")
    project = tmp_path / "crm"
    project.mkdir()
    shape = {"activity_types": {"demo": {"name": "Product demo", "icon_key": "presentation", "color": "FFC107"}},
             "labels": {"strategic": {"kind": "deal", "name": "Strategic"},
                        "inbound": {"kind": "lead", "name": "Inbound", "color": "purple"}}}
    (project / "shape.yaml").write_text(yaml.safe_dump(shape, sort_keys=False), encoding="utf-8")
    records = {"organizations": {"acme": {"name": "Acme"}},
               "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "labels": ["Strategic"]}},
               "leads": {"acme-lead": {"title": "Acme lead", "org": "acme", "labels": ["Inbound"]}},
               "activities": {"acme-demo": {"subject": "Demo for Acme", "type": "Product demo", "org": "acme"}}}
    (project / "records.yaml").write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")

    applied = cli(server, "apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 7 created" in applied.out, applied.both[-2000:]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0

    demo = next(t for t in server.api.call("GET", "/api/v1/activityTypes") if t["name"] == "Product demo")
    inbound = next(t for t in server.api.call("GET", "/api/v1/leadLabels") if t["name"] == "Inbound")
    server.api.call("PUT", f"/api/v1/activityTypes/{demo['id']}", json={"color": "2196F3"}, headers=BOB)
    server.api.call("PATCH", f"/api/v1/leadLabels/{inbound['id']}", json={"color": "green"}, headers=BOB)
    drift = cli(server, "plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]

    pulled = cli(server, "pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    shape_now = yaml.safe_load((project / "shape.yaml").read_text(encoding="utf-8"))
    assert shape_now["activity_types"]["demo"]["color"] == "2196F3"
    assert shape_now["labels"]["inbound"]["color"] == "green"
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0
