"""API v2 followers of deals, persons and organizations (``/api/v2/{collection}/{id}/followers``).

Routes and shapes from the official client (npm ``pipedrive`` 33.x, ``DealsApi``, ``PersonsApi``,
``OrganizationsApi``): list a record's followers (``GetFollowersResponse``: ``data`` a list of
``FollowerItem`` {user_id, add_time}, cursor paging), add one (``AddDealFollowerRequest`` {user_id},
answered with ``AddFollowerResponse``: one ``FollowerItem``), delete one by the following user's id
(``DeleteFollowerResponse``: ``data`` {user_id}). A GET of the record with
``include_fields=followers_count`` counts them (v2.py).

Rules the sandbox keeps: the user must be an active user of the company; the record must exist
(a 404 otherwise); a user already following is a 400, and deleting a user who does not follow is
a 404. Pipedrive makes a record's owner follow it, on create and when the owner changes
(following.py, called by the model); a previous owner keeps following.

Stored as ``follower`` documents: ``category`` the parent's kind, the parent's id under its
reference column (deal_id, person_id, org_id), the user under ``user_id``.
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, keyset_page, v2_limit
from .errors import bad_request, not_found
from .following import PARENT_COLUMN, follow, following
from .v2 import ok

COLLECTIONS = {"deals": "deal", "persons": "person", "organizations": "organization"}


def follower_v2(record: dict[str, Any]) -> dict[str, Any]:
    """One FollowerItem as the official model has it."""
    return {"user_id": record["user_id"], "add_time": record["add_time"]}


def register(router: Router) -> None:
    for collection, kind in COLLECTIONS.items():
        _register(router, collection, kind)


def _register(router: Router, collection: str, kind: str) -> None:
    def parent(ctx: Ctx) -> dict[str, Any]:
        return ctx.company.find(kind, ctx.id())

    def listed(ctx: Ctx) -> tuple[int, Any]:
        record = parent(ctx)
        rows, cursor = keyset_page(ctx, "follower", where={"category": kind, PARENT_COLUMN[kind]: record["id"]},
                                   deleted=False, sql=[], sort_by="id", direction="ASC", limit=v2_limit(ctx))
        return 200, ok([follower_v2(r) for r in rows], cursor, listing=True)

    def add(ctx: Ctx) -> tuple[int, Any]:
        record = parent(ctx)
        body = ctx.only(("user_id",))
        user_id = body.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise bad_request("Parameter 'user_id' must be an integer" if user_id is not None
                              else "Parameter 'user_id' is required")
        ctx.company.require_user(user_id)
        made = follow(ctx.company, kind, record["id"], user_id)
        if made is None:
            raise bad_request(f"User with id {user_id} is already following this {kind}")
        return 200, ok(follower_v2(made))

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = parent(ctx)
        user_id = ctx.id("follower_id")
        found = next((f for f in following(ctx.company, kind, record["id"]) if f["user_id"] == user_id), None)
        if found is None:
            raise not_found(f"User with id {user_id} is not following this {kind}")
        found["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, "follower", found)
        return 200, {"success": True, "data": {"user_id": user_id}}

    router.add(f"/api/v2/{collection}/{{id}}/followers", get=listed, post=add)
    router.add(f"/api/v2/{collection}/{{id}}/followers/{{follower_id}}", delete=delete)
