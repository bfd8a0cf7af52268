"""A goal's own references to the account: its team (by name), its pipelines (one or several, by
name) and a deals_progressed goal's stage (`{pipeline, stage}`, as filters name stages).

Why types of their own: Pipedrive holds a goal's pipelines as an array (`type.params.pipeline_id`),
its stage as an id only deals_progressed goals take (`type.params.stage_id`) and its team as an id
(`assignee {id, type: team}`); the manifests name each by name, and the lock's vocabulary records
the ids, so a team, pipeline or stage renamed in Pipedrive is still the same one
(reconciler/renames.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.fieldtypes.base import Drop, FieldType, ValueProblem
from reconciler.normalize import Placeholder, UnknownName


def _sortable(value: Any) -> tuple[int, str]:
    return (0, f"{value:020d}") if isinstance(value, int) else (1, str(value))


class Team(FieldType):
    """A team (Pipedrive's v1 legacyTeams) by name; an id is taken too, as before names were."""

    name = "team"
    quote_hint = True
    vocabulary = "teams"  # what the account's schema must load (AccountSchema.load)

    def schema(self, spec):
        return ({"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer", "minimum": 1}]},
                "A team of the account, by name (or by id).")

    def expectation(self, spec):
        return "a team's name"

    def to_api(self, spec, value, ctx, declared, live):
        if isinstance(value, int) and not isinstance(value, bool):
            if ctx.schema.team_names and value not in ctx.schema.team_names:
                raise UnknownName(f"no team has id {value} (teams: "
                                  f"{', '.join(f'{n!r} ({i})' for i, n in sorted(ctx.schema.team_names.items()))})")
            return value
        return ctx.schema.team_id(str(value))

    def from_api(self, spec, value, ctx):
        return ctx.schema.team_names.get(value, {"id": value})

    def match_value(self, spec, value):
        return value

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        if isinstance(value, dict):  # a team the account no longer lists: its id, which plan takes
            return value["id"]
        if len(ctx.schema.teams.get(value, [])) > 1:
            return obj.get(spec.api)
        return value


class Pipelines(FieldType):
    """One pipeline or several, by name: a name, or a list of names (canonical: a list of ids, in
    any order; None for every pipeline)."""

    name = "pipelines"
    quote_hint = True

    def schema(self, spec):
        return ({"anyOf": [{"type": "string", "minLength": 1},
                           {"type": "array", "items": {"type": "string", "minLength": 1}}]},
                "A pipeline name, or a list of pipeline names.")

    def expectation(self, spec):
        return "a pipeline name or a list of pipeline names"

    def convert(self, spec, value, pos):
        # checked here, not in the schema: the loader's quick check knows no minItems or uniqueItems
        if isinstance(value, list) and not value:
            raise ValueProblem(f"field '{spec.name}' lists no pipeline: leave it out (or null) for every pipeline")
        if isinstance(value, list) and len(set(value)) < len(value):
            raise ValueProblem(f"field '{spec.name}' names a pipeline twice: {value}")
        return value

    def to_api(self, spec, value, ctx, declared, live):
        names = value if isinstance(value, list) else [value]
        return [ctx.schema.pipeline_id(str(name)) for name in names]

    def from_api(self, spec, value, ctx):
        names = [ctx.schema.pipeline_names.get(i, {"id": i}) for i in _as_list(value)]
        return names[0] if len(names) == 1 else names

    def same(self, spec, desired, live):
        desired, live = _as_list(desired), _as_list(live)
        if any(isinstance(v, Placeholder) for v in desired):
            return False
        return sorted(desired, key=_sortable) == sorted(live, key=_sortable)

    def comparable(self, spec, value, like=None):
        # one pipeline digests as its id alone: what the lock recorded when a goal had one pipeline
        ids = sorted(_as_list(value), key=_sortable)
        if not ids:
            return None
        return ids[0] if len(ids) == 1 else ids

    def match_value(self, spec, value):
        return value

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, dict):
                raise Drop(f"pipeline {name['id']} has no name")
            if len(ctx.schema.pipelines.get(name, [])) > 1:
                raise Drop(f"the name {name!r} is shared by several pipelines")
        return value


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class GoalStage(FieldType):
    """A deals_progressed goal's stage: `{pipeline, stage}` by name, as a filter's conditions name
    a stage (canonical: the stage's id)."""

    name = "goal stage"

    def schema(self, spec):
        return ({"type": "object", "properties": {"pipeline": {"type": "string", "minLength": 1},
                                                  "stage": {"type": "string", "minLength": 1}},
                 "required": ["pipeline", "stage"], "additionalProperties": False},
                "A stage by its pipeline and name: {pipeline: Sales, stage: Qualified}.")

    def expectation(self, spec):
        return "{pipeline: NAME, stage: NAME}"

    def to_api(self, spec, value, ctx, declared, live):
        return ctx.schema.stage_id(str(value["stage"]), ctx.schema.pipeline_id(str(value["pipeline"])))

    def from_api(self, spec, value, ctx):
        info = ctx.schema.stage_info.get(value)
        if info is None:
            return {"id": value}
        return {"pipeline": ctx.schema.pipeline_names.get(info[0], info[0]), "stage": info[1]}

    def match_value(self, spec, value):
        return value

    match_live = match_value


def stage_pipeline(value: Any) -> str | None:
    """The pipeline a declared `{pipeline, stage}` names (for the goal's rules)."""
    return str(value.get("pipeline")) if isinstance(value, Mapping) else None


TEAM = Team()
PIPELINES = Pipelines()
GOAL_STAGE = GoalStage()
