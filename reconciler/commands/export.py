"""`reconciler export --out DIR [--kind KIND]... [--force]`: manifests for the live account.

The command only connects, shows progress and reports; `reconciler.export` does the work.
It reuses the shared connection options and error handling of :mod:`reconciler.commands.common`;
cli.py mounts it lazily (the module is imported when the command runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler import kinds
from reconciler.commands.common import (
    EXIT_ERROR,
    Output,
    _connection_options,
    _global_options,
    _handle_errors,
    _settings,
)
from reconciler.export import ExportError, export_account
from reconciler.render.progress import ExportDisplay

KIND_CHOICES = [spec.name for spec in kinds.KINDS] + [spec.section for spec in kinds.KINDS]


@click.command(name="export")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the manifests and reconciler.lock into; must be empty (hidden "
                   "entries such as .git do not count) unless --force.")
@click.option("--kind", "kind_names", multiple=True, type=click.Choice(KIND_CHOICES), metavar="KIND",
              help="Only this kind (organization, person, deal, note, activity, pipeline, stage, custom_field; "
                   "plural works too). Default: the records (not pipelines, stages and custom fields, the "
                   "account's shape, which are exported only when named). "
                   "Repeatable; default all. References to kinds left out are written as {id: N}.")
@click.option("--force", is_flag=True,
              help="Write into a non-empty DIR: its *.yaml/*.yml manifests are replaced (old ones "
                   "removed, so the next plan sees exactly the export) and reconciler.lock rewritten, "
                   "keeping the keys it already gives to the same objects.")
@_connection_options
@_global_options
@click.pass_context
@_handle_errors
def export(ctx: click.Context, out_dir: Path, kind_names: tuple[str, ...], force: bool, **kwargs: Any) -> None:
    """Write manifests and reconciler.lock for the live account, so that `plan` of DIR shows no changes.

    One file per organization (DIR/accounts/<key>.yaml) with its persons, deals, notes and
    activities; objects with no organization go to DIR/<kind>.yaml. With --sandbox and no
    FILE, the sandbox database is .reconciler/sandbox.db in the current directory;
    `--sandbox PROJECT_DIR` reads the sandbox of that project (PROJECT_DIR/.reconciler/sandbox.db).
    """
    from reconciler.export import check_out_dir
    from reconciler.lock import lock_name
    from reconciler.session import open_client, read_account

    out: Output = ctx.obj["output"]
    # --env NAME: the environments of the project the export goes into (the nearest
    # reconciler.toml above DIR, else the current directory's)
    project = _project_of(out_dir) if kwargs.get("environment") else None
    settings, _ = _settings(ctx.obj, [str(project)] if project else [], kwargs)
    lock = lock_name(settings.environment)
    progress: ExportDisplay | None = None
    try:
        check_out_dir(out_dir, force)  # before connecting: a mistake costs nothing
        with open_client(settings) as client:
            account = read_account(client, settings)
            out.info(account.header())
            progress = ExportDisplay(out.err, out.quiet, client.stats)  # counts and calls while reading
            result = export_account(client, out_dir, account.as_dict(), kind_names, force=force, progress=progress,
                                    lock_name=lock)
            before = client.stats.as_dict()
            unrecorded = adopt_export(client, settings, out_dir)
            after = client.stats.as_dict()
    except ExportError as exc:
        out.error(str(exc))
        raise SystemExit(EXIT_ERROR) from None
    finally:
        if progress is not None:
            progress.done()  # also on errors, so the terminal is left clean
    for warning in result.warnings:
        out.warn(warning)
    for rel in result.removed:
        out.info(f"removed {out_dir / rel} (not part of this export)")
    by_kind = ", ".join(f"{count:,} {kinds.kind(name).name if count == 1 else kinds.kind(name).section}"
                        for name, count in result.counts.items() if count)  # a kind the account lacks: not said
    out.print(
        f"Exported {result.objects:,} objects ({by_kind}) into {len(result.files):,} "
        f"{'file' if len(result.files) == 1 else 'files'} and "
        f"{out_dir / lock}. API calls: {result.stats['api_calls']:,}, tokens: "
        f"{result.stats['tokens']:,}.",
        markup=False,
    )
    if unrecorded:
        out.warn(unrecorded)
    else:
        out.info(f"Recorded every exported field as applied in {out_dir / lock}, so a change made in Pipedrive "
                 f"from now on is drift (one plan: {after['api_calls'] - before['api_calls']:,} API calls, "
                 f"{after['tokens'] - before['tokens']:,} tokens).")
    out.info(f"Check the round trip with: reconciler plan {out_dir}  (same connection options)")


def adopt_export(client: Any, settings: Any, out_dir: Path) -> str | None:
    """Export adopts the live state: its lock records every declared field as applied
    (docs/state.md), so a UI edit made right after the export is drift, not an ordinary change.
    One plan of what was written, over the same client (the overlay of the project, if any,
    is not part of what was exported). Returns a warning when the export cannot be planned."""
    from dataclasses import replace

    from reconciler.plan import PlanError
    from reconciler.session import ManifestErrors, plan_run
    from reconciler.state import accept_live

    try:
        run = plan_run(client, replace(settings, overlay=None), [str(out_dir)], on_drift="keep")
    except (PlanError, ManifestErrors) as exc:  # the export stands; only its record of what is applied is missing
        return (f"the export was written, but planning it failed ({exc}), so its lock records no field as "
                f"applied (a change made in Pipedrive is not drift until the next apply): run `reconciler plan "
                f"{out_dir}` to see why")
    accept_live(run)
    return None


def _project_of(out_dir: Path) -> Path:
    """The nearest directory at or above DIR with a reconciler.toml, else the current one."""
    from reconciler.config import PROJECT_FILE

    for directory in (out_dir.absolute(), *out_dir.absolute().parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    return Path(".")
