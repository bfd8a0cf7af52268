"""What a v1-only third-party client meets against `--serve-deprecated-v1` (issue 27; docs/sandbox.md,
"What a v1-only client meets"): v1 search served, v1 products 410 naming the v2 call, unmodelled
families 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

from conftest import assert_error


def test_v1_item_search_is_served_with_the_flag(pd: PD, pd_current: PD) -> None:
    deal = pd.deal("Globex v1 search")
    found = pd.get("/api/v1/itemSearch", {"term": "Globex", "start": 0, "limit": 10})
    assert found.status == 200, found.body
    assert [i["item"]["id"] for i in found.data["items"]] == [deal["id"]]
    assert found.body["additional_data"]["pagination"]["more_items_in_collection"] is False
    field = pd.get("/api/v1/itemSearch/field", {"term": "Globex", "entity_type": "deal", "field": "title",
                                                "match": "beginning"})
    assert field.status == 200 and field.data == [{"id": deal["id"], "title": "Globex v1 search"}]
    assert_error(pd_current.get("/api/v1/itemSearch", {"term": "Globex"}), 410, "/api/v2/itemSearch")


def test_v1_products_are_gone_even_with_the_flag(pd: PD) -> None:
    for method, path in (("GET", "/api/v1/products"), ("POST", "/api/v1/products"),
                         ("GET", "/api/v1/products/search"), ("GET", "/api/v1/deals/1/products")):
        assert_error(pd.call(method, path, json_body={} if method == "POST" else None), 410, "/api/v2/")


def test_families_the_sandbox_does_not_model_are_404(pd: PD) -> None:
    for path in ("/api/v1/files", "/api/v1/roles"):
        assert_error(pd.get(path), 404)


def test_current_v1_is_served_without_the_flag(pd_current: PD) -> None:
    for path in ("/api/v1/notes", "/api/v1/users/me", "/api/v1/activityTypes", "/api/v1/currencies",
                 "/api/v1/dealFields", "/api/v1/leads", "/api/v1/leadLabels", "/api/v1/deals/archived",
                 "/api/v1/filters", "/api/v1/goals/find", "/api/v1/webhooks"):
        assert pd_current.get(path).status == 200, path
