"""Desired vs live → a Plan: a value that can be rendered, saved, and applied later.

Only declared fields are compared (CONTRACT §2, like kubectl's server-side apply); each
comparison is a plain equality on normalized values first, and deepdiff is called only
for the few fields that differ and have structure worth explaining. Changes carry both
what to show (manifest language, before/after) and what to send (canonical API values,
with placeholders for ids that only apply will know).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.drift import Deferred, as_recorded, classify, digest, has_placeholder, ignored
from reconciler.fieldtypes import FieldSpec
from reconciler.identity import Identity, declared_parent, desired_keys
from reconciler.lock import LockFile
from reconciler.manifest.model import Position, Problem, Resource
from reconciler.normalize import Context, NormalizeError, Placeholder, UnknownName, placeholders_in
from reconciler.plandetail import change_detail, manifest_value
from reconciler.twophase import split_writes
from reconciler.vocabulary import AccountSchema

FORMAT_VERSION = 1
DEFAULT_CURRENCY = "USD"


# What a frozen plan may still be given: the key `plan --out` signs it with (reconciler/plantrust.py),
# which is not part of the plan's value (never saved, never compared, never rendered).
_OUTSIDE_THE_VALUE = frozenset({"signing_key"})


class FrozenPlanError(Exception):
    """Code tried to change a plan after it was built (a bug: finish it in build_plan's passes)."""


class PlanError(Exception):
    """The plan cannot be made; `problems` are FILE:LINE:COL lines when positions are known."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class Change:
    action: str  # create | update | delete
    kind: str
    key: str
    id: Any  # the live object's id (int, or a lead's UUID); None for a create
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {before, after}
    writes: dict[str, Any] = field(default_factory=dict)  # canonical API values to send
    reason: str | None = None  # why: "adopted by natural key", "absent: true", "removed from manifests"
    adopted: bool = False
    recovery_keys: list[list] = field(default_factory=list)  # natural keys to find a create that may have happened
    depends_on: list[str] = field(default_factory=list)
    source: str | None = None  # "FILE:LINE"
    protect: bool = False
    # what the lock records once this change is made: declared field label -> digest of the
    # value applied (a Deferred one is digested by apply, when the ids it holds are known)
    applied: dict[str, Any] = field(default_factory=dict)
    # for a delete: live objects outside the manifests that point at the object ("person 12")
    orphans: list[str] = field(default_factory=list)
    # for a delete of a custom field, pipeline or stage: live records that lose data, by kind
    # ({"deal": 2, "lead": 1}; reconciler/shapeloss.py counts them)
    data_loss: dict[str, int] = field(default_factory=dict)
    # what a create cannot carry (a custom field closing a reference cycle, a lead's is_archived):
    # sent by an update once every create is made (reconciler/twophase.py)
    later: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.key}"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    adopt: list[dict] = field(default_factory=list)  # [{kind, key, id}] matched by natural key, no change
    stats: dict[str, int] = field(default_factory=lambda: {"api_calls": 0, "tokens": 0})
    account: dict | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)  # "deal:12" -> hash of the live object
    lock_file: str | None = None
    protected: dict[str, list[str]] = field(default_factory=dict)  # kind -> keys declared protect: true
    warnings: list[str] = field(default_factory=list)
    # When live state was read (UTC, RFC 3339): anything created after it was not seen by
    # identity, so apply --plan looks for creates that happened since (no duplicates).
    created_at: str | None = None
    # The addresses a targeted plan covers (None: every resource and lock entry). Apply
    # changes the lock's protections only within it.
    scope: list[str] | None = None
    # keys renamed by `moved:` entries, carried over in the lock by apply: [{kind, from, to, id}]
    moved: list[dict] = field(default_factory=list)
    # The manifests the plan was made from: their PATHs (absolute) and a digest of their
    # files, so that apply --plan refuses a plan whose manifests have changed since.
    manifest_paths: list[str] = field(default_factory=list)
    manifests_digest: str | None = None
    # Drift left as Pipedrive has it (--on-drift keep): [{kind, key, id, fields}], reported, not written.
    kept: list[dict] = field(default_factory=list)
    # Digests apply records for resources it does not change (kind -> key -> {label: digest}):
    # only where the lock's differ, so a steady plan carries nothing here.
    applied: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    on_drift: str = "overwrite"
    drift_only: bool = False  # a report of drift (plan --drift-only): never applied
    # objects merged or converted in Pipedrive, followed rather than created again
    # (reconciler/merges.py): [{kind, key, how, from, into, into_kind, into_key}]; apply
    # records a merge's survivor in the lock when no other resource has it (into_key null)
    followed: list[dict] = field(default_factory=list)
    # keys let go by `removed: {destroy: false}` (reconciler/removed.py): [{kind, key, id}];
    # apply drops their lock entries and leaves the objects in Pipedrive
    released: list[dict] = field(default_factory=list)
    # what Pipedrive tells of objects deleted or merged in it (reconciler/gone_history.py)
    history: list[dict] = field(default_factory=list)
    # the account's names as the plan leaves them (declared pipelines, stages, options entered):
    # what the lock's vocabulary records once it is applied; not saved in a plan file
    schema: Any = field(default=None, repr=False, compare=False)
    # The key a saved plan is signed with (reconciler/plantrust.py), never saved; and, for a
    # plan read from a file, its recorded digest and the canonical text it covers.
    signing_key: bytes | None = field(default=None, repr=False, compare=False)
    saved_digest: str | None = field(default=None, repr=False, compare=False)
    saved_body: str | None = field(default=None, repr=False, compare=False)
    # Set once the plan is whole (build_plan, from_json): from then on it is a value that is
    # rendered, saved and applied, never changed (FrozenPlanError).
    _frozen: bool = field(default=False, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False) and name not in _OUTSIDE_THE_VALUE:
            raise FrozenPlanError(f"a plan is not changed once built (setting {name!r}): make it whole in build_plan")
        object.__setattr__(self, name, value)

    def freeze(self) -> Plan:
        """The plan, whole: no attribute is set from now on."""
        object.__setattr__(self, "_frozen", True)
        return self

    @property
    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        counts["unchanged"] = self.unchanged
        drift = conflict = 0
        for fields in [c.fields for c in self.changes] + [k["fields"] for k in self.kept]:
            for diff in fields.values():
                drift += bool(diff.get("drift"))
                conflict += bool(diff.get("conflict"))
        if drift or conflict or self.drift_only:
            counts["drift"] = drift
            counts["conflict"] = conflict
        return counts

    @property
    def has_changes(self) -> bool:
        # a drift report counts what it keeps (drift and deletions left as Pipedrive has them)
        return bool(self.changes) or (self.drift_only and bool(self.kept))

    def to_json(self) -> dict:
        data = self._body()
        if self.signing_key is None and self.saved_body is not None and _canonical(data) == self.saved_body:
            data["digest"] = self.saved_digest  # a signed plan shown again, unchanged: its own signature
        else:
            data["digest"] = content_digest(data, self.signing_key)
        return data

    def _body(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "account": self.account,
            "changes": [_change_json(c) for c in self.changes],
            "summary": self.summary,
            "stats": dict(self.stats),
            "adopt": list(self.adopt),
            "warnings": list(self.warnings),
            "lock_file": self.lock_file,
            "created_at": self.created_at,
            "protected": self.protected,
            "fingerprints": dict(self.fingerprints),
            "scope": self.scope,
            "moved": list(self.moved),
            "manifest_paths": list(self.manifest_paths),
            "manifests_digest": self.manifests_digest,
            **({"kept": [dict(entry, fields=_fields_json(entry["fields"])) for entry in self.kept]}
               if self.kept else {}),
            **({"applied": self.applied} if self.applied else {}),
            **({"on_drift": self.on_drift} if self.on_drift != "overwrite" else {}),
            **({"drift_only": True} if self.drift_only else {}),
            **({"followed": list(self.followed)} if self.followed else {}),
            **({"released": list(self.released)} if self.released else {}),
            **({"history": list(self.history)} if self.history else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        """A saved plan, refused when it was changed after it was written (its digest differs)."""
        if data.get("format_version") != FORMAT_VERSION:
            raise PlanError(f"unsupported plan format_version {data.get('format_version')!r}")
        recorded = data.get("digest")
        if recorded is None:
            raise PlanError("the plan has no digest (it was not written by `reconciler plan --out`, or by an "
                            "older version): make a new plan")
        body = {k: v for k, v in data.items() if k != "digest"}
        keyed = isinstance(recorded, str) and recorded.startswith(KEYED)
        if not keyed and content_digest(body) != recorded:
            raise PlanError("the plan was changed after it was written (its digest does not match its "
                            "content): make a new plan, never edit one")
        plan = cls(
            unchanged=data["summary"].get("unchanged", 0),
            adopt=list(data.get("adopt") or []),
            stats=dict(data.get("stats") or {}),
            account=data.get("account"),
            fingerprints=dict(data.get("fingerprints") or {}),
            lock_file=data.get("lock_file"),
            protected=dict(data.get("protected") or {}),
            warnings=list(data.get("warnings") or []),
            created_at=data.get("created_at"),
            scope=data.get("scope"),
            moved=list(data.get("moved") or []),
            manifest_paths=list(data.get("manifest_paths") or []),
            manifests_digest=data.get("manifests_digest"),
            kept=list(data.get("kept") or []),
            applied=dict(data.get("applied") or {}),
            on_drift=data.get("on_drift") or "overwrite",
            drift_only=bool(data.get("drift_only")),
            followed=list(data.get("followed") or []),
            released=list(data.get("released") or []),
            history=list(data.get("history") or []),
        )
        plan.saved_digest, plan.saved_body = recorded, _canonical(body) if keyed else None
        for raw in data.get("changes") or []:
            plan.changes.append(
                Change(
                    action=raw["action"], kind=raw["kind"], key=raw["key"], id=raw.get("id"),
                    fields=raw.get("fields") or {}, writes=_decode(raw.get("writes") or {}),
                    reason=raw.get("reason"), adopted=bool(raw.get("adopted")),
                    recovery_keys=_decode(raw.get("recovery_keys") or []),
                    depends_on=list(raw.get("depends_on") or []), source=raw.get("source"),
                    protect=bool(raw.get("protect")), orphans=list(raw.get("orphans") or []),
                    data_loss=dict(raw.get("data_loss") or {}),
                    later=_decode(raw.get("later") or {}),
                    applied={label: Deferred(_decode(v["deferred"])) if isinstance(v, dict) else v
                             for label, v in (raw.get("applied") or {}).items()},
                )
            )
        return plan.freeze()


# A step that finishes a plan once its changes are known, before build_plan freezes it.
PlanPass = Callable[[Plan], None]


KEYED = "hmac-sha256:"


def _canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def content_digest(body: dict, key: bytes | None = None) -> str:
    """A digest of a plan's content, so that an edited plan file is refused.

    Unkeyed (sha256), it protects against edits and mangling, not against someone who
    recomputes it. A saved plan (`plan --out`) is keyed: an HMAC under a key derived from
    the API key and the account (reconciler/plantrust.py), which no one without the key can
    recompute, so a plan kept as a CI artifact cannot be forged by whoever can edit it.
    """
    canonical = _canonical(body)
    if key is not None:
        return KEYED + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


# A placeholder that is a mapping's key (a custom field's key, known once apply created the
# field) is written as this prefix and JSON [address, part...]: a real key is 40 hex characters.
_KEY_REF = "$ref:"


def _encode(value: Any) -> Any:
    if isinstance(value, Placeholder):
        return {"$ref": value.address, "part": list(value.part)} if value.part else {"$ref": value.address}
    if isinstance(value, dict):
        return {_encode_key(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _encode_key(key: Any) -> Any:
    if isinstance(key, Placeholder):
        return _KEY_REF + json.dumps([key.address, *key.part], ensure_ascii=False)
    return key


def _decode_key(key: Any) -> Any:
    if isinstance(key, str) and key.startswith(_KEY_REF):
        address, *part = json.loads(key[len(_KEY_REF):])
        return Placeholder(address, tuple(part))
    return key


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$ref" in value and set(value) <= {"$ref", "part"}:
            return Placeholder(value["$ref"], tuple(value.get("part") or ()))
        return {_decode_key(k): _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _display(value: Any) -> Any:
    """Manifest-language values for JSON: placeholders as a readable string."""
    if isinstance(value, Placeholder):
        return str(value)
    return _encode(value)


_FIELD_EXTRAS = ("detail", "drift", "conflict", "changed_by", "changed_at")


def _fields_json(fields: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": _display(v.get("before")), "after": _display(v.get("after")),
               **{extra: v[extra] for extra in _FIELD_EXTRAS if v.get(extra)}}
        for name, v in fields.items()
    }


def _change_json(change: Change) -> dict:
    out = {
        "action": change.action,
        "kind": change.kind,
        "key": change.key,
        "id": change.id,
        "fields": _fields_json(change.fields),
        "writes": _encode(change.writes),
    }
    for name in ("reason", "source"):
        if getattr(change, name):
            out[name] = getattr(change, name)
    if change.adopted:
        out["adopted"] = True
    if change.action == "delete" and kinds.kind(change.kind).deleted_as != "deleted":
        out["deleted_as"] = kinds.kind(change.kind).deleted_as  # activity types: deactivated
    if change.protect:
        out["protect"] = True
    if change.orphans:
        out["orphans"] = list(change.orphans)
    if change.data_loss:
        out["data_loss"] = dict(change.data_loss)
    if change.later:
        out["later"] = _encode(change.later)
    if change.recovery_keys:
        out["recovery_keys"] = _encode(change.recovery_keys)
    if change.depends_on:
        out["depends_on"] = change.depends_on
    if change.applied:
        out["applied"] = {label: {"deferred": _encode(v.value)} if isinstance(v, Deferred) else v
                          for label, v in change.applied.items()}
    return out


def fingerprint(obj: dict, kind: str | None = None) -> str:
    """A short hash of a live object, for apply's staleness check.

    The canonical object's repr is stable (adapters build it in a fixed order from the
    answer) and twice as cheap as canonical JSON, which matters at 50,000 objects. Attached
    values (a deal's products) are left out: they are read only for the objects that declare
    them, and their own calls fail on what changed under them.
    """
    if kind is not None:
        attached = [f.api for f in kinds.kind(kind).attached_fields if f.api in obj]
        if attached:
            obj = {k: v for k, v in obj.items() if k not in attached}
    return hashlib.blake2b(repr(obj).encode(), digest_size=10).hexdigest()


def _manifest_value(value: Any) -> Any:
    """A declared value as shown in the plan (references as their key or {id}, nested ones too)."""
    return manifest_value(value)


class Planner:
    """Compares one run's resources against live state."""

    def __init__(
        self,
        resources: list[Resource],
        live: dict[str, dict[Any, dict]],
        ident: Identity,
        schema: AccountSchema,
        lock: LockFile | None,
        *,
        on_drift: str = "overwrite",
        ignore_changes: dict[str, tuple[str, ...] | str] | None = None,
        record: bool = True,
    ) -> None:
        self.resources = resources
        # Whether apply will record what this plan applies (apply, plan --out): a plan that is
        # only shown digests nothing it does not show (drift needs digests of differing fields only).
        self.record = record
        self.on_drift = on_drift
        self.ignore_defaults = ignore_changes or {}
        self.kept: list[dict] = []
        self._lock_keys: dict[tuple[str, Any], str] | None = None
        self.applied: dict[str, dict[str, dict[str, str]]] = {}
        self.live = live
        self.ident = ident
        self.schema = schema
        self.live_schema = schema  # the account's vocabulary as it is: live values are shown in it
        self.lock = lock
        self.matched = ident.ids
        self.creating: set[tuple[str, str]] = set()
        self.problems: list[Problem] = []
        self.orphaned: dict[tuple[str, Any], list[str]] = {}  # set by build_plan: see reconciler/orphans.py
        self.notices: list[str] = []  # what a reviewer should know, shown with the plan's warnings
        self.report_only = False  # plan --drift-only: set by build_plan
        self._key_by_id: dict[tuple[str, Any], str] | None = None  # made when a change first names an id
        self.ctx = Context(schema=schema, resolve_key=self._resolve_key, key_for_id=self._key_for_id,
                           default_currency=DEFAULT_CURRENCY)
        from reconciler.lead_children import follow_converted_leads  # children of converted leads

        self.resources, converted = follow_converted_leads(resources, ident)
        self.notices.extend(converted)

    def _resolve_key(self, kind: str, key: str) -> Any:
        if (kind, key) in self.matched:
            return self.matched[(kind, key)]
        became = self.ident.followed.get((kind, key))
        if became is not None and became[0].new_kind == kind:  # merged into another resource's object
            return became[0].new_id
        if (kind, key) in self.creating:
            return Placeholder(f"{kind}.{key}")
        return None

    def _key_for_id(self, kind: str, object_id: Any) -> str | None:
        if self._key_by_id is None:
            self._key_by_id = {(k, i): key for (k, key), i in self.matched.items()}
            for kind_name, key, object_id_ in self.lock.entries() if self.lock else ():
                self._key_by_id.setdefault((kind_name, object_id_), key)
        key = self._key_by_id.get((kind, object_id))
        if key is not None and (kind, key) in self.creating:
            return f"{key} (deleted in Pipedrive)"  # the lock's old object: the key is being created again
        return key

    def _problem(self, res: Resource, name: str | None, message: str) -> None:
        pos = res.field_pos.get(name, res.pos) if name else res.pos
        self.problems.append(Problem(pos, message))

    def build(self, max_deletes: int | None = None, **about: Any) -> Plan:
        """The whole plan, complete when returned: `about` sets what the run knows of itself
        (account, stats, lock_file, created_at, warnings); nothing is changed afterwards.

        `max_deletes` is the limit apply will enforce: a plan over it says so, so that the
        pull request's plan is not green while the merge's apply fails.
        """
        plan = Plan(on_drift=self.on_drift, **about)
        ordered = sorted(self.resources, key=lambda r: kinds.kind(r.kind).order)
        # Everything that will be created is known before values are converted, so that
        # references between new objects become placeholders in any order.
        gone = self._deleted_in_pipedrive(ordered)  # drift of whole objects: kept or refused, per --on-drift
        for res in ordered:
            if not res.absent and (res.kind, res.key) not in self.matched \
                    and (res.kind, res.key) not in self.ident.followed:
                if res.id is not None:
                    self._problem(res, None, f"{res.kind} {res.key!r} is pinned to id {res.id}, "
                                  "which does not exist in this account")
                    continue
                if (res.kind, res.key) not in gone:
                    self.creating.add((res.kind, res.key))
        self._declare_shape(ordered)
        # natural keys of creates, for apply to find one that may have happened: matched
        # ids, and placeholders for the objects this plan creates (computed once)
        self._recovery_ids: dict[tuple[str, str], Any] = {
            **self.matched, **{(k, key): Placeholder(f"{k}.{key}") for k, key in self.creating}
        } if self.creating else self.matched  # used for creates only
        creates_updates: list[Change] = []
        deletes: list[Change] = []
        for res in ordered:
            if res.protect:
                plan.protected.setdefault(res.kind, []).append(res.key)
            match = self.ident.matches.get((res.kind, res.key))
            if res.absent:
                if match is None:
                    plan.unchanged += 1
                    continue
                deletes.append(Change("delete", res.kind, res.key, match.object_id, reason="absent: true",
                                      source=_source(res.pos)))
                continue
            if (res.kind, res.key) not in self.matched and res.id is not None:
                continue  # reported above
            if (res.kind, res.key) in self.ident.followed:
                plan.followed.append(_followed_entry(res, *self.ident.followed[(res.kind, res.key)]))
                if match is None:
                    plan.unchanged += 1
                    continue  # merged into another resource's object, or converted: never created again
            if (res.kind, res.key) in gone:
                self.kept.append(gone[(res.kind, res.key)])
                continue
            change = self._compare(res, match.object_id if match else None, match.how if match else None)
            if change is None:
                plan.unchanged += 1
                if match and match.how == "natural":
                    plan.adopt.append({"kind": res.kind, "key": res.key, "id": match.object_id})
            else:
                creates_updates.append(change)
        for kind_name, key, object_id in self.ident.orphans:
            protected = bool(self.lock and key in self.lock.protected.get(kind_name, ()))
            change = Change("delete", kind_name, key, object_id, reason="removed from the manifests",
                            protect=protected)
            deletes.append(change)
            if protected:
                self.problems.append(Problem(Position(str(self.lock.path if self.lock else "reconciler.lock"), 1, 1),
                                             f"{kind_name} {key!r} (id {object_id}) is protected "
                                             "(protect: true) but the plan would delete it"))
        for change in deletes:
            change.orphans = list(self.orphaned.get((change.kind, change.id), []))
        self._sequence_creates(creates_updates)
        self.notices.extend(split_writes(creates_updates))
        self._check_keeps_one(deletes, creates_updates)
        if self.problems:
            problems = sorted(self.problems, key=lambda p: (p.pos.file, p.pos.line, p.pos.col))
            raise PlanError(f"{len(problems)} problem(s) in the manifests", problems)
        plan.warnings = [*plan.warnings, *self.notices]
        plan.kept = self.kept
        plan.applied = self.applied
        plan.schema = self.schema
        deletes.sort(key=lambda c: -kinds.kind(c.kind).order)
        self._order_deletes(deletes)
        plan.changes = creates_updates + deletes
        if max_deletes is not None and len(deletes) > max_deletes:
            plan.warnings.append(f"the plan deletes {len(deletes)} objects, more than --max-deletes {max_deletes}: "
                                 "apply will refuse it unless the limit is raised")
        for change in plan.changes:  # only what apply --plan will check: the objects it touches
            if change.id is not None:
                obj = self.live.get(change.kind, {}).get(change.id)
                if obj is not None:
                    plan.fingerprints[f"{change.kind}:{change.id}"] = fingerprint(obj, change.kind)
        return plan

    def _deleted_in_pipedrive(self, ordered: list[Resource]) -> dict[tuple[str, str], dict]:
        """Resources whose object the lock records but Pipedrive no longer has (deleted in the UI),
        and the resources that name them, when --on-drift is keep or fail (docs/state.md).

        Under keep they are listed as kept (`deleted: true`), never created again; under fail each
        is a problem at its FILE:LINE. Under overwrite (the default) they are created again, as the
        plan says. A resource naming one that stays deleted is kept too: it cannot be written.
        """
        if self.lock is None or self.on_drift == "overwrite":
            return {}
        gone: dict[tuple[str, str], dict] = {}
        for res in ordered:
            old_id = self.lock.id_for(res.kind, res.key)
            if res.absent or res.id is not None or old_id is None or (res.kind, res.key) in self.matched \
                    or (res.kind, res.key) in self.ident.followed:  # merged or converted: not deleted
                continue
            if self.on_drift == "fail":
                self._problem(res, None, f"{res.kind} {res.key!r} was deleted in Pipedrive since the last apply "
                              f"(it was id {old_id}); --on-drift fail refuses to plan (pull removes it from the "
                              "manifests, --on-drift overwrite creates it again, keep leaves it deleted)")
                continue
            gone[(res.kind, res.key)] = {"kind": res.kind, "key": res.key, "id": old_id, "fields": {},
                                         "deleted": True, "reason": f"deleted in Pipedrive (it was id {old_id}): "
                                         "kept deleted (--on-drift keep)"}
        while gone:  # what names a kept deletion cannot be written either
            more = {}
            for res in ordered:
                if (res.kind, res.key) in gone or res.absent:
                    continue
                named = next((f"{ref.kind}.{ref.key}" for name, value in res.fields.items()
                              if (spec := kinds.kind(res.kind).field(name)) is not None
                              for ref in spec.type.references(spec, value) if (ref.kind, ref.key) in gone), None)
                if named is not None:
                    more[(res.kind, res.key)] = {"kind": res.kind, "key": res.key,
                                                 "id": self.matched.get((res.kind, res.key)) or self.lock.id_for(res.kind, res.key)
                                                 or "(not created)", "fields": {},
                                                 "reason": f"names {named}, deleted in Pipedrive: left as it is"}
            if not more:
                break
            gone.update(more)
        return gone

    def _order_deletes(self, deletes: list[Change]) -> None:
        """A delete waits for the deletes of the objects that point at its object (its children),
        except for children Pipedrive deletes with their parent (a pipeline's stages): those wait
        for the parent and find themselves gone (a pipeline must keep a stage until it goes)."""
        by_object = {(c.kind, c.id): c for c in deletes}
        for change in deletes:
            obj = self.live.get(change.kind, {}).get(change.id) or {}
            spec = kinds.kind(change.kind)
            for ref in spec.ref_fields:
                parent = by_object.get((ref.ref_kind, obj.get(ref.api)))
                if parent is None or parent is change:
                    continue
                if spec.deleted_with_parent:
                    if parent.address not in change.depends_on:
                        change.depends_on.append(parent.address)
                elif change.address not in parent.depends_on:
                    parent.depends_on.append(change.address)

    def _declare_shape(self, ordered: list[Resource]) -> None:
        """Enter the declared pipelines, stages and custom fields into a planned copy of the
        account's vocabulary, so that records naming them (even ones this plan creates or
        renames) are converted as apply will leave the account (reconciler/shape.py)."""
        declaring = [res for res in ordered if kinds.kind(res.kind).shape and not res.absent]
        if not declaring:
            return
        from reconciler.shape_rules import planned_schema

        self.schema = self.ctx.schema = planned_schema(self.schema)
        for res in declaring:
            target = self.matched.get((res.kind, res.key))
            live = self.live.get(res.kind, {}).get(target) if target is not None else None
            if target is None:
                if (res.kind, res.key) not in self.creating:
                    continue
                target = Placeholder(res.address)
            try:
                kinds.kind(res.kind).hooks.declare(self.schema, res, target, live, self.ctx)
            except (NormalizeError, UnknownName):
                continue  # the same value is reported where the resource's fields are compared

    def _check_keeps_one(self, deletes: list[Change], writes: list[Change]) -> None:
        """A parent that Pipedrive makes keep one child of a kind (a pipeline, a stage) must
        keep one: deleting all of them, the parent staying and getting none, is refused here,
        before anything is written, rather than by Pipedrive halfway through an apply."""
        for spec in kinds.KINDS:
            if not spec.keeps_one or not spec.parents:
                continue
            gone = {c.id: c for c in deletes if c.kind == spec.name}
            if not gone:
                continue
            ref = spec.field(spec.parents[0])
            assert ref is not None and ref.ref_kind is not None
            parents_gone = {c.id for c in deletes if c.kind == ref.ref_kind}
            arriving = {c.writes.get(ref.api) for c in writes if c.kind == spec.name}
            children: dict[Any, list[Any]] = {}
            for object_id, obj in self.live.get(spec.name, {}).items():
                children.setdefault(obj.get(ref.api), []).append(object_id)
            for parent_id, ids in children.items():
                if parent_id in parents_gone or parent_id in arriving or not all(i in gone for i in ids):
                    continue
                changes = [gone[i] for i in ids]
                source = next((c.source for c in changes if c.source), None)
                file, _, line = (source or "").rpartition(":")
                pos = Position(file, int(line), 1) if source else Position(
                    str(self.lock.path if self.lock else "reconciler.lock"), 1, 1)
                self.problems.append(Problem(pos, (
                    f"the plan deletes every {spec.name} of {ref.ref_kind} id {parent_id} "
                    f"({', '.join(c.address for c in changes)}) but keeps the {ref.ref_kind}: Pipedrive keeps at "
                    f"least one {spec.name} in a {ref.ref_kind}; keep one, add one, or delete the {ref.ref_kind} too")))

    def _sequence_creates(self, changes: list[Change]) -> None:
        """Creates Pipedrive places last (new stages of a pipeline) run one after another, in the
        order their `create_sequence` field declares, so they end up in that order."""
        sequenced = [c for c in changes if c.action == "create" and kinds.kind(c.kind).create_sequence]
        if not sequenced:
            return
        wanted = {(c.kind, c.key) for c in sequenced}
        resources = {(r.kind, r.key): r for r in self.resources if (r.kind, r.key) in wanted}
        groups: dict[tuple, list[tuple[tuple, Change]]] = {}
        for index, change in enumerate(sequenced):
            by, within = kinds.kind(change.kind).create_sequence  # type: ignore[misc]
            fields = resources[(change.kind, change.key)].fields
            group = fields.get(within) if within else None
            group_key = (change.kind, getattr(group, "key", None), getattr(group, "id", group))
            order = fields.get(by)
            groups.setdefault(group_key, []).append(((order is None, order or 0, index), change))
        for members in groups.values():
            members.sort(key=lambda item: item[0])
            for (_, before), (_, after) in zip(members, members[1:], strict=False):
                if before.address not in after.depends_on:
                    after.depends_on.append(before.address)

    def _compare(self, res: Resource, object_id: Any, how: str | None) -> Change | None:
        spec = kinds.kind(res.kind)
        live = self.live.get(res.kind, {}).get(object_id) if object_id is not None else None
        change = Change("update" if live else "create", res.kind, res.key, object_id, source=_source(res.pos))
        if how == "natural":
            change.adopted = True
            change.reason = "adopted: matched an existing object by its natural key"
        elif how == "merged":
            change.reason = self.ident.followed[(res.kind, res.key)][0].describe() + ": followed, not created again"
        elif live is None and self.lock is not None and self.lock.id_for(res.kind, res.key) is not None:
            change.reason = (f"deleted in Pipedrive (it was id {self.lock.id_for(res.kind, res.key)}), "
                             "will be created again")
        parent = declared_parent(res)
        ignore = res.ignore_changes if res.ignore_changes is not None else self.ignore_defaults.get(res.kind)
        if isinstance(res.ignore_changes, tuple):
            self._check_ignored_names(res, res.ignore_changes)
        prior = None
        if live is not None and self.lock is not None:
            locked_key = res.key if self.lock.id_for(res.kind, res.key) == object_id or how == "merged" else \
                self._lock_key(res.kind, object_id)  # a key renamed (moved:) keeps what was applied
            prior = self.lock.applied.get(res.kind, {}).get(locked_key) if locked_key else None
        state = _FieldState(prior or {}, {}, {})
        field_of = spec.fields_by_name.get  # spec.field, without a call per field (370,000 in a 55k plan)
        for name, value in res.fields.items():
            field_spec = field_of(name)
            if field_spec is None:
                continue
            if getattr(field_spec.type, "members", None) is None:  # the field itself, as most are
                skip = ignored(name, ignore) if ignore else False
                if not (skip and live is not None):  # an ignored field is set on create only
                    self._compare_field(res, name, field_spec, value, live, parent, change, state, skip)
                continue
            for label, member, item in _members(field_spec, value, self.ctx, res.kind):
                if isinstance(member, Exception):
                    self._problem(res, label, f"{label}: {member}")
                    continue
                skip = ignored(label, ignore)
                if skip and live is not None:
                    continue  # set on create, never compared or written afterwards
                self._compare_field(res, label, member, item, live, parent, change, state, skip)
        if state.kept:
            self.kept.append({"kind": res.kind, "key": res.key, "id": object_id, "fields": state.kept})
        spec.hooks.plan_writes(parent, live, change.writes)
        problem, notice = spec.hooks.check(res.fields, live, change.writes)
        if problem and self.report_only:  # git's change is not what a drift report is about
            notice, problem = f"{problem} (plan, without --drift-only, refuses it)", None
        if problem:
            self._problem(res, None, f"{res.kind} {res.key!r} {problem}")
        if notice:
            self.notices.append(f"{res.kind}.{res.key} {notice}")
        if live is not None and change.fields and getattr(spec.hooks, "replaced", None):  # Pipedrive cannot update it
            change.reason = spec.hooks.replaced
        if not change.fields:
            if self.record and live is not None and state.applied != (prior or {}):
                self.applied.setdefault(res.kind, {})[res.key] = state.applied
            return None
        if self.record:
            change.applied = state.applied
        if change.action == "create":
            change.recovery_keys = [list(k) for k in desired_keys(res, self._recovery_ids)]
        return change

    def _lock_key(self, kind: str, object_id: Any) -> str | None:
        """The lock's key for an object, built once (only asked when a resource's own key is not it)."""
        if self._lock_keys is None:
            self._lock_keys = {(k, i): key for k, key, i in self.lock.entries()} if self.lock else {}
        return self._lock_keys.get((kind, object_id))

    def _as_live(self, kind: str, field_spec: FieldSpec) -> FieldSpec:
        """A custom field as the account has it now, to name a live value: an option this plan
        removes or renames keeps its live label (not its raw id, nor its new label)."""
        if not field_spec.container or self.live_schema is self.schema:
            return field_spec
        live_field = self.live_schema.custom_by_key.get(kind, {}).get(field_spec.api)
        return live_field.spec if live_field is not None else field_spec

    def _check_ignored_names(self, res: Resource, ignore: tuple[str, ...]) -> None:
        """Custom field names in ignore_changes must exist in the account (the loader checked the rest)."""
        for label in ignore:
            if label.startswith("fields."):
                try:
                    self.ctx.schema.custom_field(res.kind, label[len("fields."):])
                except UnknownName as exc:
                    self._problem(res, "ignore_changes", f"ignore_changes: {label}: {exc}")

    def _compare_field(self, res: Resource, label: str, field_spec: FieldSpec, value: Any,
                       live: dict | None, parent: str | None, change: Change, state: _FieldState,
                       ignored_field: bool = False) -> None:
        """One declared field (or custom field) against its live value; records what differs,
        which side moved since the last apply (drift, conflict), and what the lock will record."""
        ftype = field_spec.type
        try:
            desired = ftype.to_api_value(field_spec, value, self.ctx, res.fields, live)
        except NormalizeError as exc:
            self._problem(res, label, f"{label}: {exc}")
            return
        moved = None
        current = None
        if live is not None:
            current = (kinds.BY_NAME.get(res.kind) or kinds.kind(res.kind)).hooks.live_value(field_spec, parent, live)
            from_lock = getattr(ftype, "from_lock", None)  # a value Pipedrive never answers (a webhook's password)
            if from_lock is not None:
                current = from_lock(field_spec, desired, state.prior.get(label), digest)
            if ftype.same(field_spec, desired, current):
                # equal now: the value both sides hold is what is applied (a plan only shown
                # hashes nothing; one that apply or pull records refreshes it: docs/state.md)
                if self.record:
                    state.applied[label] = digest(field_spec, desired)
                return
            shown = getattr(ftype, "live_as_compared", None)  # followers: beside the owner the manifests give
            before = ftype.from_api_value(self._as_live(res.kind, field_spec),
                                          shown(desired, current) if shown is not None else current, self.ctx)
            recorded = state.prior.get(label)
            seen = as_recorded(desired, self.lock.id_for) if self.lock is not None else desired
            moved = classify(field_spec, seen, current, recorded) if recorded is not None and from_lock is None \
                else None
            if moved is not None and self.on_drift == "keep":
                state.kept[label] = {"before": before, "after": _manifest_value(value), moved: True}
                state.applied[label] = recorded  # still what was last applied: it stays drift
                return
            if moved is not None and self.on_drift == "fail":
                self._problem(res, label, f"{res.kind} {res.key!r} field {label}: "
                              + ("changed in Pipedrive since the last apply (drift)" if moved == "drift" else
                                 "changed in Pipedrive and in the manifests since the last apply (conflict)")
                              + "; --on-drift fail refuses to plan (pull the change, or plan with "
                                "--on-drift overwrite or keep)")
                return
        else:
            if desired is None:
                if not ignored_field and self.record:
                    state.applied[label] = digest(field_spec, None)
                return
            before = None
        if not ignored_field and self.record:
            state.applied[label] = Deferred(desired) if has_placeholder(desired) else digest(field_spec, desired)
        after = _manifest_value(value)
        change.fields[label] = {"before": before, "after": after}
        if moved is not None:
            change.fields[label][moved] = True
        in_live_names = getattr(ftype, "in_live_names", None)  # a user's old email: the address Pipedrive shows
        detail = change_detail(before, in_live_names(after, self.ctx) if in_live_names is not None else after)
        if detail:
            change.fields[label]["detail"] = detail
        written = ftype.attached_ops(field_spec, desired, current if live is not None else None) \
            if ftype.attached else desired
        if field_spec.container:
            change.writes.setdefault(field_spec.container, {})[field_spec.api] = written
        else:
            change.writes[field_spec.api] = written
        for placeholder in placeholders_in({field_spec.api: desired}):
            if placeholder.address not in change.depends_on:
                change.depends_on.append(placeholder.address)


@dataclass
class _FieldState:
    """One resource's three-way bookkeeping while its fields are compared."""

    prior: dict[str, str]  # the lock's digests of what was last applied
    applied: dict[str, Any]  # what the lock will record after this plan is applied
    kept: dict[str, dict[str, Any]]  # drift left as Pipedrive has it (--on-drift keep)


def _members(field_spec: FieldSpec, value: Any, ctx: Context, kind: str):
    """A declared field's comparable parts: itself, or each custom field of a `fields:` mapping."""
    members = getattr(field_spec.type, "members", None)
    if members is None:
        return [(field_spec.name, field_spec, value)]
    return members(field_spec, value, ctx, kind)


def _followed_entry(res: Resource, became: Any, owner: str | None) -> dict:
    """What the plan says of a resource whose object Pipedrive merged or converted (merges.Followed)."""
    return {"kind": res.kind, "key": res.key, "how": became.how, "from": became.old_id, "into": became.new_id,
            "into_kind": became.new_kind, "into_key": owner}


def _source(pos: Position) -> str:
    return f"{pos.file}:{pos.line}"


def build_plan(
    resources: list[Resource],
    live: dict[str, dict[Any, dict]],
    ident: Identity,
    schema: AccountSchema,
    lock: LockFile | None,
    max_deletes: int | None = None,
    orphaned: dict[tuple[str, Any], list[str]] | None = None,
    problems: list[Problem] | None = None,
    *,
    on_drift: str = "overwrite",
    ignore_changes: dict[str, tuple[str, ...] | str] | None = None,
    record: bool = True,
    passes: Sequence[PlanPass] = (),
    report_only: bool = False,
    **about: Any,
) -> Plan:
    """The plan for these resources against this live state, whole and frozen when returned.

    `about` is what the run knows of itself (account, stats, lock_file, created_at,
    warnings), recorded in the plan as it is made. `on_drift` says what to do with fields
    changed in Pipedrive since the last apply; `ignore_changes` is each kind's default.
    `passes` finish the plan in order before it is frozen: what needs the plan's changes
    to be known (options live records use, who changed a drifted field, a drift-only report).
    `report_only` (plan --drift-only) turns a kind's refusal of what git asks into a warning: a
    report of what changed in Pipedrive must not be blinded by a change in git nobody applies.
    """
    planner = Planner(resources, live, ident, schema, lock, on_drift=on_drift, ignore_changes=ignore_changes,
                      record=record)
    planner.report_only = report_only
    planner.orphaned = dict(orphaned or {})
    planner.problems.extend(problems or [])  # found while reading: reported with the planner's, at once
    plan = planner.build(max_deletes, **about)
    for finish in passes:
        finish(plan)
    return plan.freeze()
