"""`apply`: the whole sequence from manifests (or a saved plan) to a written account and lock.

project lock → plan → checks before the first write → confirmation → the account's lease →
(plan again if the account changed while waiting) → apply → result. The lease's re-plan is
defined here, beside the first plan, so both run the same checks and ask the same question.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply import Applier, ApplyResult, Outcome
from reconciler.config import Settings
from reconciler.interrupts import stop_on_signals
from reconciler.lock import lock_path_for, project_lock
from reconciler.pipedrive.client import PipedriveClient
from reconciler.plan import Plan, PlanError
from reconciler.session import PlanRun, check_apply, plan_run, saved_plan_run, take_lease


class SavedPlanRefused(PlanError):
    """A saved plan that cannot be applied as it is (stale, forged, or made elsewhere)."""


REPLANNING = "the account changed while this apply waited for its lease: planning again"


class ApplyUI:
    """What an apply asks of whoever runs it. The defaults show nothing and approve every plan
    (as `--auto-approve`); the CLI's renders and asks (reconciler/cli.py)."""

    def reading(self, client: PipedriveClient, *, again: bool) -> AbstractContextManager[Callable[[str], None] | None]:
        """A context around reading live state, yielding a progress callback (or None)."""
        return contextlib.nullcontext()

    def planned(self, run: PlanRun, *, again: bool) -> None:
        """Show the plan about to be applied (`again`: made again after waiting for the lease)."""

    def confirm(self, plan: Plan) -> None:
        """Raise to cancel; return to go ahead."""

    def say(self, text: str) -> None:
        """A line on what is happening (waiting for the lease, planning again)."""

    def applying(self, total: int) -> AbstractContextManager[Callable[[Outcome], None] | None]:
        """A context around the writes, yielding a callback per finished change (or None)."""
        return contextlib.nullcontext()


@dataclass
class ApplyOutcome:
    """What an apply did: the run it applied (after any re-plan), the result, and the exit code of
    the signal that stopped it, if one did."""

    run: PlanRun
    result: ApplyResult
    signalled: dict[str, int] = field(default_factory=dict)


def apply_workers(settings: Settings) -> int:
    """Writes in flight at once: as many as the rate allows per second, 1 to 16."""
    return max(1, min(16, int(settings.rate_limit)))


def apply_manifests(client: PipedriveClient, settings: Settings, paths: list[str], *,
                    targets: list[str] | None = None, allow_account_change: bool = False,
                    ui: ApplyUI | None = None) -> ApplyOutcome:
    """`apply PATH...`: make the live account match the manifests, and record it in the lock."""
    ui = ui or ApplyUI()
    targets = list(targets or [])

    def plan_checked(again: bool) -> PlanRun:
        with ui.reading(client, again=again) as progress:
            run = plan_run(client, settings, paths, targets=targets, progress=progress)
        ui.planned(run, again=again)
        check_apply(run, max_deletes=settings.max_deletes, allow_account_change=allow_account_change)
        ui.confirm(run.plan)
        return run

    def replan() -> PlanRun:
        ui.say(REPLANNING)
        return plan_checked(again=True)

    with project_lock(lock_path_for(paths[0], settings.environment)):
        return _apply(plan_checked(again=False), replan, settings, ui)


def apply_saved_plan(client: PipedriveClient, settings: Settings, saved: Plan, *,
                     allow_account_change: bool = False, ui: ApplyUI | None = None) -> ApplyOutcome:
    """`apply --plan FILE`: apply a saved plan once its checks pass (a stale one is refused, never re-made)."""
    ui = ui or ApplyUI()
    with project_lock(Path(saved.lock_file or "reconciler.lock")):
        try:
            run = saved_plan_run(client, settings, saved)
            _check_ready(run.plan)
        except PlanError as exc:
            raise SavedPlanRefused(str(exc)) from None
        ui.planned(run, again=False)
        check_apply(run, max_deletes=settings.max_deletes, allow_account_change=allow_account_change)
        ui.confirm(run.plan)
        return _apply(run, None, settings, ui)


def _check_ready(plan: Plan) -> None:
    """What a saved plan's writes need from this machine (a webhook's password variable), before any
    write: a plan made elsewhere may name a variable this shell lacks (KindHooks `ready`, where a kind has it)."""
    from reconciler import kinds

    for change in plan.changes:
        ready = getattr(kinds.kind(change.kind).hooks, "ready", None)
        problem = ready(change.writes) if ready is not None else None
        if problem:
            raise PlanError(f"{change.source or change.address}: {change.kind} {change.key!r}: {problem}; nothing "
                            "was written")


def _apply(run: PlanRun, replan: Callable[[], PlanRun] | None, settings: Settings, ui: ApplyUI) -> ApplyOutcome:
    """Lease, then the writes, through the client bound to the vocabulary the plan was made with."""
    run, holder = take_lease(run, replan, say=ui.say)
    with holder, ui.applying(len(run.plan.changes)) as progress:
        applier = Applier(run.client, run.plan, run.lock, workers=apply_workers(settings), progress=progress)
        with stop_on_signals(applier.stop) as signalled:
            result = applier.run()
    return ApplyOutcome(run=run, result=result, signalled=dict(signalled))
