"""Three-way state: what was last applied, per declared field, against the manifests and Pipedrive.

The lock records, for every managed resource, a short digest of each declared field's value
as apply last wrote it (or found it equal), like kubectl's last-applied configuration. With
it a plan tells, for a field whose desired and live values differ, which side moved since:

- only the manifests: an ordinary change;
- only Pipedrive: **drift** (someone edited the object in Pipedrive);
- both: a **conflict**.

A field with no digest (never applied, or a lock written before this existed) is never
drift: the manifests win, as they always did. Digests are taken over the field type's
`comparable()` form (reconciler/fieldtypes/), so two values the type calls the same
digest the same, and a value that holds the id of an object the plan creates is digested by
apply once the id is known (`Deferred`).

A field whose desired and live values are equal is recorded, by a plan that will be recorded
(apply, plan --out, pull, export), with the digest of that value: the record follows what both
sides hold, so after a pull, an export or a no-change apply the next change in Pipedrive is
drift (docs/state.md). A plan that is only shown hashes only the fields that differ.

What a plan does with drift is the run's policy (`--on-drift`): overwrite it (the default,
today's behaviour, now visible), keep it (leave Pipedrive's value, report it), or fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.config import ON_DRIFT  # noqa: F401  (what --on-drift takes; re-exported)
from reconciler.fieldtypes import FieldSpec
from reconciler.normalize import Placeholder

if TYPE_CHECKING:
    from collections.abc import Callable

    from reconciler.pipedrive.client import PipedriveClient
    from reconciler.plan import Plan
    from reconciler.vocabulary import AccountSchema

DIGEST_BYTES = 4  # 8 hex characters: a missed drift needs a 1 in 4 billion collision


@dataclass(frozen=True)
class Deferred:
    """A desired value holding ids only apply will know: digested after the create."""

    value: Any


def digest(spec: FieldSpec, value: Any, like: Any = None) -> str:
    """The short digest of a canonical value (desired or live) of one field."""
    form = spec.type.comparable(spec, value, like)
    return hashlib.blake2b(repr(form).encode(), digest_size=DIGEST_BYTES).hexdigest()


def has_placeholder(value: Any) -> bool:
    if isinstance(value, Placeholder):
        return True
    if isinstance(value, dict):
        return any(has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(has_placeholder(v) for v in value)
    return False


def classify(spec: FieldSpec, desired: Any, current: Any, recorded: str | None) -> str | None:
    """For a field whose desired and live values differ: "drift", "conflict" or None (a
    change made in the manifests, or a field never applied)."""
    if recorded is None:
        return None
    # the live value seen through what the manifests declare now, and as itself: the record was
    # taken with the shape the manifests had then (a product line since removed, a monetary
    # amount declared with its currency then), so either one matching means Pipedrive did not move
    shapes = [desired, None, *spec.type.other_shapes(spec, desired)]
    live_moved = all(digest(spec, current, like) != recorded for like in shapes)
    if not live_moved:
        return None
    if has_placeholder(desired):
        return "conflict"  # the manifests now name an object this plan creates
    return "conflict" if digest(spec, desired) != recorded else "drift"


def as_recorded(desired: Any, id_for: Callable[[str, str], Any]) -> Any:
    """A reference to an object this plan creates again, seen as the id the lock still holds
    for its key: the manifests naming the same key as at the last apply did not move."""
    if isinstance(desired, Placeholder) and not desired.part:
        kind, _, key = desired.address.partition(".")
        old = id_for(kind, key)
        return desired if old is None else old
    return desired


def ignored(label: str, ignore: tuple[str, ...] | str | None) -> bool:
    """Whether a field label (`stage`, `fields.Lead source`) is under ignore_changes."""
    if not ignore:
        return False
    if ignore == "all":
        return True
    return label in ignore or (label.startswith("fields.") and "fields" in ignore)


def field_spec(kind: str, label: str, schema: AccountSchema | None) -> FieldSpec | None:
    """The FieldSpec behind a plan's field label (`stage`, `fields.Region`), or None."""
    from reconciler import kinds

    if label.startswith("fields."):
        if schema is None:
            return None
        try:
            return schema.custom_field(kind, label[len("fields."):]).spec
        except Exception:  # an unknown name: no digest, so never drift
            return None
    return kinds.kind(kind).field(label)


def settle(kind: str, applied: dict[str, Any], resolve: Any, schema: Any) -> dict[str, str]:
    """A change's digests once it is made: Deferred values digested with their ids resolved."""
    out: dict[str, str] = {}
    for label, value in applied.items():
        if not isinstance(value, Deferred):
            out[label] = value
            continue
        spec = field_spec(kind, label, schema)
        if spec is not None:
            out[label] = digest(spec, resolve(value.value))
    return out


