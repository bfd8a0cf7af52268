"""The seeder's products, deal products and leads: deterministic, consistent, and leaving the older
kinds exactly as they were (benchmarks and tests depend on those)."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.pipedrive import PipedriveAPI
from reconciler.sandbox.seed import seed_store
from reconciler.sandbox.store import Store

SIZES = dict(organizations=30, persons=60, deals=80, notes=40, activities=20)


def _seed(**extra: Any) -> tuple[Store, dict[str, Any]]:
    store = Store()
    return store, seed_store(store, seed=9, **SIZES, **extra)


def _all(store: Store, conn: str, path: str, **query: str) -> list[dict[str, Any]]:
    api = PipedriveAPI(store)
    body = api.handle(conn, "GET", path, [("limit", "500"), *query.items()], None, None).body
    return body["data"]


def _comparable(store: Store, conn: str, path: str) -> list[dict[str, Any]]:
    """Answers without what differs per company by design: custom field hashes and lead label UUIDs."""
    names = {label["id"]: label["name"] for label in _all(store, conn, "/api/v1/leadLabels")}
    out = []
    for item in _all(store, conn, path):
        item = {k: v for k, v in item.items() if k != "custom_fields" and len(k) < 40}
        if "label_ids" in item and path.startswith("/api/v1/leads"):
            item["label_ids"] = [names[i] for i in item["label_ids"]]
        out.append(item)
    return out


def test_new_kinds_leave_the_older_kinds_as_they_were() -> None:
    plain, counts = _seed(products=0, deal_products=0, leads=0)
    full, more = _seed(deal_products=20)
    assert (counts["products"], counts["deal_products"], counts["leads"]) == (0, 0, 0)
    assert (more["products"], more["deal_products"], more["leads"]) == (10, 20, 15)
    for path in ("/api/v2/deals", "/api/v2/persons", "/api/v2/organizations", "/api/v2/activities"):
        assert _comparable(plain, counts["connection_id"], path) == _comparable(full, more["connection_id"], path)
    plain.close()
    full.close()


def test_new_kinds_are_consistent_and_deterministic() -> None:
    one, counts = _seed(deal_products=20)
    two, again = _seed(deal_products=20)
    conn = counts["connection_id"]
    for path in ("/api/v2/products", "/api/v1/leads", "/api/v1/leads/archived"):
        assert _comparable(one, conn, path) == _comparable(two, again["connection_id"], path), path
    products = _all(one, conn, "/api/v2/products")
    leads = _all(one, conn, "/api/v1/leads") + _all(one, conn, "/api/v1/leads/archived")
    assert len(products) == 10 and len(leads) == 15
    deals = {d["id"]: d for d in _all(one, conn, "/api/v2/deals") + _all(one, conn, "/api/v2/deals/archived")}
    lines = _all(one, conn, "/api/v2/deals/products", deal_ids=",".join(map(str, list(deals)[:100])))
    assert len(lines) == 20
    for line in lines:  # each deal's value is its product line's sum, as Pipedrive calculates it
        assert line["sum"] == deals[line["deal_id"]]["value"] == line["quantity"] * line["item_price"]
        assert line["currency"] == deals[line["deal_id"]]["currency"]
    labels = {label["id"] for label in _all(one, conn, "/api/v1/leadLabels")}
    assert all(set(lead["label_ids"]) <= labels and (lead["person_id"] or lead["organization_id"]) for lead in leads)
    assert any(lead["is_archived"] for lead in leads) or len(leads) < 15
    one.close()
    two.close()


def test_defaults_make_a_few_products_and_leads_but_no_deal_products() -> None:
    store, counts = _seed()
    assert (counts["products"], counts["deal_products"], counts["leads"]) == (10, 0, 15)
    store.close()
