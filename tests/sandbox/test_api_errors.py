"""Error handling: routes, methods, bodies, connections, and Pipedrive's error envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reconciler.sandbox.pipedrive import PipedriveAPI

if TYPE_CHECKING:
    from conftest import PD


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v2/widgets", 404),
        ("GET", "/api/v3/deals", 404),
        ("GET", "/", 404),
        ("PUT", "/api/v2/deals/1", 405),
        ("PATCH", "/api/v1/deals/1", 405),
        ("POST", "/api/v1/users/me", 405),
        ("DELETE", "/api/v2/deals", 405),
        ("DELETE", "/api/v1/dealFields", 405),
    ],
)
def test_unknown_routes_and_methods(pd: PD, method: str, path: str, status: int) -> None:
    pd.error(pd.call(method, path), status)


def test_405_names_allowed_methods(pd: PD) -> None:
    response = pd.api.handle(pd.connection_id, "PUT", "/api/v2/deals/1", [], None, None)
    assert response.status == 405 and response.headers["Allow"] == "DELETE, GET, PATCH"


def test_unknown_ids(pd: PD) -> None:
    for path in (
        "/api/v2/deals/42",
        "/api/v1/deals/42",
        "/api/v2/persons/42",
        "/api/v1/persons/42",
        "/api/v2/organizations/42",
        "/api/v1/organizations/42",
        "/api/v2/activities/42",
        "/api/v1/activities/42",
        "/api/v1/notes/42",
        "/api/v2/pipelines/42",
        "/api/v1/stages/42",
    ):
        pd.error(pd.get(path), 404, "not found")
    pd.error(pd.get("/api/v2/deals/abc"), 400, "integer")
    pd.error(pd.get("/api/v1/deals/abc"), 404)


def test_bad_bodies(pd: PD) -> None:
    pd.error(pd.call("POST", "/api/v2/deals", raw=b"{not json"), 400, "json")
    pd.error(pd.call("POST", "/api/v2/deals", raw=b"[1, 2]"), 400, "object")
    pd.error(pd.post("/api/v2/deals", {}), 400, "title")
    pd.error(pd.post("/api/v1/deals", {"value": 5}), 400, "title")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"title": "x", "value": "100"}, "number"),
        ({"title": "x", "value": True}, "number"),
        ({"title": 5}, "string"),
        ({"title": "x", "stage_id": "1"}, "integer"),
        ({"title": "x", "stage_id": 99}, "stage"),
        ({"title": "x", "pipeline_id": 99}, "pipeline"),
        ({"title": "x", "person_id": 99}, "person"),
        ({"title": "x", "org_id": 99}, "organization"),
        ({"title": "x", "owner_id": 99}, "user"),
        ({"title": "x", "status": "closed"}, "status"),
        ({"title": "x", "currency": "dollars"}, "currency"),
        ({"title": "x", "visible_to": "3"}, "integer"),
        ({"title": "x", "expected_close_date": "31/01/2027"}, "date"),
        ({"title": "x", "probability": 120}, "probability"),
        ({"title": "x", "label_ids": 1}, "array"),
        ({"title": "x", "add_time": "2026-01-01 10:00:00"}, "RFC 3339"),
        ({"title": None}, "title"),
    ],
)
def test_v2_deal_validation(pd: PD, body: dict, needle: str) -> None:
    pd.error(pd.post("/api/v2/deals", body), 400, needle)


def test_v1_is_lenient_where_pipedrive_v1_is(pd: PD) -> None:
    r = pd.post("/api/v1/deals", {"title": "x", "value": "100", "stage_id": "2", "visible_to": "3"})
    assert r.status == 201 and r.data["value"] == 100 and r.data["stage_id"] == 2
    pd.error(pd.post("/api/v1/deals", {"title": "x", "value": "lots"}), 400, "number")
    pd.error(pd.post("/api/v1/deals", {"title": "x", "stage_id": 99}), 400, "stage")


def test_refused_write_leaves_nothing(pd: PD) -> None:
    pd.error(pd.post("/api/v2/deals", {"title": "x", "person_id": 99}), 400)
    assert pd.get("/api/v2/deals").data == []
    assert pd.deal("first")["id"] == 1  # no id was consumed by the refused write


def test_deleted_reference_is_refused(pd: PD) -> None:
    org = pd.org()
    pd.delete(f"/api/v2/organizations/{org['id']}")
    pd.error(pd.post("/api/v2/deals", {"title": "x", "org_id": org["id"]}), 400, "organization")


def test_unknown_or_deleted_connection(store) -> None:
    api = PipedriveAPI(store)
    response = api.handle("no-such-connection", "GET", "/api/v2/deals", [], None, None)
    assert response.status == 404 and response.body["success"] is False
    other = store.create_connection()
    assert store.delete_connection(other["connection_id"]) is True
    response = api.handle(other["connection_id"], "GET", "/api/v2/deals", [], None, None)
    assert response.status == 404


def test_success_envelopes(pd: PD) -> None:
    v2 = pd.get("/api/v2/deals")
    assert v2.body == {"success": True, "data": [], "additional_data": {"next_cursor": None}}
    v1 = pd.get("/api/v1/deals")
    assert v1.body["success"] is True and v1.body["data"] is None
    assert v1.body["additional_data"] == {
        "pagination": {"start": 0, "limit": 100, "more_items_in_collection": False}
    }
