"""Which live object is each resource? id pin, then the lock, then natural match keys.

CONTRACT §2. Two live candidates for one resource, or one live object claimed by two
resources, is an error naming the ids: guessing would risk changing the wrong customer.
Natural keys involve parents (a person's org, a note's deal), so kinds are matched
parents first, using the ids already matched for the parents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler import kinds
from reconciler.lock import LockFile
from reconciler.manifest.model import Reference, Resource
from reconciler.normalize import plain_key, text_key


class IdentityError(Exception):
    """Ambiguous or impossible matches; the message names the resource and the ids."""


def _norm(value) -> str:
    return " ".join(str(value).split()).casefold()


def _ref_id(ref: Reference | None, matched: dict[tuple[str, str], int]) -> int | None:
    if ref is None:
        return None
    if ref.id is not None:
        return ref.id
    return matched.get((ref.kind, ref.key or ""))


def desired_keys(res: Resource, matched: dict[tuple[str, str], int]) -> list[tuple]:
    """The natural keys of a resource, most specific first; empty when a parent is not live yet.

    A key that names a parent which does not exist live cannot match anything: the parent
    will be created, so the child is new too.
    """
    f = res.fields
    out: list[tuple] = []
    if res.kind == "organization":
        if f.get("name"):
            out.append(("name", _norm(f["name"])))
    elif res.kind == "person":
        emails = f.get("emails") or []
        if emails:
            out.append(("email", emails[0].strip().casefold()))
        elif f.get("name"):
            if "org" in f and f["org"] is not None:
                org = _ref_id(f["org"], matched)
                if org is not None:
                    out.append(("name_org", _norm(f["name"]), org))
            else:
                out.append(("name", _norm(f["name"])))
    elif res.kind == "deal":
        title = f.get("title")
        if title:
            if f.get("org") is not None:
                org = _ref_id(f["org"], matched)
                if org is not None:
                    out.append(("title_org", _norm(title), org))
            elif f.get("person") is not None:
                person = _ref_id(f["person"], matched)
                if person is not None:
                    out.append(("title_person", _norm(title), person))
            else:
                out.append(("title", _norm(title)))
    elif res.kind == "note":
        parent = declared_parent(res)
        if parent and f.get("content") is not None:
            pid = _ref_id(f[parent], matched)
            if pid is not None:
                out.append(("note", parent, pid, plain_key(f["content"])))
    elif res.kind == "activity":
        parent = declared_parent(res)
        if parent and f.get("subject"):
            pid = _ref_id(f[parent], matched)
            if pid is not None:
                out.append(("activity", _norm(f["subject"]), f.get("due_date"), parent, pid))
    return out


def declared_parent(res: Resource) -> str | None:
    """The first parent field (deal, person, org) a resource declares; its natural key uses it."""
    for name in kinds.kind(res.kind).parents:
        if res.fields.get(name) is not None:
            return name
    return None


def live_keys(kind: str, obj: dict) -> list[tuple]:
    """Every natural key a live object could be found under."""
    out: list[tuple] = []
    if kind == "organization":
        if obj.get("name"):
            out.append(("name", _norm(obj["name"])))
    elif kind == "person":
        primary = [c for c in obj.get("emails") or [] if c.get("primary")] or (obj.get("emails") or [])[:1]
        if primary:
            out.append(("email", str(primary[0]["value"]).strip().casefold()))
        if obj.get("name"):
            out.append(("name", _norm(obj["name"])))
            if obj.get("org_id"):
                out.append(("name_org", _norm(obj["name"]), obj["org_id"]))
    elif kind == "deal":
        if obj.get("title"):
            out.append(("title", _norm(obj["title"])))
            if obj.get("org_id"):
                out.append(("title_org", _norm(obj["title"]), obj["org_id"]))
            if obj.get("person_id"):
                out.append(("title_person", _norm(obj["title"]), obj["person_id"]))
    elif kind == "note":
        content = text_key(obj.get("content"))
        for parent, api in (("deal", "deal_id"), ("person", "person_id"), ("org", "org_id")):
            if obj.get(api):
                out.append(("note", parent, obj[api], content))
    elif kind == "activity":
        for parent, api in (("deal", "deal_id"), ("person", "person_id"), ("org", "org_id")):
            if obj.get(api) and obj.get("subject"):
                out.append(("activity", _norm(obj["subject"]), obj.get("due_date"), parent, obj[api]))
    return out


@dataclass
class Match:
    object_id: int
    how: str  # "id" | "lock" | "natural"


@dataclass
class Identity:
    """The result: resource (kind, key) → live id, and how it was found."""

    matches: dict[tuple[str, str], Match] = field(default_factory=dict)
    # lock entries whose keys left the manifests and whose objects still exist
    orphans: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def ids(self) -> dict[tuple[str, str], int]:
        return {k: m.object_id for k, m in self.matches.items()}



def match(
    resources: Iterable[Resource],
    live: dict[str, dict[int, dict]],
    lock: LockFile | None,
) -> Identity:
    """Match every resource to at most one live object; raise IdentityError when unsure."""
    by_kind: dict[str, list[Resource]] = {spec.name: [] for spec in kinds.KINDS}
    declared: set[tuple[str, str]] = set()
    for res in resources:
        by_kind[res.kind].append(res)
        declared.add((res.kind, res.key))
    identity = Identity()
    matched: dict[tuple[str, str], int] = {}
    claimed: dict[tuple[str, int], str] = {}

    def claim(res: Resource, object_id: int, how: str) -> None:
        owner = claimed.get((res.kind, object_id))
        if owner is not None and owner != res.key:
            raise IdentityError(
                f"{res.pos.file}:{res.pos.line}: {res.kind} {res.key!r} and {owner!r} both match live "
                f"{res.kind} id {object_id}; give one of them an `id:` or make them distinct"
            )
        claimed[(res.kind, object_id)] = res.key
        matched[(res.kind, res.key)] = object_id
        identity.matches[(res.kind, res.key)] = Match(object_id, how)

    for spec in sorted(kinds.KINDS, key=lambda s: s.order):
        objects = live.get(spec.name, {})
        pending: list[Resource] = []
        for res in by_kind[spec.name]:
            if res.id is not None:
                if res.id in objects:
                    claim(res, res.id, "id")
                continue
            locked = lock.id_for(spec.name, res.key) if lock else None
            if locked is not None and locked in objects:
                claim(res, locked, "lock")
                continue
            pending.append(res)
        if pending:
            index: dict[tuple, list[int]] = {}
            for object_id, obj in objects.items():
                for key in live_keys(spec.name, obj):
                    index.setdefault(key, []).append(object_id)
            for res in pending:
                for key in desired_keys(res, matched):
                    candidates = [i for i in sorted(set(index.get(key, []))) if (spec.name, i) not in claimed]
                    if len(candidates) > 1:
                        raise IdentityError(
                            f"{res.pos.file}:{res.pos.line}: {res.kind} {res.key!r} matches "
                            f"{len(candidates)} live objects (ids {', '.join(map(str, candidates))}); "
                            "pin the right one with `id:`"
                        )
                    if candidates:
                        claim(res, candidates[0], "natural")
                        break
    if lock:
        for kind_name, key, object_id in lock.entries():
            if (kind_name, key) in declared:
                continue
            if object_id in live.get(kind_name, {}) and (kind_name, object_id) not in claimed:
                identity.orphans.append((kind_name, key, object_id))
    return identity
