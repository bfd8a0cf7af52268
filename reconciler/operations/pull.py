"""`pull`: write the values changed in Pipedrive since the last apply into the manifests.

project lock → plan keeping drift (every drifted field and its live value, objects deleted,
merged or renamed there) → the edits (reconciler/pull.py rewrites the files, comments and
layout kept) → record in the lock what is now applied (reconciler/state.py), planned against
the first plan's reads, so the next plan is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.config import Settings
from reconciler.converted_leads import converted_leads
from reconciler.lock import lock_path_for, project_lock
from reconciler.manifest.model import FileReads
from reconciler.merges import record_followed
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pull import (
    Edit,
    children,
    companion_edits,
    deleted_in_pipedrive,
    owner_followers,
    planned_edits,
    rename_edits,
    stale_moves,
    write_edits,
)
from reconciler.renames import renames_used
from reconciler.session import Account, load, plan_run
from reconciler.state import accept_live


@dataclass
class PullOutcome:
    """What pull wrote: the edits made and kept back, the renames followed, the objects added and
    removed, the lock entries repointed to a merge's survivor, the files written, and each kept
    field's drift (plan.kept: before/after, who changed it)."""

    edits: list[Edit] = field(default_factory=list)
    skipped: list[Edit] = field(default_factory=list)
    renames: list[Edit] = field(default_factory=list)  # also in `edits`
    added: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (file, kind, key, id)
    removed: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (file, kind, key, old id)
    repointed: list[dict[str, Any]] = field(default_factory=list)  # plan.followed entries
    converted: list[Any] = field(default_factory=list)  # leads converted in Pipedrive (converted_leads.Converted)
    files: list[str] = field(default_factory=list)
    drift: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.edits and not self.added and not self.removed and not self.converted


def pull(client: PipedriveClient, settings: Settings, paths: list[str], *, prefer: str | None = None,
         add_children: bool = False, on_account: Callable[[Account], None] | None = None) -> PullOutcome:
    """Rewrite the manifests with what changed in Pipedrive; PullError (nothing written) on a
    conflict without `prefer`, or a file that cannot take the edit or changed while pull ran."""
    with project_lock(lock_path_for(paths[0], settings.environment)):
        reads: FileReads = {}  # each file's reading: the second load parses only the files pull rewrote
        manifest = load(paths, settings.overlay, reads)
        # what differs, and which side moved; the record of what is applied comes from the plan of
        # the manifests as pull leaves them (below), so this one computes none (as `plan` shown)
        run = plan_run(client, settings, paths, manifest=manifest, on_drift="keep", record=False)
        if on_account is not None:
            on_account(run.account)
        outcome = PullOutcome(drift={(e["kind"], e["key"]): e["fields"] for e in run.plan.kept})
        outcome.repointed = record_followed(run.lock, run.plan)  # merged in Pipedrive: the lock follows the survivor
        if outcome.repointed:
            run.lock.save()
        edits, outcome.skipped = planned_edits(run.plan, manifest, prefer)
        edits = owner_followers(edits, outcome.skipped, manifest, run.live, run.identity.ids, run.client.schema,
                                outcome.drift)
        edits += companion_edits(edits, manifest, run.client, run.identity.ids)
        edits += _activities_of_renamed_types(edits, manifest)
        renamed = run.renamed or {}
        pulled = {(e.kind, e.key, e.label) for e in edits}  # written from Pipedrive: already the current names
        outcome.renames = [r for r in rename_edits(manifest, renames_used(manifest.resources, run.client.schema, renamed),
                                                   renamed) if (r.kind, r.key, r.label) not in pulled]
        outcome.edits = edits + outcome.renames
        additions = children(run.client, run.client.schema, manifest, run.lock, run.identity.ids) \
            if add_children else {}
        removals = deleted_in_pipedrive(run.plan, manifest)
        conversions = converted_leads(run, manifest)  # the lead leaves, the deal it became is named
        outcome.converted = conversions.converted
        if not outcome.edits and not additions and not removals and not conversions.converted:
            # nothing to write, yet what was seen is now the record
            accept_live(plan_run(client, settings, paths, on_drift="keep", manifest=manifest, reuse=run, applying=False))
            return outcome
        added, gone = conversions.joined(additions, removals)
        outcome.files = write_edits(outcome.edits + conversions.edits, added, gone,  # refused if edited meanwhile
                                    manifest.hashes, unmoved=stale_moves(manifest, gone), relinks=conversions.relinks)
        old_ids = {(k["kind"], k["key"]): k["id"] for k in run.plan.kept}
        outcome.removed = [(path, kind_name, key, old_ids.get((kind_name, key)))
                           for path, items in removals.items() for kind_name, key in items]
        outcome.added = [(path, kind_name, key, object_id) for path, items in additions.items()
                         for kind_name, key, _values, object_id in items]
        # what is now applied: the pulled values are the manifests' and Pipedrive's alike; the files
        # just written are planned against what the first plan read (nothing changed in Pipedrive
        # since: pull wrote only files), unless objects were added, which that read may not hold;
        # only the files pull rewrote are read again
        accept_live(plan_run(client, settings, paths, on_drift="keep", manifest=load(paths, settings.overlay, reads),
                             reuse=None if outcome.added or outcome.converted else run, applying=False),
                    added=[(kind_name, key, object_id) for _path, kind_name, key, object_id in outcome.added]
                    + [(c.new_kind, c.new_key, c.new_id) for c in outcome.converted if c.added],
                    released=[(kind_name, key) for _path, kind_name, key, _id in outcome.removed]
                    + [(c.kind, c.key) for c in outcome.converted])
    return outcome


def _activities_of_renamed_types(edits: list[Edit], manifest: Any) -> list[Edit]:
    """A type's name pulled from Pipedrive (a conflict that --prefer pipedrive settles too) goes to
    the activities naming the type by its name in the manifests, which would name nothing after."""
    out = []
    for edit in edits:
        res = manifest.get(edit.kind, edit.key) if (edit.kind, edit.label) == ("activity_type", "name") else None
        old = res.fields.get("name") if res is not None else None
        for other in manifest.resources if old is not None and old != edit.value else []:
            if other.kind == "activity" and other.fields.get("type") == old:
                out.append(Edit(other.field_pos.get("type", other.pos).file, "activity", other.key, "type",
                                edit.value, edit.state))
    return out
