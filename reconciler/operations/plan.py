"""`plan`: read the account and the manifests, build the plan, save it when asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.config import Settings
from reconciler.lock import atomic_write
from reconciler.pipedrive.client import PipedriveClient
from reconciler.render import render_json
from reconciler.session import PlanRun, plan_run


def make_plan(client: PipedriveClient, settings: Settings, paths: list[str], *, targets: list[str] | None = None,
              progress: Callable[[str], None] | None = None, drift_only: bool = False,
              out_file: str | Path | None = None) -> PlanRun:
    """The plan of these manifests against the live account; written to `out_file` (the JSON
    `apply --plan` takes) when given. A plan only shown leaves out what apply would record."""
    run = plan_run(client, settings, paths, targets=list(targets or []), progress=progress, drift_only=drift_only,
                   record=bool(out_file))
    if out_file:
        from reconciler.plantrust import sign

        sign(run.plan, client)  # apply --plan accepts only what this key signed for this account
        atomic_write(Path(out_file), render_json(run.plan) + "\n")
    return run
