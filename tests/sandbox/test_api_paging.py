"""Paging and list filters over a seeded company: every object exactly once, in both versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PD


def _v2_all(pd: PD, path: str, **query: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        q = dict(query)
        if cursor:
            q["cursor"] = cursor
        r = pd.get(path, q)
        assert r.status == 200, r.body
        assert set(r.body) == {"success", "data", "additional_data"}
        items.extend(r.data)
        cursor = r.body["additional_data"]["next_cursor"]
        if cursor is None:
            return items


def _v1_all(pd: PD, path: str, **query: object) -> list[dict]:
    items: list[dict] = []
    start = 0
    while True:
        r = pd.get(path, {**query, "start": start})
        assert r.status == 200, r.body
        items.extend(r.data or [])
        page = r.body["additional_data"]["pagination"]
        if not page["more_items_in_collection"]:
            assert "next_start" not in page
            return items
        start = page["next_start"]


@pytest.mark.parametrize("path", ["/api/v2/deals", "/api/v2/persons", "/api/v2/organizations"])
def test_v2_cursor_returns_each_once(seeded: PD, path: str) -> None:
    items = _v2_all(seeded, path, limit=500)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    expected = {"/api/v2/deals": 2500, "/api/v2/persons": 1200, "/api/v2/organizations": 600}[path]
    assert len(ids) == expected


def test_v2_cursor_by_update_time_desc(seeded: PD) -> None:
    items = _v2_all(seeded, "/api/v2/deals", limit=333, sort_by="update_time", sort_direction="desc")
    assert len({i["id"] for i in items}) == len(items) == 2500
    keys = [(i["update_time"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)


def test_v1_start_limit_returns_each_once(seeded: PD) -> None:
    deals = _v1_all(seeded, "/api/v1/deals", limit=500)
    assert len(deals) == 2500 and len({d["id"] for d in deals}) == 2500
    notes = _v1_all(seeded, "/api/v1/notes", limit=500)
    assert len(notes) == 2200 and len({n["id"] for n in notes}) == 2200


def test_v1_limit_is_capped_and_v2_limit_validated(seeded: PD) -> None:
    r = seeded.get("/api/v1/deals", {"limit": 1000})
    assert len(r.data) == 500 and r.body["additional_data"]["pagination"]["limit"] == 500
    seeded.error(seeded.get("/api/v2/deals", {"limit": 501}), 400, "limit")
    seeded.error(seeded.get("/api/v2/deals", {"limit": 0}), 400, "limit")
    assert len(seeded.get("/api/v2/deals").data) == 100  # default page size
    assert len(seeded.get("/api/v1/deals").data) == 100


def test_cursor_stable_while_objects_are_added(pd: PD) -> None:
    first = [pd.deal(f"D{i}")["id"] for i in range(5)]
    page = pd.get("/api/v2/deals", {"limit": 3})
    pd.deal("late")
    rest = pd.get("/api/v2/deals", {"limit": 10, "cursor": page.body["additional_data"]["next_cursor"]}).data
    assert [d["id"] for d in page.data] + [d["id"] for d in rest] == [*first, first[-1] + 1]


def test_bad_cursor(seeded: PD) -> None:
    seeded.error(seeded.get("/api/v2/deals", {"cursor": "not-a-cursor!"}), 400, "cursor")
    cursor = seeded.get("/api/v2/deals", {"limit": 2}).body["additional_data"]["next_cursor"]
    seeded.error(seeded.get("/api/v2/deals", {"cursor": cursor, "sort_by": "add_time"}), 400, "cursor")


def test_ids_filter(seeded: PD) -> None:
    r = seeded.get("/api/v2/deals", {"ids": "5,3,99999,1"})
    assert [d["id"] for d in r.data] == [1, 3, 5]
    ids = ",".join(str(i) for i in range(1, 101))
    assert len(seeded.get("/api/v2/deals", {"ids": ids, "limit": 500}).data) == 100
    seeded.error(seeded.get("/api/v2/deals", {"ids": ids + ",101"}), 400, "100")
    seeded.error(seeded.get("/api/v2/deals", {"ids": "1,a"}), 400, "ids")
    assert [p["id"] for p in seeded.get("/api/v2/persons", {"ids": "2,4"}).data] == [2, 4]


def test_updated_since_v2(seeded: PD) -> None:
    everything = _v2_all(seeded, "/api/v2/deals", limit=500)
    cut = sorted(d["update_time"] for d in everything)[2000]
    since = _v2_all(seeded, "/api/v2/deals", limit=500, updated_since=cut)
    assert {d["id"] for d in since} == {d["id"] for d in everything if d["update_time"] >= cut}
    until = seeded.get("/api/v2/deals", {"updated_until": cut, "limit": 500, "ids": "1,2,3"}).data
    assert all(d["update_time"] < cut for d in until)
    seeded.error(seeded.get("/api/v2/deals", {"updated_since": "2026-01-01"}), 400, "RFC 3339")
    seeded.error(seeded.get("/api/v2/deals", {"updated_since": "yesterday"}), 400, "RFC 3339")
    offset = seeded.get("/api/v2/deals", {"updated_since": cut.replace("Z", "+00:00"), "limit": 1})
    assert offset.status == 200


def test_updated_since_sees_new_writes(pd: PD) -> None:
    old = pd.deal("old")
    stamp = old["update_time"]
    pd.patch(f"/api/v2/deals/{old['id']}", {"value": 3})
    new = pd.get("/api/v2/deals", {"updated_since": stamp}).data
    assert [d["id"] for d in new] == [old["id"]]


# A load run: the paging it checks is the 2,500-deal tests' above; this one seeds the full-size
# company (55,000 objects, the largest seed of any test) to page it at scale: `-m slow` runs it.
@pytest.mark.slow
def test_full_size_seed_pages_20000_deals_each_once(tmp_path) -> None:
    from reconciler.sandbox.pipedrive import PipedriveAPI
    from reconciler.sandbox.seed import seed_database
    from reconciler.sandbox.store import Store

    db = str(tmp_path / "big.db")
    counts = seed_database(db, organizations=5000, persons=10000, deals=20000, notes=20000, seed=3)
    assert counts["deals"] == 20000
    store = Store(db)
    from conftest import PD as Client

    pd = Client(PipedriveAPI(store, serve_deprecated_v1=True), counts["connection_id"])
    v2 = _v2_all(pd, "/api/v2/deals", limit=500)
    assert len(v2) == len({d["id"] for d in v2}) == 20000
    v1 = _v1_all(pd, "/api/v1/deals", limit=500)
    assert len(v1) == len({d["id"] for d in v1}) == 20000
    store.close()
