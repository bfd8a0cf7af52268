"""``/api/v1/goals``: goals (sales targets) as the official client has them.

Shapes from npm ``pipedrive`` 33.x, v1 ``GoalsApi``: ``GET /goals/find`` (its filters; an
``assignee.type`` or a ``type.name`` returns everyone's goals, without them only the caller's),
``POST /goals`` (``AddGoalRequest``: assignee, type, expected_outcome, duration and interval
required, title optional), ``PUT /goals/{id}`` (``BasicGoalRequest``, every key optional) and
``DELETE /goals/{id}`` (``DeleteGoalResponse``). Answers carry ``Goal``: a string id, the
assignee ``{id, type}``, type ``{name, params}``, expected outcome, duration and interval. A
deleted goal is inactive: ``find`` answers active goals unless ``is_active=false`` (the official
default is true). Query parameters have dotted names (``assignee.type``, ``type.name``), as the
client sends them. Ids are 32 hexadecimal characters.

A deals_progressed goal's stage: the request models' description of ``type`` says ``params`` can
include ``stage_id``, "related to only deals_progressed type of goals", and ``find`` filters on
``type.params.stage_id``; the answer model ``GoalTypeParams`` names only ``pipeline_id`` and
``activity_type_id``, so the stage is answered on deals_progressed goals only (an allow-listed
difference, tests/conformance/allowlist.py). A team assignee must be one of the account's teams
(``/api/v1/legacyTeams``, teams.py).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .base import Ctx, Router
from .errors import bad_request, not_found

TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started",
         "revenue_forecast")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
ASSIGNEES = ("person", "company", "team")
METRICS = ("quantity", "sum")
FIELDS = ("title", "assignee", "type", "expected_outcome", "duration", "interval")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
GOAL_ID = re.compile(r"^[0-9a-f]{32}$")


def goal_v1(record: dict[str, Any]) -> dict[str, Any]:
    """One Goal as the official model has it."""
    return {key: record[key] for key in ("id", "owner_id", "title", "type", "assignee", "interval", "duration",
                                          "expected_outcome", "is_active", "report_ids")}


def _ids(value: Any, name: str) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise bad_request(f"Parameter 'type.params.{name}' must be an array of integers")
    return value


def _stage(ctx: Ctx, value: Any, pipeline_ids: list[int] | None) -> int:
    """A deals_progressed goal's stage: a stage of one of the goal's pipelines (any, when it tracks all)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("Parameter 'type.params.stage_id' must be an integer")
    stage = ctx.company.store.get(ctx.company.id, "stage", value)
    if stage is None or stage.get("is_deleted"):
        raise bad_request(f"Stage {value} not found")
    if pipeline_ids is not None and stage["pipeline_id"] not in pipeline_ids:
        raise bad_request(f"Stage {value} is not in the goal's pipelines (type.params.pipeline_id)")
    return value


