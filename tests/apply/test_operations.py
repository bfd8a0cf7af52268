"""The test harness applies as users do: `InProcess.apply` runs reconciler.operations.apply_manifests,
the sequence `apply --auto-approve` runs (project lock, plan, checks before the first write,
the account's lease, writes through the client bound to the account's vocabulary).

Before the operations layer the harness planned and applied directly: no project lock, no
checks, no lease; a plan deleting more than max_deletes went through it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Settings
from reconciler.session import ApplyRefused
from tests.conftest import company_manifests, write_manifests


def test_the_harness_refuses_what_apply_refuses_before_its_first_write(in_process, tmp_path: Path) -> None:
    data = company_manifests(orgs=1)
    project = write_manifests(tmp_path / "project", data)
    plan, result = in_process.apply(project)
    assert result.ok and plan.summary["create"] == 10
    live_notes = in_process.call("GET", "/api/v1/notes")
    write_manifests(project, {"organizations": data["organizations"]})  # drops 9 resources: 9 deletes
    with pytest.raises(ApplyRefused, match="more than --max-deletes 2"):
        in_process.apply(project, Settings(max_deletes=2))
    assert in_process.call("GET", "/api/v1/notes") == live_notes  # nothing was deleted
    plan, result = in_process.apply(project, Settings(max_deletes=9))
    assert result.ok and plan.summary["delete"] == 9


def test_the_harness_holds_the_project_lock_and_the_lease_of_a_plan_that_creates(in_process, tmp_path: Path) -> None:
    project = write_manifests(tmp_path / "project", company_manifests(orgs=1))
    plan, result = in_process.apply(project)
    assert result.ok
    assert (project / "reconciler.lock.lck").exists()  # the project lock's file, as the CLI leaves it
    routes = in_process.gateway.stats()["by_route"]
    assert any("POST" in route and "leadLabels" in route for route in routes), routes  # the account's lease taken
    labels = [label["name"] for label in in_process.call("GET", "/api/v1/leadLabels")]
    assert not any(name.startswith("reconciler") for name in labels), labels  # and released: nothing stays (#25)
