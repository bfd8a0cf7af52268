"""Goals and webhooks over HTTP, against `reconciler sandbox serve`, as a user runs them (issue 27).

The CLI runs as a subprocess (`--endpoint`) with the webhook's password in its environment; the UI
edits are raw API calls to the served sandbox. One apply creates a pipeline, an activity type, the
goals that name them and a webhook; the next plan is empty; a goal edited in Pipedrive is drift,
`pull` brings it back and the plan is empty again; the password is never printed.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import cli_env, run_cli
from tests.examples_project import BOB
from tests.kinds.test_goals import GOALS, SHAPE
from tests.kinds.test_webhooks import HOOKS

PASSWORD = "over-http-hook-password"


def test_goals_and_webhooks_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("goalhooks")
    env = {**cli_env(), "HOOK_PASSWORD": PASSWORD}

    def cli(*args: str):
        return run_cli(*args, "--endpoint", server.endpoint, env=env)

    project = tmp_path / "crm"
    project.mkdir()
    (project / "shape.yaml").write_text(yaml.safe_dump({**SHAPE, "goals": GOALS}, sort_keys=False), encoding="utf-8")
    (project / "webhooks.yaml").write_text(yaml.safe_dump({"webhooks": HOOKS}, sort_keys=False), encoding="utf-8")

    applied = cli("apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 6 created" in applied.out, applied.both[-2000:]
    planned = cli("plan", str(project), "--detailed-exitcode")
    assert planned.code == 0, planned.both[-2000:]

    found = server.api.call("GET", "/api/v1/goals/find", params={"assignee.type": "person"})["goals"]
    demos = next(g for g in found if g["title"] == "Demos given")
    server.api.call("PUT", f"/api/v1/goals/{demos['id']}", headers=BOB,
                    json={"interval": "weekly"})
    drift = cli("plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]

    pulled = cli("pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    assert yaml.safe_load((project / "shape.yaml").read_text(encoding="utf-8"))["goals"]["demos"]["interval"] == \
        "weekly"
    assert cli("plan", str(project), "--detailed-exitcode").code == 0
    for result in (applied, planned, drift, pulled):
        assert PASSWORD not in result.both
