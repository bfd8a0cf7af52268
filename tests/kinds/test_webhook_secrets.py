"""A webhook's HTTP auth password is never stored or shown (issue 27).

The manifests name an environment variable; the password goes into one place only, the body of
the POST that creates the webhook. Every artifact a run leaves (manifests, plan text and JSON,
a saved plan file, the lock and its journal, exported and pulled manifests) and everything
printed (including the --debug HTTP trace and a refused write's error) is searched for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kinds.conftest import Project
from tests.kinds.test_webhooks import HOOKS, live_hooks, manifests, stored_password

PASSWORD = "Xq7-very-secret-hook-password"


def files_under(root: Path, *, skip: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p != skip and not p.name.startswith("sandbox.db")]


def test_the_password_is_in_no_artifact_and_no_output(project: Project, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", PASSWORD)
    manifests(project)
    outputs = [project.ok("validate").both, project.ok("plan").both, project.ok("plan", "--format", "json").both,
               project.ok("plan", "--format", "markdown").both]
    plan_file = project.root / "saved.plan.json"
    outputs.append(project.ok("plan", "--out", str(plan_file)).both)
    outputs.append(project.ok("apply", "--plan", str(plan_file), "--auto-approve", "--debug").both)
    hook = live_hooks(project)["Deals to the warehouse"]
    assert stored_password(project, hook["id"]) == PASSWORD  # it did reach Pipedrive, and only Pipedrive

    # a replace (a new password) with the HTTP trace on, and a change refused at plan
    monkeypatch.setenv("HOOK_PASSWORD", PASSWORD + "-2")
    outputs.append(project.ok("apply", "--auto-approve", "--debug").both)
    manifests(project, {**HOOKS, "deal-events": {**HOOKS["deal-events"], "url": "https://api.pipedrive.com/x"}})
    refused = project.run("apply", "--auto-approve", "--debug")
    assert refused.code == 1 and "is a Pipedrive URL" in refused.both
    outputs.append(refused.both)
    manifests(project)
    out = tmp_path / "exported"
    outputs.append(project.ok("export", "--out", str(out), "--kind", "webhooks").both)
    outputs.append(project.ok("pull", str(project.path)).both)
    outputs.append(project.ok("plan", "--format", "json").both)

    for text in outputs:
        assert PASSWORD not in text
    searched = files_under(project.root, skip=project.db) + files_under(out, skip=project.db)
    assert any(p.name == "reconciler.lock" for p in searched) and plan_file in searched
    for path in searched:
        assert PASSWORD.encode() not in path.read_bytes(), path
    assert "HOOK_PASSWORD" in plan_file.read_text()  # what a plan file holds: the variable's name
