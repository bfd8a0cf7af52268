"""`export`: read the live account and write manifests and a lock, so that `plan` of them is empty."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reconciler.config import Settings
from reconciler.export import ExportResult, check_out_dir, export_account
from reconciler.session import Account, open_client, read_account


def export(settings: Settings, out_dir: Path, kind_names: Sequence[str], *, force: bool, lock_name: str,
           on_account: Callable[[Account], None] | None = None,
           progress: Callable[[Any], Any] | None = None) -> ExportResult:
    """Check the output directory (before connecting: a mistake costs nothing), read the account,
    write the files. `progress(stats)` makes the display export reports its counts to."""
    check_out_dir(out_dir, force)
    with open_client(settings) as client:
        account = read_account(client, settings)
        if on_account is not None:
            on_account(account)
        display = progress(client.stats) if progress is not None else None
        return export_account(client, out_dir, account.as_dict(), kind_names, force=force, progress=display,
                              lock_name=lock_name)
