"""Three-way state: what was last applied, per declared field, against the manifests and Pipedrive.

The lock records, for every managed resource, a short digest of each declared field's value
as apply last wrote it (or found it equal), like kubectl's last-applied configuration. With
it a plan tells, for a field whose desired and live values differ, which side moved since:

- only the manifests: an ordinary change;
- only Pipedrive: **drift** (someone edited the object in Pipedrive);
- both: a **conflict**.

A field with no digest (never applied, or a lock written before this existed) is never
drift: the manifests win, as they always did. Digests are taken over the field type's
`comparable()` form (reconciler/fieldtypes.py), so two values the type calls the same
digest the same, and a value that holds the id of an object the plan creates is digested by
apply once the id is known (`Deferred`).

What a plan does with drift is the run's policy (`--on-drift`): overwrite it (the default,
today's behaviour, now visible), keep it (leave Pipedrive's value, report it), or fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from reconciler.fieldtypes import FieldSpec
from reconciler.normalize import Placeholder

ON_DRIFT = ("overwrite", "keep", "fail")
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
    live_moved = digest(spec, current, desired) != recorded
    if not live_moved:
        return None
    if has_placeholder(desired):
        return "conflict"  # the manifests now name an object this plan creates
    return "conflict" if digest(spec, desired) != recorded else "drift"


def ignored(label: str, ignore: tuple[str, ...] | str | None) -> bool:
    """Whether a field label (`stage`, `fields.Lead source`) is under ignore_changes."""
    if not ignore:
        return False
    if ignore == "all":
        return True
    return label in ignore or (label.startswith("fields.") and "fields" in ignore)


def drift_fields(plan: Any) -> list[str]:
    """`deal.acme stage (drift)`… for every drifted or conflicting field of a plan."""
    out = []
    for entry in [*plan.changes, *plan.kept]:
        fields = entry.fields if hasattr(entry, "fields") else entry["fields"]
        kind, key = (entry.kind, entry.key) if hasattr(entry, "kind") else (entry["kind"], entry["key"])
        for label, diff in fields.items():
            state = "conflict" if diff.get("conflict") else "drift" if diff.get("drift") else None
            if state:
                out.append(f"{kind}.{key} {label} ({state})")
    return out


def field_spec(kind: str, label: str, schema: Any) -> FieldSpec | None:
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
