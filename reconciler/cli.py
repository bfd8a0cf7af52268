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
    connection_options,
    drift_options,
    fail,
    global_options,
    handle_errors,
    kept_to_the_end,
    redact,
    settings_from,
    tune_gc,
)

# Commands whose modules are imported only when they run (or --help lists them).
LAZY_COMMANDS = {
    "connections": "reconciler.commands.connections:connections",
    "environments": "reconciler.commands.environments:environments",
    "export": "reconciler.commands.export:export",
    "lease": "reconciler.commands.lease:lease",
    "pull": "reconciler.commands.pull:pull",
    "sandbox": "reconciler.sandbox.cli:sandbox",
}

# -- the group -------------------------------------------------------------------------

# Every environment variable the program reads: (name, what it does). docs/cli.md is
# generated from this table (scripts/gen_cli_reference.py), and a test checks that the
# source reads exactly these.
ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("MATON_API_KEY", "The Maton API key, sent as `Authorization: Bearer KEY`. Never printed, logged or saved; "
                      "not needed with `--sandbox`."),
    ("MATON_CONNECTION", "The connection (Pipedrive account) to use, sent as `Maton-Connection`; as "
                         "`--connection`. Unset: the gateway uses the key's oldest active connection."),
    ("RECONCILER_ENDPOINT", "The gateway URL, as `--endpoint` (default `https://gateway.maton.ai/pipedrive`)."),
    ("RECONCILER_CONTROL_ENDPOINT", "The control API URL (connections), as `--control-endpoint` (default "
                                    "`https://ctrl.maton.ai` with the default endpoint, else the endpoint's "
                                    "origin)."),
    ("RECONCILER_TIMEOUT", "Seconds one request may take before it counts as failed (default 30): the whole "
                           "answer, not each read, so a server trickling bytes cannot hold it longer."),
    ("RECONCILER_RATE_LIMIT", "Requests per second, client side, as `--rate-limit` (default 10). Not applied "
                              "to the embedded sandbox, which runs unpaced unless `--rate-limit` is given."),
    ("RECONCILER_API_VERSION", "`v2` (Pipedrive's v2 endpoints where they exist; the default) or `v1` "
                               "everywhere, as `--api-version`."),
    ("RECONCILER_RETRY_BUDGET", "Seconds of failed requests of one kind in a row (reads, or writes of one route, "
                                "with no success of that kind between them) after which a run "
                                "gives up with one message (default 30; a rate-limited streak gets four times it). "
                                "Also `retry_budget` in reconciler.toml."),
    ("RECONCILER_LEASE_WAIT", "Seconds an apply that creates waits for another apply of the same account (any "
                              "machine) to release the account's lease before it fails (default 300)."),
    ("RECONCILER_LEASE_TTL", "Seconds the account's apply lease lasts without renewal (default 120, at least 10); "
                             "a shorter one only makes a paused or crashed holder block others for less time."),
    ("RECONCILER_LOCK_WAIT", "Seconds `apply` waits for another apply of the same project to finish "
                             "(`reconciler.lock.lck`) before it fails (default 30)."),
    ("RECONCILER_MARKDOWN_LIMIT", "The most bytes a markdown plan may take (default 60000, under GitHub's "
                                  "65,536-character comment limit); deletes and drift are shown first, the "
                                  "rest summarised."),
    ("RECONCILER_PLAN_URL", "Where a capped markdown plan links for the whole plan (the CI job's artifacts)."),
    ("RECONCILER_SANDBOX_DEPRECATED_V1", "`1`: the sandbox serves the v1 endpoints Pipedrive put out of "
                                         "support on 2026-08-01 instead of answering 410 Gone (the embedded "
                                         "one; `sandbox serve` also takes `--serve-deprecated-v1`)."),
    ("NO_COLOR", "Any value: no colour and no other escape sequence in output, as `--no-color`."),
)


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Environment: " + ", ".join(name for name, _ in ENVIRONMENT)
                    + ". Settings: flag, then environment, then reconciler.toml beside the first PATH, then "
                      "the default. Exit codes: 0 success (no changes with --detailed-exitcode), 1 error, "
                      "2 changes found with --detailed-exitcode.")
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
@click.option("--env", "environment", metavar="NAME",
              help="Merge the overlay of [environments.NAME] (reconciler.toml) over the manifests, as plan --env does.")
