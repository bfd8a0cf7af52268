"""Objects merged or converted in Pipedrive, followed to what they became.

A salesperson who merges two persons (organizations, deals) in Pipedrive keeps one, the
survivor, and the other is gone: Pipedrive moves its related objects (deals, activities,
notes, participants) and its email addresses to the survivor
(`PUT /api/v1/{persons|organizations|deals}/{id}/merge`, `merge_with_id` names the survivor).
A lead converted to a deal (`POST /api/v2/leads/{id}/convert/deal`) is gone too, and the new
deal names it (`source_lead_id`, which v2 deal lists return when asked with `include_fields`).

Nothing in Pipedrive maps a merged-away id to its survivor afterwards, so the evidence is
what a merge leaves behind, read here once the lock's object is found missing and its
natural key matched nothing:

- the managed objects that named the gone one (a deal's `person`, a note's `deal`) now all
  name one other live object: Pipedrive moved them there;
- for persons, one live person holds a declared email address (the survivor keeps the merged
  person's addresses as secondary ones): one search per gone person.

Both must agree on one survivor; when they point at different objects nothing is followed
(the plan treats the object as deleted) and a warning says why. A survivor is followed, never
re-created: the resource's natural key no longer finds it (the survivor keeps its own primary
email, name, title), so without this the default apply would create a copy and move the
deals and activities from the survivor to it. Identity (reconciler/identity.py) decides what
a followed resource becomes: the survivor's resource when nothing else claims it, otherwise
a resource merged into another one's object.

A webhook cannot be updated, so the web UI edits one by deleting it and creating another: a
locked webhook that is gone is followed to the one live webhook of the same events and place
(the kind's `recreated_by` fields: subscription_url, event_action, event_object) that was
created after it, is general (not an app's or an automation's) and that no lock entry records.
An older one, or one the lock knows, is another integration's or another resource's: never
taken. Two candidates: nothing is followed, and a warning names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler import kinds
from reconciler.lock import LockFile
from reconciler.manifest.model import Reference, Resource

CONVERTED_PAGES_MAX = 4  # pages of the newest deals read to find the deal a lead became (500 each)
TAKES_ITS_PLACE = ("merged", "recreated")  # Followed.how: the key follows to an object of its own kind


@dataclass(frozen=True)
class Followed:
    """A lock entry whose object Pipedrive merged into another one, or converted."""

    kind: str
    key: str
    old_id: Any  # the id the lock recorded, gone from Pipedrive
    new_id: Any  # the survivor, or the deal a lead became
    how: str  # "merged" | "converted" | "recreated" (deleted and created again in the UI: webhooks)
    new_kind: str  # the kind of new_id: the same, or "deal" for a converted lead

    def describe(self) -> str:
        if self.how == "converted":
            return f"converted in Pipedrive to {self.new_kind} {self.new_id} (it was {self.kind} id {self.old_id})"
        if self.how == "recreated":
            return f"deleted and created again in Pipedrive as {self.kind} {self.new_id} (it was id {self.old_id})"
        return f"merged in Pipedrive into {self.kind} {self.new_id} (it was id {self.old_id})"

    @property
    def takes_its_place(self) -> bool:
        """Whether the key now names the new object, of its own kind (a merge's survivor, a webhook
        created again), rather than an object of another kind (a converted lead's deal)."""
        return self.how in TAKES_ITS_PLACE


@dataclass
class FollowResult:
    followed: dict[tuple[str, str], Followed]
    warnings: list[str]


def find_followed(client: Any, resources: Iterable[Resource], objects: dict[str, Any],
                  lock: LockFile | None) -> FollowResult:
    """The declared resources whose locked object was merged or converted in Pipedrive.

    `objects` is the live state (kind -> id -> object); survivors and converted deals not in it
    yet are read (one ids batch per kind) and added, so identity and the plan see them.
    Reads nothing when every locked object of a mergeable or convertible kind is live.
    """
    result = FollowResult({}, [])
    if lock is None:
        return result
    resources = list(resources)
    gone: dict[tuple[str, str], Any] = {}
    for res in resources:
        spec = kinds.kind(res.kind)
        if res.absent or res.id is not None or not (spec.mergeable or spec.converts_to or spec.recreated_by):
            continue
        locked = lock.id_for(res.kind, res.key)
        if locked is not None and locked not in objects.get(res.kind, {}):
            gone[(res.kind, res.key)] = locked
    if not gone:
        return result
    by_address = {(r.kind, r.key): r for r in resources}
    merged = {address: old for address, old in gone.items() if kinds.kind(address[0]).mergeable}
    if merged:
        _follow_merges(client, by_address, merged, objects, lock, result)
    converted = {address: old for address, old in gone.items() if kinds.kind(address[0]).converts_to}
    if converted:
        _follow_conversions(client, converted, objects, result)
    recreated = {address: old for address, old in gone.items() if kinds.kind(address[0]).recreated_by}
    if recreated:
        _follow_recreations(by_address, recreated, objects, lock, result)
    return result


def _follow_merges(client: Any, by_address: dict[tuple[str, str], Resource], gone: dict[tuple[str, str], Any],
                   objects: dict[str, Any], lock: LockFile, result: FollowResult) -> None:
    votes: dict[tuple[str, str], set[Any]] = {address: set() for address in gone}
    # 1. the managed objects that named a gone one: where do they point now?
    for res in by_address.values():
        spec = kinds.kind(res.kind)
        own = lock.id_for(res.kind, res.key) if res.id is None else res.id
        live = objects.get(res.kind, {}).get(own) if own is not None else None
        if live is None:
            continue
        for field_spec in spec.ref_fields:
            ref = res.fields.get(field_spec.name)
            if not isinstance(ref, Reference) or ref.key is None or (ref.kind, ref.key) not in gone:
                continue
            now = live.get(field_spec.api)
            if now is not None and now != gone[(ref.kind, ref.key)]:
                votes[(ref.kind, ref.key)].add(now)
    # 2. persons: the survivor keeps the merged person's email addresses
    candidates: dict[tuple[str, str], set[Any]] = {}
    for address, old in gone.items():
        res = by_address[address]
        search = kinds.kind(address[0]).search
        if address[0] != "person" or search is None:
            continue
        emails = [str(e).strip().casefold() for e in res.fields.get("emails") or []]
        if not emails:
            continue
        found = {i for i in client.search_ids("person", emails[0], search.api_fields) if i != old}
        if found:
            candidates[address] = found
    wanted: dict[str, set[Any]] = {}
    for address in gone:
        for object_id in votes[address] | candidates.get(address, set()):
            if object_id not in objects.get(address[0], {}):
                wanted.setdefault(address[0], set()).add(object_id)
    for kind_name, ids in wanted.items():
        live_kind = objects.setdefault(kind_name, {})
        for obj in client.get_many(kind_name, ids):
            live_kind[obj["id"]] = obj
    for address, old in sorted(gone.items()):
        kind_name, key = address
        live_kind = objects.get(kind_name, {})
        holders = set()
        if address in candidates:  # confirmed: the survivor really holds the address (search is fuzzy)
            email = str(by_address[address].fields["emails"][0]).strip().casefold()
            holders = {i for i in candidates[address] if i in live_kind and any(
                str(e.get("value", "")).strip().casefold() == email for e in live_kind[i].get("emails") or [])}
        survivors = {i for i in votes[address] if i in live_kind} | holders
        if len(survivors) == 1:
            (survivor,) = survivors
            result.followed[address] = Followed(kind_name, key, old, survivor, "merged", kind_name)
        elif len(survivors) > 1:
            result.warnings.append(
                f"{kind_name}.{key} (id {old}) is gone from Pipedrive, and what it held now points at "
                f"{len(survivors)} objects ({', '.join(map(str, sorted(survivors)))}): it is not followed as a "
                "merge; pin the survivor with `id:` if it was one")


def _follow_conversions(client: Any, gone: dict[tuple[str, str], Any], objects: dict[str, Any],
                        result: FollowResult) -> None:
    """Leads converted to deals: the newest deals (which a conversion creates) name their lead."""
    by_target: dict[str, dict[Any, tuple[str, str]]] = {}
    for address, old in gone.items():
        by_target.setdefault(kinds.kind(address[0]).converts_to or "", {})[old] = address
    for target, wanted in by_target.items():
        params = {**client.newest_first(target), "include_fields": "source_lead_id"}
        found: dict[Any, dict] = {}
        pages = 0
        for page in client.record_pages(target, params):
            pages += 1
            for record in page:
                source = record.get("source_lead_id")
                if source in wanted and source not in found:
                    found[source] = record
            if len(found) == len(wanted) or pages >= CONVERTED_PAGES_MAX:
                break
        canon = client.canonical(target)
        live_target = objects.setdefault(target, {})
        for old, record in found.items():
            kind_name, key = wanted[old]
            obj = canon(record)
            live_target.setdefault(obj["id"], obj)
            result.followed[(kind_name, key)] = Followed(kind_name, key, old, obj["id"], "converted", target)


def _follow_recreations(by_address: dict[tuple[str, str], Resource], gone: dict[tuple[str, str], Any],
                        objects: dict[str, Any], lock: LockFile, result: FollowResult) -> None:
    """Objects Pipedrive cannot update, deleted and created again in the UI (webhooks): the one
    newer, unrecorded live object sending the same events to the same place."""
    wanted: dict[tuple[str, str], list[Any]] = {}
    for address, old in gone.items():
        spec = kinds.kind(address[0])
        recorded = set(lock.resources.get(spec.name, {}).values())  # someone's: never a candidate
        declared = {}
        for api in spec.recreated_by:
            field_spec = next((f for f in spec.fields if f.api == api), None)
            declared[api] = by_address[address].fields.get(field_spec.name) if field_spec is not None else None
        wanted[address] = sorted(
            object_id for object_id, obj in objects.get(spec.name, {}).items()
            if object_id not in recorded and spec.hooks.exportable(obj) and _newer(object_id, old)
            and all(value is not None and obj.get(api) == value for api, value in declared.items()))
    taken: dict[Any, int] = {}
    for candidates in wanted.values():
        for object_id in candidates:
            taken[object_id] = taken.get(object_id, 0) + 1
    for (kind_name, key), candidates in sorted(wanted.items()):
        if len(candidates) == 1 and taken[candidates[0]] == 1:
            old = gone[(kind_name, key)]
            result.followed[(kind_name, key)] = Followed(kind_name, key, old, candidates[0], "recreated", kind_name)
        elif candidates:
            result.warnings.append(
                f"{kind_name}.{key} (id {gone[(kind_name, key)]}) is gone from Pipedrive, and "
                f"{len(candidates)} newer {kind_name}s ({', '.join(map(str, candidates))}) send the same events to "
                "the same place, or another gone one does too: it is not followed as created again (one of them "
                "may be another integration's); pin the right one with `id:`")


def _newer(object_id: Any, old: Any) -> bool:
    """Created after `old` (ids grow); ids that are not numbers cannot say, so they may be."""
    return not (isinstance(object_id, int) and isinstance(old, int)) or object_id > old


def record_followed(lock: LockFile, plan: Any) -> list[dict]:
    """Repoint the lock to the survivors of merges (and webhooks created again) the plan
    followed (`pull` accepts what Pipedrive did, as apply does); returns the entries recorded."""
    done = [entry for entry in plan.followed if entry["how"] in TAKES_ITS_PLACE and entry.get("into_key") is None]
    for entry in done:
        lock.record(entry["kind"], entry["key"], entry["into"])
    return done
