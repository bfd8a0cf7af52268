"""v2 pipeline and stage writes with Pipedrive's rules (issue 17: the account's shape as code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _pipeline(pd: PD, name: str, stages: tuple[str, ...]) -> tuple[dict, list[dict]]:
    pipeline = pd.post("/api/v2/pipelines", {"name": name, "is_deal_probability_enabled": True})
    assert pipeline.status == 200, pipeline.body
    made = [pd.post("/api/v2/stages", {"name": s, "pipeline_id": pipeline.data["id"]}).data for s in stages]
    return pipeline.data, made


def test_pipelines_and_stages_are_created_in_order(pd: PD) -> None:
    pipeline, stages = _pipeline(pd, "Enterprise", ("Discovery", "Demo", "Proposal", "Closing"))
    assert pipeline["order_nr"] == 3 and pipeline["is_deal_probability_enabled"] is True
    assert [s["order_nr"] for s in stages] == [1, 2, 3, 4]
    listed = pd.get("/api/v2/stages", {"pipeline_id": pipeline["id"], "sort_by": "order_nr"}).data
    assert [s["name"] for s in listed] == ["Discovery", "Demo", "Proposal", "Closing"]
    changed = pd.patch(f"/api/v2/stages/{stages[1]['id']}", {
        "name": "Live demo", "deal_probability": 40, "is_deal_rot_enabled": True, "days_to_rotten": 14}).data
    assert (changed["name"], changed["deal_probability"], changed["days_to_rotten"]) == ("Live demo", 40, 14)
    assert changed["is_deal_rot_enabled"] is True and changed["order_nr"] == 2
    assert pd.patch(f"/api/v2/pipelines/{pipeline['id']}", {"is_deal_probability_enabled": False}).data[
        "is_deal_probability_enabled"] is False
    v1 = pd.get("/api/v1/stages", {"pipeline_id": pipeline["id"]}).data  # the same stages through v1
    assert [(s["name"], s["rotten_days"]) for s in v1][:2] == [("Discovery", None), ("Live demo", 14)]


def test_writes_take_only_the_official_keys_and_unique_names(pd: PD) -> None:
    pipeline, [stage] = _pipeline(pd, "Renewals", ("Due",))
    pd.error(pd.post("/api/v2/pipelines", {"name": "X", "order_nr": 1}), 400, "'order_nr' is not allowed")
    pd.error(pd.patch(f"/api/v2/stages/{stage['id']}", {"order_nr": 3}), 400, "not allowed")
    pd.error(pd.post("/api/v2/pipelines", {"name": "sales"}), 400, "already exists")
    pd.error(pd.post("/api/v2/pipelines", {"name": "  "}), 400, "name")
    pd.error(pd.post("/api/v2/stages", {"name": "due", "pipeline_id": pipeline["id"]}), 400, "already exists")
    assert pd.post("/api/v2/stages", {"name": "Due", "pipeline_id": 2}).status == 200  # another pipeline
    pd.error(pd.post("/api/v2/stages", {"name": "Y", "pipeline_id": pipeline["id"], "deal_probability": 101}),
             400, "between 0 and 100")
    pd.error(pd.post("/api/v2/stages", {"name": "Y", "pipeline_id": pipeline["id"], "days_to_rotten": 0}),
             400, "at least 1")
    pd.error(pd.post("/api/v2/stages", {"name": "Y"}), 400, "pipeline_id")


def test_a_stage_in_use_or_the_last_one_is_not_deleted(pd: PD) -> None:
    pipeline, (first, second) = _pipeline(pd, "Enterprise", ("Discovery", "Closing"))
    deals = [pd.deal(f"Deal {i}", stage_id=second["id"]) for i in range(3)]
    archived = pd.deal("Archived one", stage_id=second["id"], is_archived=True)
    pd.error(pd.delete(f"/api/v2/stages/{second['id']}"), 400, "has 4 deals")
    for deal in deals:
        pd.patch(f"/api/v2/deals/{deal['id']}", {"stage_id": first["id"]})
    pd.patch(f"/api/v2/deals/{archived['id']}", {"is_archived": False, "stage_id": first["id"]})
    assert pd.delete(f"/api/v2/stages/{second['id']}").data == {"id": second["id"]}
    pd.error(pd.get(f"/api/v2/stages/{second['id']}"), 404, "stage")
    for deal in (*deals, archived):
        pd.delete(f"/api/v2/deals/{deal['id']}")
    pd.error(pd.delete(f"/api/v2/stages/{first['id']}"), 400, "at least one stage")


def test_moving_a_stage_moves_its_deals(pd: PD) -> None:
    pipeline, (a, b) = _pipeline(pd, "Enterprise", ("A", "B"))
    deal = pd.deal(stage_id=b["id"])
    moved = pd.patch(f"/api/v2/stages/{b['id']}", {"pipeline_id": 2})
    assert moved.status == 200 and moved.data["pipeline_id"] == 2 and moved.data["order_nr"] == 4
    got = pd.get(f"/api/v2/deals/{deal['id']}").data
    assert (got["pipeline_id"], got["stage_id"]) == (2, b["id"])
    pd.error(pd.patch(f"/api/v2/stages/{a['id']}", {"pipeline_id": 1}), 400, "at least one stage")


def test_a_pipeline_in_use_or_the_last_one_is_not_deleted(pd: PD) -> None:
    pipeline, stages = _pipeline(pd, "Enterprise", ("A", "B"))
    deal = pd.deal(pipeline_id=pipeline["id"])
    pd.error(pd.delete(f"/api/v2/pipelines/{pipeline['id']}"), 400, "has 1 deals")
    pd.patch(f"/api/v2/deals/{deal['id']}", {"pipeline_id": 1})
    assert pd.delete(f"/api/v2/pipelines/{pipeline['id']}").status == 200
    assert all(pd.get(f"/api/v2/stages/{s['id']}").status == 404 for s in stages)
    assert pd.delete("/api/v2/pipelines/2").status == 200  # Partners holds no deals
    pd.patch(f"/api/v2/deals/{deal['id']}", {"status": "won"})
    pd.error(pd.delete("/api/v2/pipelines/1"), 400, "last pipeline")
    assert [p["name"] for p in pd.get("/api/v2/pipelines").data] == ["Sales"]
