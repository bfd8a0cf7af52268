"""`pull`: write the values changed in Pipedrive since the last apply into the manifests.

project lock → plan keeping drift (every drifted field and its live value) → the edits
(reconciler/pull.py rewrites the files, comments and layout kept) → plan again and record
in the lock what is now applied, so the next plan is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.apply import record_unchanged
from reconciler.config import Settings
from reconciler.lock import lock_path_for, project_lock
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pull import Edit, children, planned_edits, write_edits
from reconciler.session import Account, load, plan_run


@dataclass
class PullOutcome:
    """What pull wrote: the edits made and kept back, the objects added, the files written, and
    each kept field's drift (plan.kept: before/after, who changed it)."""

    edits: list[Edit] = field(default_factory=list)
    skipped: list[Edit] = field(default_factory=list)
    added: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (file, kind, key, id)
    files: list[str] = field(default_factory=list)
    drift: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.edits and not self.added


def pull(client: PipedriveClient, settings: Settings, paths: list[str], *, prefer: str | None = None,
         add_children: bool = False, on_account: Callable[[Account], None] | None = None) -> PullOutcome:
    """Rewrite the manifests with what changed in Pipedrive; PullError (nothing written) on a
    conflict without `prefer`, or a file that cannot take the edit."""
    with project_lock(lock_path_for(paths[0], settings.environment)):
        manifest = load(paths, settings.overlay)
        run = plan_run(client, settings, paths, manifest=manifest, on_drift="keep")
        if on_account is not None:
            on_account(run.account)
        edits, skipped = planned_edits(run.plan, manifest, prefer)
        additions = children(run.client, run.client.schema, manifest, run.lock, run.identity.ids) \
            if add_children else {}
        outcome = PullOutcome(edits=edits, skipped=skipped,
                              drift={(e["kind"], e["key"]): e["fields"] for e in run.plan.kept})
        if not edits and not additions:
            return outcome
        outcome.files = write_edits(edits, additions)
        outcome.added = [(path, kind_name, key, object_id) for path, items in additions.items()
                         for kind_name, key, _values, object_id in items]
        # what is now applied: the pulled values are the manifests' and Pipedrive's alike
        again = plan_run(client, settings, paths, on_drift="keep")
        lock = again.lock
        for _path, kind_name, key, object_id in outcome.added:
            lock.record(kind_name, key, object_id)
        record_unchanged(lock, again.plan.applied)
        lock.save()
    return outcome
