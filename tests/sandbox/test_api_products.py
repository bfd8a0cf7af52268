"""v2 products (issue 16): fields, prices per currency, billing rules, lists, search; v1 products are gone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _product(pd: PD, name: str = "Widget", **extra: object) -> dict:
    r = pd.post("/api/v2/products", {"name": name, **extra})
    assert r.status == 200, r.body
    return r.data


def test_a_product_gets_pipedrive_defaults(pd: PD) -> None:
    p = _product(pd)
    assert p["prices"] == [{"product_id": p["id"], "currency": "USD", "price": 0, "cost": 0, "direct_cost": None,
                            "notes": ""}]
    assert (p["tax"], p["is_linkable"], p["is_deleted"], p["visible_to"], p["owner_id"]) == (0, True, False, 3, 1)
    assert (p["billing_frequency"], p["billing_frequency_cycles"], p["category"]) == ("one-time", None, None)
    assert p["add_time"].endswith("Z") and p["custom_fields"] == {}


def test_a_product_with_every_field(pd: PD) -> None:
    field = pd.post("/api/v2/productFields", {"field_name": "Warranty", "field_type": "enum",
                                              "options": [{"label": "1y"}, {"label": "2y"}]}).data
    two_years = field["options"][1]["id"]
    software = pd.option("product", "Category", "Software")
    p = _product(pd, "Licence", code="LIC-1", description="Per seat", unit="seat", tax=20, category=software,
                 owner_id=2, is_linkable=False, visible_to=7, billing_frequency="annually",
                 billing_frequency_cycles=3, custom_fields={field["field_code"]: two_years},
                 prices=[{"currency": "usd", "price": 120, "cost": 30, "direct_cost": 5, "notes": "list"},
                         {"currency": "EUR", "price": 110.5}])
    assert (p["code"], p["unit"], p["tax"], p["category"], p["owner_id"]) == ("LIC-1", "seat", 20, str(software), 2)
    assert p["is_linkable"] is False and p["visible_to"] == 7 and p["billing_frequency_cycles"] == 3
    assert [(x["currency"], x["price"], x["direct_cost"]) for x in p["prices"]] == [("USD", 120, 5), ("EUR", 110.5, None)]
    assert p["custom_fields"] == {field["field_code"]: two_years}
    changed = pd.patch(f"/api/v2/products/{p['id']}", {"prices": [{"currency": "GBP", "price": 99}], "code": None})
    assert [x["currency"] for x in changed.data["prices"]] == ["GBP"] and changed.data["code"] is None
    assert changed.data["name"] == "Licence" and changed.data["tax"] == 20  # the rest stays
    assert pd.get(f"/api/v2/products/{p['id']}").data == changed.data


def test_product_input_pipedrive_refuses(pd: PD) -> None:
    pid = _product(pd)["id"]
    pd.error(pd.post("/api/v2/products", {"code": "X"}), 400, "name")
    pd.error(pd.post("/api/v2/products", {"name": "X", "price": 10}), 400, "'price' is not allowed")
    pd.error(pd.post("/api/v2/products", {"name": "X", "prices": [{"currency": "USD"}, {"currency": "usd"}]}),
             400, "one price per currency")
    pd.error(pd.post("/api/v2/products", {"name": "X", "prices": [{"price": 1}]}), 400, "currency")
    pd.error(pd.post("/api/v2/products", {"name": "X", "tax": "20"}), 400, "number")
    pd.error(pd.post("/api/v2/products", {"name": "X", "category": 999}), 400, "category")
    pd.error(pd.post("/api/v2/products", {"name": "X", "billing_frequency": "daily"}), 400, "billing_frequency")
    pd.error(pd.post("/api/v2/products", {"name": "X", "billing_frequency_cycles": 2}), 400, "one-time")
    pd.error(pd.post("/api/v2/products", {"name": "X", "billing_frequency": "weekly"}), 400, "cannot be null")
    pd.error(pd.post("/api/v2/products", {"name": "X", "billing_frequency": "monthly",
                                          "billing_frequency_cycles": 209}), 400, "208")
    pd.error(pd.post("/api/v2/products", {"name": "X", "custom_fields": {"f" * 40: 1}}), 400, "does not exist")
    pd.error(pd.patch(f"/api/v2/products/{pid}", {"name": None}), 400, "name")
    pd.error(pd.get("/api/v2/products/999"), 404, "product")


def test_lists_filter_sort_and_page(pd: PD) -> None:
    names = ["beta", "Alpha", "delta", "Charlie", "echo"]
    made = [_product(pd, n, owner_id=1 + i % 2) for i, n in enumerate(names)]
    seen, cursor = [], None
    while True:
        query = {"sort_by": "name", "limit": 2, **({"cursor": cursor} if cursor else {})}
        r = pd.get("/api/v2/products", query)
        seen += [p["name"] for p in r.data]
        cursor = r.body["additional_data"]["next_cursor"]
        if not cursor:
            break
    assert seen == ["Alpha", "beta", "Charlie", "delta", "echo"]  # case-insensitive, no repeats
    desc = pd.get("/api/v2/products", {"sort_by": "name", "sort_direction": "desc"}).data
    assert [p["name"] for p in desc] == seen[::-1]
    ids = f"{made[0]['id']},{made[3]['id']},999"
    assert [p["name"] for p in pd.get("/api/v2/products", {"ids": ids}).data] == ["beta", "Charlie"]
    assert {p["name"] for p in pd.get("/api/v2/products", {"owner_id": 2}).data} == {"Alpha", "Charlie"}
    pd.error(pd.get("/api/v2/products", {"sort_by": "code"}), 400, "sort_by")
    assert pd.get("/api/v2/products", {"updated_since": "2100-01-01T00:00:00Z"}).data == []
    assert len(pd.get("/api/v2/products", {"updated_since": made[0]["update_time"]}).data) == 5
    warranty = pd.post("/api/v2/productFields", {"field_name": "Warranty", "field_type": "varchar"}).data
    vendor = pd.post("/api/v2/productFields", {"field_name": "Vendor", "field_type": "varchar"}).data
    narrowed = pd.get("/api/v2/products", {"custom_fields": warranty["field_code"]}).data[0]["custom_fields"]
    assert narrowed == {warranty["field_code"]: None} and vendor["field_code"] not in narrowed
    pd.delete(f"/api/v2/products/{made[0]['id']}")
    assert "beta" not in {p["name"] for p in pd.get("/api/v2/products").data}
    pd.error(pd.get(f"/api/v2/products/{made[0]['id']}"), 404, "product")


def test_product_search_and_item_search(pd: PD) -> None:
    text = pd.post("/api/v2/productFields", {"field_name": "Vendor", "field_type": "varchar"}).data["field_code"]
    _product(pd, "Router X200", code="NET-200", custom_fields={text: "Netgearish"})
    _product(pd, "Cable", code="NET-CAT6")
    r = pd.get("/api/v2/products/search", {"term": "NET"})
    assert [i["item"]["name"] for i in r.data["items"]] == ["Router X200", "Cable"]
    assert r.data["items"][0]["item"]["custom_fields"] == ["Netgearish"]
    exact = pd.get("/api/v2/products/search", {"term": "net-cat6", "exact_match": "true", "fields": "code"})
    assert [i["item"]["code"] for i in exact.data["items"]] == ["NET-CAT6"]
    priced = pd.get("/api/v2/products/search", {"term": "Cable", "include_fields": "product.price"}).data
    assert priced["items"][0]["item"]["price"] == 0
    pd.error(pd.get("/api/v2/products/search", {"term": "NET", "fields": "title"}), 400, "fields")
    items = pd.get("/api/v2/itemSearch", {"term": "Router", "item_types": "product"}).data["items"]
    assert [(i["item"]["type"], i["item"]["name"]) for i in items] == [("product", "Router X200")]
    field = pd.get("/api/v2/itemSearch/field", {"term": "Cab", "entity_type": "product", "field": "name",
                                               "match": "beginning"}).data
    assert [i["item"]["name"] for i in field] == ["Cable"]


def test_v1_products_are_out_of_support_even_when_deprecated_routes_are_served(pd: PD) -> None:
    """Pipedrive deprecated v1 products and deal products with the other v1 families; the sandbox
    never modelled them in v1, so it answers 410 naming the v2 replacement whatever the flag."""
    for method, path, replacement in (
        ("GET", "/api/v1/products", "GET /api/v2/products"),
        ("POST", "/api/v1/products", "POST /api/v2/products"),
        ("PUT", "/api/v1/products/1", "PATCH /api/v2/products/{id}"),
        ("GET", "/api/v1/products/search", "GET /api/v2/products/search"),
        ("GET", "/api/v1/deals/1/products", "GET /api/v2/deals/{id}/products"),
        ("PUT", "/api/v1/deals/1/products/2", "PATCH /api/v2/deals/{id}/products/{product_attachment_id}"),
    ):
        pd.error(pd.call(method, path, json_body={} if method != "GET" else None), 410, replacement)
