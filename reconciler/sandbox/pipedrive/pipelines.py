"""API v2 pipelines and stages (``/api/v2/pipelines``, ``/api/v2/stages``): reads and writes.

Shapes and inputs follow the official v2 models (npm ``pipedrive`` 33.x): a pipeline takes
``name`` and ``is_deal_probability_enabled``; a stage takes ``name``, ``pipeline_id``,
``deal_probability``, ``is_deal_rot_enabled`` and ``days_to_rotten``. Neither takes ``order_nr``:
a new pipeline or stage goes last, and v2 offers no way to reorder them. Any other key is a 400,
as Pipedrive's v2 schema validation answers it.

The official descriptions say only "Marks a pipeline (stage) as deleted". Pipedrive's web app
asks for a stage's deals to be moved before the stage goes and keeps at least one stage in a
pipeline; the sandbox takes that stricter reading for the API too, so that a client that passes
here also passes against Pipedrive whichever way it answers:

- a stage that live deals (open, won, lost or archived) are in cannot be deleted (400, with the
  count); neither can the last live stage of a pipeline, nor be moved out of it;
- a pipeline that live deals are in cannot be deleted (400, with the count), nor the company's
  last pipeline; deleting an empty pipeline deletes its stages;
- moving a stage to another pipeline (``pipeline_id``) moves its deals with it;
- names are unique: pipelines in the company, stages within their pipeline (case-insensitive).
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, keyset_page, v2_limit, v2_sort
from .errors import bad_request
from .model import Company, to_bool, to_int, to_str
from .v2 import ok

PIPELINE_KEYS = ("name", "is_deal_probability_enabled")
STAGE_KEYS = ("name", "pipeline_id", "deal_probability", "is_deal_rot_enabled", "days_to_rotten")


# ----------------------------------------------------------------------------- serialisers
def pipeline_v2(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "order_nr": p["order_nr"],
        "is_deleted": bool(p.get("is_deleted")),
        "is_deal_probability_enabled": bool(p.get("is_deal_probability_enabled")),
        "add_time": p["add_time"],
        "update_time": p["update_time"],
    }


def stage_v2(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": s["id"],
        "order_nr": s["order_nr"],
        "name": s["name"],
        "is_deleted": bool(s.get("is_deleted")),
        "deal_probability": s.get("deal_probability"),
        "pipeline_id": s["pipeline_id"],
        "is_deal_rot_enabled": bool(s.get("is_deal_rot_enabled")),
        "days_to_rotten": s.get("days_to_rotten"),
        "add_time": s["add_time"],
        "update_time": s["update_time"],
    }


# ----------------------------------------------------------------------------- rules
def _stages(company: Company, pipeline_id: int) -> list[dict[str, Any]]:
    return company.store.select(company.id, "stage", where={"pipeline_id": pipeline_id})


def _deal_count(company: Company, column: str, value: int) -> int:
    return len(company.store.select(company.id, "deal", where={column: value}))


def _name(body: dict[str, Any], record: dict[str, Any]) -> None:
    if "name" in body:
        record["name"] = to_str(body["name"], "name", True).strip()
    if not (record.get("name") or "").strip():
        raise bad_request("Parameter 'name' is required")


def _unique(name: str, siblings: list[dict[str, Any]], own_id: int | None, what: str) -> None:
    for other in siblings:
        if other["id"] != own_id and other["name"].lower() == name.lower():
            raise bad_request(f"A {what} named '{name}' already exists")


def write_pipeline(company: Company, body: dict[str, Any], obj: dict[str, Any] | None) -> dict[str, Any]:
    record = obj or {"name": None, "order_nr": 0, "is_deal_probability_enabled": False, "is_selected": False}
    _name(body, record)
    live = company.store.select(company.id, "pipeline")
    _unique(record["name"], live, record.get("id"), "pipeline")
    if "is_deal_probability_enabled" in body:
        record["is_deal_probability_enabled"] = to_bool(
            body["is_deal_probability_enabled"], "is_deal_probability_enabled", True
        )
    if obj is None:
        record["order_nr"] = max([p["order_nr"] for p in live] or [0]) + 1
        return company.store.insert(company.id, "pipeline", record)
    return company.store.put(company.id, "pipeline", record)


def delete_pipeline(company: Company, obj: dict[str, Any]) -> None:
    if len(company.store.select(company.id, "pipeline")) <= 1:
        raise bad_request("The company's last pipeline cannot be deleted")
    deals = _deal_count(company, "pipeline_id", obj["id"])
    if deals:
        raise bad_request(f"Pipeline with id {obj['id']} has {deals} deals; move or delete them first")
    obj["is_deleted"] = True
    company.store.put(company.id, "pipeline", obj)
    for stage in _stages(company, obj["id"]):
        stage["is_deleted"] = True
        company.store.put(company.id, "stage", stage)


def write_stage(company: Company, body: dict[str, Any], obj: dict[str, Any] | None) -> dict[str, Any]:
    record = obj or {"name": None, "order_nr": 0, "pipeline_id": None, "deal_probability": 100,
                     "is_deal_rot_enabled": False, "days_to_rotten": None}
    old_pipeline = record.get("pipeline_id")
    _name(body, record)
    if "pipeline_id" in body:
        record["pipeline_id"] = to_int(body["pipeline_id"], "pipeline_id", True)
    if record.get("pipeline_id") is None:
        raise bad_request("Parameter 'pipeline_id' is required")
    company.require("pipeline", record["pipeline_id"])
    if "deal_probability" in body:
        probability = to_int(body["deal_probability"], "deal_probability", True)
        if not 0 <= probability <= 100:
            raise bad_request("Parameter 'deal_probability' must be between 0 and 100")
        record["deal_probability"] = probability
    if "is_deal_rot_enabled" in body:
        record["is_deal_rot_enabled"] = to_bool(body["is_deal_rot_enabled"], "is_deal_rot_enabled", True)
    if "days_to_rotten" in body:
        days = body["days_to_rotten"]
        days = None if days is None else to_int(days, "days_to_rotten", True)
        if days is not None and days < 1:
            raise bad_request("Parameter 'days_to_rotten' must be at least 1")
        record["days_to_rotten"] = days
    siblings = _stages(company, record["pipeline_id"])
    _unique(record["name"], siblings, record.get("id"), "stage in this pipeline")
    moved = obj is not None and old_pipeline != record["pipeline_id"]
    if obj is None or moved:
        record["order_nr"] = max([s["order_nr"] for s in siblings if s["id"] != record.get("id")] or [0]) + 1
    if moved:
        if len(_stages(company, old_pipeline)) <= 1:
            raise bad_request(f"Stage with id {record['id']} is the last stage of pipeline {old_pipeline}; "
                              "a pipeline keeps at least one stage")
        for deal in company.store.select(company.id, "deal", where={"stage_id": record["id"]}, deleted=None):
            deal["pipeline_id"] = record["pipeline_id"]
            company.store.put(company.id, "deal", deal)
    if obj is None:
        return company.store.insert(company.id, "stage", record)
    return company.store.put(company.id, "stage", record)


def delete_stage(company: Company, obj: dict[str, Any]) -> None:
    if len(_stages(company, obj["pipeline_id"])) <= 1:
        raise bad_request(f"Stage with id {obj['id']} is the last stage of pipeline {obj['pipeline_id']}; "
                          "a pipeline keeps at least one stage")
    deals = _deal_count(company, "stage_id", obj["id"])
    if deals:
        raise bad_request(f"Stage with id {obj['id']} has {deals} deals; move them to another stage first")
    obj["is_deleted"] = True
    company.store.put(company.id, "stage", obj)


# ----------------------------------------------------------------------------- routes
def register(router: Router) -> None:
    def list_pipelines(ctx: Ctx) -> tuple[int, Any]:
        sort_by, direction = v2_sort(ctx)
        rows, cursor = keyset_page(ctx, "pipeline", where={}, deleted=False, sql=[], sort_by=sort_by,
                                   direction=direction, limit=v2_limit(ctx))
        return 200, ok([pipeline_v2(r) for r in rows], cursor, listing=True)

    def get_pipeline(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(pipeline_v2(ctx.company.find("pipeline", ctx.id())))

    def create_pipeline(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(pipeline_v2(write_pipeline(ctx.company, ctx.only(PIPELINE_KEYS), None)))

    def update_pipeline(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find("pipeline", ctx.id())
        return 200, ok(pipeline_v2(write_pipeline(ctx.company, ctx.only(PIPELINE_KEYS), obj)))

    def remove_pipeline(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find("pipeline", ctx.id())
        delete_pipeline(ctx.company, obj)
        return 200, ok({"id": obj["id"]})

    def list_stages(ctx: Ctx) -> tuple[int, Any]:
        where: dict[str, Any] = {}
        if ctx.query.has("pipeline_id"):
            where["pipeline_id"] = ctx.query.int("pipeline_id")
        sort_by, direction = v2_sort(ctx, ("id", "update_time", "add_time", "order_nr"))
        rows, cursor = keyset_page(ctx, "stage", where=where, deleted=False, sql=[], sort_by=sort_by,
                                   direction=direction, limit=v2_limit(ctx))
        return 200, ok([stage_v2(r) for r in rows], cursor, listing=True)

    def get_stage(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(stage_v2(ctx.company.find("stage", ctx.id())))

    def create_stage(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(stage_v2(write_stage(ctx.company, ctx.only(STAGE_KEYS), None)))

    def update_stage(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find("stage", ctx.id())
        return 200, ok(stage_v2(write_stage(ctx.company, ctx.only(STAGE_KEYS), obj)))

    def remove_stage(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find("stage", ctx.id())
        delete_stage(ctx.company, obj)
        return 200, ok({"id": obj["id"]})

    router.add("/api/v2/pipelines", get=list_pipelines, post=create_pipeline)
    router.add("/api/v2/pipelines/{id}", get=get_pipeline, patch=update_pipeline, delete=remove_pipeline)
    router.add("/api/v2/stages", get=list_stages, post=create_stage)
    router.add("/api/v2/stages/{id}", get=get_stage, patch=update_stage, delete=remove_stage)
