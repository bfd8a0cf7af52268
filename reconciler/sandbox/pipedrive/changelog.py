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

from typing import Any

from .base import Ctx, Router, decode_cursor, encode_cursor
from .errors import bad_request
from .history import PARENT_COLUMN

KINDS = {"deals": "deal", "persons": "person", "organizations": "organization"}
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


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
