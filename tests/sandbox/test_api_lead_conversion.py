"""Converting a lead to a deal as the web UI does (issue 24): ``POST /api/v2/leads/{id}/convert/deal``, its
status endpoint, the deal it makes, what moves to it, and what the lead answers afterwards."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

from conftest import assert_error

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_a_converted_lead_becomes_a_deal_and_is_gone(pd_current: PD) -> None:
    pd = pd_current
    org = pd.org("Acme")
    person = pd.person("Ann", org_id=org["id"])
    lead = pd.post("/api/v1/leads", {
        "title": "Acme inbound", "person_id": person["id"], "organization_id": org["id"],
        "value": {"amount": 900, "currency": "EUR"}, "expected_close_date": "2027-04-01",
    }).data
    note = pd.post("/api/v1/notes", {"content": "Called back", "lead_id": lead["id"]}).data
    activity = pd.post("/api/v2/activities", {"subject": "Demo", "type": "call", "lead_id": lead["id"]}).data
    assert activity["lead_id"] == lead["id"]

    r = pd.post(f"/api/v2/leads/{lead['id']}/convert/deal", {"stage_id": 2})
    assert r.status == 200, r.body
    conversion = r.data["conversion_id"]
    assert UUID.match(conversion)

    status = pd.get(f"/api/v2/leads/{lead['id']}/convert/status/{conversion}")
    assert status.status == 200, status.body
    assert status.data["status"] == "completed" and status.data["conversion_id"] == conversion
    deal_id = status.data["deal_id"]

    deal = pd.get(f"/api/v2/deals/{deal_id}", {"include_fields": "source_lead_id"}).data
    assert (deal["title"], deal["value"], deal["currency"]) == ("Acme inbound", 900, "EUR")
    assert (deal["person_id"], deal["org_id"], deal["stage_id"]) == (person["id"], org["id"], 2)
    assert deal["expected_close_date"] == "2027-04-01"
    assert deal["source_lead_id"] == lead["id"]
    assert pd.get(f"/api/v1/notes/{note['id']}").data["deal_id"] == deal_id
    moved = pd.get(f"/api/v2/activities/{activity['id']}").data
    assert (moved["deal_id"], moved["lead_id"]) == (deal_id, None)

    # the lead is marked deleted: a 404, in no list, not found by search, not convertible again
    assert_error(pd.get(f"/api/v1/leads/{lead['id']}"), 404)
    assert lead["id"] not in [x["id"] for x in pd.get("/api/v1/leads").data]
    assert lead["id"] not in [x["id"] for x in pd.get("/api/v1/leads/archived").data]
    assert pd.get("/api/v2/leads/search", {"term": "Acme inbound"}).data["items"] == []
    assert_error(pd.post(f"/api/v2/leads/{lead['id']}/convert/deal", {}), 404)


def test_conversion_places_the_deal_by_pipeline_or_in_the_default_one(pd_current: PD) -> None:
    pd = pd_current
    org = pd.org("Acme")
    first = pd.post("/api/v1/leads", {"title": "First", "organization_id": org["id"]}).data
    second = pd.post("/api/v1/leads", {"title": "Second", "organization_id": org["id"]}).data
    pipelines = pd.get("/api/v2/pipelines").data
    other = pipelines[-1]["id"]

    def deal_of(lead: dict, body: dict) -> dict:
        job = pd.post(f"/api/v2/leads/{lead['id']}/convert/deal", body).data["conversion_id"]
        deal_id = pd.get(f"/api/v2/leads/{lead['id']}/convert/status/{job}").data["deal_id"]
        return pd.get(f"/api/v2/deals/{deal_id}").data

    in_default = deal_of(first, {})
    assert in_default["pipeline_id"] == pipelines[0]["id"] and in_default["value"] == 0
    stages = pd.get("/api/v2/stages", {"pipeline_id": other}).data
    placed = deal_of(second, {"pipeline_id": other})
    assert (placed["pipeline_id"], placed["stage_id"]) == (other, stages[0]["id"])


def test_conversion_refusals(pd_current: PD) -> None:
    pd = pd_current
    lead = pd.post("/api/v1/leads", {"title": "L", "organization_id": pd.org("Acme")["id"]}).data
    assert_error(pd.post(f"/api/v2/leads/{lead['id']}/convert/deal", {"title": "x"}), 400, "title")
    assert_error(pd.post(f"/api/v2/leads/{lead['id']}/convert/deal", {"stage_id": 9999}), 400, "does not exist")
    assert_error(pd.post("/api/v2/leads/00000000-0000-4000-8000-000000000000/convert/deal", {}), 404)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(pd.get(f"/api/v2/leads/{lead['id']}/convert/status/{unknown}"), 404)
    assert pd.get(f"/api/v1/leads/{lead['id']}").status == 200  # refused conversions change nothing
