"""Recording the change history of deals, persons and organizations (served by changelog.py).

Every update of one of these objects records one entry per field whose stored value
changed, made by the request's user (the company's `api_user_id` for this request).
Kept apart from the routes so that the model can record without importing them.
"""

from __future__ import annotations

import json
from typing import Any

from ..store import now_iso

PARENT_COLUMN = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}
# stored keys that change on every write or are the store's own: never an entry
_SKIP = frozenset({"update_time", "add_time", "id", "is_deleted", "last_update_user_id", "seq"})


def _text(value: Any) -> str | None:
    """A value as the changelog shows it: text, or null."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def record_changes(company: Any, kind: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """One entry per field whose value an update changed (deals, persons and organizations)."""
    column = PARENT_COLUMN.get(kind)
    if column is None:
        return
    changed: list[tuple[str, Any, Any]] = []
    for key in sorted(set(before) | set(after)):
        if key in _SKIP or key == "custom_fields":
            continue
        if before.get(key) != after.get(key):
            changed.append((key, before.get(key), after.get(key)))
    old_custom, new_custom = before.get("custom_fields") or {}, after.get("custom_fields") or {}
    for key in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(key) != new_custom.get(key):
            changed.append((key, old_custom.get(key), new_custom.get(key)))
    if not changed:
        return
    stamp = now_iso()
    when = stamp.replace("T", " ").removesuffix("Z")
    for key, old, new in changed:
        entry = {
            "field_key": key,
            "old_value": _text(old),
            "new_value": _text(new),
            "actor_user_id": company.api_user_id,
            "time": when,
            "change_source": "api",
            "change_source_user_agent": None,
            "is_bulk_update_flag": False,
            "category": kind,
            column: after["id"],
            "add_time": stamp,
            "update_time": stamp,
        }
        company.store.insert(company.id, "changelog", entry)


