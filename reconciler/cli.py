"""The command line: parse, call the pipeline, render, exit codes. No business logic here.

Exit codes (CONTRACT §5): 0 success (no changes for `plan --detailed-exitcode`), 1 error,
2 changes found with `--detailed-exitcode`. Click's own usage errors exit 2 by default;
they are mapped to 1 so that 2 keeps its one meaning.
"""

from __future__ import annotations

import contextlib
import json
import sys
import traceback
from pathlib import Path

import click

from reconciler import __version__
from reconciler.commands.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    LazyGroup,
    Output,
    _connection_options,
    _fail,
    _global_options,
    _handle_errors,
    _redact,
    _settings,
    tune_gc,
)

# Commands whose modules are imported only when they run (or --help lists them).
LAZY_COMMANDS = {
    "connections": "reconciler.commands.connections:connections",
    "export": "reconciler.commands.export:export",
    "sandbox": "reconciler.sandbox.cli:sandbox",
}

# -- the group -------------------------------------------------------------------------


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="reconciler")
@click.option("--debug", is_flag=True, help="Tracebacks and an HTTP trace (the key is always redacted).")
@click.option("--quiet", "-q", is_flag=True, help="Only results and errors.")
@click.option("--no-color", is_flag=True, help="No colour in output (also the NO_COLOR variable).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, no_color: bool) -> None:
    """CRM-as-code for Pipedrive: declare deals, organizations, persons, notes and activities in
    YAML; `plan` shows what would change in the live account; `apply` makes it so."""
    ctx.ensure_object(dict)
    ctx.obj.update(debug=debug, quiet=quiet, no_color=no_color)
    ctx.obj["output"] = Output(quiet, no_color, debug)


# -- validate ----------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_global_options
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check manifests offline: schema, references, duplicate keys. No network."""
    from reconciler.manifest import load_manifests

    out: Output = ctx.obj["output"]
    manifest, problems = load_manifests(list(paths))
    if problems:
        for problem in problems:
            out.print(str(problem), markup=False)
        raise SystemExit(EXIT_ERROR)
    out.print(f"{len(manifest.resources)} resources in {len(manifest.files)} files are valid.", markup=False)


# -- plan --------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan JSON (for apply --plan).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@click.option("--target", "targets", multiple=True, metavar="KIND.KEY", help="Only these resources and what they need.")
@_connection_options
@_global_options
@click.pass_context
@_handle_errors
def plan(ctx, paths, out_file, fmt, detailed_exitcode, targets, **kwargs) -> None:
    """Show what apply would change in the live account."""
    from reconciler.lock import atomic_write
    from reconciler.render import render_json, render_markdown, render_text
    from reconciler.session import open_client, plan_run

    out: Output = ctx.obj["output"]
    settings, paths = _settings(ctx.obj, list(paths), kwargs)
    with open_client(settings) as client, _progress_line(out) as progress:
        run = plan_run(client, settings, paths, targets=list(targets), progress=progress)
    plan_value = run.plan
    if fmt == "text":
        out.print(run.account.header(), markup=False)
        out.print(render_text(plan_value))
    elif fmt == "json":
        out.raw(render_json(plan_value))
    else:
        out.raw(render_markdown(plan_value))
    for warning in run.warnings:  # on stderr, whatever the format (JSON also carries them)
        out.warn(warning)
    if out_file:
        atomic_write(Path(out_file), render_json(plan_value) + "\n")
        out.info(f"Saved the plan to {out_file}; apply it with: reconciler apply --plan {out_file}")
    if detailed_exitcode and plan_value.has_changes:
        raise SystemExit(EXIT_CHANGES)


@contextlib.contextmanager
def _progress_line(out: Output):
    """A spinner while live state is read (on a terminal); debug lines otherwise."""
    from reconciler.render.progress import read_progress

    if out.debug:
        yield out.info
        return
    with read_progress(out.err, out.quiet) as progress:
        yield progress


# -- apply -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Apply a saved plan.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--target", "targets", multiple=True, metavar="KIND.KEY", help="Only these resources and what they need.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=10, show_default=True,
              help="Refuse plans that delete more objects than this.")
@click.option("--allow-account-change", is_flag=True,
              help="Apply even though reconciler.lock belongs to another account (starts a new lock).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the final summary.")
@_connection_options
@_global_options
@click.pass_context
@_handle_errors
def apply(ctx, paths, plan_file, auto_approve, targets, max_deletes, allow_account_change, fmt, **kwargs) -> None:
    """Make the live account match the manifests (or a saved plan)."""
    from reconciler.apply import apply_plan, check_fresh
    from reconciler.lock import LockFile, lock_path_for, project_lock
    from reconciler.plan import Plan
    from reconciler.render import render_text
    from reconciler.render.progress import apply_progress
    from reconciler.session import open_client, plan_run, read_account

    out: Output = ctx.obj["output"]
    if not paths and not plan_file:
        _fail(out, "give manifest PATHs, or --plan FILE")
    if paths and plan_file:
        _fail(out, "give either manifest PATHs or --plan FILE, not both")
    saved = None
    if plan_file:
        try:
            saved = Plan.from_json(json.loads(Path(plan_file).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(out, f"{plan_file}: not a reconciler plan ({type(exc).__name__}: {exc})")
    settings, paths = _settings(ctx.obj, list(paths), kwargs)
    lock_path = lock_path_for(paths[0]) if paths else Path(saved.lock_file or "reconciler.lock")
    shown = out.print if fmt == "text" else out.err.print  # stdout stays pure JSON with --format json
    with open_client(settings) as client, project_lock(lock_path):
        if saved is not None:
            plan_value = saved
            account = read_account(client, settings)
            planned = plan_value.account or {}
            if planned.get("company_id") != account.company_id:
                _fail(out, f"{plan_file} was made for {_other_account(planned, account)}; refusing to apply it here")
            shown(account.header(), markup=False)
            check_fresh(client, plan_value)
            lock = LockFile.read(lock_path)
            if not lock.belongs_to(account.company_id):
                lock = LockFile(path=lock_path)
        else:
            with _progress_line(out) as progress:
                run = plan_run(client, settings, paths, targets=list(targets), progress=progress)
            plan_value, account, lock = run.plan, run.account, run.lock
            if run.foreign_lock and not allow_account_change:
                _fail(out, f"{lock_path} belongs to {_other_account(run.foreign_lock, account)}. Pass "
                           "--allow-account-change to apply here and start a new lock for this account.")
            shown(account.header(), markup=False)
            shown(render_text(plan_value))
            for warning in run.warnings:
                out.warn(warning)
        lock.account = {"company_id": account.company_id, "company_name": account.company_name}
        deletes = sum(1 for c in plan_value.changes if c.action == "delete")
        if deletes > max_deletes:
            _fail(out, f"the plan deletes {deletes} objects, more than --max-deletes {max_deletes}; "
                       "raise --max-deletes if that is intended")
        if plan_value.changes and not auto_approve:
            if not sys.stdin.isatty():
                _fail(out, "apply needs confirmation: run it on a terminal, or pass --auto-approve")
            answer = click.prompt("Do you want to perform these actions? Only 'yes' will be accepted",
                                  default="", show_default=False)
            if answer.strip() != "yes":
                _fail(out, "apply cancelled")
        with apply_progress(out.err, len(plan_value.changes), out.quiet) as progress:
            result = apply_plan(client, plan_value, lock, workers=max(1, min(16, int(settings.rate_limit))),
                                progress=progress)
        summary = result.summary(plan_value.unchanged)
        for failure in result.failed:
            out.err.print(f"{failure.status}: {failure.address}: {failure.error}", markup=False)
        _finish(out, fmt, summary, client.stats.as_dict(), ok=result.ok)
        if not result.ok:
            raise SystemExit(EXIT_ERROR)


def _other_account(other: dict, account) -> str:
    """'company 1 (A), but this connection is company 2 (B)': for refusals across accounts."""
    return (f"company {other.get('company_id')} ({other.get('company_name')}), but this connection is "
            f"company {account.company_id} ({account.company_name})")


def _finish(out: Output, fmt: str, summary: dict, stats: dict, ok: bool) -> None:
    if fmt == "json":
        out.print(json.dumps({"ok": ok, "summary": summary, "stats": stats}, indent=2), markup=False)
        return
    head = "Apply complete!" if ok else "Apply finished with errors."
    extra = ""
    if summary.get("failed") or summary.get("skipped"):
        extra = f", {summary.get('failed', 0)} failed, {summary.get('skipped', 0)} skipped"
    out.print(f"[bold]{head}[/] Resources: {summary['create']} created, {summary['update']} updated, "
              f"{summary['delete']} deleted, {summary['unchanged']} unchanged{extra}. "
              f"API calls: {stats['api_calls']}, tokens: {stats['tokens']}.")


# -- whoami --------------------------------------------------------------------------------


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for people, JSON for scripts.")
@_connection_options
@_global_options
@click.pass_context
@_handle_errors
def whoami(ctx, path, fmt, **kwargs) -> None:
    """Name the account that commands would change: company, user and connection."""
    from reconciler.commands.whoami import describe

    out: Output = ctx.obj["output"]
    settings, _ = _settings(ctx.obj, [path] if path else [], kwargs)
    identity = describe(settings)
    if fmt == "json":
        out.print(json.dumps(identity.as_dict(), indent=2), markup=False)
        return
    for line in identity.lines():
        out.print(line, markup=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI with CONTRACT §5's exit codes."""
    tune_gc()
    try:
        cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except SystemExit as exc:
        code = exc.code
        sys.exit(code if isinstance(code, int) else (EXIT_ERROR if code else EXIT_OK))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not a user error: one line, the traceback only with --debug
        if "--debug" in (argv if argv is not None else sys.argv[1:]):
            click.echo(_redact(traceback.format_exc()), err=True)
        detail = _redact(f"{type(exc).__name__}: {exc}")
        click.echo(f"error: internal error ({detail}); run again with --debug for the traceback, "
                   "and please report it", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)