@global_options
@click.pass_context
@handle_errors
def validate(ctx: click.Context, paths: tuple[str, ...], environment: str | None) -> None:
    """Check manifests offline: schema, references, duplicate keys. No network."""
    from reconciler.config import resolve
    from reconciler.manifest import load_manifests

    out: Output = ctx.obj["output"]
    overlay = resolve(first_path=paths[0], environment=environment, env={}).overlay if environment else None
    manifest, problems = load_manifests(list(paths), overlay)
    if problems:
        for problem in problems:
            out.print(str(problem), markup=False)
        raise SystemExit(EXIT_ERROR)
    out.print(f"{len(manifest.resources)} resources in {len(manifest.files)} files are valid.", markup=False)
    from reconciler.twophase import manifest_cycles

    for notice in manifest_cycles(manifest):  # valid: apply cuts them, but a reviewer should know
        out.warn(notice)


# -- plan --------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan JSON (for apply --plan).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@click.option("--target", "targets", multiple=True, metavar="KIND.KEY", help="Only these resources and what they need.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None,
              help="Warn (and fail with --detailed-exitcode) when the plan deletes more than apply will allow "
                   "[default: max_deletes in reconciler.toml, else 10].")
@click.option("--allow-option-removal", is_flag=True,
              help="Plan the removal of custom field options that live records use (Pipedrive clears them); "
                   "without it such a plan fails, saying how many records use them.")
@click.option("--allow-data-loss", is_flag=True,
              help="Plan deletes of custom fields, pipelines and stages that live records hold values in or sit "
                   "in; without it such a plan fails, saying how many records would lose data.")
@click.option("--drift-only", is_flag=True,
              help="Report only what changed in Pipedrive since the last apply (drift, conflicts, objects deleted "
                   "there); with --detailed-exitcode exit 2 when there is any. Never applied.")
@drift_options
@connection_options
@global_options
@click.pass_context
@handle_errors
def plan(ctx, paths, out_file, fmt, detailed_exitcode, targets, drift_only, **kwargs) -> None:
    """Show what apply would change in the live account."""
    from reconciler.operations import make_plan
    from reconciler.render import render_json, render_markdown, render_text
    from reconciler.session import open_client

    out: Output = ctx.obj["output"]
    if drift_only and out_file:
        fail(out, "--drift-only makes a report, never applied: it cannot be saved with --out")
    settings, paths = settings_from(ctx.obj, list(paths), kwargs)
    with open_client(settings) as client, _progress_line(out, client.stats) as progress, kept_to_the_end():
        run = make_plan(client, settings, paths, targets=list(targets), progress=progress, drift_only=drift_only,
                        out_file=out_file)
    plan_value = run.plan
    if fmt == "text":
        out.print(run.account.header(), markup=False)
        out.print(render_text(plan_value))
    elif fmt == "json":
        out.raw(render_json(plan_value))
    else:
        deletes = plan_value.summary["delete"]
        out.raw(render_markdown(plan_value, refused=f"the plan deletes {deletes} objects, more than max_deletes "
                                f"{settings.max_deletes}" if deletes > settings.max_deletes else None))
    for warning in run.warnings:  # on stderr, whatever the format (JSON also carries them)
        out.warn(warning)
    if out_file:
        out.info(f"Saved the plan to {out_file}; apply it with: reconciler apply --plan {out_file}")
    from reconciler.shapeloss import counted_deletes

    deletes = counted_deletes(plan_value)  # objects, and records that lose data to a shape delete
    if detailed_exitcode and deletes > settings.max_deletes:
        fail(out, f"the plan deletes {deletes} objects, more than --max-deletes {settings.max_deletes}: "
                   "apply will refuse it")
    if detailed_exitcode and plan_value.has_changes:
        raise SystemExit(EXIT_CHANGES)


@contextlib.contextmanager
def _progress_line(out: Output, stats=None):
    """Counts while live state is read (objects per kind, calls spent); debug lines with --debug."""
    from reconciler.render.progress import read_progress

    if out.debug:
        yield out.info
        return
    with read_progress(out.err, out.quiet, stats) as progress:
        yield progress


# -- apply -------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Apply a saved plan.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--target", "targets", multiple=True, metavar="KIND.KEY", help="Only these resources and what they need.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None,
              help="Refuse plans that delete more objects than this [default: max_deletes in reconciler.toml, "
                   "else 10].")
