"""`reconciler environments [PATH]`: the environments of reconciler.toml, for people and for CI matrices.

Why: a team that outgrows one account adds an `[environments.NAME]` table per account, and
its CI should plan, check drift and apply each one without anyone editing the workflow. So
this prints them as JSON (`--json`), a list in the file's order that GitHub's
`strategy.matrix` takes with `fromJSON(...)` and GitLab's pipelines can turn into
`parallel:matrix`; the file's order is the promotion order (staging before production).
It reads only the file: no key, no network.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.commands.common import Output, _fail, _global_options, _handle_errors


@click.command()
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--json", "as_json", is_flag=True,
              help="A JSON list of the names, in the file's order, for a CI matrix (`fromJSON` on GitHub).")
@_global_options
@click.pass_context
@_handle_errors
def environments(ctx, path: str, as_json: bool) -> None:
    """List the environments ([environments.NAME]) of PATH's reconciler.toml (PATH: the manifests, default .)."""
    from reconciler.config import project_file, read_project_file

    out: Output = ctx.obj["output"]
    if not Path(path).exists():
        _fail(out, f"{path}: no such file or directory")
    tables = read_project_file(path).get("environments") or {}
    if as_json:
        click.echo(json.dumps(list(tables), separators=(",", ":")))
        return
    if not tables:
        where = project_file(path)
        out.print(f"{where or Path(path) / 'reconciler.toml'}: no environments (one account: drop --env)", markup=False)
        return
    for name, table in tables.items():
        target = table.get("connection") or table.get("endpoint") or "the key's default connection"
        overlay = f", overlay {table['overlay']}" if table.get("overlay") else ""
        out.print(f"{name}: {target}{overlay}", markup=False)
