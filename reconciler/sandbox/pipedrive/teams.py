"""``/api/v1/legacyTeams``: the account's teams, which goals are assigned to (``assignee.type: team``).

Shapes from the official client (npm ``pipedrive`` 33.x, v1 ``LegacyTeamsApi``, every operation
marked deprecated but still in the current client and with no replacement: Pipedrive moved its
teams from ``/v1/teams`` to ``/v1/legacyTeams`` for an upgraded Teams API not yet published).
``GET /legacyTeams`` answers ``GetTeamsResponse`` (``data``: ``BaseTeam`` items), ``GET`` and
``PUT /legacyTeams/{id}`` and ``POST /legacyTeams`` answer ``GetTeamResponse`` (``data``: one
``BaseTeam``). A ``BaseTeam`` is ``id``, ``name``, ``description``, ``manager_id``, ``users`` (member
ids, left out with ``skip_users=1``), ``active_flag`` and ``deleted_flag`` (the numbers 0 or 1, as
``UpdateTeamRequestAllOf`` types them), ``add_time`` (``YYYY-MM-DD HH:MM:SS``) and
``created_by_user_id``. A create takes ``AddTeamRequest1`` (``name`` and ``manager_id`` required),
an update ``UpdateTeamRequest`` (every key optional). The default company's teams are
docs/sandbox-company.md's.
"""

from __future__ import annotations

from typing import Any

from ..store import now_iso
from .base import Ctx, Router
from .errors import bad_request, not_found
from .model import to_int, to_str
from .util import v1_time

ORDER_BY = ("id", "name", "manager_id", "active_flag")  # the official getTeams order_by values
FLAGS = (0, 1)  # UpdateTeamRequestAllOfActiveFlagConst, ...DeletedFlagConst


def team_v1(record: dict[str, Any], skip_users: bool = False) -> dict[str, Any]:
    """One BaseTeam as the official model has it."""
    out = {
        "id": record["id"],
        "name": record["name"],
        "description": record.get("description") or "",
        "manager_id": record["manager_id"],
        "users": list(record.get("users") or []),
        "active_flag": 1 if record.get("active_flag", 1) else 0,
        "deleted_flag": 1 if record.get("deleted_flag") else 0,
        "add_time": v1_time(record["add_time"]),
        "created_by_user_id": record["created_by_user_id"],
    }
    if skip_users:
        del out["users"]
    return out


def _user(ctx: Ctx, value: Any, name: str) -> int:
    user_id = to_int(value, name, False)
    if ctx.company.store.get(ctx.company.id, "user", user_id) is None:
        raise bad_request(f"User {user_id} not found")
    return user_id


def _checked(ctx: Ctx, body: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The team a body leaves, or a 400 naming the wrong parameter."""
    if "name" in body:
        name = to_str(body["name"], "name", False).strip() if body["name"] is not None else ""
        if not name:
            raise bad_request("Parameter 'name' is required")
        record["name"] = name
    if "description" in body:
        record["description"] = "" if body["description"] is None else to_str(body["description"], "description",
                                                                                 False)
    if "manager_id" in body:
        record["manager_id"] = _user(ctx, body["manager_id"], "manager_id")
    if "users" in body:
        if not isinstance(body["users"], list):
            raise bad_request("Parameter 'users' must be an array of user ids")
        record["users"] = sorted({_user(ctx, u, "users") for u in body["users"]})
    for flag in ("active_flag", "deleted_flag"):
        if flag in body:
            if body[flag] not in FLAGS or isinstance(body[flag], bool):
                raise bad_request(f"Parameter '{flag}' must be 0 or 1")
            record[flag] = body[flag]
    return record


def register(router: Router) -> None:
    def _skip_users(ctx: Ctx) -> bool:
        value = str(ctx.query.get("skip_users") or "0")
        if value not in ("0", "1"):
            raise bad_request("Parameter 'skip_users' must be 0 or 1")
        return value == "1"

    def _one(ctx: Ctx) -> dict[str, Any]:
        found = ctx.company.store.get(ctx.company.id, "team", ctx.id())
        if found is None:
            raise not_found("Team not found")
        return found

    def list_teams(ctx: Ctx) -> tuple[int, Any]:
        order_by = str(ctx.query.get("order_by") or "id")
        if order_by not in ORDER_BY:
            raise bad_request(f"Parameter 'order_by' must be one of: {', '.join(ORDER_BY)}")
        skip = _skip_users(ctx)
        teams = sorted(ctx.company.store.select(ctx.company.id, "team"),
                       key=lambda t: (t.get(order_by) if order_by != "name" else str(t["name"]).lower(), t["id"]))
        return 200, {"success": True, "data": [team_v1(t, skip) for t in teams]}

    def get_team(ctx: Ctx) -> tuple[int, Any]:
        return 200, {"success": True, "data": team_v1(_one(ctx), _skip_users(ctx))}

    def post(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "manager_id", "description", "users"))
        for required in ("name", "manager_id"):
            if body.get(required) is None:
                raise bad_request(f"Parameter '{required}' is required")
        record = _checked(ctx, body, {"description": "", "users": [], "active_flag": 1, "deleted_flag": 0,
                                      "created_by_user_id": ctx.company.api_user_id})
        record = ctx.company.store.insert(ctx.company.id, "team", record)
        return 200, {"success": True, "data": team_v1(record)}

    def put(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(("name", "description", "manager_id", "users", "active_flag", "deleted_flag"))
        record = _checked(ctx, body, _one(ctx))
        record["update_time"] = now_iso()
        ctx.company.store.put(ctx.company.id, "team", record)
        return 200, {"success": True, "data": team_v1(record)}

    router.add("/api/v1/legacyTeams", get=list_teams, post=post)
    router.add("/api/v1/legacyTeams/{id}", get=get_team, put=put)
