"""Goals with a team by name, several pipelines and a stage, over HTTP against `reconciler sandbox
serve`, as a user runs them (issue 27).

The CLI runs as a subprocess (`--endpoint`); the UI edits are raw API calls to the served sandbox,
made as Bob. One apply creates the pipeline, its stage and the goals that name them; the next plan
is empty; the team renamed in Pipedrive is still the same team (the plan says so, `pull` writes its
new name); pipelines changed in Pipedrive are drift, `pull` brings them back, the plan is empty again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import cli_env, run_cli
from tests.examples_project import BOB
from tests.kinds.test_goal_targets import GOALS, SHAPE


def test_goal_teams_pipelines_and_stages_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("goaltargets")

    def cli(*args: str):
        return run_cli(*args, "--endpoint", server.endpoint, env=cli_env())

    project = tmp_path / "crm"
    project.mkdir()
    manifest = project / "shape.yaml"
    manifest.write_text(yaml.safe_dump({**SHAPE, "goals": GOALS}, sort_keys=False), encoding="utf-8")

    applied = cli("apply", str(project), "--auto-approve")
    assert applied.code == 0 and "Resources: 4 created" in applied.out, applied.both[-2000:]
    assert cli("plan", str(project), "--detailed-exitcode").code == 0

    teams = {t["name"]: t["id"] for t in server.api.call("GET", "/api/v1/legacyTeams")}
    pipelines = {p["name"]: p["id"] for p in server.api.call("GET", "/api/v2/pipelines")}
    found = server.api.call("GET", "/api/v1/goals/find", params={"assignee.type": "team"})["goals"]
    field = next(g for g in found if g["title"] == "Field team revenue")
    assert field["assignee"] == {"id": teams["Field sales"], "type": "team"}
    assert sorted(field["type"]["params"]["pipeline_id"]) == sorted([pipelines["Channel"], pipelines["Sales"]])

    server.api.call("PUT", f"/api/v1/legacyTeams/{teams['Field sales']}", headers=BOB, json={"name": "Field force"})
    renamed = cli("plan", str(project), "--detailed-exitcode")
    assert renamed.code == 0 and "team renamed in Pipedrive from 'Field sales' to 'Field force'" in renamed.err, \
        renamed.both[-2000:]

    server.api.call("PUT", f"/api/v1/goals/{field['id']}", headers=BOB,
                    json={"type": {"name": "deals_won", "params": {"pipeline_id": [pipelines["Partners"]]}}})
    drift = cli("plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]

    pulled = cli("pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    goal = yaml.safe_load(manifest.read_text(encoding="utf-8"))["goals"]["field-team"]
    assert goal["team"] == "Field force" and goal["pipeline"] == "Partners"
    again = cli("plan", str(project), "--detailed-exitcode")
    assert again.code == 0 and "renamed in Pipedrive" not in again.err, again.both[-2000:]
