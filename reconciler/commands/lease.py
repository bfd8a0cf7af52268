"""`reconciler lease list|break`: the account's apply lease (reconciler/lease.py).

An apply that creates holds a lease in the account so that two machines never create the
same objects at once. A crashed apply's lease expires on its own after two minutes; `break`
removes an expired one now, and a live one only with `--force` (Terraform's force-unlock):
its holder may still be writing, so it is fenced rather than deleted (reconciler/lease.py).
"""

from __future__ import annotations

import json
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


@click.group(name="lease")
def lease() -> None:
    """The account's apply lease: which apply holds it; break a stuck one."""


@lease.command(name="list")
@click.argument("path", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@connection_options
@global_options
@click.pass_context
@handle_errors
def list_(ctx: click.Context, path: str | None, fmt: str, **kwargs: Any) -> None:
    """The leases in the account (PATH: where reconciler.toml is; default the current directory)."""
    from reconciler import lease as leases
    from reconciler.session import open_client

    out: Output = ctx.obj["output"]
    settings, _ = settings_from(ctx.obj, [path or "."], kwargs)
    with open_client(settings) as client:
        found = leases.leases(client)
        now = leases._now(client)
    rows = [{"id": x.id, "holder": x.holder, "until": f"{x.until:%Y-%m-%dT%H:%M:%SZ}",
             "expired": x.until <= now} for x in found]
    if fmt == "json":
        out.print(json.dumps({"leases": rows}, indent=2), markup=False)
        return
    if not rows:
        out.print("No apply holds the lease.", markup=False)
    for row in rows:
        state = "expired" if row["expired"] else "held"
        out.print(f"{row['id']}  {row['holder']}  until {row['until']}  ({state})", markup=False)


@lease.command(name="break")
@click.argument("lease_id", required=False)
@click.option("--path", "path", type=click.Path(), help="Where reconciler.toml is (default: the current directory).")
@click.option("--force", is_flag=True,
              help="Break a live lease too. Its apply may still be writing: it stops creating at its next check, "
                   "and other applies wait out a grace period before they start.")
@connection_options
@global_options
@click.pass_context
@handle_errors
def break_(ctx: click.Context, lease_id: str | None, path: str | None, force: bool, **kwargs: Any) -> None:
    """Remove an expired lease (LEASE_ID, or every lease of the account when none is named);
    a live one only with --force."""
    from datetime import timedelta

    from reconciler import lease as leases
    from reconciler.session import open_client

    out: Output = ctx.obj["output"]
    settings, _ = settings_from(ctx.obj, [path or "."], kwargs)
    grace = max(leases.ttl(), timedelta(seconds=leases.PROOF_EVERY + settings.timeout))
    with open_client(settings) as client:
        found = leases.leases(client)
        chosen = [x for x in found if lease_id is None or str(x.id) == lease_id]
        if lease_id is not None and not chosen:
            fail(out, f"no lease {lease_id} in this account")
        for item in chosen:
            out.print(leases.break_lease(client, item, force=force, grace=grace), markup=False)
        if not chosen:
            out.print("No apply holds the lease.", markup=False)
