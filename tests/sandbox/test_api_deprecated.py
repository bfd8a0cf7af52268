"""Pipedrive's out-of-support v1 routes answer 410 Gone unless the sandbox is told to serve them.

Pipedrive deprecated the v1 endpoints of deals, persons, organizations, activities, pipelines and
stages (bulk deletes and v1 search included) on 2026-01-01 and put them out of support on
2026-08-01; notes, users, activity types and the ``*Fields`` endpoints stay. The legacy ``/v1/...``
prefix (without ``/api``) is still accepted for v1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.pipedrive.deprecated import DEPRECATED_V1, ENV_FLAG, replacement_for

if TYPE_CHECKING:
    from conftest import PD

KEY = "deprecated-test-key"
GONE = [
    ("GET", "/api/v1/deals"),
    ("GET", "/api/v1/deals/1"),
    ("POST", "/api/v1/deals"),
    ("PUT", "/api/v1/deals/1"),
    ("DELETE", "/api/v1/deals/1"),
    ("DELETE", "/api/v1/deals?ids=1,2"),
    ("GET", "/api/v1/deals/search?term=acme"),
    ("GET", "/api/v1/persons"),
    ("DELETE", "/api/v1/persons?ids=1"),
    ("GET", "/api/v1/persons/search?term=john"),
    ("GET", "/api/v1/organizations/7"),
    ("GET", "/api/v1/organizations/search?term=acme"),
    ("GET", "/api/v1/activities"),
    ("DELETE", "/api/v1/activities?ids=3"),
    ("GET", "/api/v1/pipelines"),
    ("GET", "/api/v1/pipelines/1"),
    ("GET", "/api/v1/stages"),
    ("GET", "/api/v1/stages/1"),
    ("DELETE", "/api/v1/stages?ids=1"),
    ("GET", "/api/v1/itemSearch?term=acme"),
    ("GET", "/v1/deals"),
    ("POST", "/v1/persons"),
]
KEPT = ["/api/v1/notes", "/api/v1/users", "/api/v1/users/me", "/api/v1/users/1", "/api/v1/activityTypes",
        "/api/v1/dealFields", "/api/v1/personFields", "/api/v1/organizationFields"]


def _split(target: str) -> tuple[str, list[tuple[str, str]]]:
    path, _, query = target.partition("?")
    return path, [tuple(p.split("=", 1)) for p in query.split("&") if p]  # type: ignore[misc]


@pytest.mark.parametrize(("method", "target"), GONE)
def test_deprecated_v1_routes_answer_410_with_the_replacement(pd_current: PD, method: str, target: str) -> None:
    path, query = _split(target)
    body = {"title": "x", "name": "x"} if method in ("POST", "PUT") else None
    response = pd_current.call(method, path, query, json_body=body)
    pd_current.error(response, 410, "out of support since 2026-08-01")
    assert "/api/v2/" in response.body["error"]


def test_nothing_is_written_through_a_gone_route(pd_current: PD) -> None:
    pd_current.error(pd_current.post("/api/v1/deals", {"title": "Ghost"}), 410)
    assert pd_current.get("/api/v2/deals").data == []


@pytest.mark.parametrize("path", KEPT)
def test_supported_v1_routes_answer_under_both_prefixes(pd_current: PD, path: str) -> None:
    assert pd_current.get(path).status == 200
    assert pd_current.get(path.replace("/api/v1/", "/v1/", 1)).status == 200


def test_legacy_prefix_reaches_the_same_objects(pd_current: PD) -> None:
    deal = pd_current.deal()
    created = pd_current.call("POST", "/v1/notes", json_body={"content": "via /v1", "deal_id": deal["id"]})
    assert created.status == 201, created.body
    assert pd_current.get(f"/api/v1/notes/{created.data['id']}").data["content"] == "via /v1"
    pd_current.error(pd_current.get("/v2/deals"), 404)  # v2 exists only under /api/v2


def test_served_on_request(pd: PD) -> None:
    """The ``pd`` fixture serves them (``serve_deprecated_v1=True``): v1 deals work as before."""
    assert pd.post("/api/v1/deals", {"title": "Old account"}).status == 201
    assert pd.get("/v1/deals").data[0]["title"] == "Old account"


def test_every_entry_names_a_v2_replacement() -> None:
    for method, template, replacement in DEPRECATED_V1:
        assert template.startswith("/api/v1/") and replacement.split()[1].startswith("/api/v2/"), template
        concrete = template.replace("{id}", "12")
        assert replacement_for(method, concrete) is not None, (method, concrete)
    assert replacement_for("GET", "/api/v1/deals/search") == "GET /api/v2/deals/search"
    assert replacement_for("GET", "/api/v1/notes") is None
    assert replacement_for("DELETE", "/api/v1/pipelines") is None  # Pipedrive never had a bulk delete there


def _gateway_status(gateway: SandboxGateway, method: str, path: str) -> int:
    headers = {"Authorization": f"Bearer {KEY}"}
    return gateway.handle(method, "/pipedrive" + path, [], headers, None).status


def test_gateway_keyword_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_FLAG, raising=False)
    with SandboxGateway(None, api_key=KEY) as gateway:
        assert _gateway_status(gateway, "GET", "/api/v1/deals") == 410
        assert _gateway_status(gateway, "GET", "/api/v1/notes") == 200
    with SandboxGateway(None, api_key=KEY, serve_deprecated_v1=True) as gateway:
        assert _gateway_status(gateway, "GET", "/api/v1/deals") == 200
    monkeypatch.setenv(ENV_FLAG, "1")
    with SandboxGateway(None, api_key=KEY) as gateway:
        assert _gateway_status(gateway, "GET", "/api/v1/deals") == 200
    with SandboxGateway(None, api_key=KEY, serve_deprecated_v1=False) as gateway:
        assert _gateway_status(gateway, "GET", "/api/v1/deals") == 410


def test_client_shows_one_clear_line_for_410(tmp_path: Path) -> None:
    """An old `--api-version v1` run against today's Pipedrive: one line naming the way out."""
    from reconciler.pipedrive.errors import PipedriveError
    from reconciler.pipedrive.http import HttpClient
    from reconciler.sandbox.transport import SandboxTransport

    with SandboxGateway(str(tmp_path / "s.db"), api_key=KEY, serve_deprecated_v1=False) as gateway:
        http = HttpClient("http://sandbox.local/pipedrive", api_key=KEY, transport=SandboxTransport(gateway),
                          rate_limit=1000, sleep=lambda s: None)
        with pytest.raises(PipedriveError) as caught:
            http.request("GET", "/api/v1/deals")
        http.close()
    message = str(caught.value)
    assert caught.value.status == 410
    assert message.startswith("Pipedrive answered 410 Gone for GET /api/v1/deals")
    assert "2026-08-01" in message and "--api-version v2" in message and "\n" not in message


def test_cli_v1_against_todays_sandbox_fails_in_one_line(tmp_path: Path) -> None:
    from tests.conftest import invoke

    project = tmp_path / "p"
    project.mkdir()
    (project / "m.yaml").write_text("organizations:\n  acme: {name: Acme}\n", encoding="utf-8")
    db = str(tmp_path / "s.db")
    result = invoke(["plan", str(project), "--sandbox", db, "--api-version", "v1"])
    assert result.code == 1, result.both
    assert "410 Gone" in result.both and "--api-version v2" in result.both
    assert "Traceback" not in result.both
    served = invoke(["plan", str(project), "--sandbox", db, "--api-version", "v1", "--format", "json"],
                    {ENV_FLAG: "1"})
    assert served.code == 0, served.both
    assert json.loads(served.out)["summary"]["create"] == 1
