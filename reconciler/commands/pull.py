"""`reconciler pull PATH...`: write the changes made in Pipedrive since the last apply into the manifests.

The command connects, plans with `--on-drift keep` (every drifted field and its live value),
has reconciler.pull rewrite the files (ruamel.yaml, imported only here), and refreshes the
lock's record of what was applied, so that the next plan is empty. cli.py mounts it lazily.
"""

from __future__ import annotations

from typing import Any

import click

from reconciler.commands.common import (
    EXIT_ERROR,
    Output,
    _connection_options,
    _global_options,
    _handle_errors,
    _settings,
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
@_connection_options
@_global_options
@click.pass_context
@_handle_errors
def pull(ctx: click.Context, paths: tuple[str, ...], prefer: str | None, add_children: bool,
         **kwargs: Any) -> None:
    """Rewrite the manifests in place with the values changed in Pipedrive since the last apply.

    Comments, key order, quoting and layout are kept; only the drifted values change. The
    lock's record of what was applied is refreshed, so the next plan shows no changes for
    them. Conflicts need --prefer. Exit 0 when done (or nothing to pull), 1 on error.
    """
    from reconciler.lock import lock_path_for, project_lock
    from reconciler.pull import (
        PullError,
        children,
        companion_edits,
        deleted_in_pipedrive,
        planned_edits,
        rename_edits,
        stale_moves,
        write_edits,
    )
    from reconciler.render.values import printable, provenance, show
    from reconciler.session import load, open_client, plan_run
    from reconciler.state import accept_live
    from reconciler.vocabulary import renames_used

    out: Output = ctx.obj["output"]
    settings, paths = _settings(ctx.obj, list(paths), kwargs)
    with open_client(settings) as client, project_lock(lock_path_for(paths[0], settings.environment)):
        manifest = load(paths, settings.overlay)
        run = plan_run(client, settings, paths, manifest=manifest, on_drift="keep")
        out.info(run.account.header())
        from reconciler.merges import record_followed
        from reconciler.render.values import followed_line

        repointed = record_followed(run.lock, run.plan)  # merged in Pipedrive: the lock follows the survivor
        for entry in repointed:
            out.print(printable(followed_line(entry)), markup=False)
        if repointed:
            run.lock.save()
        try:
            edits, skipped = planned_edits(run.plan, manifest, prefer)
            edits += companion_edits(edits, manifest, run.client, run.identity.ids)
            renames = rename_edits(manifest, renames_used(manifest.resources, run.client.schema, run.renamed or {}),
                                   run.renamed or {})
            edits += renames
            additions = children(run.client, run.client.schema, manifest, run.lock, run.identity.ids) \
                if add_children else {}
            removals = deleted_in_pipedrive(run.plan, manifest)
            if not edits and not additions and not removals:
                accept_live(run)  # nothing to write, yet what was seen is now the record
                out.print("Nothing to pull: no field changed in Pipedrive since the last apply.", markup=False)
                return
            files = write_edits(edits, additions, removals, stale_moves(manifest, removals))
        except PullError as exc:
            for line in str(exc).splitlines():
                out.err.print(line if ": error: " in line or line.startswith("  ") else f"error: {line}",
                              markup=False)
            raise SystemExit(EXIT_ERROR) from None
        diffs = {(e["kind"], e["key"]): e["fields"] for e in run.plan.kept}
        for edit in renames:
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: {show(edit.value)} "
                                f"({edit.state})"), markup=False)
        for edit in [e for e in edits if e not in renames]:
            diff = diffs.get((edit.kind, edit.key), {}).get(edit.label, {})
            who = provenance(diff)
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: {show(diff.get('after'))} → "
                                f"{show(edit.value)} ({edit.state}{', changed ' + who if who else ''})"),
                      markup=False)
        for edit in skipped:
            out.print(printable(f"{edit.file}: {edit.kind}.{edit.key} {edit.label}: kept as the manifests say "
                                "(conflict, --prefer manifests): the next apply writes it"), markup=False)
        for path, items in removals.items():
            for kind_name, key in items:
                old_id = next(k["id"] for k in run.plan.kept if (k["kind"], k["key"]) == (kind_name, key))
                out.print(f"{path}: {kind_name}.{key} removed (deleted in Pipedrive, it was id {old_id}): no longer "
                          "managed", markup=False)
        added = [(path, kind_name, key, object_id) for path, items in additions.items()
                 for kind_name, key, _values, object_id in items]
        for path, kind_name, key, object_id in added:
            out.print(f"{path}: {kind_name}.{key} added (id {object_id}, created in Pipedrive)", markup=False)
        # what is now applied: the pulled values are the manifests' and Pipedrive's alike
        accept_live(plan_run(client, settings, paths, on_drift="keep"),
                    added=[(kind_name, key, object_id) for _path, kind_name, key, object_id in added],
                    released=[item for items in removals.values() for item in items])
        removed = sum(len(items) for items in removals.values())
    out.print(f"Pulled {len(edits)} value{'s' if len(edits) != 1 else ''}"
              + (f" and {len(added)} new object{'s' if len(added) != 1 else ''}" if added else "")
              + (f", removed {removed} object{'s' if removed != 1 else ''} deleted in Pipedrive" if removed else "")
              + f" into {len(files)} file{'s' if len(files) != 1 else ''}; review them with `git diff`. "
              f"API calls: {client.stats.api_calls}, tokens: {client.stats.tokens}.", markup=False)