@click.option("--allow-account-change", is_flag=True,
              help="Apply even though reconciler.lock belongs to another account (starts a new lock).")
@click.option("--allow-option-removal", is_flag=True,
              help="Remove custom field options that live records use (Pipedrive clears them from those records).")
@click.option("--allow-data-loss", is_flag=True,
              help="Delete custom fields, pipelines and stages that live records hold values in or sit in (their "
                   "data is lost; those records count against --max-deletes).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the final summary.")
@drift_options
@connection_options
@global_options
@click.pass_context
@handle_errors
def apply(ctx, paths, plan_file, auto_approve, targets, allow_account_change, fmt, **kwargs) -> None:
    """Make the live account match the manifests (or a saved plan).

    Prints the plan (as `plan` does), then asks for `yes` on a terminal; --auto-approve
    skips the question, and without a terminal it is required.
    """
    from reconciler.operations import apply_manifests, apply_saved_plan
    from reconciler.operations.apply import SavedPlanRefused
    from reconciler.plan import Plan, PlanError
    from reconciler.session import open_client

    out: Output = ctx.obj["output"]
    if not paths and not plan_file:
        fail(out, "give manifest PATHs, or --plan FILE")
    if paths and plan_file:
        fail(out, "give either manifest PATHs or --plan FILE, not both")
    saved = None
    if plan_file:
        try:
            saved = Plan.from_json(json.loads(Path(plan_file).read_text(encoding="utf-8")))
        except PlanError as exc:
            fail(out, f"{plan_file}: {exc}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail(out, f"{plan_file}: not a reconciler plan ({type(exc).__name__}: {exc})")
        from reconciler.plantrust import check_project

        try:
            check_project(saved)  # before the project lock, which would recreate a directory that moved
        except PlanError as exc:
            fail(out, f"{plan_file}: {exc}")
    settings, paths = settings_from(ctx.obj, list(paths), kwargs)
    ui = _ApplyScreen(out, fmt, auto_approve, saved=saved is not None)
    with open_client(settings) as client:
        if saved is not None:
            try:
                done = apply_saved_plan(client, settings, saved, allow_account_change=allow_account_change, ui=ui)
            except SavedPlanRefused as exc:
                fail(out, f"{plan_file}: {exc}")
        else:
            done = apply_manifests(client, settings, paths, targets=list(targets),
                                   allow_account_change=allow_account_change, ui=ui)
        result, stats = done.result, done.run.client.stats.as_dict()
    summary = result.summary(done.run.plan.unchanged)
    for failure in result.failed:
        if not failure.error or not failure.error.startswith("not started"):
            out.err.print(f"{failure.status}: {failure.address}: {failure.error}", markup=False)
    if result.stopped:
        left = sum(1 for o in result.outcomes if o.status == "skipped" and (o.error or "").startswith("not started"))
        out.err.print(f"Stopped: {result.stopped}. Done before it: {summary['create']} created, "
                      f"{summary['update']} updated, {summary['delete']} deleted; {left} changes not made. "
                      "Nothing done is lost (the lock records it): running apply again finishes the job.",
                      markup=False)
    _finish(out, fmt, summary, stats, ok=result.ok)
    if done.signalled:
        raise SystemExit(done.signalled["exit_code"])
    if not result.ok:
        raise SystemExit(EXIT_ERROR)


class _ApplyScreen:
    """How `apply` shows its plan, asks for `yes` and shows progress (reconciler.operations.ApplyUI)."""

    def __init__(self, out: Output, fmt: str, auto_approve: bool, *, saved: bool) -> None:
        self.out = out
        self.auto_approve = auto_approve
        self.saved = saved
        self.shown = out.print if fmt == "text" else out.err.print  # stdout stays pure JSON with --format json

    @contextlib.contextmanager
    def reading(self, client, *, again):
        with _progress_line(self.out, client.stats) as progress:
            if again:
                yield progress
                return
            with kept_to_the_end():
                yield progress

    def planned(self, run, *, again):
        from reconciler.render import render_text

        if not again:
            self.shown(run.account.header(), markup=False)
        self.shown(render_text(run.plan))  # what will be done, before any confirmation (as plan prints it)
        if self.saved and run.plan.changes:
            from reconciler.render.sends import render_sends

            self.shown(render_sends(run.plan), markup=False)  # and exactly what will be sent
        if not again and not self.saved:
            for warning in run.warnings:
                self.out.warn(warning)

    def confirm(self, plan) -> None:
        if plan.changes and not self.auto_approve:
            if not sys.stdin.isatty():
                fail(self.out, "apply needs confirmation: run it on a terminal, or pass --auto-approve")
            answer = click.prompt("Do you want to perform these actions? Only 'yes' will be accepted",
                                  default="", show_default=False)
            if answer.strip() != "yes":
                fail(self.out, "apply cancelled")

    def say(self, text: str) -> None:
        self.out.info(text)

    def applying(self, total: int):
        from reconciler.render.progress import apply_progress

        return apply_progress(self.out.err, total, self.out.quiet)


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
              f"API calls: {stats['api_calls']}, tokens: {stats['tokens']}"
              + (f", retried attempts: {stats['retries']}." if stats.get("retries") else "."))


