"""Which live object is each resource? id pin, then the lock, then natural match keys.

CONTRACT §2. Two live candidates for one resource, or one live object claimed by two
resources, is an error naming the ids: guessing would risk changing the wrong customer.
Natural keys involve parents (a person's org, a note's deal), so kinds are matched
parents first, using the ids already matched for the parents.

The keys themselves are data in the kinds table (`KindSpec.match_keys`); each part is
compared in the form its field type gives it (names without case or extra spaces, the
primary email, note text as Pipedrive shows it). Every problem is collected and reported
at once, each with the manifest position it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.kinds import PARENT, KindSpec
from reconciler.lock import LockFile
from reconciler.manifest.model import Problem, Reference, Resource


class IdentityError(Exception):
    """Ambiguous or impossible matches; `problems` name the resources and the ids."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _ref_id(ref: Any, matched: Mapping[tuple[str, str], Any]) -> Any:
    if ref is None:
        return None
    if isinstance(ref, Reference):
        if ref.id is not None:
            return ref.id
        return matched.get((ref.kind, ref.key or ""))
    return None


def _declared(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def declared_parent(res: Resource) -> str | None:
    """The first parent field (deal, person, org) a resource declares; its natural key uses it."""
    for name in kinds.kind(res.kind).parents:
        if res.fields.get(name) is not None:
            return name
    return None


def _rule_label(rule: tuple[str, ...]) -> str:
    return "+".join(part.rstrip("?") for part in rule)


def desired_keys(res: Resource, matched: Mapping[tuple[str, str], Any]) -> list[tuple]:
    """The natural key of a resource under the first rule it declares; empty when none applies.

    A rule applies when the resource declares every part of it (parts marked "?" may be
    empty); only that rule is used, so a person with an email is never matched by name. A
    key that names a parent which does not exist live cannot match anything: the parent
    will be created, so the child is new too.
    """
    spec = kinds.kind(res.kind)
    for rule in spec.match_keys:
        parts: list[Any] = [_rule_label(rule)]
        for part in rule:
            if part == PARENT:
                parent = declared_parent(res)
                if parent is None:
                    break
                parent_id = _ref_id(res.fields[parent], matched)
                if parent_id is None:
                    return []
                parts += [parent, parent_id]
                continue
            name = part.rstrip("?")
            value = res.fields.get(name)
            if not _declared(value):
                if part.endswith("?"):
                    parts.append(None)
                    continue
                break
            field_spec = spec.field(name)
            assert field_spec is not None, f"kinds: match key {name!r} is not a field of {spec.name}"
            if field_spec.type is kinds.REF:
                ref_id = _ref_id(value, matched)
                if ref_id is None:
                    return []
                parts.append(ref_id)
            else:
                parts.append(field_spec.type.match_value(field_spec, value))
        else:
            return [tuple(parts)]
    return []


def live_keys(kind: str, obj: Mapping[str, Any]) -> list[tuple]:
    """Every natural key a live object could be found under (each rule, each parent)."""
    spec = kinds.kind(kind)
    out: list[tuple] = []
    for rule in spec.match_keys:
        out.extend(_live_rule_keys(spec, rule, obj))
    return out


def _live_rule_keys(spec: KindSpec, rule: tuple[str, ...], obj: Mapping[str, Any]) -> Iterator[tuple]:
    combos: list[list[Any]] = [[_rule_label(rule)]]
    for part in rule:
        if part == PARENT:
            parents = []
            for name in spec.parents:
                parent_spec = spec.field(name)
                if parent_spec is not None and obj.get(parent_spec.api):
                    parents.append((name, obj[parent_spec.api]))
            if not parents:
                return
            combos = [combo + [name, parent_id] for combo in combos for name, parent_id in parents]
            continue
        name = part.rstrip("?")
        field_spec = spec.field(name)
        assert field_spec is not None, f"kinds: match key {name!r} is not a field of {spec.name}"
        value = field_spec.live(obj)
        if _declared(value):
            value = value if field_spec.type is kinds.REF else field_spec.type.match_live(field_spec, value)
        if not _declared(value):
            if not part.endswith("?"):
                return
            value = None
        combos = [combo + [value] for combo in combos]
    yield from (tuple(combo) for combo in combos)


@dataclass(slots=True)  # one per managed resource: 55,000 in an exported account
class Match:
    object_id: Any
    how: str  # "id" | "lock" | "natural" | "merged" (the lock's object is gone: merged into this one, or recreated)


@dataclass
class Identity:
    """The result: resource (kind, key) → live id, and how it was found."""

    matches: dict[tuple[str, str], Match] = field(default_factory=dict)
    # lock entries whose keys left the manifests and whose objects still exist
    orphans: list[tuple[str, str, Any]] = field(default_factory=list)
    # resources whose locked object was merged or converted in Pipedrive (reconciler/merges.py),
    # with the key of the resource that owns what it became (None: nobody, it is followed there)
    followed: dict[tuple[str, str], tuple[Any, str | None]] = field(default_factory=dict)

    @property
    def ids(self) -> dict[tuple[str, str], Any]:
        return {k: m.object_id for k, m in self.matches.items()}


def _where(res: Resource) -> str:
    return f"{res.pos.file}:{res.pos.line}"


def same_key_problems(resources: Iterable[Resource], lock: LockFile | None) -> list[Problem]:
    """Two resources of a kind that would look for one live object by the same natural key.

    Found before any live state is read: one would adopt the object, the other create a
    second one, and the next run without a lock could not tell them apart. Only resources
    that are found by natural key can fight: one that pins an `id` or has a lock entry is
    found by it (an exported account may well hold two deals of one title and org, each in
    the lock). An `absent: true` resource found by natural key must not share its key with
    any declared resource either: which of them would it delete? References are compared by
    the key they name (the ids are not known yet).
    """
    problems: list[Problem] = []
    free: dict[tuple, Resource] = {}
    declared: dict[tuple, Resource] = {}
    names = _KeyNames()

    def tracked(res: Resource) -> bool:
        return res.id is not None or bool(lock and lock.id_for(res.kind, res.key) is not None)

    ordered = list(resources)
    untracked = [res for res in ordered if not tracked(res)]
    if any(res.absent for res in untracked):  # the keys of every declared resource: only then
        for res in ordered:
            if not res.absent:
                for key in desired_keys(res, names):
                    declared.setdefault((res.kind, key), res)
    for res in untracked:
        for key in desired_keys(res, names):
            first = free.get((res.kind, key))
            if first is None and res.absent:
                first = declared.get((res.kind, key))
            if first is None or first is res or (first.absent and res.absent):
                free.setdefault((res.kind, key), res)
                continue
            what = ("matches the same live object as" if (first.absent or res.absent)
                    else "has the same natural key as")
            problems.append(Problem(res.pos, f"{res.kind} {res.key!r} {what} {res.kind} {first.key!r} "
                                             f"({_where(first)}): make them distinct, or pin one with `id:`"))
    return problems


class _KeyNames(dict):
    """A stand-in for matched ids that names each referenced resource by its key."""

    def get(self, key, default=None):  # type: ignore[override]
        kind_name, res_key = key
        return f"{kind_name}.{res_key}"


def match(
    resources: Iterable[Resource],
    live: Mapping[str, Mapping[Any, dict]],
    lock: LockFile | None,
    followed: Mapping[tuple[str, str], Any] | None = None,
) -> Identity:
    """Match every resource to at most one live object; raise IdentityError listing every problem.

    `followed` (reconciler/merges.py) names what a locked object that Pipedrive merged or
    converted became: a resource that nothing else finds is matched to the survivor of a
    merge ("merged"), unless another resource has that object; otherwise it is recorded in
    `Identity.followed` with that resource's key, and never created again.
    """
    followed = followed or {}
    # per kind, so that no tuple is made per resource (55,000 in an exported account)
    by_kind: dict[str, list[Resource]] = {spec.name: [] for spec in kinds.KINDS}
    declared: dict[str, set[str]] = {}  # kind -> keys
    for res in resources:
        by_kind.setdefault(res.kind, []).append(res)
        declared.setdefault(res.kind, set()).add(res.key)
    identity = Identity()
    matched: dict[tuple[str, str], Any] = {}
    claimed: dict[str, dict[Any, Resource]] = {}  # kind -> live id -> the resource that matched it
    problems: list[Problem] = []

    def claim(res: Resource, object_id: Any, how: str) -> None:
        taken = claimed.setdefault(res.kind, {})
        owner = taken.get(object_id)
        if owner is not None and owner.key != res.key:
            problems.append(Problem(
                res.pos,
                f"{res.kind} {res.key!r} and {owner.key!r} ({_where(owner)}) both match live {res.kind} id "
                f"{object_id}; give one of them an `id:` or make them distinct",
            ))
            return
        taken[object_id] = res
        address = (res.kind, res.key)  # one key object for both maps
        matched[address] = object_id
        identity.matches[address] = Match(object_id, how)

    for spec in sorted(kinds.KINDS, key=lambda s: s.order):
        objects = live.get(spec.name, {})
        pending: list[Resource] = []
        for res in by_kind.get(spec.name, []):
            if res.id is not None:
                if res.id in objects:
                    claim(res, res.id, "id")
                continue
            locked = lock.id_for(spec.name, res.key) if lock else None
            if locked is not None and locked in objects:
                claim(res, locked, "lock")
                continue
            pending.append(res)
        if not pending:
            continue
        unfound: list[Resource] = []
        index: dict[tuple, list[Any]] = {}
        for object_id, obj in objects.items():
            for key in live_keys(spec.name, obj):
                index.setdefault(key, []).append(object_id)
        for res in pending:
            for key in desired_keys(res, matched):
                taken = claimed.get(spec.name, {})
                candidates = [i for i in sorted(set(index.get(key, [])), key=_id_order) if i not in taken]
                if len(candidates) > 1:
                    problems.append(Problem(
                        res.pos,
                        f"{res.kind} {res.key!r} matches {len(candidates)} live objects (ids "
                        f"{', '.join(map(str, candidates))}); pin the right one with `id:`",
                    ))
                elif candidates:
                    claim(res, candidates[0], "natural")
                else:
                    unfound.append(res)
                break
            else:
                unfound.append(res)
        for res in unfound:
            became = followed.get((res.kind, res.key))
            if became is None:
                continue
            owner = claimed.get(became.new_kind, {}).get(became.new_id)
            if became.takes_its_place and owner is None:  # merged, or (webhooks) created again
                claim(res, became.new_id, "merged")
            identity.followed[(res.kind, res.key)] = (became, owner.key if owner is not None else None)
    if problems:
        raise IdentityError(sorted(problems, key=lambda p: (p.pos.file, p.pos.line, p.pos.col)))
    if lock:
        orphaned: set[tuple[str, Any]] = set()
        for kind_name, key, object_id in lock.entries():
            if key in declared.get(kind_name, ()) or (kind_name, object_id) in orphaned:
                continue  # one object is deleted once, even under two keys of an old lock
            if object_id in live.get(kind_name, {}) and object_id not in claimed.get(kind_name, {}):
                identity.orphans.append((kind_name, key, object_id))
                orphaned.add((kind_name, object_id))
    return identity


def _id_order(object_id: Any) -> tuple:
    """Ids sort numerically when they are numbers, as text otherwise (lead UUIDs)."""
    return (0, object_id, "") if isinstance(object_id, int) else (1, 0, str(object_id))
