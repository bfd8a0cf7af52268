"""What every command shares: output, the common options, settings, error handling, exit codes.

Why a module of its own: cli.py defines the core commands and the group, and the commands
in this package (connections, export, whoami) use the same plumbing. With the plumbing
here, both import it and neither imports the other, so cli.py can load each command
module only when that command runs (`LazyGroup`), and `reconciler --version` imports
neither rich, httpx, jsonschema nor yaml. Exit codes (CONTRACT §5): 0 success, 1 error,
2 changes found with `plan --detailed-exitcode`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.config import ON_DRIFT
from reconciler.redact import RedactingFile, redact

if TYPE_CHECKING:
    from reconciler.config import Settings

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Output:
    """Where text goes: rich consoles for stdout/stderr, honouring --quiet and --no-color."""

    def __init__(self, quiet: bool = False, no_color: bool = False, debug: bool = False) -> None:
        from reconciler.render.encoding import make_standard_streams_safe
        from reconciler.render.plain import PlainWhenUnstyled as Console  # rich only when a command runs

        make_standard_streams_safe()  # any console encoding: what it cannot hold is written as ASCII

        no_color = no_color or bool(os.environ.get("NO_COLOR"))
        self.quiet = quiet
        self.debug = debug
        # no colour means no escape at all: rich's no_color alone still writes bold and the like
        system = None if no_color else "auto"
        # every line printed passes the one redactor (reconciler/redact.py)
        self.out = Console(file=RedactingFile(sys.stdout), no_color=no_color, color_system=system, highlight=False,
                           soft_wrap=True, emoji=False)
        self.err = Console(file=RedactingFile(sys.stderr), no_color=no_color, color_system=system,
                           highlight=False, soft_wrap=True, emoji=False)

    def print(self, text: str = "", markup: bool = True) -> None:
        self.out.print(text, markup=markup)

    def raw(self, text: str) -> None:
        """Machine output (JSON, markdown) as is: no rich processing, which costs seconds on big plans."""
        click.echo(redact(text))

    def info(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text, markup=False)

    def error(self, text: str) -> None:
        self.err.print(f"error: {text}", markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {text}", markup=False)


def global_options(func):
    """--debug/--quiet/--no-color accepted after the command too, not only before it."""

    @click.option("--debug", is_flag=True, default=None, help="Tracebacks and an HTTP trace (key redacted).")
    @click.option("--quiet", "-q", is_flag=True, default=None, help="Only results and errors.")
    @click.option("--no-color", is_flag=True, default=None, help="No colour (also NO_COLOR).")
    @functools.wraps(func)
    def wrapper(*args, debug=None, quiet=None, no_color=None, **kwargs):
        ctx = click.get_current_context()
        obj = ctx.ensure_object(dict)
        for name, value in (("debug", debug), ("quiet", quiet), ("no_color", no_color)):
            if value:
                obj[name] = True
        obj["output"] = Output(obj.get("quiet", False), obj.get("no_color", False), obj.get("debug", False))
        return func(*args, **kwargs)

    return wrapper


def connection_options(func):
    """Where to connect (CONTRACT §4), on every command that talks to Pipedrive."""

    @click.option("--endpoint", help="Gateway URL [env RECONCILER_ENDPOINT; default https://gateway.maton.ai/pipedrive].")
    @click.option("--control-endpoint", help="Control API URL [env RECONCILER_CONTROL_ENDPOINT].")
    @click.option("--connection", help="Maton connection id, sent as Maton-Connection [env MATON_CONNECTION].")
    @click.option(
        "--sandbox",
        "sandbox",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[FILE]",
        help="Use the embedded sandbox, data kept in FILE (default .reconciler/sandbox.db beside the first PATH).",
    )
    @click.option("--rate-limit", type=float,
                  help="Requests per second, client side [env RECONCILER_RATE_LIMIT; default 10; with --sandbox: "
                       "unpaced unless this flag is given].")
    @click.option("--api-version", type=click.Choice(["v1", "v2"]), help="v2 where Pipedrive has it (default), or v1 everywhere.")
    @click.option("--env", "environment", metavar="NAME",
                  help="Use [environments.NAME] of reconciler.toml (beside the first PATH; for export the nearest "
                       "above --out; else the current directory's): its connection or endpoint, its settings, its "
                       "overlay of manifests; its lock is reconciler.NAME.lock.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def drift_options(func):
    """What plan and apply do with fields changed in Pipedrive since the last apply (docs/drift.md)."""

    @click.option("--on-drift", type=click.Choice(list(ON_DRIFT)), default=None,
                  help="Fields changed in Pipedrive since the last apply: overwrite them with the manifests, "
                       "keep Pipedrive's values (reported, not written), or fail naming them "
                       "[default: on_drift in reconciler.toml, else overwrite].")
    @click.option("--drift-details/--no-drift-details", default=None,
                  help="Look up who changed each drifted object and when (one call per drifted deal, person "
                       "or organization) [default: only when that costs at most 3 calls or 10% of the plan's "
                       "tokens; drift_details in reconciler.toml].")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def settings_from(ctx_obj: dict, paths: list[str], kwargs: dict[str, Any]) -> tuple[Settings, list[str]]:
    from reconciler.config import resolve

    sandbox = kwargs.pop("sandbox", None)
    # `--sandbox examples` reads as "use the sandbox" followed by a PATH
    if sandbox and (Path(sandbox).is_dir() or sandbox.endswith((".yaml", ".yml"))):
        paths = [*paths, sandbox]
        sandbox = ""
    environment = kwargs.get("environment")
    settings = resolve(
        # --env without a PATH (connections, whoami): the current directory's reconciler.toml
        first_path=paths[0] if paths else ("." if environment else None),
        endpoint=kwargs.pop("endpoint", None),
        control_endpoint=kwargs.pop("control_endpoint", None),
        connection=kwargs.pop("connection", None),
        sandbox=sandbox,
        rate_limit=kwargs.pop("rate_limit", None),
        api_version=kwargs.pop("api_version", None),
        max_deletes=kwargs.pop("max_deletes", None),
        on_drift=kwargs.pop("on_drift", None),
        drift_details=kwargs.pop("drift_details", None),
        debug=bool(ctx_obj.get("debug")),
        environment=kwargs.pop("environment", None),
        allow_option_removal=bool(kwargs.pop("allow_option_removal", False)),
        allow_data_loss=bool(kwargs.pop("allow_data_loss", False)),
    )
    output = ctx_obj.get("output")
    for warning in settings.warnings:
        if output is not None:
            output.warn(warning)
    return settings, paths


def fail(out: Output, message: str) -> None:
    out.error(message)
    raise SystemExit(EXIT_ERROR)


def handle_errors(func):
    """Turn every known failure into one actionable line and exit 1; --debug adds the traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from reconciler.apply import StalePlanError
        from reconciler.config import ConfigError
        from reconciler.lock import LockError
        from reconciler.manifest import Problem  # noqa: F401
        from reconciler.pipedrive.errors import PipedriveError
        from reconciler.plan import PlanError
        from reconciler.session import ApplyRefused, ManifestErrors

        ctx = click.get_current_context()
        out: Output = ctx.obj["output"]
        try:
            return func(*args, **kwargs)
        except ManifestErrors as exc:
            for problem in exc.problems:
                out.err.print(str(problem), markup=False)
            raise SystemExit(EXIT_ERROR) from None
        except PlanError as exc:
            for problem in exc.problems:
                out.err.print(str(problem), markup=False)
            if not exc.problems:
                out.error(str(exc))
            raise SystemExit(EXIT_ERROR) from None
        except LockError as exc:  # already one `FILE:LINE: error: …` line per problem
            if out.debug:
                out.err.print(redact(traceback.format_exc()), markup=False)
            for line in str(exc).splitlines():
                out.err.print(redact(line) if ": error: " in line else f"error: {redact(line)}", markup=False)
            raise SystemExit(EXIT_ERROR) from None
        except (ConfigError, PipedriveError, StalePlanError, ApplyRefused) as exc:
            if out.debug:
                out.err.print(redact(traceback.format_exc()), markup=False)
            out.error(redact(str(exc)))
            raise SystemExit(EXIT_ERROR) from None

    return wrapper