# -- show ----------------------------------------------------------------------------------


@cli.command()
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Text for people, JSON for scripts, markdown for pull-request comments.")
@global_options
@click.pass_context
@handle_errors
def show(ctx, plan_file, fmt) -> None:
    """Print a saved plan (plan --out FILE) as plan printed it; offline, nothing is read live."""
    from reconciler.plan import Plan, PlanError
    from reconciler.render import render_json, render_markdown, render_text
    from reconciler.session import Account

    out: Output = ctx.obj["output"]
    try:
        saved = Plan.from_json(json.loads(Path(plan_file).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, PlanError) as exc:
        fail(out, f"{plan_file}: not a reconciler plan ({type(exc).__name__}: {exc})")
    if fmt == "text":
        account = saved.account or {}
        user = account.get("user") or {}
        if account:
            out.print(Account(company_id=account.get("company_id"), company_name=account.get("company_name"),
                              user_name=user.get("name"), user_email=user.get("email"),
                              connection=account.get("connection"), sandbox=bool(account.get("sandbox"))).header(),
                      markup=False)
        out.print(render_text(saved))
        if saved.changes:
            from reconciler.render.sends import render_sends

            out.print(render_sends(saved), markup=False)  # exactly what apply --plan will send
    elif fmt == "json":
        out.raw(render_json(saved))
    else:
        out.raw(render_markdown(saved))
    for warning in saved.warnings:
        out.warn(warning)


# -- whoami --------------------------------------------------------------------------------


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for people, JSON for scripts.")
@connection_options
@global_options
@click.pass_context
@handle_errors
def whoami(ctx, path, fmt, **kwargs) -> None:
    """Name the account that commands would change: company, user and connection.

    PATH (optional) is a manifest directory or file, as for plan: its reconciler.toml
    (endpoint, connection, ...) applies, and --sandbox without FILE uses the sandbox
    database beside it, so `reconciler whoami crm` names the account `plan crm` would use.
    """
    from reconciler.commands.whoami import describe

    out: Output = ctx.obj["output"]
    settings, _ = settings_from(ctx.obj, [path] if path else [], kwargs)
    identity = describe(settings)
    if fmt == "json":
        out.print(json.dumps(identity.as_dict(), indent=2), markup=False)
        return
    for line in identity.lines():
        out.print(line, markup=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI with CONTRACT §5's exit codes."""
    from reconciler.interrupts import interrupted, stop_inside, terminate_like_interrupt

    tune_gc()
    terminate_like_interrupt()
    args = list(argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            code, message = interrupted(exc.__context__, args)
            click.echo(message, err=True)
            sys.exit(code)
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except SystemExit as exc:
        code = exc.code
        sys.exit(code if isinstance(code, int) else (EXIT_ERROR if code else EXIT_OK))
    except KeyboardInterrupt as exc:
        code, message = interrupted(exc, args)
        click.echo(message, err=True)
        sys.exit(code)
    except Exception as exc:  # a bug, not a user error: one line, the traceback only with --debug
        if (stop := stop_inside(exc)) is not None:  # a stop that Python wrapped on its way out
            code, message = interrupted(stop, args)
            click.echo(message, err=True)
            sys.exit(code)
        if "--debug" in (argv if argv is not None else sys.argv[1:]):
            click.echo(redact(traceback.format_exc()), err=True)
        detail = redact(f"{type(exc).__name__}: {exc}")
        click.echo(f"error: internal error ({detail}); run again with --debug for the traceback, "
                   "and please report it", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)