def _checked(ctx: Ctx, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """The goal a body leaves (a new one when old is None), or a 400 naming the wrong parameter."""
    out = dict(old or {})
    if "title" in body:
        if body["title"] is not None and not isinstance(body["title"], str):
            raise bad_request("Parameter 'title' must be a string")
        out["title"] = body["title"] or ""
    if "assignee" in body:
        assignee = body["assignee"]
        if not isinstance(assignee, dict) or assignee.get("type") not in ASSIGNEES:
            raise bad_request(f"Parameter 'assignee.type' must be one of: {', '.join(ASSIGNEES)}")
        try:
            assignee_id = int(assignee.get("id"))
        except (TypeError, ValueError):
            raise bad_request("Parameter 'assignee.id' must be an integer") from None
        if assignee["type"] == "person" and ctx.company.store.get(ctx.company.id, "user", assignee_id) is None:
            raise bad_request(f"User {assignee_id} not found")
        if assignee["type"] == "team" and ctx.company.store.get(ctx.company.id, "team", assignee_id) is None:
            raise bad_request(f"Team {assignee_id} not found")
        out["assignee"] = {"id": assignee_id, "type": assignee["type"]}
    if "type" in body:
        goal_type = body["type"]
        if not isinstance(goal_type, dict) or goal_type.get("name") not in TYPES:
            raise bad_request(f"Parameter 'type.name' must be one of: {', '.join(TYPES)}")
        params = goal_type.get("params") or {}
        if not isinstance(params, dict):
            raise bad_request("Parameter 'type.params' must be an object")
        kept = {"pipeline_id": _ids(params.get("pipeline_id"), "pipeline_id")}
        for pipeline_id in kept["pipeline_id"] or []:
            if ctx.company.store.get(ctx.company.id, "pipeline", pipeline_id) is None:
                raise bad_request(f"Pipeline {pipeline_id} not found")
        kept["activity_type_id"] = None  # every answer names both params (GoalTypeParams)
        if goal_type["name"] in ("activities_completed", "activities_added"):
            kept["activity_type_id"] = _ids(params.get("activity_type_id"), "activity_type_id")
            for type_id in kept["activity_type_id"] or []:
                if ctx.company.store.get(ctx.company.id, "activity_type", type_id) is None:
                    raise bad_request(f"Activity type {type_id} not found")
        elif params.get("activity_type_id") is not None:
            raise bad_request("Parameter 'type.params.activity_type_id' applies only to activities_completed "
                              "and activities_added goals")
        if goal_type["name"] == "deals_progressed" and params.get("stage_id") is not None:
            kept["stage_id"] = _stage(ctx, params["stage_id"], kept["pipeline_id"])
        elif params.get("stage_id") is not None:
            raise bad_request("Parameter 'type.params.stage_id' applies only to deals_progressed goals")
        out["type"] = {"name": goal_type["name"], "params": kept}
    if "expected_outcome" in body:
        outcome = body["expected_outcome"]
        if not isinstance(outcome, dict) or outcome.get("tracking_metric") not in METRICS:
            raise bad_request(f"Parameter 'expected_outcome.tracking_metric' must be one of: {', '.join(METRICS)}")
        try:
            target = float(outcome.get("target"))
        except (TypeError, ValueError):
            raise bad_request("Parameter 'expected_outcome.target' must be a number") from None
        kept = {"target": int(target) if target.is_integer() else target,
                "tracking_metric": outcome["tracking_metric"]}
        if outcome["tracking_metric"] == "sum":
            currency = outcome.get("currency_id")
            if not isinstance(currency, int):
                raise bad_request("Parameter 'expected_outcome.currency_id' is required for sum goals")
            kept["currency_id"] = currency
        elif outcome.get("currency_id") is not None:
            raise bad_request("Parameter 'expected_outcome.currency_id' applies only to sum goals")
        out["expected_outcome"] = kept
    if "duration" in body:
        duration = body["duration"]
        if not isinstance(duration, dict) or not DATE.match(str(duration.get("start"))):
            raise bad_request("Parameter 'duration.start' must be a date (YYYY-MM-DD)")
        end = duration.get("end")
        if end is not None and (not DATE.match(str(end)) or end < duration["start"]):
            raise bad_request("Parameter 'duration.end' must be a date (YYYY-MM-DD) after the start, or null")
        out["duration"] = {"start": duration["start"], "end": end}
    if "interval" in body:
        if body["interval"] not in INTERVALS:
            raise bad_request(f"Parameter 'interval' must be one of: {', '.join(INTERVALS)}")
        out["interval"] = body["interval"]
    missing = [name for name in FIELDS if name != "title" and name not in out]
    if missing:
        raise bad_request(f"Parameter '{missing[0]}' is required")
    return out


def register(router: Router) -> None:
    def _one(ctx: Ctx) -> dict[str, Any]:
        goal_id = ctx.params["id"].lower()
        found = ctx.company.store.get(ctx.company.id, "goal", goal_id) if GOAL_ID.match(goal_id) else None
        if found is None or not found.get("is_active"):
            raise not_found("Goal not found")
        return found

    def find(ctx: Ctx) -> tuple[int, Any]:
        query = ctx.query  # dotted names, as the official client sends them (`assignee.type`)
        active = str(query.get("is_active") or "true").lower() != "false"  # official default: true
        goals = [g for g in ctx.company.store.select(ctx.company.id, "goal") if bool(g.get("is_active")) == active]
        everyone = any(query.get(name) for name in ("type.name", "assignee.type", "expected_outcome.target",
                                                     "expected_outcome.tracking_metric",
                                                     "expected_outcome.currency_id", "type.params.pipeline_id",
                                                     "type.params.stage_id", "type.params.activity_type_id"))
        if query.get("assignee.id"):
            goals = [g for g in goals if str(g["assignee"]["id"]) == str(query.get("assignee.id"))]
        elif not everyone:
            goals = [g for g in goals if g["assignee"] == {"id": ctx.company.api_user_id, "type": "person"}]
        if query.get("assignee.type"):
            goals = [g for g in goals if g["assignee"]["type"] == query.get("assignee.type")]
        if query.get("type.name"):
            goals = [g for g in goals if g["type"]["name"] == query.get("type.name")]
        if query.get("title"):
            goals = [g for g in goals if g["title"] == query.get("title")]
        return 200, {"success": True, "data": {"goals": [goal_v1(g) for g in goals]}}

    def post(ctx: Ctx) -> tuple[int, Any]:
        record = _checked(ctx, ctx.only(FIELDS), None)
        record.update(id=uuid.uuid4().hex, owner_id=ctx.company.api_user_id, is_active=True, report_ids=[])
        record.setdefault("title", "")
        record = ctx.company.store.insert(ctx.company.id, "goal", record)
        return 200, {"success": True, "data": {"goal": goal_v1(record)}}

    def put(ctx: Ctx) -> tuple[int, Any]:
        record = _checked(ctx, ctx.only(FIELDS), _one(ctx))
        ctx.company.store.put(ctx.company.id, "goal", record)
        return 200, {"success": True, "data": {"goal": goal_v1(record)}}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        record = _one(ctx)
        record["is_active"] = False  # Pipedrive marks it deleted: find no longer answers it
        ctx.company.store.put(ctx.company.id, "goal", record)
        return 200, {"success": True}

    router.add("/api/v1/goals/find", get=find)  # before /goals/{id}
    router.add("/api/v1/goals", post=post)
    router.add("/api/v1/goals/{id}", put=put, delete=delete)
