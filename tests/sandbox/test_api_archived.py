"""Archived deals, as Pipedrive has them since 2025-07-15 (official v2 client 33.x).

``is_archived`` (and ``archive_time``, UTC ``YYYY-MM-DD HH:MM:SS``, set to now when omitted) are
writable through v2 POST/PATCH; ``GET /api/v2/deals`` leaves archived deals out and
``GET /api/v2/deals/archived`` lists them with the same parameters and paging; get by id answers
an archived deal; an archived deal is not editable until it is unarchived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _ids(pd: PD, path: str, **query: object) -> list[int]:
    response = pd.get(path, query)
    assert response.status == 200, response.body
    return [d["id"] for d in response.data]


def test_archive_and_unarchive_through_v2(pd: PD) -> None:
    kept = pd.deal("Kept")
    archived = pd.deal("Shelved", is_archived=True)
    assert archived["is_archived"] is True and archived["archive_time"].endswith("Z")
    assert _ids(pd, "/api/v2/deals") == [kept["id"]]
    assert _ids(pd, "/api/v2/deals/archived") == [archived["id"]]
    got = pd.get(f"/api/v2/deals/{archived['id']}")
    assert got.status == 200 and got.data["is_archived"] is True

    patched = pd.patch(f"/api/v2/deals/{kept['id']}", {"is_archived": True, "archive_time": "2026-10-01 08:30:00"})
    assert patched.status == 200, patched.body
    assert patched.data["archive_time"] == "2026-10-01T08:30:00Z"
    assert _ids(pd, "/api/v2/deals") == []
    assert _ids(pd, "/api/v2/deals/archived") == [kept["id"], archived["id"]]

    back = pd.patch(f"/api/v2/deals/{kept['id']}", {"is_archived": False})
    assert back.data["is_archived"] is False and back.data["archive_time"] is None
    assert _ids(pd, "/api/v2/deals") == [kept["id"]]


def test_archived_list_takes_the_same_parameters_and_paging(pd: PD) -> None:
    org = pd.org()
    made = [pd.deal(f"Archived {i}", is_archived=True, org_id=org["id"] if i % 2 else None)["id"] for i in range(5)]
    pd.deal("Live", org_id=org["id"])
    assert _ids(pd, "/api/v2/deals/archived", org_id=org["id"]) == made[1::2]
    assert _ids(pd, "/api/v2/deals/archived", sort_by="id", sort_direction="desc") == made[::-1]
    first = pd.get("/api/v2/deals/archived", {"limit": 2})
    assert [d["id"] for d in first.data] == made[:2]
    cursor = first.body["additional_data"]["next_cursor"]
    second = pd.get("/api/v2/deals/archived", {"limit": 2, "cursor": cursor})
    assert [d["id"] for d in second.data] == made[2:4]
    pd.error(pd.get("/api/v2/deals/archived", {"sort_by": "title"}), 400, "sort_by")


def test_ids_select_within_each_list(pd: PD) -> None:
    """``ids`` never brings an archived deal into /deals, nor a live one into /deals/archived."""
    live = pd.deal("Live")
    shelved = pd.deal("Shelved", is_archived=True)
    both = f"{live['id']},{shelved['id']}"
    assert _ids(pd, "/api/v2/deals", ids=both) == [live["id"]]
    assert _ids(pd, "/api/v2/deals/archived", ids=both) == [shelved["id"]]


def test_archived_deal_is_not_editable_until_unarchived(pd: PD) -> None:
    deal = pd.deal("Shelved", is_archived=True)
    pd.error(pd.patch(f"/api/v2/deals/{deal['id']}", {"title": "Renamed"}), 400, "archived")
    ok = pd.patch(f"/api/v2/deals/{deal['id']}", {"title": "Renamed", "is_archived": False})
    assert ok.status == 200 and ok.data["title"] == "Renamed" and ok.data["is_archived"] is False


def test_archive_flags_are_validated(pd: PD) -> None:
    pd.error(pd.post("/api/v2/deals", {"title": "x", "is_archived": "yes"}), 400, "is_archived")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "is_archived": True, "archive_time": "yesterday"}), 400,
             "archive_time")


def test_v1_lists_leave_archived_deals_out(pd: PD) -> None:
    pd.deal("Live")
    pd.deal("Shelved", is_archived=True)
    assert [d["title"] for d in pd.get("/api/v1/deals").data] == ["Live"]
