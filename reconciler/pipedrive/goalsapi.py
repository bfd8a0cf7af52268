"""Goals as a kind: Pipedrive's v1 `goals`, whose objects nest what the engine compares flat.

Why a module of its own: the official client (npm `pipedrive` 33.x, v1 `GoalsApi`) has no list
of every goal: `GET /api/v1/goals/find` answers only the caller's goals unless a filter such as
`assignee.type` is given, so the account's goals are read with one find per assignee type
(person, company, team), active ones only (`is_active` defaults to true; a deleted goal is
inactive, so an inactive goal reads as absent, as a deactivated activity type does). A goal nests its parts (`assignee {id, type}`, `type {name, params:
{pipeline_id: [..], activity_type_id: [..]}}`, `expected_outcome {target, tracking_metric,
currency_id}`, `duration {start, end}`), and an update (`PUT`, `BasicGoalRequest`) replaces a
part whole. The canonical object is flat, one key per manifest field; each part is written
whole (KindHooks.plan_writes adds a changed part's other keys from the live goal).

The canonical object holds pipelines as a list of ids (`type.params.pipeline_id` is an array:
a goal may span several pipelines; None for every pipeline), a deals_progressed goal's stage by id
(`type.params.stage_id`, which the request models document and the answer model leaves out), the
team assignee by id (named by name in the manifests: the account's teams are v1 `GET /legacyTeams`,
`read_teams`, the only list of teams Pipedrive has: marked deprecated in the official client, with
no replacement yet), activity types by key (as activities do: the id Pipedrive wants is looked up
at write time, so a goal may name a type the same apply creates) and the currency by code (its id
from `/api/v1/currencies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.pipedrive.pages import WholeListCalls

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

KIND = "goal"
PATH = "/api/v1/goals"
ASSIGNEE_TYPES = ("person", "company", "team")
ACTIVITY_GOALS = ("activities_completed", "activities_added")
# the canonical keys of each part a PUT replaces whole
PARTS: dict[str, tuple[str, ...]] = {
    "assignee": ("assignee_user_id", "assignee_team_id"),
    "type": ("type_name", "pipeline_id", "stage_id", "activity_type"),
    "expected_outcome": ("target", "tracking_metric", "currency"),
    "duration": ("start", "end"),
}


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else None


def _currencies(client: PipedriveClient) -> list[dict]:
    return list(client.http.request("GET", "/api/v1/currencies").get("data") or [])


def canonical(goal: Mapping[str, Any], type_keys: Mapping[int, str], currency_codes: Mapping[int, str]) -> dict:
    """One Goal answer as the engine compares it (flat)."""
    assignee = goal.get("assignee") or {}
    goal_type = goal.get("type") or {}
    params = goal_type.get("params") or {}
    outcome = goal.get("expected_outcome") or {}
    duration = goal.get("duration") or {}
    type_id = _first(params.get("activity_type_id"))
    return {
        "id": str(goal["id"]),
        "title": goal.get("title") or None,
        "assignee_user_id": assignee.get("id") if assignee.get("type") == "person" else None,
        "assignee_team_id": assignee.get("id") if assignee.get("type") == "team" else None,
        "type_name": goal_type.get("name"),
        "pipeline_id": list(params.get("pipeline_id") or []) or None,
        "stage_id": params.get("stage_id") if goal_type.get("name") == "deals_progressed" else None,
        "activity_type": type_keys.get(type_id, type_id),
        "target": outcome.get("target"),
        "tracking_metric": outcome.get("tracking_metric"),
        "currency": currency_codes.get(outcome.get("currency_id"), outcome.get("currency_id")),
        "interval": goal.get("interval"),
        "start": duration.get("start"),
        "end": duration.get("end"),
    }


def read_all(client: PipedriveClient) -> list[dict]:
    """Every goal of the account, canonical: one find per assignee type, plus the activity types
    and currencies when a goal names one (so a plan without such goals makes no such call)."""
    found: dict[str, dict] = {}
    for assignee_type in ASSIGNEE_TYPES:
        answer = client.http.request("GET", f"{PATH}/find", params={"assignee.type": assignee_type},
                                     what="goals")
        for goal in (answer.get("data") or {}).get("goals") or []:
            if goal.get("is_active", True) is not False:
                found.setdefault(str(goal["id"]), goal)
    goals = list(found.values())
    type_keys: dict[int, str] = {}
    if any(_first(((g.get("type") or {}).get("params") or {}).get("activity_type_id")) for g in goals):
        type_keys = {t["id"]: t.get("key_string") for t in client.activity_types()}
    codes: dict[int, str] = {}
    if any((g.get("expected_outcome") or {}).get("currency_id") is not None for g in goals):
        codes = {c["id"]: c.get("code") for c in _currencies(client)}
    return [canonical(g, type_keys, codes) for g in goals]


def request_body(client: PipedriveClient, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical changes → AddGoalRequest / BasicGoalRequest: every part touched, whole."""
    body: dict[str, Any] = {}
    if "title" in changes:
        body["title"] = changes["title"] or ""
    if "interval" in changes:
        body["interval"] = changes["interval"]
    if any(k in changes for k in PARTS["assignee"]):
        team = changes.get("assignee_team_id")
        body["assignee"] = ({"id": int(team), "type": "team"} if team is not None else
                            {"id": changes.get("assignee_user_id"), "type": "person"})
    if any(k in changes for k in PARTS["type"]):
        pipelines = changes.get("pipeline_id")
        params: dict[str, Any] = {"pipeline_id": None if pipelines is None else
                                  list(pipelines) if isinstance(pipelines, list) else [pipelines]}
        if changes.get("type_name") == "deals_progressed" and changes.get("stage_id") is not None:
            params["stage_id"] = changes["stage_id"]
        if changes.get("type_name") in ACTIVITY_GOALS:
            key = changes.get("activity_type")
            params["activity_type_id"] = None if key is None else [_type_id(client, key)]
        body["type"] = {"name": changes.get("type_name"), "params": params}
    if any(k in changes for k in PARTS["expected_outcome"]):
        outcome: dict[str, Any] = {"target": changes.get("target"), "tracking_metric": changes.get("tracking_metric")}
        if changes.get("tracking_metric") == "sum" and changes.get("currency") is not None:
            outcome["currency_id"] = _currency_id(client, changes["currency"])
        body["expected_outcome"] = outcome
    if any(k in changes for k in PARTS["duration"]):
        body["duration"] = {"start": changes.get("start"), "end": changes.get("end")}
    return body


