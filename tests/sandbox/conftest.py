"""Fixtures for the local Pipedrive's conformance tests: call ``PipedriveAPI.handle`` directly.

Why not HTTP: these tests check Pipedrive's behaviour (shapes, rules, paging), not the
gateway; calling ``handle`` keeps the whole suite fast. The gateway's own tests cover HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from reconciler.sandbox.pipedrive import PipedriveAPI
from reconciler.sandbox.seed import seed_store
from reconciler.sandbox.store import Store


@dataclass
class Resp:
    """A response as tests read it."""

    status: int
    body: Any

    @property
    def data(self) -> Any:
        return self.body["data"]


class PD:
    """A tiny client over ``PipedriveAPI.handle`` for one connection."""

    def __init__(self, api: PipedriveAPI, connection_id: str) -> None:
        self.api = api
        self.connection_id = connection_id

    def call(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        form: dict[str, Any] | None = None,
        raw: bytes | None = None,
    ) -> Resp:
        pairs = list(query.items()) if isinstance(query, dict) else list(query or [])
        pairs = [(k, str(v)) for k, v in pairs]
        body, ctype = None, None
        if json_body is not None:
            body, ctype = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body, ctype = urlencode(form, doseq=True).encode(), "application/x-www-form-urlencoded"
        elif raw is not None:
            body, ctype = raw, "application/json"
        response = self.api.handle(self.connection_id, method, path, pairs, body, ctype)
        # everything the gateway sends must be JSON-serialisable
        json.dumps(response.body)
        return Resp(response.status, response.body)

    def get(self, path: str, query: Any = None) -> Resp:
        return self.call("GET", path, query)

    def post(self, path: str, body: Any = None, **kw: Any) -> Resp:
        return self.call("POST", path, json_body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Resp:
        return self.call("PUT", path, json_body=body, **kw)

    def patch(self, path: str, body: Any = None) -> Resp:
        return self.call("PATCH", path, json_body=body)

    def delete(self, path: str, query: Any = None) -> Resp:
        return self.call("DELETE", path, query)

    def field(self, entity: str, name: str) -> dict[str, Any]:
        """A field's v2 schema entry by its display name (custom fields' hashes differ per company)."""
        path = {"deal": "dealFields", "person": "personFields", "organization": "organizationFields",
                "product": "productFields"}[entity]
        for entry in self.get(f"/api/v2/{path}", {"limit": 500}).data:
            if entry["field_name"] == name:
                return entry
        raise KeyError(name)

    def option(self, entity: str, name: str, label: str) -> int:
        for option in self.field(entity, name)["options"]:
            if option["label"] == label:
                return option["id"]
        raise KeyError(label)

    @staticmethod
    def error(resp: Resp, status: int, needle: str = "") -> None:
        """Assert Pipedrive's error envelope with the given status (and text, when given)."""
        assert_error(resp, status, needle)

    def org(self, name: str = "Acme Corporation", **extra: Any) -> dict[str, Any]:
        r = self.post("/api/v2/organizations", {"name": name, **extra})
        assert r.status == 200, r.body
        return r.data

    def person(self, name: str = "John Doe", **extra: Any) -> dict[str, Any]:
        r = self.post("/api/v2/persons", {"name": name, **extra})
        assert r.status == 200, r.body
        return r.data

    def deal(self, title: str = "Acme renewal 2027", **extra: Any) -> dict[str, Any]:
        r = self.post("/api/v2/deals", {"title": title, **extra})
        assert r.status == 200, r.body
        return r.data


def assert_error(resp: Resp, status: int, needle: str = "") -> None:
    """Pipedrive's error envelope with the given status (and text, when given)."""
    assert resp.status == status, resp.body
    assert resp.body["success"] is False
    assert set(resp.body) >= {"success", "error", "error_info", "data", "additional_data"}
    assert resp.body["data"] is None and resp.body["additional_data"] is None
    assert needle.lower() in resp.body["error"].lower(), resp.body["error"]


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store()
    yield s
    s.close()


@pytest.fixture
def pd(store: Store) -> PD:
    """The default connection of a fresh in-memory sandbox that also serves the deprecated v1 routes.

    Why served: these tests check the v1 behaviour the sandbox keeps for ``--api-version v1``
    (``--serve-deprecated-v1``); ``pd_current`` is the sandbox as Pipedrive is today.
    """
    return PD(PipedriveAPI(store, serve_deprecated_v1=True), store.list_connections()[0]["connection_id"])


@pytest.fixture
def pd_current(store: Store) -> PD:
    """The default connection of a fresh sandbox that answers the deprecated v1 routes 410, as Pipedrive."""
    return PD(PipedriveAPI(store, serve_deprecated_v1=False), store.list_connections()[0]["connection_id"])


@pytest.fixture(scope="session")
def seeded() -> Iterator[PD]:
    """A read-only seeded company (2,500 deals, 1,200 persons...) shared by paging tests."""
    s = Store()
    seed_store(s, organizations=600, persons=1200, deals=2500, notes=2200, activities=300, seed=7)
    yield PD(PipedriveAPI(s, serve_deprecated_v1=True), s.list_connections()[0]["connection_id"])
    s.close()
