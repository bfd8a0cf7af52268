"""The project's state (docs/state.md): what each command records in the lock, in one place.

The lock (reconciler/lock.py: the file, its journal, its validation in lockcheck.py) holds
identity (key → id), protections, the last-applied digest of every declared field and the
vocabulary the manifests were applied with. Commands do not pick pieces of it to update
each in its own way: they hand this module what they saw or wrote, and it records it.

- `record_plan`: before apply writes anything, what its plan found without writing: keys
  renamed by `moved:`, objects adopted by natural key, keys let go by `removed:`, survivors
  of merges made in Pipedrive (reconciler/merges.py), and the refreshed record of every
  resource the plan found equal (a no-change apply refreshes the record too);
- apply then records each change as it is made (reconciler/apply.py, through the lock);
- `accept_live`: after `pull` rewrote the manifests, or `export` wrote new ones, the live
  values become the last-applied ones: a plan is made with `--on-drift keep` and everything
  it found equal is recorded, so the next plan is empty and a later UI edit is drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.lock import LockFile


def record_plan(lock: LockFile, plan: Any) -> None:
    """What a plan records before any write: moved keys, adoptions, unchanged resources' digests."""
    for entry in plan.moved:  # a renamed key: the new key takes the object, the old one goes
        lock.record(entry["kind"], entry["to"], entry["id"])
    for entry in plan.adopt:
        lock.record(entry["kind"], entry["key"], entry["id"])
    for entry in plan.released:  # `removed: destroy: false` (reconciler/removed.py): the object stays
        lock.forget(entry["kind"], entry["key"])
    for entry in plan.followed:  # merged (or created again) in Pipedrive (reconciler/merges.py): the key names it
        if entry["how"] in ("merged", "recreated") and entry.get("into_key") is None:
            lock.record(entry["kind"], entry["key"], entry["into"])
    lock.record_applied_many([(kind_name, key, digests)  # unchanged resources: what they are now
                              for kind_name, entries in plan.applied.items() for key, digests in entries.items()
                              if lock.id_for(kind_name, key) is not None])


def accept_live(run: Any, added: Iterable[tuple[str, str, Any]] = (),
                released: Iterable[tuple[str, str]] = ()) -> LockFile:
    """Record the live state as applied (after `pull` or `export`) and save the lock.

    `run` is a plan of the manifests as they are now, made with `--on-drift keep` and
    recording (session.plan_run): every field whose manifest and live values agree is
    recorded with the digest of that value; a field still different (a conflict kept with
    `pull --prefer manifests`) keeps its old record, so it stays marked. `added` are objects
    the command wrote into the manifests (kind, key, id); `released` are keys it took out of
    them (kind, key), forgotten.
    """
    lock = run.lock
    for kind_name, key, object_id in added:
        lock.record(kind_name, key, object_id)
    for kind_name, key in released:
        lock.forget(kind_name, key)
    record_plan(lock, run.plan)
    lock.save()
    return lock
