"""Followers, organization relationships and product variations over HTTP (issue 27), as a user runs them.

The CLI runs as a subprocess against `reconciler sandbox serve` (`--endpoint`); the UI edits are
raw API calls to the served sandbox, made as another user. One apply creates the records with
their followers, relationships and variations; the next plan is empty; the edits are drift, `pull`
brings them back, and the plan is empty again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_cli
from tests.examples_project import BOB


def cli(server, *args: str):
    return run_cli(*args, "--endpoint", server.endpoint)


def test_followers_relationships_and_variations_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("relations")
    project = tmp_path / "crm"
    project.mkdir()
    records = {
        "organizations": {"group": {"name": "Acme Group"},
                          "acme": {"name": "Acme", "parent": "group", "followers": ["bob@example.com"]},
                          "globex": {"name": "Globex", "related": ["acme"]}},
        "products": {"widget": {"name": "Widget", "variations": [
            {"name": "Large", "prices": [{"price": 150, "currency": "USD"}]}]}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "followers": ["carol@example.com"],
                                "products": [{"product": "widget", "quantity": 1, "item_price": 150}]}},
    }
    (project / "records.yaml").write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")

    applied = cli(server, "apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 5 created" in applied.out, applied.both[-2000:]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0

    orgs = {o["name"]: o["id"] for o in server.api.call("GET", "/api/v2/organizations", params={"limit": 500})}
    (product,) = server.api.call("GET", "/api/v2/products", params={"limit": 500})
    (large,) = server.api.call("GET", f"/api/v2/products/{product['id']}/variations")
    server.api.call("POST", f"/api/v2/organizations/{orgs['Acme']}/followers", json={"user_id": 3}, headers=BOB)
    server.api.call("POST", "/api/v1/organizationRelationships", headers=BOB,
                    json={"type": "related", "rel_owner_org_id": orgs["Globex"], "rel_linked_org_id": orgs["Acme Group"]})
    server.api.call("PATCH", f"/api/v2/products/{product['id']}/variations/{large['id']}", headers=BOB,
                    json={"prices": [{"price": 155, "currency": "USD"}]})
    drift = cli(server, "plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]

    pulled = cli(server, "pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    now = yaml.safe_load((project / "records.yaml").read_text(encoding="utf-8"))
    assert now["organizations"]["acme"]["followers"] == ["bob@example.com", "carol@example.com"]
    assert now["organizations"]["globex"]["related"] == ["acme", "group"]
    assert now["products"]["widget"]["variations"] == [{"name": "Large", "prices": [{"price": 155, "currency": "USD"}]}]
    assert cli(server, "plan", str(project), "--detailed-exitcode").code == 0
