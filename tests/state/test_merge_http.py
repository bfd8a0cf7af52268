"""Played over HTTP as a user would (issue 24, "Must show"): after a person merge the default
apply leaves one person.

`reconciler sandbox serve` in a subprocess, the CLI as a subprocess against `--endpoint`, and
the salesperson's merge as a raw call to the served API (Pipedrive's own merge endpoint).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import copy_examples, run_cli


def test_after_a_person_merge_the_default_apply_leaves_one_person(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("merge")
    project = copy_examples(tmp_path / "project")
    first = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint)
    assert first.code == 0, first.both[-2000:]
    john = json.loads((project / "reconciler.lock").read_text())["resources"]["person"]["john-doe"]
    bob = {"X-Sandbox-User": "bob@example.com"}
    survivor = server.api.call("POST", "/api/v2/persons", headers=bob, json={
        "name": "Johnny Doe", "emails": [{"value": "jd@home.example.net", "primary": True, "label": "home"}]})["id"]
    server.api.call("PUT", f"/api/v1/persons/{john}/merge", headers=bob, json={"merge_with_id": survivor})

    plan = run_cli("plan", str(project), "--endpoint", server.endpoint)
    assert plan.code == 0, plan.both[-2000:]
    assert f"person.john-doe was merged in Pipedrive into person {survivor}" in plan.out
    assert "Plan: 0 to create" in plan.out

    applied = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint)
    assert applied.code == 0, applied.both[-2000:]
    persons = server.api.list_all("person")
    holders = [p["id"] for p in persons if any(e["value"] == "john.doe@acme.example.com" for e in p["emails"])]
    assert holders == [survivor]
    assert len(persons) == 6  # examples/ has 6; Bob added one and merged one away
    deals = {d["title"]: d for d in server.api.list_all("deal")}
    assert deals["Acme renewal 2027"]["person_id"] == survivor
    again = run_cli("plan", str(project), "--endpoint", server.endpoint, "--detailed-exitcode")
    assert again.code == 0, again.both[-2000:]