def _accept_global_options(command: click.Command) -> None:
    """Let commands defined outside this module take --debug/--quiet/--no-color after their name.

    The sandbox's commands are built without importing this module (so they also run as
    `python -m reconciler.sandbox.cli`); the options are added here, where they are known.
    """
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_global_options(sub)
        return
    names = {p.name for p in command.params}
    if "debug" in names or command.callback is None:
        return
    command.params += [
        click.Option(["--debug"], is_flag=True, default=None, help="Tracebacks and an HTTP trace (key redacted)."),
        click.Option(["--quiet", "-q"], is_flag=True, default=None, help="Only results and errors."),
        click.Option(["--no-color"], is_flag=True, default=None, help="No colour (also NO_COLOR)."),
    ]
    command.callback = global_options(command.callback)


class _Commands(dict):
    """A group's commands, where a lazily mounted one counts as present before it is imported."""

    def __init__(self, group: LazyGroup, loaded: dict[str, click.Command]) -> None:
        super().__init__(loaded)
        self.group = group

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.group.lazy

    def __missing__(self, name: str) -> click.Command:
        command = self.group.load(name)
        if command is None:
            raise KeyError(name)
        return command

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported when used (or listed by --help), not at start-up.

    `lazy` maps a command name to "module:attribute". A command mounted this way also takes
    --debug/--quiet/--no-color after its name (`_accept_global_options`).
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.commands = _Commands(self, self.commands)

    def load(self, name: str) -> click.Command | None:
        where = self.lazy.get(name)
        if where is None:
            return None
        module, _, attribute = where.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        _accept_global_options(command)
        dict.__setitem__(self.commands, name, command)
        del self.lazy[name]
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*dict.keys(self.commands), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name)


