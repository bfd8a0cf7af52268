"""The change history Pipedrive keeps for deals, persons and organizations (v1 only).

Official description (npm `pipedrive` 33.x, v1 DealsApi.getDealChangelog, PersonsApi and
OrganizationsApi likewise): `GET /api/v1/{deals|persons|organizations}/{id}/changelog`,
cursor-paged (`cursor`, `limit`), answering `GetChangelogResponse`: per change the
`field_key`, `old_value` and `new_value` (strings or null), `actor_user_id`, `time`,
`change_source`, `change_source_user_agent` and `is_bulk_update_flag`. It has no v2
equivalent (v2 has only the followers' changelog).

Every update of one of these objects records one entry per field whose stored value
changed, made by the request's user: the API user (Alice), or the user a request names
in the sandbox-only `X-Sandbox-User` header (id or email), so that tests can show a change
made by someone else ("Bob moved the deal"). Entries are stored as documents of kind
`changelog`, indexed by the object they belong to; the newest come first.
"""

from __future__ import annotations

import json
from typing import Any

from ..store import now_iso
from .base import Ctx, Router, decode_cursor, encode_cursor
from .errors import bad_request

KINDS = {"deals": "deal", "persons": "person", "organizations": "organization"}
PARENT_COLUMN = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}
# stored keys that change on every write or are the store's own: never an entry
_SKIP = frozenset({"update_time", "add_time", "id", "is_deleted", "last_update_user_id", "seq"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


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


_PUBLIC = ("field_key", "old_value", "new_value", "actor_user_id", "time", "change_source",
           "change_source_user_agent", "is_bulk_update_flag")


def register(router: Router) -> None:
    for path, kind in KINDS.items():
        router.add(f"/api/v1/{path}/{{id}}/changelog", GET=_list(kind))


def _list(kind: str):
    def handler(ctx: Ctx) -> tuple[int, Any]:
        object_id = ctx.id()
        ctx.company.find(kind, object_id, deleted_ok=True)
        limit = ctx.query.int("limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
        limit = min(limit, MAX_LIMIT)
        cursor = decode_cursor(ctx.query.get("cursor"))
        sql: list[tuple[str, list[Any]]] = []
        if cursor is not None:
            if not isinstance(cursor.get("before"), int):
                raise bad_request("Invalid cursor")
            sql.append(("id < ?", [cursor["before"]]))
        rows = ctx.company.store.select(ctx.company.id, "changelog",
                                        where={PARENT_COLUMN[kind]: object_id, "category": kind},
                                        sql=sql, order=(("id", "DESC"),), limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor({"before": rows[-1]["id"]})
        data = [{name: row.get(name) for name in _PUBLIC} for row in rows]
        return 200, {"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}}

    return handler
