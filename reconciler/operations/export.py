"""`export`: read the live account and write manifests and a lock, so that `plan` of them is empty."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.config import Settings
from reconciler.export import ExportResult, check_out_dir, export_account
from reconciler.pipedrive.client import PipedriveClient
from reconciler.plan import PlanError
from reconciler.session import Account, ManifestErrors, open_client, plan_run, read_account
from reconciler.state import accept_live


def export(settings: Settings, out_dir: Path, kind_names: Sequence[str], *, force: bool, lock_name: str,
           on_account: Callable[[Account], None] | None = None,
           progress: Callable[[Any], Any] | None = None, without: Sequence[str] = ()) -> ExportResult:
    """Check the output directory (before connecting: a mistake costs nothing), read the account,
    write the files. `progress(stats)` makes the display export reports its counts to; `without`
    names the per-object reads left out (reconciler.export.PER_OBJECT_READS)."""
    check_out_dir(out_dir, force)
    with open_client(settings) as client:
        account = read_account(client, settings)
        if on_account is not None:
            on_account(account)
        display = progress(client.stats) if progress is not None else None
        result = export_account(client, out_dir, account.as_dict(), kind_names, force=force, progress=display,
                                lock_name=lock_name, without=without)
        before = client.stats.as_dict()
        result.unrecorded = adopt_export(client, settings, out_dir)
        after = client.stats.as_dict()
        result.record_stats = {name: after[name] - before[name] for name in ("api_calls", "tokens")}
        return result


def adopt_export(client: PipedriveClient, settings: Settings, out_dir: Path) -> str | None:
    """Export adopts the live state: its lock records every declared field as applied
    (docs/state.md), so a UI edit made right after the export is drift, not an ordinary change.
    One plan of what was written, over the same client (the overlay of the project, if any,
    is not part of what was exported). Returns a warning when the export cannot be planned."""
    try:
        run = plan_run(client, replace(settings, overlay=None), [str(out_dir)], on_drift="keep")
    except (PlanError, ManifestErrors) as exc:  # the export stands; only its record of what is applied is missing
        return (f"the export was written, but planning it failed ({exc}), so its lock records no field as "
                f"applied (a change made in Pipedrive is not drift until the next apply): run `reconciler plan "
                f"{out_dir}` to see why")
    accept_live(run)
    return None
