"""Deals, v1 and v2: CRUD, envelopes, field names (official client models), rules, custom fields."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

# Field names of v2 DealItem in Pipedrive's official clients (client-nodejs v2 models).
V2_DEAL_KEYS = {
    "id",
    "title",
    "owner_id",
    "person_id",
    "org_id",
    "pipeline_id",
    "stage_id",
    "value",
    "currency",
    "add_time",
    "update_time",
    "stage_change_time",
    "is_deleted",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "won_time",
    "lost_time",
    "expected_close_date",
    "label_ids",
    "origin",
    "origin_id",
    "channel",
    "channel_id",
    "arr",
    "mrr",
    "acv",
    "custom_fields",
    "creator_user_id",
}
# v1 deal fields from the v1 reference / client models (a subset that must be there).
V1_DEAL_KEYS = {
    "id",
    "creator_user_id",
    "user_id",
    "person_id",
    "org_id",
    "stage_id",
    "title",
    "value",
    "currency",
    "add_time",
    "update_time",
    "stage_change_time",
    "active",
    "deleted",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "pipeline_id",
    "won_time",
    "lost_time",
    "expected_close_date",
    "label",
    "person_name",
    "org_name",
    "owner_name",
    "formatted_value",
    "weighted_value",
    "cc_email",
}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
V1_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def test_v2_create_get_shape(pd: PD) -> None:
    org = pd.org()
    person = pd.person(org_id=org["id"])
    r = pd.post(
        "/api/v2/deals",
        {
            "title": "Acme renewal 2027",
            "value": 50000,
            "currency": "USD",
            "org_id": org["id"],
            "person_id": person["id"],
            "expected_close_date": "2027-01-31",
            "owner_id": 2,
        },
    )
    assert r.status == 200 and r.body["success"] is True
    deal = r.data
    assert V2_DEAL_KEYS <= set(deal)
    assert deal["id"] == 1 and deal["org_id"] == org["id"] and deal["person_id"] == person["id"]
    assert deal["owner_id"] == 2 and deal["creator_user_id"] == 1
    assert deal["status"] == "open" and deal["is_deleted"] is False and deal["visible_to"] == 3
    assert RFC3339.match(deal["add_time"]) and RFC3339.match(deal["update_time"])
    # default pipeline Sales, first stage Lead In
    assert deal["pipeline_id"] == 1 and deal["stage_id"] == 1
    got = pd.get("/api/v2/deals/1")
    assert got.status == 200 and set(got.body) == {"success", "data"}
    assert got.data == deal


def test_v2_patch_changes_only_given_fields(pd: PD) -> None:
    deal = pd.deal(value=100, expected_close_date="2027-01-31")
    r = pd.patch(f"/api/v2/deals/{deal['id']}", {"value": 250.5})
    assert r.status == 200
    assert r.data["value"] == 250.5
    assert r.data["expected_close_date"] == "2027-01-31" and r.data["title"] == deal["title"]
    r = pd.patch(f"/api/v2/deals/{deal['id']}", {"expected_close_date": None})
    assert r.data["expected_close_date"] is None and r.data["value"] == 250.5


def test_v2_stage_pipeline_consistency(pd: PD) -> None:
    deal = pd.deal(stage_id=7)  # Partners / Onboarding
    assert deal["pipeline_id"] == 2
    moved = pd.patch(f"/api/v2/deals/{deal['id']}", {"pipeline_id": 1}).data
    assert moved["stage_id"] == 1 and moved["stage_change_time"] is not None
    pd.error(pd.post("/api/v2/deals", {"title": "x", "pipeline_id": 1, "stage_id": 7}), 400, "pipeline")
    only_pipeline = pd.deal(pipeline_id=2)
    assert only_pipeline["stage_id"] == 6


def test_status_transitions_set_times(pd: PD) -> None:
    deal = pd.deal()
    won = pd.patch(f"/api/v2/deals/{deal['id']}", {"status": "won"}).data
    assert won["status"] == "won" and won["won_time"] and won["close_time"] == won["won_time"]
    lost = pd.patch(f"/api/v2/deals/{deal['id']}", {"status": "lost", "lost_reason": "Price"}).data
    assert lost["lost_time"] and lost["won_time"] is None and lost["lost_reason"] == "Price"
    reopened = pd.patch(f"/api/v2/deals/{deal['id']}", {"status": "open"}).data
    assert reopened["close_time"] is None and reopened["lost_time"] is None


def test_v2_custom_fields_shape(pd: PD) -> None:
    source = pd.field("deal", "Lead source")
    money = pd.field("deal", "Contract value")
    assert re.fullmatch(r"[0-9a-f]{40}", source["field_code"]) and source["field_type"] == "enum"
    referral = pd.option("deal", "Lead source", "Referral")
    deal = pd.deal(
        currency="EUR",
        custom_fields={
            source["field_code"]: referral,
            money["field_code"]: {"value": 1200, "currency": "GBP"},
        },
    )
    assert deal["custom_fields"] == {
        source["field_code"]: referral,
        money["field_code"]: {"value": 1200, "currency": "GBP"},
    }
    # unset custom fields are present as null; clearing with null
    r = pd.patch(f"/api/v2/deals/{deal['id']}", {"custom_fields": {source["field_code"]: None}})
    assert r.data["custom_fields"][source["field_code"]] is None
    assert r.data["custom_fields"][money["field_code"]] == {"value": 1200, "currency": "GBP"}
    # a monetary value without currency takes the deal's currency
    r = pd.patch(f"/api/v2/deals/{deal['id']}", {"custom_fields": {money["field_code"]: {"value": 5}}})
    assert r.data["custom_fields"][money["field_code"]] == {"value": 5, "currency": "EUR"}
    # the custom_fields query parameter narrows what is returned
    narrowed = pd.get(f"/api/v2/deals/{deal['id']}", {"custom_fields": money["field_code"]}).data
    assert list(narrowed["custom_fields"]) == [money["field_code"]]


def test_v2_custom_field_errors(pd: PD) -> None:
    source = pd.field("deal", "Lead source")["field_code"]
    money = pd.field("deal", "Contract value")["field_code"]
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": {source: 999999}}), 400, "option")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": {source: "Referral"}}), 400, "integer")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": {"f" * 40: 1}}), 400, "custom field")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": {money: 5}}), 400, "object")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": []}), 400, "custom_fields")


def test_v1_create_nested_references_and_custom_root_keys(pd: PD) -> None:
    org = pd.org()
    person = pd.person(
        org_id=org["id"], emails=[{"value": "john@acme.com", "primary": True, "label": "work"}]
    )
    source = pd.field("deal", "Lead source")["field_code"]
    money = pd.field("deal", "Contract value")["field_code"]
    referral = pd.option("deal", "Lead source", "Referral")
    r = pd.post(
        "/api/v1/deals",
        {
            "title": "Acme renewal",
            "value": "50000",
            "currency": "usd",
            "org_id": org["id"],
            "person_id": person["id"],
            "user_id": 3,
            "stage_id": "4",
            source: str(referral),
            money: 900,
            f"{money}_currency": "EUR",
            "visible_to": "1",
        },
    )
    assert r.status == 201 and r.body["success"] is True
    deal = r.data
    assert V1_DEAL_KEYS <= set(deal)
    assert deal["value"] == 50000 and deal["currency"] == "USD" and deal["stage_id"] == 4
    assert deal["user_id"]["value"] == 3 and deal["user_id"]["email"] == "carol@example.com"
    assert deal["person_id"]["value"] == person["id"] and deal["person_id"]["name"] == "John Doe"
    assert deal["person_id"]["email"] == [{"label": "work", "value": "john@acme.com", "primary": True}]
    assert deal["org_id"] == {**deal["org_id"], "value": org["id"], "name": "Acme Corporation"}
    assert deal["visible_to"] == "1" and deal["active"] is True and deal["deleted"] is False
    assert V1_TIME.match(deal["add_time"])
    assert deal[source] == str(referral)
    assert deal[money] == 900 and deal[f"{money}_currency"] == "EUR"
    assert set(r.body["related_objects"]) >= {"user", "person", "organization"}
    # the same deal through v2
    v2 = pd.get(f"/api/v2/deals/{deal['id']}").data
    assert v2["custom_fields"][source] == referral and v2["custom_fields"][money] == {
        "value": 900,
        "currency": "EUR",
    }
    assert v2["visible_to"] == 1 and v2["owner_id"] == 3


def test_v1_put_and_get(pd: PD) -> None:
    deal = pd.deal()
    r = pd.put(f"/api/v1/deals/{deal['id']}", {"status": "won", "value": 10})
    assert r.status == 200 and r.data["status"] == "won" and r.data["active"] is False
    assert V1_TIME.match(r.data["won_time"])
    got = pd.get(f"/api/v1/deals/{deal['id']}")
    assert got.status == 200 and got.data["value"] == 10
    assert "additional_data" in got.body and "related_objects" in got.body
    # form-encoded bodies work in v1
    r = pd.call("PUT", f"/api/v1/deals/{deal['id']}", form={"title": "Renamed", "value": "12.5"})
    assert r.status == 200 and r.data["title"] == "Renamed" and r.data["value"] == 12.5


def test_v1_set_and_clear_monetary_currency_only(pd: PD) -> None:
    money = pd.field("deal", "Contract value")["field_code"]
    deal = pd.deal(custom_fields={money: {"value": 10, "currency": "USD"}})
    r = pd.put(f"/api/v1/deals/{deal['id']}", {f"{money}_currency": "EUR"})
    assert r.data[money] == 10 and r.data[f"{money}_currency"] == "EUR"
    r = pd.put(f"/api/v1/deals/{deal['id']}", {money: None})
    assert r.data[money] is None


def test_delete_v2_and_deleted_visibility(pd: PD) -> None:
    keep = pd.deal("Keep")
    gone = pd.deal("Gone")
    r = pd.delete(f"/api/v2/deals/{gone['id']}")
    assert r.status == 200 and r.body == {"success": True, "data": {"id": gone["id"]}}
    assert [d["id"] for d in pd.get("/api/v2/deals").data] == [keep["id"]]
    deleted = pd.get("/api/v2/deals", {"status": "deleted"}).data
    assert [d["id"] for d in deleted] == [gone["id"]] and deleted[0]["is_deleted"] is True
    assert deleted[0]["status"] == "deleted"
    # deleted deals stay readable by id (is_deleted true) in v2, and in v1 with deleted/active flags
    assert pd.get(f"/api/v2/deals/{gone['id']}").data["is_deleted"] is True
    v1 = pd.get(f"/api/v1/deals/{gone['id']}").data
    assert v1["deleted"] is True and v1["active"] is False and v1["status"] == "deleted"
    assert [d["id"] for d in pd.get("/api/v1/deals", {"status": "deleted"}).data] == [gone["id"]]
    assert [d["id"] for d in pd.get("/api/v1/deals").data] == [keep["id"]]
    # a deleted deal cannot be changed or deleted again
    pd.error(pd.patch(f"/api/v2/deals/{gone['id']}", {"title": "x"}), 404, "not found")
    pd.error(pd.delete(f"/api/v2/deals/{gone['id']}"), 404, "not found")
    both = pd.get("/api/v2/deals", {"status": "open,deleted"}).data
    assert sorted(d["id"] for d in both) == [keep["id"], gone["id"]]


def test_v1_delete_and_bulk_delete(pd: PD) -> None:
    ids = [pd.deal(f"D{i}")["id"] for i in range(4)]
    r = pd.delete(f"/api/v1/deals/{ids[0]}")
    assert r.status == 200 and r.body == {"success": True, "data": {"id": ids[0]}}
    r = pd.delete("/api/v1/deals", {"ids": f"{ids[1]},{ids[2]}"})
    assert r.status == 200 and r.data == {"id": [ids[1], ids[2]]}
    assert [d["id"] for d in pd.get("/api/v1/deals").data] == [ids[3]]
    pd.error(pd.delete("/api/v1/deals", {"ids": f"{ids[3]},999"}), 404, "999")
    assert pd.get(f"/api/v2/deals/{ids[3]}").data["is_deleted"] is False  # refused bulk changes nothing
    pd.error(pd.delete("/api/v1/deals"), 400, "ids")


def test_labels(pd: PD) -> None:
    label = pd.field("deal", "Label")
    hot = label["options"][0]["id"]
    deal = pd.deal(label_ids=[hot])
    assert deal["label_ids"] == [hot]
    assert pd.get(f"/api/v1/deals/{deal['id']}").data["label"] == str(hot)
    pd.error(pd.post("/api/v2/deals", {"title": "x", "label_ids": [424242]}), 400, "label")


def test_v2_list_filters(pd: PD) -> None:
    org = pd.org()
    person = pd.person()
    a = pd.deal("A", org_id=org["id"], owner_id=2)
    b = pd.deal("B", person_id=person["id"], stage_id=6)
    c = pd.deal("C", status="won")

    def ids(**q: object) -> list[int]:
        return [d["id"] for d in pd.get("/api/v2/deals", q).data]

    assert ids(org_id=org["id"]) == [a["id"]]
    assert ids(person_id=person["id"]) == [b["id"]]
    assert ids(owner_id=2) == [a["id"]]
    assert ids(pipeline_id=2) == [b["id"]] and ids(stage_id=6) == [b["id"]]
    assert ids(status="won") == [c["id"]] and ids(status="open") == [a["id"], b["id"]]
    assert ids(sort_by="id", sort_direction="desc") == [c["id"], b["id"], a["id"]]
    pd.error(pd.get("/api/v2/deals", {"status": "closed"}), 400, "status")
    pd.error(pd.get("/api/v2/deals", {"owner_id": "alice"}), 400, "integer")
    pd.error(pd.get("/api/v2/deals", {"sort_by": "title"}), 400, "sort_by")
    pd.error(pd.get("/api/v2/deals", {"sort_direction": "up"}), 400, "sort_direction")
