"""v1 leads and lead labels (issue 16): UUID ids, person or organization, value, labels, archived
leads, the deals' custom fields, notes and search."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _lead(pd: PD, title: str = "Acme inbound", **body: object) -> dict:
    if "person_id" not in body and "organization_id" not in body:
        body["organization_id"] = pd.org(f"{title} Ltd")["id"]
    r = pd.post("/api/v1/leads", {"title": title, **body})
    assert r.status == 201, r.body
    return r.data


def _labels(pd: PD) -> dict[str, dict]:
    return {label["name"]: label for label in pd.get("/api/v1/leadLabels").data}


def test_every_company_starts_with_three_lead_labels(pd: PD) -> None:
    labels = pd.get("/api/v1/leadLabels").data
    assert [(label["name"], label["color"]) for label in labels] == [("Hot", "red"), ("Warm", "yellow"),
                                                                   ("Cold", "blue")]
    assert all(UUID.match(label["id"]) for label in labels)


def test_lead_labels_are_written_and_deleted(pd: PD) -> None:
    made = pd.post("/api/v1/leadLabels", {"name": "Partner", "color": "purple"})
    assert made.status == 201 and UUID.match(made.data["id"])
    label_id = made.data["id"]
    changed = pd.patch(f"/api/v1/leadLabels/{label_id}", {"color": "dark-gray"}).data
    assert (changed["name"], changed["color"]) == ("Partner", "dark-gray")
    lead = _lead(pd, label_ids=[label_id, _labels(pd)["Hot"]["id"]])
    assert pd.delete(f"/api/v1/leadLabels/{label_id}").data == {"id": label_id}
    assert pd.get(f"/api/v1/leads/{lead['id']}").data["label_ids"] == [_labels(pd)["Hot"]["id"]]
    assert "Partner" not in _labels(pd)
    pd.error(pd.post("/api/v1/leadLabels", {"name": "X", "color": "teal"}), 400, "color")
    pd.error(pd.post("/api/v1/leadLabels", {"name": "hot", "color": "red"}), 400, "already exists")
    pd.error(pd.post("/api/v1/leadLabels", {"color": "red"}), 400, "name")
    pd.error(pd.patch(f"/api/v1/leadLabels/{label_id}", {"name": "Y"}), 404, "lead label")
    pd.error(pd.patch("/api/v1/leadLabels/12", {"name": "Y"}), 404, "lead label")


def test_a_lead_as_the_official_model_has_it(pd: PD) -> None:
    person = pd.person("Jane Prospect")
    hot = _labels(pd)["Hot"]["id"]
    lead = _lead(pd, person_id=person["id"], value={"amount": 5000, "currency": "eur"}, label_ids=[hot],
                 expected_close_date="2027-06-30", visible_to="5", owner_id=2, origin_id="web-form")
    assert UUID.match(lead["id"]) and lead["person_id"] == person["id"] and lead["organization_id"] is None
    assert lead["value"] == {"amount": 5000, "currency": "EUR"} and lead["label_ids"] == [hot]
    assert (lead["visible_to"], lead["owner_id"], lead["creator_id"]) == ("5", 2, 1)
    assert (lead["source_name"], lead["origin"], lead["origin_id"]) == ("API", "API", "web-form")
    assert lead["is_archived"] is False and lead["was_seen"] is False and lead["add_time"].endswith("Z")
    assert pd.get(f"/api/v1/leads/{lead['id']}").data == lead
    assert pd.get(f"/api/v1/leads/{lead['id'].upper()}").status == 200


def test_lead_input_pipedrive_refuses(pd: PD) -> None:
    org = pd.org()["id"]
    pd.error(pd.post("/api/v1/leads", {"title": "No contact"}), 400, "person or an organization")
    pd.error(pd.post("/api/v1/leads", {"organization_id": org}), 400, "title")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "value": 100}), 400, "amount")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "value": {"amount": 1}}), 400, "currency")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "visible_to": 3}), 400, "visible_to")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "label_ids": [1]}), 400, "label_ids")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org,
                                       "label_ids": ["00000000-0000-4000-8000-000000000000"]}), 400, "does not exist")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": 999}), 400, "organization")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "status": "open"}), 400, "not allowed")
    pd.error(pd.post("/api/v1/leads", {"title": "X", "organization_id": org, "channel": 4}), 400, "channel")
    pd.error(pd.get("/api/v1/leads/not-a-uuid"), 404, "lead")
    pd.error(pd.get("/api/v1/leads/00000000-0000-4000-8000-000000000000"), 404, "lead")


def test_patch_changes_only_what_it_names_and_null_unsets(pd: PD) -> None:
    person, org = pd.person(), pd.org()
    lead = _lead(pd, person_id=person["id"], organization_id=org["id"], value={"amount": 10, "currency": "USD"})
    r = pd.patch(f"/api/v1/leads/{lead['id']}", {"value": None, "person_id": None, "was_seen": True})
    assert r.status == 200 and r.data["value"] is None and r.data["person_id"] is None
    assert r.data["organization_id"] == org["id"] and r.data["title"] == lead["title"] and r.data["was_seen"]
    pd.error(pd.patch(f"/api/v1/leads/{lead['id']}", {"organization_id": None}), 400, "person or an organization")
    pd.error(pd.patch(f"/api/v1/leads/{lead['id']}", {"origin_id": "x"}), 400, "not allowed")  # set on creation only
    assert pd.delete(f"/api/v1/leads/{lead['id']}").data == {"id": lead["id"]}
    pd.error(pd.get(f"/api/v1/leads/{lead['id']}"), 404, "lead")


def test_leads_have_the_deals_custom_fields_at_the_root(pd: PD) -> None:
    source = pd.field("deal", "Lead source")
    referral = pd.option("deal", "Lead source", "Referral")
    money = pd.field("deal", "Contract value")["field_code"]
    lead = _lead(pd, **{source["field_code"]: referral, money: 1200, money + "_currency": "EUR"})
    assert lead[source["field_code"]] == str(referral)
    assert (lead[money], lead[money + "_currency"]) == (1200, "EUR")
    plain = _lead(pd, "Plain")
    assert not any(re.match(r"^[0-9a-f]{40}", key) for key in plain)  # unset values are left out
    changed = pd.patch(f"/api/v1/leads/{lead['id']}", {money: None}).data
    assert money not in changed and changed[source["field_code"]] == str(referral)
    pd.error(pd.patch(f"/api/v1/leads/{lead['id']}", {"f" * 40: "x"}), 400, "does not exist")
    pd.call("DELETE", f"/api/v2/dealFields/{source['field_code']}/options", json_body=[{"id": referral}])
    assert source["field_code"] not in pd.get(f"/api/v1/leads/{lead['id']}").data  # the option's values go


def test_archived_leads_are_listed_apart_and_not_editable(pd: PD) -> None:
    kept, archived = _lead(pd, "Kept"), _lead(pd, "Shelved")
    r = pd.patch(f"/api/v1/leads/{archived['id']}", {"is_archived": True})
    assert r.data["is_archived"] is True
    assert [x["title"] for x in pd.get("/api/v1/leads").data] == ["Kept"]
    assert [x["title"] for x in pd.get("/api/v1/leads/archived").data] == ["Shelved"]
    assert pd.get(f"/api/v1/leads/{archived['id']}").data["is_archived"] is True
    pd.error(pd.patch(f"/api/v1/leads/{archived['id']}", {"title": "Edited"}), 400, "archived")
    back = pd.patch(f"/api/v1/leads/{archived['id']}", {"is_archived": False, "title": "Back"}).data
    assert back["title"] == "Back" and back["is_archived"] is False and kept["id"] != back["id"]


def test_lists_page_oldest_first_with_filters(pd: PD) -> None:
    person = pd.person()
    made = [_lead(pd, f"Lead {i}", **({"person_id": person["id"]} if i % 2 else {})) for i in range(5)]
    page = pd.get("/api/v1/leads", {"limit": 2, "start": 2})
    assert [x["id"] for x in page.data] == [made[2]["id"], made[3]["id"]]
    assert page.body["additional_data"] == {"start": 2, "limit": 2, "more_items_in_collection": True}
    assert [x["title"] for x in pd.get("/api/v1/leads", {"person_id": person["id"]}).data] == ["Lead 1", "Lead 3"]
    org = made[0]["organization_id"]
    assert [x["title"] for x in pd.get("/api/v1/leads", {"organization_id": org}).data] == ["Lead 0"]
    assert pd.get("/api/v1/leads", {"owner_id": 2}).data == []
    by_title = pd.get("/api/v1/leads", {"sort": "title DESC"}).data
    assert [x["title"] for x in by_title] == [f"Lead {i}" for i in range(4, -1, -1)]
    future = pd.get("/api/v1/leads", {"updated_since": "2100-01-01T00:00:00Z"})
    assert future.status == 200 and future.data == []


def test_notes_and_search_find_leads(pd: PD) -> None:
    person = pd.person("Mia Buyer", emails=[{"value": "mia@buyer.example", "primary": True}])
    lead = _lead(pd, "Warehouse robots", person_id=person["id"], value={"amount": 900, "currency": "USD"})
    other = _lead(pd, "Office chairs")
    note = pd.post("/api/v1/notes", {"content": "Wants a robotics demo", "lead_id": lead["id"]})
    assert note.status == 201 and note.data["lead_id"] == lead["id"]
    assert [n["id"] for n in pd.get("/api/v1/notes", {"lead_id": lead["id"]}).data] == [note.data["id"]]
    pd.error(pd.post("/api/v1/notes", {"content": "x", "lead_id": "00000000-0000-4000-8000-000000000000"}),
             400, "lead")
    v2 = pd.get("/api/v2/leads/search", {"term": "robot"}).data["items"]
    assert [i["item"]["id"] for i in v2] == [lead["id"]]
    item = v2[0]["item"]
    assert item["person"] == {"id": person["id"], "name": "Mia Buyer"} and item["emails"] == ["mia@buyer.example"]
    assert (item["value"], item["currency"], item["is_archived"]) == (900, "USD", False)
    by_note = pd.get("/api/v1/leads/search", {"term": "demo", "fields": "notes"}).data["items"]
    assert [i["item"]["notes"] for i in by_note] == [["Wants a robotics demo"]]
    pd.patch(f"/api/v1/leads/{other['id']}", {"is_archived": True})
    archived = pd.get("/api/v2/leads/search", {"term": "chairs", "include_fields": "lead.was_seen"}).data["items"]
    assert archived[0]["item"]["is_archived"] is True and archived[0]["item"]["was_seen"] is False
    assert pd.get("/api/v2/leads/search", {"term": "robot", "person_id": person["id"] + 1}).data["items"] == []
    items = pd.get("/api/v2/itemSearch", {"term": "robot", "item_types": "lead"}).data["items"]
    assert [(i["item"]["type"], i["item"]["title"]) for i in items] == [("lead", "Warehouse robots")]
    field = pd.get("/api/v2/itemSearch/field", {"term": "Warehouse", "entity_type": "lead", "field": "title",
                                               "match": "beginning"}).data
    assert [i["item"]["id"] for i in field] == [lead["id"]]


def test_stats_count_a_lead_route_once_whatever_its_id() -> None:
    from reconciler.sandbox.gateway import route_template

    path = "/api/v1/leads/0f8b2c52-4b1e-4d7e-9f0a-2b3c4d5e6f70"
    assert route_template("patch", path) == "PATCH /api/v1/leads/{id}"
