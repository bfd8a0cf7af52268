"""`reconciler sandbox serve|seed`: run the local Pipedrive behind the gateway's layout, fill it with data.

The main CLI mounts the :func:`sandbox` group; ``python -m reconciler.sandbox.cli`` runs
it alone, which the tests and the benchmark use so they do not depend on the rest of
the program.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings
from pathlib import Path

import click

from reconciler.sandbox.faults import parse_faults
from reconciler.sandbox.seed import DEAL_PRODUCTS, LEADS, PRODUCTS

DEFAULT_DB = ".reconciler/sandbox.db"
DEFAULT_PORT = 8765


def resolve_api_key(flag: str | None) -> tuple[str, str]:
    """The key to check and where it came from; the key itself is never printed.

    CONTRACT §7: ``--api-key``, else ``MATON_API_KEY``, else ``sandbox``, so that a shell
    already set up for Maton talks to the sandbox unchanged.
    """
    if flag:
        return flag, "--api-key"
    env = os.environ.get("MATON_API_KEY")
    if env:
        return env, "MATON_API_KEY"
    return "sandbox", "the default (see docs/sandbox.md)"


@click.group(name="sandbox")
def sandbox() -> None:
    """A local Pipedrive behind the Maton gateway's layout, for trying manifests without an account."""


@sandbox.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind; loopback unless you mean it."
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 picks a free port.",
)
@click.option(
    "--db",
    "db",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite file; data persists across restarts. ':memory:' keeps nothing.",
)
@click.option(
    "--api-key",
    default=None,
    help="Key clients must send as 'Authorization: Bearer KEY' [MATON_API_KEY, else 'sandbox'].",
)
@click.option(
    "--rate-limit",
    type=float,
    default=None,
    help="Requests per second per account; past it, 429 with Retry-After.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND:P",
    help="error-500, rate-429, timeout or drop-after-commit, with probability P. Repeatable.",
)
@click.option(
    "--fault-seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed for the fault draws, so a run can be replayed.",
)
@click.option(
    "--timeout-hold",
    type=float,
    default=120.0,
    show_default=True,
    help="Longest a 'timeout' fault holds a connection, in seconds.",
)
@click.option(
    "--serve-deprecated-v1",
    is_flag=True,
    default=False,
    help="Serve the v1 endpoints Pipedrive put out of support on 2026-08-01 (deals, persons, "
    "organizations, activities, pipelines, stages) instead of answering 410 Gone "
    "[RECONCILER_SANDBOX_DEPRECATED_V1=1].",
)
@click.option("--verbose", is_flag=True, help="Log every request line to stderr (never the key).")
def serve(
    host: str,
    port: int,
    db: str,
    api_key: str | None,
    rate_limit: float | None,
    faults: tuple[str, ...],
    fault_seed: int,
    timeout_hold: float,
    serve_deprecated_v1: bool,
    verbose: bool,
) -> None:
    """Serve the gateway on HOST:PORT: /pipedrive/api/v1|v2/..., /connections and /_sandbox/stats.

    The first line printed is the URL, so scripts that start with --port 0 can read it.
    """
    from reconciler.interrupts import StopRequest

    # First, before anything slow: from here on SIGINT/SIGTERM only ask the loop to stop (see
    # StopRequest), so a signal sent at any moment, even before the loop started, is kept.
    stop = StopRequest()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)

    from reconciler.sandbox.gateway import SandboxGateway
    from reconciler.sandbox.server import is_loopback, serve_forever

    try:
        parsed = parse_faults(faults)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    if rate_limit is not None and not rate_limit > 0:
        raise click.BadParameter(
            "must be a positive number of requests per second", param_hint="--rate-limit"
        )
    key, key_source = resolve_api_key(api_key)
    if not is_loopback(host):
        click.echo(
            f"warning: binding to {host}, which is not loopback; anyone who can reach it and has the key can use it",
            err=True,
        )
    db_path = None if db == ":memory:" else db
    gateway = SandboxGateway(
        db_path,
        api_key=key,
        rate_limit=rate_limit,
        faults=parsed,
        fault_seed=fault_seed,
        serve_deprecated_v1=True if serve_deprecated_v1 else None,
    )

    def ready(server: object) -> None:
        url = server.url  # type: ignore[attr-defined]
        default = gateway.default_connection()
        click.echo(f"Sandbox gateway listening on {url}")
        click.echo(f"  Pipedrive endpoint:  {url}/pipedrive   (RECONCILER_ENDPOINT)")
        click.echo(f"  Control API:         {url}/connections")
        click.echo(f"  Stats:               {url}/_sandbox/stats")
        click.echo(
            f"  Default connection:  {default['connection_id'] if default else '(none: POST /connections)'}"
        )
        click.echo(f"  Database:            {db_path or ':memory:'}")
        click.echo(f"  API key:             from {key_source}")
        if gateway.api.serve_deprecated_v1:
            click.echo("  Deprecated v1:       served (out of support at Pipedrive since 2026-08-01)")
        else:
            click.echo("  Deprecated v1:       410 Gone, as Pipedrive (--serve-deprecated-v1 serves them)")
        if rate_limit is not None:
            click.echo(f"  Rate limit:          {rate_limit:g} requests/second")
        if parsed:
            click.echo(f"  Faults:              {', '.join(map(str, parsed))} (seed {fault_seed})")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the non-loopback warning was already printed above
            serve_forever(gateway, host, port, timeout_hold=timeout_hold, verbose=verbose, on_ready=ready,
                          stop=stop)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        gateway.close()


@sandbox.command()
@click.option(
    "--db",
    "db",
    required=True,
    type=click.Path(dir_okay=False),
    help="SQLite file to fill (created if missing).",
)
@click.option("--organizations", type=click.IntRange(0), default=0, show_default=True)
@click.option("--persons", type=click.IntRange(0), default=0, show_default=True)
@click.option("--deals", type=click.IntRange(0), default=0, show_default=True)
@click.option("--notes", type=click.IntRange(0), default=0, show_default=True)
@click.option("--activities", type=click.IntRange(0), default=0, show_default=True)
@click.option("--products", type=click.IntRange(0), default=PRODUCTS, show_default=True)
@click.option("--deal-products", "deal_products", type=click.IntRange(0), default=DEAL_PRODUCTS, show_default=True,
              help="Deals (at most --deals) that get one product line; their value stays, and from then on "
                   "is calculated from the product, as in Pipedrive.")
@click.option("--leads", type=click.IntRange(0), default=LEADS, show_default=True,
              help="Leads on the seeded persons and organizations (none without them).")
@click.option("--seed", "seed", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option(
    "--connection",
    "connection_id",
    default=None,
    help="Fill this connection's company (default: the oldest).",
)
def seed(
    db: str,
    organizations: int,
    persons: int,
    deals: int,
    notes: int,
    activities: int,
    products: int,
    deal_products: int,
    leads: int,
    seed: int,
    connection_id: str | None,
) -> None:
    """Fill --db with a realistic synthetic account of the given sizes, deterministic for a given --seed."""
    from reconciler.sandbox.seed import seed_database

    Path(db).parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = seed_database(
        db,
        organizations=organizations,
        persons=persons,
        deals=deals,
        notes=notes,
        activities=activities,
        products=products,
        deal_products=deal_products,
        leads=leads,
        seed=seed,
        connection_id=connection_id,
    )
    elapsed = time.perf_counter() - started
    click.echo(f"Seeded {db} (seed {seed}) in {elapsed:.2f} s:")
    for name, value in (counts or {}).items():
        click.echo(f"  {name}: {value}")


if __name__ == "__main__":
    sandbox()
