"""Merges and lead conversion over real HTTP (issue 24), as the docs' curl lines make them: a served
sandbox, a client that is not reconciler's (httpx straight), each call and what follows it."""

from __future__ import annotations

from typing import Any

from tests.conftest import HttpSandbox


def test_merge_and_convert_over_http(http_sandbox: HttpSandbox) -> None:
    api = http_sandbox.api

    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = api.http.request(method, path, **kwargs)
        return response.status_code, response.json()

    keep = api.call("POST", "/api/v2/persons", json={"name": "Ann", "emails": [{"value": "ann@x.example"}]})
    dup = api.call("POST", "/api/v2/persons", json={"name": "Ann 2", "emails": [{"value": "ann@old.example"}]})
    status, body = call("PUT", f"/api/v1/persons/{dup['id']}/merge", json={"merge_with_id": keep["id"]})
    assert status == 200 and body["data"]["merge_what_id"] == dup["id"], body
    assert call("GET", f"/api/v2/persons/{dup['id']}")[0] == 404
    emails = [e["value"] for e in api.call("GET", f"/api/v2/persons/{keep['id']}")["emails"]]
    assert emails == ["ann@x.example", "ann@old.example"]

    org = api.call("POST", "/api/v2/organizations", json={"name": "Acme"})
    lead = api.call("POST", "/api/v1/leads", json={"title": "Inbound", "organization_id": org["id"]})
    job = api.call("POST", f"/api/v2/leads/{lead['id']}/convert/deal", json={"stage_id": 2})
    result = api.call("GET", f"/api/v2/leads/{lead['id']}/convert/status/{job['conversion_id']}")
    assert result["status"] == "completed"
    assert api.call("GET", f"/api/v2/deals/{result['deal_id']}")["title"] == "Inbound"
    assert call("GET", f"/api/v1/leads/{lead['id']}")[0] == 404