def tune_gc() -> None:
    """The garbage collector set for a short run that builds large acyclic data (issue 19).

    Python's cyclic collector scans every young container each 700 allocations, and every
    object at each full collection; a plan builds hundreds of thousands of dicts, lists and
    strings that are never garbage, and the collector cost a quarter of its CPU. What is
    alive after start-up (modules, classes) is frozen out of the collector's sight, and
    collections are made rare: cycles are still collected (a long `sandbox serve` stays
    bounded), only less often. The memory this costs is measured in bench/bench_plan.py.

    At exit, what is still alive is frozen too: the interpreter's last collection would
    otherwise walk a whole plan's objects (a tenth of a 10k plan's CPU) only for the
    operating system to take the memory back anyway. Files are closed by their `with`
    blocks long before; atexit handlers registered later still run (they run first).
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    global _TUNED
    if not _TUNED:
        atexit.register(gc.freeze)
        _TUNED = True


_TUNED = False  # main() ran in this process (once or more): the process is the CLI's own


@contextlib.contextmanager
def kept_to_the_end() -> Iterator[None]:
    """A phase that builds what the command keeps until it ends: manifests, live state, plan.

    In the CLI's own process (tune_gc ran), the cyclic collector is off during it and what
    it built is frozen after it: each collection would only walk the same growing data again
    (a tenth of a 10k plan's CPU), and nearly all of it lives until the process exits. Its
    few garbage cycles (an HTTP answer refers to its stream and back) stay until then too;
    bench/bench_plan.py measures the memory. Elsewhere (tests run commands in-process)
    nothing changes.
    """
    if not _TUNED or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


# young-generation allocations between collections, then how many of those per older one
GC_THRESHOLDS = (100_000, 50, 100)


# The names these helpers had before they were public (a leading underscore, though every command
# module imports them): kept so code written against them still runs; use the names above.
_connection_options, _drift_options, _fail, _global_options = connection_options, drift_options, fail, global_options
_handle_errors, _redact, _settings = handle_errors, redact, settings_from
