"""`reconciler pull PATH...`: write the changes made in Pipedrive since the last apply into the manifests.

The sequence (plan with `--on-drift keep`, rewrite the files, refresh the lock's record of
what was applied from the same reads, so that the next plan is empty) is reconciler.operations.pull; this module
parses and renders. cli.py mounts it lazily.
"""

from __future__ import annotations

from typing import Any

import click

from reconciler.commands.common import (
    EXIT_ERROR,
    Output,
    connection_options,
    global_options,
    handle_errors,
    settings_from,
)


@click.command(name="pull")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--prefer", type=click.Choice(["pipedrive", "manifests"]), default=None,
              help="Which side wins a conflict (a field changed in Pipedrive and in the manifests): pipedrive "
                   "writes Pipedrive's value, manifests leaves the manifest's (the next apply writes it). "
                   "Without it, pull refuses while there is a conflict.")
@click.option("--add-children", is_flag=True,
              help="Also add notes and activities created in Pipedrive on managed deals, persons and "
                   "organizations, in the file of their parent, keyed as export keys them (one list of "
                   "notes and one of activities, pages of 500).")
@click.option("--drift-details/--no-drift-details", default=None,
              help="Say who changed each pulled field and when (one call per drifted deal, person or "
                   "organization) [default: only when cheap, as for plan].")
@connection_options
@global_options
@click.pass_context
@handle_errors
def pull(ctx: click.Context, paths: tuple[str, ...], prefer: str | None, add_children: bool,
         **kwargs: Any) -> None:
    """Rewrite the manifests in place with the values changed in Pipedrive since the last apply.

    Comments, key order, quoting and layout are kept; only the drifted values change. The
    lock's record of what was applied is refreshed, so the next plan shows no changes for
    them. Conflicts need --prefer. Exit 0 when done (or nothing to pull), 1 on error.
    """
    from reconciler.operations import pull as pull_operation
    from reconciler.pull import PullError
    from reconciler.render.values import followed_line, printable, provenance, show
    from reconciler.session import open_client

    out: Output = ctx.obj["output"]
    settings, paths = settings_from(ctx.obj, list(paths), kwargs)
    with open_client(settings) as client:
        try:
            done = pull_operation(client, settings, paths, prefer=prefer, add_children=add_children,
                                  on_account=lambda account: out.info(account.header()))
        except PullError as exc:
            for line in str(exc).splitlines():
                out.err.print(line if ": error: " in line or line.startswith("  ") else f"error: {line}",
                              markup=False)
            raise SystemExit(EXIT_ERROR) from None
        for entry in done.repointed:
            out.print(printable(followed_line(entry)), markup=False)
        if done.nothing:
            out.print("Nothing to pull: no field changed in Pipedrive since the last apply.", markup=False)
            return
        for edit in done.renames:
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: {show(edit.value)} "
                                f"({edit.state})"), markup=False)
        for edit in [e for e in done.edits if e not in done.renames]:
            diff = done.drift.get((edit.kind, edit.key), {}).get(edit.label, {})
            who = provenance(diff)
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: {show(diff.get('after'))} → "
                                f"{show(edit.value)} ({edit.state}{', changed ' + who if who else ''})"),
                      markup=False)
        for edit in done.skipped:
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: kept as the manifests say "
                                "(conflict, --prefer manifests): the next apply writes it"), markup=False)
        for path, kind_name, key, old_id in done.removed:
            out.print(f"{path}: {kind_name}.{key} removed (deleted in Pipedrive, it was id {old_id}): no longer "
                      "managed", markup=False)
        for path, kind_name, key, object_id in done.added:
            out.print(f"{path}: {kind_name}.{key} added (id {object_id}, created in Pipedrive)", markup=False)
        for c in done.converted:  # reconciler/converted_leads.py
            named = f"written as {c.new_kind}.{c.new_key} (added)" if c.added else f"managed as {c.new_kind}.{c.new_key}"
            out.print(printable(f"{c.file}: {c.kind}.{c.key} converted in Pipedrive to {c.new_kind} {c.new_id} (it was "
                                f"id {c.old_id}): removed, {named}; {c.children} reference"
                                f"{'s' if c.children != 1 else ''} now name it"), markup=False)
    edits, added, files, removed = done.edits, done.added, done.files, len(done.removed)
    out.print(f"Pulled {len(edits)} value{'s' if len(edits) != 1 else ''}"
              + (f" and {len(added)} new object{'s' if len(added) != 1 else ''}" if added else "")
              + (f", removed {removed} object{'s' if removed != 1 else ''} deleted in Pipedrive" if removed else "")
              + (f", followed {len(done.converted)} lead conversion{'s' if len(done.converted) != 1 else ''}"
                 if done.converted else "")
              + f" into {len(files)} file{'s' if len(files) != 1 else ''}; review them with `git diff`. "
              f"API calls: {client.stats.api_calls}, tokens: {client.stats.tokens}.", markup=False)
