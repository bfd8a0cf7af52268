"""v2 deal products (issue 16): attaching products to deals, the sums, and the deal value they make."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _setup(pd: PD) -> tuple[dict, dict, dict]:
    deal = pd.deal(value=999, currency="EUR")
    a = pd.post("/api/v2/products", {"name": "Seat licence"}).data
    b = pd.post("/api/v2/products", {"name": "Onboarding"}).data
    return deal, a, b


def _attach(pd: PD, deal_id: int, **body: object) -> dict:
    r = pd.post(f"/api/v2/deals/{deal_id}/products", body)
    assert r.status == 200, r.body
    return r.data


def _value(pd: PD, deal_id: int) -> float:
    return pd.get(f"/api/v2/deals/{deal_id}").data["value"]


def test_products_make_the_deal_value(pd: PD) -> None:
    deal, a, b = _setup(pd)
    line = _attach(pd, deal["id"], product_id=a["id"], item_price=100, quantity=3, discount=10)
    assert (line["sum"], line["name"], line["currency"], line["order_nr"]) == (270, "Seat licence", "EUR", 1)
    assert (line["discount_type"], line["tax_method"], line["is_enabled"]) == ("percentage", "none", True)
    assert _value(pd, deal["id"]) == 270  # the deal's own 999 gives way to its products
    other = _attach(pd, deal["id"], product_id=b["id"], item_price=50, quantity=1, discount=5,
                    discount_type="amount")
    assert other["sum"] == 45 and other["order_nr"] == 2 and _value(pd, deal["id"]) == 315
    pd.patch(f"/api/v2/deals/{deal['id']}/products/{other['id']}", {"is_enabled": False})
    assert _value(pd, deal["id"]) == 270  # a disabled product is left out
    changed = pd.patch(f"/api/v2/deals/{deal['id']}/products/{line['id']}", {"quantity": 4}).data
    assert changed["sum"] == 360 and _value(pd, deal["id"]) == 360
    assert pd.get(f"/api/v2/deals/{deal['id']}", {"include_fields": "products_count"}).data["products_count"] == 2
    assert pd.delete(f"/api/v2/deals/{deal['id']}/products/{line['id']}").data == {"id": line["id"]}
    pd.delete(f"/api/v2/deals/{deal['id']}/products/{other['id']}")
    assert _value(pd, deal["id"]) == 0 and pd.get(f"/api/v2/deals/{deal['id']}/products").data == []
    pd.error(pd.delete(f"/api/v2/deals/{deal['id']}/products/{line['id']}"), 404, "deal product")


def test_tax_methods_and_their_spread_over_the_deal(pd: PD) -> None:
    deal, a, b = _setup(pd)
    first = _attach(pd, deal["id"], product_id=a["id"], item_price=100, quantity=1, tax=20)
    assert first["sum"] == 100  # no tax method yet: "none"
    second = _attach(pd, deal["id"], product_id=b["id"], item_price=10, quantity=2, tax=10, tax_method="exclusive")
    assert second["sum"] == 22
    listed = {d["id"]: d for d in pd.get(f"/api/v2/deals/{deal['id']}/products").data}
    assert listed[first["id"]]["tax_method"] == "exclusive" and listed[first["id"]]["sum"] == 120
    assert _value(pd, deal["id"]) == 142
    pd.patch(f"/api/v2/deals/{deal['id']}/products/{second['id']}", {"tax_method": "inclusive"})
    assert _value(pd, deal["id"]) == 120


def test_a_deal_with_products_keeps_its_calculated_value(pd: PD) -> None:
    deal, a, _ = _setup(pd)
    _attach(pd, deal["id"], product_id=a["id"], item_price=40, quantity=2)
    pd.error(pd.patch(f"/api/v2/deals/{deal['id']}", {"value": 5000}), 400, "calculated from them")
    assert pd.patch(f"/api/v2/deals/{deal['id']}", {"value": 80, "title": "Same value"}).status == 200
    pd.patch(f"/api/v2/deals/{deal['id']}", {"currency": "GBP"})
    assert pd.get(f"/api/v2/deals/{deal['id']}/products").data[0]["currency"] == "GBP"
    bare = pd.deal()
    assert pd.patch(f"/api/v2/deals/{bare['id']}", {"value": 5000}).data["value"] == 5000


def test_deal_product_input_pipedrive_refuses(pd: PD) -> None:
    deal, a, _ = _setup(pd)
    hidden = pd.post("/api/v2/products", {"name": "Internal", "is_linkable": False}).data
    gone = pd.post("/api/v2/products", {"name": "Gone"}).data
    pd.delete(f"/api/v2/products/{gone['id']}")
    path = f"/api/v2/deals/{deal['id']}/products"
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1}), 400, "quantity")
    pd.error(pd.post(path, {"product_id": hidden["id"], "item_price": 1, "quantity": 1}), 400, "is_linkable")
    pd.error(pd.post(path, {"product_id": gone["id"], "item_price": 1, "quantity": 1}), 400, "product")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1, "product_variation_id": 3}),
             400, "variation")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1, "enabled_flag": True}),
             400, "not allowed")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1, "discount": 101}), 400, "100")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 0}), 400, "positive")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1, "tax_method": "vat"}),
             400, "tax_method")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1, "billing_frequency": "weekly"}),
             400, "cannot be null")
    pd.error(pd.post(path, {"product_id": a["id"], "item_price": 1, "quantity": 1,
                            "billing_start_date": "2050-01-01"}), 400, "10 years")
    pd.error(pd.post("/api/v2/deals/999/products", {"product_id": a["id"], "item_price": 1, "quantity": 1}),
             404, "deal")
    archived = pd.deal("Archived", is_archived=True)
    pd.error(pd.post(f"/api/v2/deals/{archived['id']}/products",
                     {"product_id": a["id"], "item_price": 1, "quantity": 1}), 400, "archived")


def test_at_most_twenty_recurring_products_per_deal(pd: PD) -> None:
    deal, a, _ = _setup(pd)
    body = {"product_id": a["id"], "item_price": 1, "quantity": 1, "billing_frequency": "monthly"}
    pd.call("POST", f"/api/v2/deals/{deal['id']}/products/bulk", json_body={"data": [body] * 20})
    pd.error(pd.post(f"/api/v2/deals/{deal['id']}/products", body), 400, "at most 20")
    assert pd.post(f"/api/v2/deals/{deal['id']}/products", {**body, "billing_frequency": "one-time"}).status == 200


def test_bulk_attach_is_atomic_and_bulk_detach_takes_ids_or_all(pd: PD) -> None:
    deal, a, b = _setup(pd)
    bulk = f"/api/v2/deals/{deal['id']}/products/bulk"
    good = {"product_id": a["id"], "item_price": 10, "quantity": 1}
    pd.error(pd.post(bulk, {"data": [good, {"product_id": b["id"], "item_price": 10}]}), 400, "data[1].quantity")
    assert pd.get(f"/api/v2/deals/{deal['id']}/products").data == []  # nothing was attached
    pd.error(pd.post(bulk, {"data": [good] * 101}), 400, "100")
    added = pd.post(bulk, {"data": [good, {**good, "product_id": b["id"]}, good]}).data
    assert [d["order_nr"] for d in added] == [1, 2, 3] and _value(pd, deal["id"]) == 30
    many = f"/api/v2/deals/{deal['id']}/products"
    pd.error(pd.delete(many, {"ids": f"{added[0]['id']},999"}), 400, "not attached")
    r = pd.delete(many, {"ids": str(added[0]["id"])})
    assert r.data == {"ids": [added[0]["id"]]} and r.body["additional_data"] == {"more_items_in_collection": False}
    r = pd.delete(many)
    assert r.data == {"ids": [added[1]["id"], added[2]["id"]]} and _value(pd, deal["id"]) == 0


def test_products_of_several_deals(pd: PD) -> None:
    (one, a, b), two = _setup(pd), pd.deal("Two")
    for deal in (two, one):
        _attach(pd, deal["id"], product_id=a["id"], item_price=1, quantity=1)
        _attach(pd, deal["id"], product_id=b["id"], item_price=2, quantity=1)
    r = pd.get("/api/v2/deals/products", {"deal_ids": f"{one['id']},{two['id']}", "sort_by": "deal_id", "limit": 3})
    assert [d["deal_id"] for d in r.data] == [one["id"], one["id"], two["id"]]
    rest = pd.get("/api/v2/deals/products", {"deal_ids": f"{one['id']},{two['id']}", "sort_by": "deal_id",
                                             "cursor": r.body["additional_data"]["next_cursor"]})
    assert [d["deal_id"] for d in rest.data] == [two["id"]] and rest.body["additional_data"]["next_cursor"] is None
    pd.error(pd.get("/api/v2/deals/products"), 400, "deal_ids")
    pd.error(pd.get("/api/v2/deals/products", {"deal_ids": ",".join(str(i) for i in range(1, 102))}), 400, "100")
    pd.error(pd.get("/api/v2/deals/products", {"deal_ids": "1", "sort_by": "name"}), 400, "sort_by")
