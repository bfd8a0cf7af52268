"""ControlClient against answers the sandbox never gives: inactive connections, odd orders, echoed keys.

Why a mock transport here: the sandbox's connections are always ACTIVE and listed oldest
first, but the real control API may say otherwise, and the client must still pick the
gateway's default and word each failure usefully.
"""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.config import ConfigError, Secret, Settings
from reconciler.pipedrive.control import (
    ControlError,
    InactiveConnectionError,
    UnknownConnectionError,
    open_control,
)
from reconciler.pipedrive.errors import AuthError, NoConnectionError

SECRET = "mock-secret-key-55aa"


def conn(ident: str, created: str, status: str = "ACTIVE", app: str = "pipedrive") -> dict:
    return {"connection_id": ident, "app": app, "status": status, "creation_time": created,
            "last_updated_time": created, "url": f"https://connect.example/{ident}", "method": "OAUTH2"}


def settings() -> Settings:
    return Settings(endpoint="https://gw.example/pipedrive", control_endpoint="https://ctrl.example",
                    api_key=Secret(SECRET))


def transport(connections: list[dict], seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return httpx.Response(401, json={"error": {"message": "Invalid API key."}})
        path = request.url.path
        if path == "/connections" and request.method == "GET":
            return httpx.Response(200, json={"connections": connections})
        if path == "/connections" and request.method == "POST":
            return httpx.Response(400, json={"error": {"message": f"bad request for key {SECRET}"}})
        ident = path.rsplit("/", 1)[-1]
        for item in connections:
            if item["connection_id"] == ident:
                return httpx.Response(200, json={"connection": item})
        return httpx.Response(404, json={"error": {"message": "not found"}})

    return httpx.MockTransport(handle)


def test_default_is_the_oldest_active_whatever_the_order() -> None:
    items = [conn("new", "2026-03-01T00:00:00Z"), conn("pending", "2025-01-01T00:00:00Z", "PENDING"),
             conn("old", "2026-01-01T00:00:00Z"), conn("slack", "2020-01-01T00:00:00Z", app="slack")]
    seen: list[httpx.Request] = []
    with open_control(settings(), transport(items, seen)) as control:
        assert [c.id for c in control.list()] == ["pending", "old", "new"]
        assert control.resolve(None).id == "old"
    assert seen[0].url.params["app"] == "pipedrive"
    assert str(seen[0].url).startswith("https://ctrl.example/connections")
    assert "maton-connection" not in seen[0].headers


def test_explicit_inactive_connection_says_what_to_do() -> None:
    items = [conn("p1", "2026-01-01T00:00:00Z", "PENDING")]
    with open_control(settings(), transport(items)) as control, pytest.raises(InactiveConnectionError) as info:
        control.resolve("p1")
    message = str(info.value)
    assert "is PENDING, not ACTIVE" in message and "https://connect.example/p1" in message
    assert "\n" not in message


def test_only_inactive_connections_means_none() -> None:
    items = [conn("p1", "2026-01-01T00:00:00Z", "PENDING")]
    with open_control(settings(), transport(items)) as control, pytest.raises(NoConnectionError) as info:
        control.resolve(None)
    assert "no active pipedrive connection" in str(info.value)


def test_connection_of_another_app_is_refused() -> None:
    items = [conn("s1", "2026-01-01T00:00:00Z", app="slack")]
    with open_control(settings(), transport(items)) as control, pytest.raises(UnknownConnectionError) as info:
        control.resolve("s1")
    assert "is for slack, not pipedrive" in str(info.value)


def test_id_is_one_path_segment() -> None:
    seen: list[httpx.Request] = []
    with open_control(settings(), transport([], seen)) as control, pytest.raises(UnknownConnectionError):
        control.get("../admin")
    assert seen[0].url.raw_path == b"/connections/..%2Fadmin"


def test_errors_never_carry_the_key() -> None:
    with open_control(settings(), transport([])) as control, pytest.raises(ControlError) as info:
        control.create()
    assert SECRET not in str(info.value) and "***" in str(info.value)
    wrong = settings()
    wrong.api_key = Secret("not-the-key")
    with open_control(wrong, transport([])) as control, pytest.raises(AuthError) as auth:
        control.list()
    assert "not-the-key" not in str(auth.value)


def test_no_key_fails_before_any_request() -> None:
    empty = settings()
    empty.api_key = Secret("")
    seen: list[httpx.Request] = []
    with pytest.raises(ConfigError, match="MATON_API_KEY is not set"):
        with open_control(empty, transport([], seen)):
            pass
    assert seen == []


def test_connection_json_shape() -> None:
    items = [conn("a", "2026-01-01T00:00:00Z")]
    with open_control(settings(), transport(items)) as control:
        shown = control.get("a").as_dict()
    assert json.loads(json.dumps(shown)) == {
        "connection_id": "a", "app": "pipedrive", "status": "ACTIVE",
        "creation_time": "2026-01-01T00:00:00Z", "last_updated_time": "2026-01-01T00:00:00Z",
        "method": "OAUTH2", "url": "https://connect.example/a",
    }
