"""Filters over HTTP, against `reconciler sandbox serve`, as a user runs them.

The CLI runs as a subprocess (`--endpoint`); the UI edit is a raw API call to the served sandbox.
One apply creates a custom field with options and a filter naming it, and an activity filter naming
activity fields (their ids from the served `GET /api/v1/activityFields`); the next plan is empty; an
edit made in Pipedrive is drift, `pull` brings it back, and the plan is empty again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.examples_project import BOB


def cli(server, *args: str):
    return run_cli(*args, "--endpoint", server.endpoint)


def test_filters_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("filters")
    project = tmp_path / "crm"
    project.mkdir()
    shape = {"custom_fields": {"org-tier": {"kind": "organization", "name": "Partner tier", "type": "enum",
                                            "options": ["Gold", "Silver"]}},
             "filters": {"gold": {"name": "Gold partners", "type": "org", "conditions": {
                 "all": [{"field": "Partner tier", "operator": "=", "value": "Gold"}],
                 "any": [{"field": "Owner", "operator": "=", "value": "alice@example.com"}]}},
                         "calls": {"name": "My calls", "type": "activity", "conditions": {
                             "all": [{"field": "Type", "operator": "=", "value": "Call"},
                                     {"field": "Assigned to user", "operator": "=", "value": "alice@example.com"}]}}}}
    (project / "shape.yaml").write_text(yaml.safe_dump(shape, sort_keys=False), encoding="utf-8")

    applied = cli(server, "apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 3 created" in applied.out, applied.both[-2000:]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0
    ids = {f["key"]: str(f["id"]) for f in server.api.call("GET", "/api/v1/activityFields")}
    calls = next(f for f in server.api.call("GET", "/api/v1/filters") if f["name"] == "My calls")
    (written,) = server.api.call("GET", f"/api/v1/filters/{calls['id']}")["conditions"]["conditions"][:1]
    assert [(c["object"], c["field_id"], c["value"]) for c in written["conditions"]] == [
        ("activity", ids["type"], "call"), ("activity", ids["owner_id"], "1")]

    gold = next(f for f in server.api.call("GET", "/api/v1/filters") if f["name"] == "Gold partners")
    live = server.api.call("GET", f"/api/v1/filters/{gold['id']}")
    conditions = live["conditions"]
    conditions["conditions"][1]["conditions"][0]["value"] = "2"  # Owner: Bob, as the UI saves it
    server.api.call("PUT", f"/api/v1/filters/{gold['id']}", json={"conditions": conditions}, headers=BOB)
    drift = cli(server, "plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]

    pulled = cli(server, "pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    shape_now = yaml.safe_load((project / "shape.yaml").read_text(encoding="utf-8"))
    assert shape_now["filters"]["gold"]["conditions"]["any"] == [
        {"field": "Owner", "operator": "=", "value": "bob@example.com"}]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0