def read_teams(client: PipedriveClient) -> list[dict]:
    """The account's teams (v1 `GET /legacyTeams`, `GetTeamsResponse`), without member ids."""
    answer = client.http.request("GET", "/api/v1/legacyTeams", params={"skip_users": 1}, what="teams")
    return list(answer.get("data") or [])


def _type_id(client: PipedriveClient, key: str) -> int:
    for activity_type in client.activity_types():
        if activity_type.get("key_string") == key and activity_type.get("active_flag", True) is not False:
            return int(activity_type["id"])
    from reconciler.pipedrive.errors import ApiValidationError

    raise ApiValidationError(f"activity type {key!r} is not an active type of the account", path=PATH)


def _currency_id(client: PipedriveClient, code: str) -> int:
    for currency in _currencies(client):
        if currency.get("code") == code:
            return int(currency["id"])
    from reconciler.pipedrive.errors import ApiValidationError

    raise ApiValidationError(f"currency {code!r} is not among the account's currencies", path=PATH)


class GoalCalls(WholeListCalls):
    """The client's calls for goals (client.OWN_CALLS)."""

    def read_all(self, client: PipedriveClient) -> list[dict]:
        return read_all(client)

    def _answer(self, client: PipedriveClient, answer: Mapping[str, Any]) -> dict:
        goal = (answer.get("data") or {}).get("goal") or {}
        type_keys = {t["id"]: t.get("key_string") for t in client.activity_types()} \
            if _first(((goal.get("type") or {}).get("params") or {}).get("activity_type_id")) else {}
        codes = {c["id"]: c.get("code") for c in _currencies(client)} \
            if (goal.get("expected_outcome") or {}).get("currency_id") is not None else {}
        return canonical(goal, type_keys, codes)

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        answer = client.http.request("POST", PATH, json_body=request_body(client, changes), what="new goal")
        return self._answer(client, answer)

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        answer = client.http.request("PUT", f"{PATH}/{object_id}", json_body=request_body(client, changes),
                                     what=f"goal {object_id}")
        return self._answer(client, answer)

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        client.http.request("DELETE", f"{PATH}/{object_id}", what=f"goal {object_id}")


API = GoalCalls()
