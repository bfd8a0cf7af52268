"""`reconciler connections list|create|show ID|delete ID`: the gateway's connections for this key.

Why in the CLI at all: ``--connection ID`` picks the account a plan or apply changes, so
users need to see which ids exist, which one is the default (the oldest active one), and
to add or remove one without leaving the tool. ``delete`` is the one destructive command
here: it names the account behind the connection and asks, as ``apply`` does.

The shared options and error handling come from :mod:`reconciler.commands.common`; cli.py
mounts this group lazily (the module is imported when the command runs).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from reconciler.commands.common import (
    Output,
    connection_options,
    fail,
    global_options,
    handle_errors,
    settings_from,
)
from reconciler.config import Settings
from reconciler.pipedrive.control import APP, Connection, open_control
from reconciler.pipedrive.errors import PipedriveError

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for scripts.",
)


@click.group(name="connections")
def connections() -> None:
    """The gateway's Pipedrive connections for this key (each one is a separate account).

    Commands without --connection use the oldest active one.
    """


def _settings_only(ctx: click.Context, kwargs: dict[str, Any]) -> Settings:
    settings, _ = settings_from(ctx.obj, [], kwargs)
    return settings


def _print_json(out: Output, value: Any) -> None:
    out.print(json.dumps(value, indent=2), markup=False)


def _view(conn: Connection, default: Connection | None) -> dict[str, Any]:
    data = conn.as_dict()
    data["default"] = default is not None and conn.id == default.id
    return data


def _default_of(found: list[Connection]) -> Connection | None:
    return next((c for c in found if c.active), None)


# -- list ---------------------------------------------------------------------------------


@connections.command(name="list")
@FORMAT
@connection_options
@global_options
@click.pass_context
@handle_errors
def list_(ctx: click.Context, fmt: str, **kwargs: Any) -> None:
    """Every Pipedrive connection of this key, oldest first; the default is marked."""
    out: Output = ctx.obj["output"]
    settings = _settings_only(ctx, kwargs)
    with open_control(settings) as control:
        found = control.list()
    default = _default_of(found)
    if fmt == "json":
        _print_json(out, {"connections": [_view(c, default) for c in found]})
        return
    if not found:
        out.print(f"No {APP} connections for this key. Create one with: reconciler connections create",
                  markup=False)
        return
    rows = [("CONNECTION", "APP", "STATUS", "CREATED", "")]
    for conn in found:
        mark = "default" if default is not None and conn.id == default.id else ""
        rows.append((conn.id, conn.app, conn.status, conn.created or "-", mark))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        out.print("  ".join(cells).rstrip(), markup=False)


# -- create -------------------------------------------------------------------------------


@connections.command()
@FORMAT
@connection_options
@global_options
@click.pass_context
@handle_errors
def create(ctx: click.Context, fmt: str, **kwargs: Any) -> None:
    """Start a new Pipedrive connection and print the URL where OAuth is finished."""
    out: Output = ctx.obj["output"]
    settings = _settings_only(ctx, kwargs)
    with open_control(settings) as control:
        conn = control.create()
        default = control.default()
    if fmt == "json":
        _print_json(out, {"connection": _view(conn, default)})
        return
    out.print(f"Created connection {conn.id} ({conn.app}, {conn.status}).", markup=False)
    if conn.url:
        out.print(f"Open this URL in a browser to connect your {APP.capitalize()} account:", markup=False)
        out.print(f"  {conn.url}", markup=False)
    out.print(f"Then use it with --connection {conn.id} (check it with: reconciler whoami --connection {conn.id}).",
              markup=False)


# -- show ---------------------------------------------------------------------------------


@connections.command()
@click.argument("connection_id", metavar="ID")
@FORMAT
@connection_options
@global_options
@click.pass_context
@handle_errors
def show(ctx: click.Context, connection_id: str, fmt: str, **kwargs: Any) -> None:
    """One connection: app, status, times, the OAuth URL, and whether it is the default."""
    out: Output = ctx.obj["output"]
    settings = _settings_only(ctx, kwargs)
    with open_control(settings) as control:
        conn = control.get(connection_id)
        default = control.default()
    view = _view(conn, default)
    if fmt == "json":
        _print_json(out, {"connection": view})
        return
    for label, value in (
        ("Connection", conn.id),
        ("App", conn.app),
        ("Status", conn.status),
        ("Default", "yes (the oldest active connection)" if view["default"] else "no"),
        ("Created", conn.created),
        ("Updated", conn.updated),
        ("Method", conn.method),
        ("URL", conn.url),
    ):
        if value:
            out.print(f"{label + ':':<12}{value}", markup=False)


# -- delete -------------------------------------------------------------------------------


@connections.command()
@click.argument("connection_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (scripts, CI).")
@FORMAT
@connection_options
@global_options
@click.pass_context
@handle_errors
def delete(ctx: click.Context, connection_id: str, yes: bool, fmt: str, **kwargs: Any) -> None:
    """Delete a connection; asks for `yes` first unless --yes (refuses with no terminal)."""
    out: Output = ctx.obj["output"]
    settings = _settings_only(ctx, kwargs)
    with open_control(settings) as control:
        conn = control.get(connection_id)  # an unknown id fails here, before any question
        if not yes:
            if not sys.stdin.isatty():
                fail(out, "connections delete needs confirmation: run it on a terminal, or pass --yes")
            whose = _account_name(settings, conn)
            out.err.print(f"This deletes connection {conn.id} ({conn.app}, {conn.status}){whose}. Commands "
                          "using it will fail until it is connected again.", markup=False)
            answer = click.prompt("Delete it? Only 'yes' will be accepted", default="", show_default=False,
                                  err=True)
            if answer.strip() != "yes":
                fail(out, "delete cancelled")
        control.delete(conn.id)
        default = control.default()
    if fmt == "json":
        _print_json(out, {"deleted": conn.id, "connection": conn.as_dict(),
                          "default": default.id if default else None})
        return
    out.print(f"Deleted connection {conn.id}.", markup=False)
    if default is None:
        out.info("This key has no active connection left: reconciler connections create")
    else:
        out.info(f"Commands without --connection now use {default.id}.")


def _account_name(settings: Settings, conn: Connection) -> str:
    """``" of Acme (company 123)"`` for the confirmation, or "" if the account cannot be read.

    Why best effort: the question must name the account when it can, but a connection
    that is broken is exactly one a user may want to delete.
    """
    if not conn.active:
        return ""
    from dataclasses import replace

    from reconciler.session import open_client, read_account

    pinned = replace(settings, connection=conn.id)
    try:
        # its own transport: open_client closes a sandbox gateway it is given, and the
        # control client still needs this one for the delete itself
        with open_client(pinned) as client:
            account = read_account(client, pinned)
    except PipedriveError:
        return ""
    return f" of {account.company_name} (company {account.company_id})"


__all__ = ["connections"]
