"""Search, v2 and v1: term rules, fields, exact_match, filters, result shape, paging."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _setup(pd: PD) -> dict[str, dict]:
    org = pd.org("Acme Corporation", address={"value": "123 Main St, Springfield"})
    other = pd.org("Globex")
    person = pd.person(
        "John Acme", org_id=org["id"], emails=[{"value": "john@acme.com"}], phones=[{"value": "+1 555 0100"}]
    )
    deal = pd.deal("Acme renewal 2027", org_id=org["id"], person_id=person["id"], value=500)
    lost = pd.deal("Acme pilot", status="lost")
    noted = pd.deal("Globex expansion", org_id=other["id"])
    pd.post("/api/v1/notes", {"content": "Spoke about the Zeppelin project", "deal_id": noted["id"]})
    return {"org": org, "person": person, "deal": deal, "lost": lost, "noted": noted, "other": other}


def test_v2_deal_search_shape_and_ranking(pd: PD) -> None:
    objs = _setup(pd)
    r = pd.get("/api/v2/deals/search", {"term": "acme"})
    assert r.status == 200 and set(r.body) == {"success", "data", "additional_data"}
    assert r.body["additional_data"] == {"next_cursor": None}
    items = r.data["items"]
    assert [i["item"]["id"] for i in items] == [objs["deal"]["id"], objs["lost"]["id"]]
    first = items[0]
    assert set(first) == {"result_score", "item"} and isinstance(first["result_score"], float)
    assert first["item"] == {
        "id": objs["deal"]["id"],
        "type": "deal",
        "title": "Acme renewal 2027",
        "value": 500,
        "currency": "USD",
        "status": "open",
        "visible_to": 3,
        "owner": {"id": 1},
        "stage": {"id": 1, "name": "Lead In"},
        "person": {"id": objs["person"]["id"], "name": "John Acme"},
        "organization": {
            "id": objs["org"]["id"],
            "name": "Acme Corporation",
        },  # the official deal search item's organization has id and name only
        "custom_fields": [],
        "notes": [],
        "is_archived": False,
    }
    exact = pd.get("/api/v2/deals/search", {"term": "acme pilot", "exact_match": "true"}).data["items"]
    assert [i["item"]["id"] for i in exact] == [objs["lost"]["id"]]
    assert pd.get("/api/v2/deals/search", {"term": "acme", "exact_match": "true"}).data["items"] == []
    by_status = pd.get("/api/v2/deals/search", {"term": "acme", "status": "lost"}).data["items"]
    assert [i["item"]["id"] for i in by_status] == [objs["lost"]["id"]]
    by_org = pd.get("/api/v2/deals/search", {"term": "acme", "organization_id": objs["org"]["id"]}).data[
        "items"
    ]
    assert [i["item"]["id"] for i in by_org] == [objs["deal"]["id"]]
    notes = pd.get("/api/v2/deals/search", {"term": "zeppelin"}).data["items"]
    assert [i["item"]["id"] for i in notes] == [objs["noted"]["id"]]
    assert notes[0]["item"]["notes"] == ["Spoke about the Zeppelin project"]
    assert pd.get("/api/v2/deals/search", {"term": "zeppelin", "fields": "title"}).data["items"] == []


def test_v2_person_and_org_search(pd: PD) -> None:
    objs = _setup(pd)
    by_email = pd.get("/api/v2/persons/search", {"term": "john@acme.com", "fields": "email"}).data["items"]
    assert [i["item"]["id"] for i in by_email] == [objs["person"]["id"]]
    item = by_email[0]["item"]
    assert (
        item["type"] == "person" and item["emails"] == ["john@acme.com"] and item["phones"] == ["+1 555 0100"]
    )
    assert item["organization"]["id"] == objs["org"]["id"]
    assert pd.get("/api/v2/persons/search", {"term": "555 0100", "fields": "phone"}).data["items"]
    orgs = pd.get("/api/v2/organizations/search", {"term": "springfield", "fields": "address"}).data["items"]
    assert [i["item"]["id"] for i in orgs] == [objs["org"]["id"]]
    assert orgs[0]["item"]["type"] == "organization"
    by_name = pd.get("/api/v2/organizations/search", {"term": "globex"}).data["items"]
    assert [i["item"]["id"] for i in by_name] == [objs["other"]["id"]]
    pd.delete(f"/api/v2/organizations/{objs['other']['id']}")
    assert pd.get("/api/v2/organizations/search", {"term": "globex"}).data["items"] == []


def test_search_validation(pd: PD) -> None:
    pd.error(pd.get("/api/v2/deals/search"), 400, "term")
    pd.error(pd.get("/api/v2/deals/search", {"term": "a"}), 400, "at least 2")
    assert pd.get("/api/v2/deals/search", {"term": "a", "exact_match": "true"}).status == 200
    pd.error(pd.get("/api/v2/deals/search", {"term": "ab", "fields": "email"}), 400, "fields")
    pd.error(pd.get("/api/v2/persons/search", {"term": "ab", "fields": "title"}), 400, "fields")
    pd.error(pd.get("/api/v2/deals/search", {"term": "ab", "status": "deleted"}), 400, "status")
    pd.error(pd.post("/api/v2/deals/search", {"term": "ab"}), 405)


def test_search_paging(pd: PD) -> None:
    for i in range(7):
        pd.deal(f"Widget order {i}")
    seen: list[int] = []
    cursor = None
    while True:
        q = {"term": "widget", "limit": 3, **({"cursor": cursor} if cursor else {})}
        r = pd.get("/api/v2/deals/search", q)
        seen += [i["item"]["id"] for i in r.data["items"]]
        cursor = r.body["additional_data"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == list(range(1, 8)) and len(seen) == 7
    v1 = pd.get("/api/v1/deals/search", {"term": "widget", "limit": 5})
    assert len(v1.data["items"]) == 5
    assert v1.body["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 5,
        "more_items_in_collection": True,
        "next_start": 5,
    }
    v1b = pd.get("/api/v1/deals/search", {"term": "widget", "limit": 5, "start": 5})
    assert (
        len(v1b.data["items"]) == 2
        and not v1b.body["additional_data"]["pagination"]["more_items_in_collection"]
    )
