"""Merging persons, organizations and deals as the web UI does (issue 24): ``PUT /api/v1/{kind}/{id}/merge``
with ``merge_with_id``, the survivor; what moves, what the survivor keeps, and what the merged id answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

from conftest import assert_error


def _emails(person: dict) -> list[tuple[str, bool]]:
    return [(e["value"], e["primary"]) for e in person["emails"]]


def test_a_person_merge_keeps_the_survivor_and_moves_everything(pd_current: PD) -> None:
    pd = pd_current
    org = pd.org("Acme")
    survivor = pd.person("Ann Smith", emails=[{"value": "ann@acme.example", "primary": True}])
    merged = pd.person("Ann S.", org_id=org["id"],
                       emails=[{"value": "ann.smith@old.example", "primary": True},
                               {"value": "ANN@acme.example", "primary": False}],
                       phones=[{"value": "+1 555 0100", "primary": True}])
    other = pd.person("Bob")
    deal = pd.deal("Acme renewal", person_id=merged["id"])
    activity = pd.post("/api/v2/activities", {
        "subject": "Call", "type": "call", "person_id": merged["id"],
        "participants": [{"person_id": merged["id"], "primary": True}, {"person_id": other["id"], "primary": False}],
    }).data
    note = pd.post("/api/v1/notes", {"content": "Met at the fair", "person_id": merged["id"]}).data
    lead = pd.post("/api/v1/leads", {"title": "Inbound", "person_id": merged["id"]}).data

    r = pd.put(f"/api/v1/persons/{merged['id']}/merge", {"merge_with_id": survivor["id"]})
    assert r.status == 200, r.body
    assert r.data["id"] == survivor["id"] and r.data["merge_what_id"] == merged["id"]
    assert r.data["name"] == "Ann Smith"  # the survivor's value wins where both have one

    after = pd.get(f"/api/v2/persons/{survivor['id']}").data
    # the merged person's emails and phones stay on the survivor, not primary; a duplicate email once
    assert _emails(after) == [("ann@acme.example", True), ("ann.smith@old.example", False)]
    assert [(p["value"], p["primary"]) for p in after["phones"]] == [("+1 555 0100", True)]
    assert after["org_id"] == org["id"]  # the survivor's empty field takes the merged one's value
    assert pd.get(f"/api/v2/deals/{deal['id']}").data["person_id"] == survivor["id"]
    moved = pd.get(f"/api/v2/activities/{activity['id']}").data
    assert moved["person_id"] == survivor["id"]
    assert [p["person_id"] for p in moved["participants"]] == [survivor["id"], other["id"]]
    assert pd.get(f"/api/v1/notes/{note['id']}").data["person_id"] == survivor["id"]
    assert pd.get(f"/api/v1/leads/{lead['id']}").data["person_id"] == survivor["id"]

    # the merged-away person answers as a deleted one
    assert_error(pd.get(f"/api/v2/persons/{merged['id']}"), 404)
    ids = [p["id"] for p in pd.get("/api/v2/persons", {"limit": 500}).data]
    assert merged["id"] not in ids and survivor["id"] in ids
    assert pd.get("/api/v2/persons/search", {"term": "ann.smith@old.example"}).data["items"][0]["item"]["id"] \
        == survivor["id"]
    # and it cannot be merged again
    assert_error(pd.put(f"/api/v1/persons/{merged['id']}/merge", {"merge_with_id": survivor["id"]}), 404)


def test_a_merged_person_reads_as_deleted_in_v1(pd: PD) -> None:
    a, b = pd.person("A"), pd.person("B")
    assert pd.put(f"/api/v1/persons/{a['id']}/merge", {"merge_with_id": b["id"]}).status == 200
    v1 = pd.get(f"/api/v1/persons/{a['id']}")
    assert v1.status == 200 and v1.data["active_flag"] is False


def test_an_organization_merge_moves_persons_deals_activities_notes_and_leads(pd_current: PD) -> None:
    pd = pd_current
    survivor = pd.org("Acme Corporation")
    merged = pd.org("ACME Corp.", address={"value": "1 Main St"})
    person = pd.person("Ann", org_id=merged["id"])
    deal = pd.deal("Renewal", org_id=merged["id"])
    activity = pd.post("/api/v2/activities", {"subject": "Call", "type": "call", "org_id": merged["id"]}).data
    note = pd.post("/api/v1/notes", {"content": "n", "org_id": merged["id"]}).data
    lead = pd.post("/api/v1/leads", {"title": "Inbound", "organization_id": merged["id"]}).data

    r = pd.put(f"/api/v1/organizations/{merged['id']}/merge", {"merge_with_id": survivor["id"]})
    assert r.status == 200 and r.data == {"id": survivor["id"]}, r.body
    after = pd.get(f"/api/v2/organizations/{survivor['id']}").data
    assert after["name"] == "Acme Corporation" and after["address"]["value"] == "1 Main St"
    assert pd.get(f"/api/v2/persons/{person['id']}").data["org_id"] == survivor["id"]
    assert pd.get(f"/api/v2/deals/{deal['id']}").data["org_id"] == survivor["id"]
    assert pd.get(f"/api/v2/activities/{activity['id']}").data["org_id"] == survivor["id"]
    assert pd.get(f"/api/v1/notes/{note['id']}").data["org_id"] == survivor["id"]
    assert pd.get(f"/api/v1/leads/{lead['id']}").data["organization_id"] == survivor["id"]
    assert_error(pd.get(f"/api/v2/organizations/{merged['id']}"), 404)


def test_a_deal_merge_moves_activities_notes_and_products(pd_current: PD) -> None:
    pd = pd_current
    survivor = pd.deal("Acme renewal", value=100, currency="USD")
    merged = pd.deal("Acme renewal (dup)", value=999, expected_close_date="2027-03-01")
    activity = pd.post("/api/v2/activities", {"subject": "Call", "type": "call", "deal_id": merged["id"]}).data
    note = pd.post("/api/v1/notes", {"content": "n", "deal_id": merged["id"]}).data
    product = pd.post("/api/v2/products", {"name": "Widget"}).data
    line = pd.post(f"/api/v2/deals/{merged['id']}/products",
                   {"product_id": product["id"], "item_price": 50, "quantity": 3}).data

    r = pd.put(f"/api/v1/deals/{merged['id']}/merge", {"merge_with_id": survivor["id"]})
    assert r.status == 200, r.body
    assert r.data["id"] == survivor["id"] and r.data["merge_what_id"] == merged["id"]
    assert r.data["user_id"] == survivor["owner_id"]  # a DealStrict: plain ids
    after = pd.get(f"/api/v2/deals/{survivor['id']}").data
    assert after["title"] == "Acme renewal" and after["expected_close_date"] == "2027-03-01"
    assert after["value"] == 150  # a deal with products has the value they make
    assert pd.get(f"/api/v2/activities/{activity['id']}").data["deal_id"] == survivor["id"]
    assert pd.get(f"/api/v1/notes/{note['id']}").data["deal_id"] == survivor["id"]
    assert [p["id"] for p in pd.get(f"/api/v2/deals/{survivor['id']}/products").data] == [line["id"]]
    # the merged deal reads as a deleted deal, as Pipedrive keeps deleted deals
    gone = pd.get(f"/api/v2/deals/{merged['id']}").data
    assert gone["status"] == "deleted" and gone["is_deleted"] is True
    assert merged["id"] not in [d["id"] for d in pd.get("/api/v2/deals", {"limit": 500}).data]


def test_merge_refusals(pd_current: PD) -> None:
    pd = pd_current
    a, b = pd.person("A"), pd.person("B")
    assert_error(pd.put(f"/api/v1/persons/{a['id']}/merge", {}), 400, "merge_with_id")
    assert_error(pd.put(f"/api/v1/persons/{a['id']}/merge", {"merge_with_id": a["id"]}), 400, "itself")
    assert_error(pd.put(f"/api/v1/persons/{a['id']}/merge", {"merge_with_id": 99999}), 400, "does not exist")
    assert_error(pd.put("/api/v1/persons/99999/merge", {"merge_with_id": b["id"]}), 404)
    assert pd.get(f"/api/v2/persons/{a['id']}").status == 200  # a refused merge changes nothing
    assert pd.call("GET", f"/api/v1/persons/{a['id']}/merge").status == 405


def test_archived_deals_cannot_be_merged(pd_current: PD) -> None:
    pd = pd_current
    archived, other = pd.deal("Archived", is_archived=True), pd.deal("Open")
    assert_error(pd.put(f"/api/v1/deals/{archived['id']}/merge", {"merge_with_id": other["id"]}), 400, "archived")
    assert_error(pd.put(f"/api/v1/deals/{other['id']}/merge", {"merge_with_id": archived["id"]}), 400, "archived")
    assert pd.get(f"/api/v2/deals/{other['id']}").data["status"] == "open"


def test_a_merge_moves_the_followers_to_the_survivor(pd_current: PD) -> None:
    """Pipedrive's merge transfers "all related data (... followers ...)": the merged record's
    followers follow the survivor afterwards (a user following both follows it once)."""
    pd = pd_current
    users = [u["id"] for u in pd.get("/api/v1/users").data][:3]
    for collection, make in (("deals", pd.deal), ("persons", pd.person), ("organizations", pd.org)):
        survivor = make(f"Survivor {collection}")
        merged = make(f"Merged {collection}")
        for user in users[1:]:
            pd.post(f"/api/v2/{collection}/{merged['id']}/followers", {"user_id": user})
        pd.post(f"/api/v2/{collection}/{survivor['id']}/followers", {"user_id": users[1]})

        r = pd.put(f"/api/v1/{collection}/{merged['id']}/merge", {"merge_with_id": survivor["id"]})
        assert r.status == 200, r.body
        following = [f["user_id"] for f in pd.get(f"/api/v2/{collection}/{survivor['id']}/followers").data]
        assert sorted(following) == sorted(set(users)), (collection, following)
