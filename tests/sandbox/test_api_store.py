"""The store and its connections, the token cost table, and the seeder."""

from __future__ import annotations

import re

import pytest

from reconciler.pipedrive.costs import TOKEN_COSTS
from reconciler.sandbox.pipedrive import PipedriveAPI
from reconciler.sandbox.seed import seed_database
from reconciler.sandbox.store import Store

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_new_database_has_one_default_connection(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    [conn] = store.list_connections()
    assert UUID.match(conn["connection_id"]) and conn["status"] == "ACTIVE" and conn["app"] == "pipedrive"
    assert conn["company_name"] == "Example Sales Ltd" and isinstance(conn["company_id"], int)
    assert conn["metadata"] == {} and conn["creation_time"].endswith("Z")
    store.close()
    reopened = Store(tmp_path / "s.db")  # data persists, no second default connection
    assert reopened.list_connections() == [conn]
    reopened.close()


def test_connections_are_isolated_companies() -> None:
    store = Store(":memory:")
    api = PipedriveAPI(store)
    first = store.list_connections()[0]
    second = store.create_connection()
    assert [c["connection_id"] for c in store.list_connections()] == [
        first["connection_id"],
        second["connection_id"],
    ]
    assert first["company_id"] != second["company_id"]
    assert store.get_connection(second["connection_id"]) == second

    def call(conn: dict, method: str, path: str, body: bytes | None = None):
        return api.handle(conn["connection_id"], method, path, [], body, "application/json")

    call(first, "POST", "/api/v2/deals", b'{"title": "only in first"}')
    assert call(second, "GET", "/api/v2/deals").body["data"] == []
    # ids restart per company, custom field hashes differ
    assert call(second, "POST", "/api/v2/deals", b'{"title": "x"}').body["data"]["id"] == 1
    keys = [
        {f["field_name"]: f["field_code"] for f in call(c, "GET", "/api/v2/dealFields").body["data"]}
        for c in (first, second)
    ]
    assert keys[0]["Lead source"] != keys[1]["Lead source"]
    assert call(second, "GET", "/api/v1/users/me").body["data"]["company_id"] == second["company_id"]
    assert store.delete_connection(second["connection_id"]) is True
    assert store.delete_connection(second["connection_id"]) is False
    assert store.get_connection(second["connection_id"]) is None
    assert [c["connection_id"] for c in store.list_connections()] == [first["connection_id"]]


@pytest.mark.parametrize(
    ("method", "path", "cost"),
    [
        ("GET", "/api/v1/deals/5", 2),
        ("GET", "/api/v1/deals", 20),
        ("POST", "/api/v1/deals", 10),
        ("PUT", "/api/v1/deals/5", 10),
        ("DELETE", "/api/v1/deals/5", 6),
        ("DELETE", "/api/v1/deals", 6),
        ("GET", "/api/v1/deals/search", 40),
        ("GET", "/api/v2/deals/5", 1),
        ("GET", "/api/v2/deals", 10),
        ("POST", "/api/v2/deals", 5),
        ("PATCH", "/api/v2/deals/5", 5),
        ("DELETE", "/api/v2/deals/5", 3),
        ("GET", "/api/v2/persons/search", 20),
        ("GET", "/api/v1/users/me", 2),
        ("GET", "/api/v1/users", 20),
        ("GET", "/api/v1/notes", 20),
        ("GET", "/api/v1/dealFields", 20),
        ("GET", "/api/v2/dealFields", 10),
        ("GET", "/api/v2/dealFields/" + "a" * 40, 1),
        ("GET", "/api/v1/notes?limit=5", 20),
    ],
)
def test_token_costs(store, method: str, path: str, cost: int) -> None:
    assert PipedriveAPI(store).token_cost(method, path) == cost


def test_token_table_v2_is_half_of_v1() -> None:
    assert all(v1 == 2 * v2 for v1, v2 in TOKEN_COSTS.values())


def test_seed_counts_deterministic_and_realistic(tmp_path) -> None:
    sizes = dict(organizations=50, persons=120, deals=200, notes=150, activities=40)
    a = seed_database(str(tmp_path / "a.db"), seed=5, **sizes)
    b = seed_database(str(tmp_path / "b.db"), seed=5, **sizes)
    c = seed_database(str(tmp_path / "c.db"), seed=6, **sizes)
    assert {k: a[k] for k in sizes} == sizes

    def dump(path: str, conn: str) -> list:
        store = Store(path)
        api = PipedriveAPI(store)
        out = []
        for family in ("deals", "persons", "organizations", "activities"):
            r = api.handle(conn, "GET", f"/api/v2/{family}", [("limit", "500")], None, None)
            out.append([{k: v for k, v in d.items() if k != "custom_fields"} for d in r.body["data"]])
        notes = api.handle(conn, "GET", "/api/v1/notes", [("limit", "500")], None, None).body["data"]
        out.append([{k: n[k] for k in ("id", "content", "deal_id", "person_id", "org_id")} for n in notes])
        store.close()
        return out

    first = dump(str(tmp_path / "a.db"), a["connection_id"])
    assert first == dump(str(tmp_path / "b.db"), b["connection_id"])
    assert first != dump(str(tmp_path / "c.db"), c["connection_id"])
    deals, persons, orgs, activities, notes = first
    assert len({o["name"] for o in orgs}) == 50
    assert len({p["emails"][0]["value"] for p in persons}) == 120
    assert {d["status"] for d in deals} == {"open", "won", "lost"}
    assert all(d["update_time"] >= d["add_time"] for d in deals)
    assert all(sum(bool(n[k]) for k in ("deal_id", "person_id", "org_id")) == 1 for n in notes)
    assert any("<br>" in n["content"] for n in notes)


def test_seed_given_connection_and_speed(tmp_path) -> None:
    path = str(tmp_path / "s.db")
    store = Store(path)
    extra = store.create_connection()
    store.close()
    counts = seed_database(
        path,
        organizations=500,
        persons=1000,
        deals=2000,
        notes=2000,
        seed=1,
        connection_id=extra["connection_id"],
    )
    assert counts["connection_id"] == extra["connection_id"] and counts["deals"] == 2000
    store = Store(path)
    assert store.count(extra["company_id"], "deal") == 2000
    assert store.count(store.list_connections()[0]["company_id"], "deal") == 0
    store.close()
    with pytest.raises(ValueError):
        seed_database(path, deals=1, connection_id="nope")
