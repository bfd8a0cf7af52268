"""Current routes the sandbox used to refuse (issue 27): `GET /api/v1/deals/archived` (in the current
official client) served instead of 410; `GET /api/v2/activityFields`; `GET /api/v1/currencies` and a
currency the company does not have refused on every money field."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

from conftest import assert_error


def test_v1_archived_deals_are_served_without_the_deprecated_flag(pd_current: PD) -> None:
    pd = pd_current
    kept = pd.deal("Kept open")
    archived = pd.deal("Archived one", is_archived=True)
    r = pd.get("/api/v1/deals/archived", {"limit": 100})
    assert r.status == 200, r.body
    assert [d["id"] for d in r.data] == [archived["id"]] and r.data[0]["is_archived"] is True
    assert r.body["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert kept["id"] not in [d["id"] for d in r.data]
    # the deprecated v1 list is still gone, and still leaves archived deals out when served
    assert_error(pd.get("/api/v1/deals"), 410)


def test_activity_fields_are_served_read_only(pd_current: PD) -> None:
    pd = pd_current
    r = pd.get("/api/v2/activityFields", {"limit": 500})
    assert r.status == 200, r.body
    codes = {f["field_code"]: f for f in r.data}
    assert {"subject", "type", "due_date", "owner_id", "person_id", "participants", "done"} <= set(codes)
    assert all(f["is_custom_field"] is False and "ui_visibility" not in f for f in r.data)
    labels = [o["label"] for o in codes["type"]["options"]]
    assert "Call" in labels
    one = pd.get("/api/v2/activityFields/subject", {"include_fields": "ui_visibility"}).data
    assert one["field_type"] == "varchar" and one["ui_visibility"]["add_visible_flag"] is True
    assert_error(pd.get("/api/v2/activityFields/nope"), 404)
    assert_error(pd.get("/api/v2/activityFields", {"include_fields": "required_fields"}), 400)
    assert pd.post("/api/v2/activityFields", {"field_name": "X", "field_type": "varchar"}).status == 405
    page = pd.get("/api/v2/activityFields", {"limit": 5})
    assert len(page.data) == 5 and page.body["additional_data"]["next_cursor"]


def test_currencies_are_listed_and_unknown_ones_refused(pd_current: PD) -> None:
    pd = pd_current
    listed = pd.get("/api/v1/currencies").data
    codes = {c["code"]: c for c in listed}
    assert {"USD", "EUR", "GBP", "JPY"} <= set(codes) and "XYZ" not in codes
    assert codes["JPY"]["decimal_points"] == 0 and codes["EUR"]["symbol"] == "€"
    assert [c["code"] for c in pd.get("/api/v1/currencies", {"term": "pound st"}).data] == ["GBP"]
    assert_error(pd.post("/api/v2/deals", {"title": "T", "currency": "XYZ"}), 400, "currency")
    deal = pd.deal("T", currency="eur")
    assert deal["currency"] == "EUR"
    assert_error(pd.patch(f"/api/v2/deals/{deal['id']}", {"currency": "XYZ"}), 400, "currency")
    assert_error(pd.post("/api/v2/products", {"name": "P", "prices": [{"currency": "XYZ", "price": 1}]}), 400,
                 "prices")
    org = pd.org("Acme")
    assert_error(pd.post("/api/v1/leads", {"title": "L", "organization_id": org["id"],
                                           "value": {"amount": 1, "currency": "XYZ"}}), 400, "value.currency")
    field = pd.post("/api/v2/dealFields", {"field_name": "Budget", "field_type": "monetary"}).data["field_code"]
    assert_error(pd.post("/api/v2/deals", {"title": "T", "custom_fields": {field: {"value": 5, "currency": "XYZ"}}}),
                 400, "currency")


def test_address_and_time_custom_fields_have_the_full_shape(pd: PD) -> None:
    address = pd.post("/api/v2/dealFields", {"field_name": "Site", "field_type": "address"}).data
    time = pd.post("/api/v2/dealFields", {"field_name": "Call at", "field_type": "timerange"}).data
    code = address["field_code"]
    assert [s["field_code"] for s in address["subfields"]] == [
        f"{code}_{part}" for part in ("subpremise", "street_number", "route", "sublocality", "locality",
                                      "admin_area_level_1", "admin_area_level_2", "country", "postal_code",
                                      "formatted_address")]
    assert [s["field_code"] for s in time["subfields"]] == [time["field_code"] + "_until",
                                                           time["field_code"] + "_timezone_id"]
    deal = pd.deal("Site visit", custom_fields={code: {"value": "1 Main St, Springfield", "locality": "Springfield"}})
    value = deal["custom_fields"][code]
    assert value["value"] == "1 Main St, Springfield" and value["locality"] == "Springfield"
    assert value["country"] is None and value["formatted_address"] is None and len(value) == 11
    v1 = pd.get(f"/api/v1/deals/{deal['id']}").data
    assert (v1[code], v1[f"{code}_locality"], v1[f"{code}_postal_code"]) == ("1 Main St, Springfield",
                                                                              "Springfield", None)
    v1_field = next(f for f in pd.get("/api/v1/dealFields").data if f["key"] == code)
    assert len(v1_field["subfields"]) == 10
