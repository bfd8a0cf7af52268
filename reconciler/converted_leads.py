"""`pull` after Pipedrive converted a declared lead to a deal: the manifests name the deal.

A salesperson converts a lead in the UI (`POST /api/v2/leads/{id}/convert/deal`): the lead is
gone, a deal stands in its place and the lead's notes and activities are on it. Plans follow
that (reconciler/merges.py, reconciler/lead_children.py) but cannot edit the manifests; `pull`
accepts what Pipedrive did, as it does for a deletion or a merge, so that the next plan is
empty:

- the lead leaves the manifests (and its lock entry is forgotten), as a lead deleted there does;
- the deal it became is named: the resource that already manages it, if one does (the user
  declared it, as the plan asked), else it is written into the lead's file (its `deals:`
  section) as export writes a deal, under the lead's key (a deal of that key taken: `KEY-ID`),
  and recorded in the lock, as `pull --add-children` adds what was made in Pipedrive;
- every `lead: KEY` of a note or activity becomes `deal: KEY` where it stood (its comment
  kept), and a note's declared `pin` is written as Pipedrive carried it (a pin is per parent,
  and the conversion does not carry the lead's).

A child naming the lead by `{id: ...}` is left as it is (the plan still follows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.manifest.model import Manifest, Reference
from reconciler.pull import Edit, Relink

PIN = "pinned"  # a note's pin, per parent (reconciler/lead_children.py leaves it as Pipedrive carried it)


@dataclass
class Converted:
    """One declared lead Pipedrive converted, and what pull wrote for it."""

    file: str
    kind: str  # "lead"
    key: str
    old_id: Any
    new_kind: str  # "deal"
    new_key: str
    new_id: Any
    added: bool  # the deal was written into the manifests (else a resource already managed it)
    children: int = 0  # the references rewritten to name the deal


@dataclass
class Conversions:
    """Everything pull writes for the conversions, in the shapes its writer takes, so that each
    file is written once with the drifted values, the deletions and the children added."""

    converted: list[Converted] = field(default_factory=list)
    relinks: list[Relink] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)  # pins, as Pipedrive carried them
    additions: dict[str, list[tuple[str, str, dict, Any]]] = field(default_factory=dict)
    removals: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def joined(self, additions: dict[str, list], removals: dict[str, list]) -> tuple[dict, dict]:
        """pull's other additions and removals (by file) with these: one write of each file."""
        return ({path: additions.get(path, []) + self.additions.get(path, [])
                 for path in set(additions) | set(self.additions)},
                {path: removals.get(path, []) + self.removals.get(path, [])
                 for path in set(removals) | set(self.removals)})


def converted_leads(run: Any, manifest: Manifest) -> Conversions:
    """What pull writes for the leads the plan found converted (plan.followed, how "converted")."""
    out = Conversions()
    entries = [e for e in run.plan.followed if e["how"] == "converted"]
    if not entries:
        return out
    objects = run.live.objects if run.live is not None else {}
    keys: dict[str, dict[Any, str]] = {}
    for (kind_name, key), object_id in run.identity.ids.items():
        keys.setdefault(kind_name, {})[object_id] = key
    for entry in entries:
        res = manifest.get(entry["kind"], entry["key"])
        target = entry["into_kind"]
        obj = objects.get(target, {}).get(entry["into"])
        if res is None or (entry.get("into_key") is None and obj is None):
            continue
        new_key = entry.get("into_key") or _free_key(manifest, run.lock, target, res.key, entry["into"])
        done = Converted(res.pos.file, res.kind, res.key, entry["from"], target, new_key, entry["into"],
                         added=entry.get("into_key") is None)
        keys.setdefault(target, {})[entry["into"]] = new_key
        if done.added:
            from reconciler.export.convert import Converter

            values = Converter(run.client.schema, keys).fields(kinds.kind(target), obj)
            out.additions.setdefault(res.pos.file, []).append((target, new_key, values, entry["into"]))
        out.removals.setdefault(res.pos.file, []).append((res.kind, res.key))
        done.children = _relink_children(run, manifest, objects, done, out)
        out.converted.append(done)
    return out


def _free_key(manifest: Manifest, lock: Any, kind_name: str, key: str, object_id: Any) -> str:
    taken = {res.key for res in manifest.by_kind(kind_name)} | set(lock.resources.get(kind_name, {}))
    return key if key not in taken else f"{key}-{object_id}"


def _relink_children(run: Any, manifest: Manifest, objects: dict, done: Converted, out: Conversions) -> int:
    """`lead: KEY` → `deal: NEW_KEY` in every resource naming the converted lead by key."""
    count = 0
    for res in manifest.resources:
        spec = kinds.kind(res.kind)
        old = next((f for f in spec.ref_fields if f.ref_kind == done.kind), None)
        new = next((f for f in spec.ref_fields if f.ref_kind == done.new_kind), None)
        ref = res.fields.get(old.name) if old is not None else None
        if new is None or not isinstance(ref, Reference) or ref.key != done.key or res.fields.get(new.name):
            continue
        where = res.field_pos.get(old.name, res.pos).file
        out.relinks.append(Relink(where, res.kind, res.key, old.name, new.name, done.new_key))
        count += 1
        pin = spec.field(PIN)
        object_id = run.identity.ids.get((res.kind, res.key))
        live = objects.get(res.kind, {}).get(object_id) if object_id is not None else None
        if pin is None or PIN not in res.fields or live is None:
            continue
        carried = spec.hooks.live_value(pin, new.name, live)
        if carried is not None and carried != res.fields[PIN]:
            out.edits.append(Edit(res.field_pos.get(PIN, res.pos).file, res.kind, res.key, PIN, carried,
                                  f"the pin Pipedrive carried to {done.new_kind} {done.new_id}"))
    return count
