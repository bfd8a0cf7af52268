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
    connection_options,
    global_options,
    handle_errors,
    settings_from,
)
from reconciler.export import PER_OBJECT_READS, ExportError
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
@click.option("--without", "without", multiple=True, type=click.Choice(PER_OBJECT_READS), metavar="READ",
              help="Leave out a read that costs one API call per object, as no list answer carries it: "
                   "relationships (organizations' parent: and related:, one call per organization) or variations "
                   "(products' variations:, one call per product). Those fields are then not written, so not "
                   "managed. Repeatable; export says the calls each read takes before making them.")
@connection_options
@global_options
@click.pass_context
@handle_errors
def export(ctx: click.Context, out_dir: Path, kind_names: tuple[str, ...], force: bool, without: tuple[str, ...],
           **kwargs: Any) -> None:
    """Write manifests and reconciler.lock for the live account, so that `plan` of DIR shows no changes.

    One file per organization (DIR/accounts/<key>.yaml) with its persons, deals, notes and
    activities; objects with no organization go to DIR/<kind>.yaml. With --sandbox and no
    FILE, the sandbox database is .reconciler/sandbox.db in the current directory;
    `--sandbox PROJECT_DIR` reads the sandbox of that project (PROJECT_DIR/.reconciler/sandbox.db).
    """
    from reconciler.lock import lock_name
    from reconciler.operations import export as export_operation

    out: Output = ctx.obj["output"]
    # --env NAME: the environments of the project the export goes into (the nearest
    # reconciler.toml above DIR, else the current directory's)
    project = _project_of(out_dir) if kwargs.get("environment") else None
    settings, _ = settings_from(ctx.obj, [str(project)] if project else [], kwargs)
    lock = lock_name(settings.environment)
    shown: list[ExportDisplay] = []

    def display(stats: Any) -> ExportDisplay:  # counts and calls while reading
        shown.append(ExportDisplay(out.err, out.quiet, stats))
        return shown[-1]

    try:
        result = export_operation(settings, out_dir, kind_names, force=force, lock_name=lock,
                                  on_account=lambda account: out.info(account.header()), progress=display,
                                  without=without)
    except ExportError as exc:
        out.error(str(exc))
        raise SystemExit(EXIT_ERROR) from None
    finally:
        for progress in shown:
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
    for left_out in result.without:
        out.info(f"--without {left_out}: not read, so not written (not managed by these manifests)")
    if result.unrecorded:
        out.warn(result.unrecorded)
    else:
        out.info(f"Recorded every exported field as applied in {out_dir / lock}, so a change made in Pipedrive "
                 f"from now on is drift (one plan: {result.record_stats.get('api_calls', 0):,} API calls, "
                 f"{result.record_stats.get('tokens', 0):,} tokens).")
    out.info(f"Check the round trip with: reconciler plan {out_dir}  (same connection options)")


def _project_of(out_dir: Path) -> Path:
    """The nearest directory at or above DIR with a reconciler.toml, else the current one."""
    from reconciler.config import PROJECT_FILE

    for directory in (out_dir.absolute(), *out_dir.absolute().parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    return Path(".")
