"""``/api/v2/itemSearch`` and ``/api/v2/itemSearch/field``, and search over numeric custom fields
(the official v2 description: searchable custom field types include double and monetary)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _setup(pd: PD) -> dict[str, dict]:
    org = pd.org("Zephyr Holdings")
    person = pd.person("Zephyr Jones", org_id=org["id"])
    deal = pd.deal("Zephyr expansion", org_id=org["id"], person_id=person["id"])
    other = pd.deal("Unrelated")
    return {"org": org, "person": person, "deal": deal, "other": other}


def test_item_search_across_families(pd: PD) -> None:
    objs = _setup(pd)
    r = pd.get("/api/v2/itemSearch", {"term": "zephyr"})
    assert r.status == 200, r.body
    found = {(i["item"]["type"], i["item"]["id"]) for i in r.data["items"]}
    assert found == {("deal", objs["deal"]["id"]), ("person", objs["person"]["id"]),
                     ("organization", objs["org"]["id"])}
    assert r.data["related_items"] == [] and r.body["additional_data"] == {"next_cursor": None}
    only = pd.get("/api/v2/itemSearch", {"term": "zephyr", "item_types": "person,organization"}).data["items"]
    assert {i["item"]["type"] for i in only} == {"person", "organization"}
    titles = pd.get("/api/v2/itemSearch", {"term": "zephyr", "fields": "title"}).data["items"]
    assert [i["item"]["type"] for i in titles] == ["deal"]
    exact = pd.get("/api/v2/itemSearch", {"term": "zephyr jones", "exact_match": "true"}).data["items"]
    assert [i["item"]["id"] for i in exact] == [objs["person"]["id"]]
    page = pd.get("/api/v2/itemSearch", {"term": "zephyr", "limit": 2})
    assert len(page.data["items"]) == 2 and page.body["additional_data"]["next_cursor"]
    pd.error(pd.get("/api/v2/itemSearch", {"term": "zephyr", "limit": 101}), 400, "limit")
    pd.error(pd.get("/api/v2/itemSearch", {"term": "zephyr", "item_types": "widget"}), 400, "item_types")
    pd.error(pd.get("/api/v2/itemSearch", {"term": "z"}), 400, "term")


def test_item_search_by_field(pd: PD) -> None:
    objs = _setup(pd)
    base = {"entity_type": "deal", "field": "title"}
    exact = pd.get("/api/v2/itemSearch/field", {**base, "term": "Zephyr expansion"}).data
    assert [(i["item"]["id"], i["item"]["title"]) for i in exact] == [(objs["deal"]["id"], "Zephyr expansion")]
    assert pd.get("/api/v2/itemSearch/field", {**base, "term": "Zephyr"}).data == []  # exact by default
    begins = pd.get("/api/v2/itemSearch/field", {**base, "term": "Zeph", "match": "beginning"}).data
    assert [i["item"]["id"] for i in begins] == [objs["deal"]["id"]]
    middle = pd.get("/api/v2/itemSearch/field", {**base, "term": "expan", "match": "middle"}).data
    assert [i["item"]["id"] for i in middle] == [objs["deal"]["id"]]
    assert pd.get("/api/v2/itemSearch/field", {**base, "term": "zeph", "match": "beginning"}).data == []  # case
    people = pd.get("/api/v2/itemSearch/field", {"entity_type": "person", "field": "name", "term": "Zephyr Jones"})
    assert [i["item"]["id"] for i in people.data] == [objs["person"]["id"]]
    pd.error(pd.get("/api/v2/itemSearch/field", {"entity_type": "deal", "term": "x"}), 400, "field")
    pd.error(pd.get("/api/v2/itemSearch/field", {"field": "title", "term": "xx"}), 400, "entity_type")


def test_search_finds_double_and_monetary_custom_fields(pd: PD) -> None:
    double = pd.post("/api/v2/dealFields", {"field_name": "Seats", "field_type": "double"}).data["field_code"]
    money = pd.field("deal", "Contract value")["field_code"]
    deal = pd.deal("Numbers", custom_fields={double: 4242, money: {"value": 98765.5, "currency": "EUR"}})
    for term in ("4242", "98765.5"):
        items = pd.get("/api/v2/deals/search", {"term": term, "fields": "custom_fields"}).data["items"]
        assert [i["item"]["id"] for i in items] == [deal["id"]], term
    field = pd.get("/api/v2/itemSearch/field", {"entity_type": "deal", "field": double, "term": "4242"}).data
    assert [i["item"]["id"] for i in field] == [deal["id"]]