# -- who and when ---------------------------------------------------------------------------

AUTO_MAX_CALLS = 3  # drift details cost at most this many calls, or...
AUTO_MAX_SHARE = 0.10  # ...this share of the tokens the plan spent reading, unless asked for


def _when(text: Any) -> str | None:
    """"2026-11-30 10:12:33" or "2026-11-30T10:12:33Z" → "2026-11-30 10:12 UTC"."""
    if not text:
        return None
    value = str(text).replace("T", " ").removesuffix("Z")
    return f"{value[:16]} UTC"


def _drifted(plan: Plan) -> dict[tuple[str, Any], list[dict[str, Any]]]:
    """(kind, id) → the field entries (label, diff) marked drift or conflict."""
    out: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    entries = [(c.kind, c.id, c.fields) for c in plan.changes] + [(k["kind"], k["id"], k["fields"]) for k in plan.kept]
    for kind, object_id, fields in entries:
        for label, diff in fields.items():
            if diff.get("drift") or diff.get("conflict"):
                out.setdefault((kind, object_id), []).append({"label": label, "diff": diff})
    return out


def attribute(client: PipedriveClient, plan: Plan, live: dict[str, dict[Any, dict]], schema: AccountSchema,
              wanted: bool | None) -> None:
    """Say who changed each drifted field and when (`changed_by`, `changed_at` on its entry).

    From the change history Pipedrive keeps for deals, persons and organizations (one call
    per drifted object, priced as a v1 list); else the object's `update_time`. `wanted` None
    fetches the history only when it costs little (AUTO_MAX_CALLS, AUTO_MAX_SHARE of the
    plan's tokens), and says so otherwise. The calls are counted in the plan's stats.
    """
    from reconciler.pipedrive.client import CHANGELOG_KINDS
    from reconciler.pipedrive.costs import token_cost

    drifted = _drifted(plan)
    if not drifted:
        return
    with_history = [(kind, object_id) for kind, object_id in drifted if kind in CHANGELOG_KINDS]
    cost = sum(token_cost("GET", f"/api/v1/{kind}s/{object_id}/changelog") for kind, object_id in with_history)
    fetch = wanted
    if fetch is None:
        fetch = len(with_history) <= AUTO_MAX_CALLS or cost <= AUTO_MAX_SHARE * plan.stats.get("tokens", 0)
        if not fetch:
            plan.warnings.append(
                f"who changed the {len(with_history)} drifted objects was not looked up (it would cost "
                f"{len(with_history)} calls, {cost} tokens): pass --drift-details to fetch it")
    for (kind, object_id), items in drifted.items():
        history = client.changelog(kind, object_id) if fetch and kind in CHANGELOG_KINDS else []
        obj = live.get(kind, {}).get(object_id) or {}
        for item in items:
            entry = _latest(kind, item["label"], history, schema)
            diff = item["diff"]
            if entry is not None:
                who = schema.names_by_user.get(entry.get("actor_user_id"))
                if who is None and entry.get("actor_user_id") is not None:
                    who = f"user {entry['actor_user_id']}"
                if who:
                    diff["changed_by"] = who
                diff["changed_at"] = _when(entry.get("time"))
            elif obj.get("update_time"):
                diff["changed_at"] = _when(obj["update_time"])  # the object's last change, whoever made it
    plan.stats = client.stats.as_dict()


def _latest(kind: str, label: str, history: list[dict], schema: AccountSchema) -> dict | None:
    """The newest history entry about this field (by its v2 or v1 name, or its hash)."""
    spec = field_spec(kind, label, schema)
    if spec is None or not history:
        return None
    names = {spec.api, spec.v1_api} - {None}
    found = [e for e in history if e.get("field_key") in names]
    return max(found, key=lambda e: str(e.get("time") or "")) if found else None


def drift_only(plan: Plan) -> None:
    """Keep only what changed in Pipedrive (plan --drift-only, like a refresh-only plan): drifted
    and conflicting fields, and objects deleted in Pipedrive; nothing of it is ever applied."""
    kept_changes = []
    for change in plan.changes:
        if change.action == "create" and (change.reason or "").startswith("deleted in Pipedrive"):
            kept_changes.append(change)
            continue
        fields = {k: v for k, v in change.fields.items() if v.get("drift") or v.get("conflict")}
        if fields and change.action == "update":
            change.fields = fields
            change.writes = {}
            change.applied = {}
            kept_changes.append(change)
    plan.changes = kept_changes
    plan.adopt = []
    plan.moved = []  # the manifests' own renames of keys, not changes made in Pipedrive
    plan.applied = {}
    plan.drift_only = True
