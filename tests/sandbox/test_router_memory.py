"""The sandbox's router remembers the routes it found (reconciler/sandbox/pipedrive/base.py, issue 28):
the same answers as trying every pattern, nothing shared between requests."""

from __future__ import annotations

import pytest

from reconciler.sandbox.pipedrive import build_router
from reconciler.sandbox.pipedrive.base import Router
from reconciler.sandbox.pipedrive.errors import ApiError


def test_a_remembered_route_is_the_route_found_and_its_parameters_are_the_request_s_own() -> None:
    router = build_router()
    for method, path in (("POST", "/api/v2/persons"), ("GET", "/api/v2/deals/12"), ("PATCH", "/api/v2/deals/12"),
                         ("GET", "/api/v1/notes"), ("DELETE", "/api/v1/leadLabels/5ba1262a-88e8-41b4-a8bc-61fa1330abc8")):
        first = router.match(method, path)
        assert first == router._match(method, path)
        first[1]["id"] = "changed by a handler"
        again = router.match(method, path)
        assert again == router._match(method, path)  # the remembered parameters were not touched


def test_unknown_routes_still_fail_every_time_and_a_new_route_is_seen() -> None:
    router = Router()
    router.add("/api/v2/things/{id}", get=lambda ctx: (200, None))
    assert router.match("GET", "/api/v2/things/1")[1] == {"id": "1"}
    for _ in range(2):
        with pytest.raises(ApiError) as refused:
            router.match("POST", "/api/v2/things/1")
        assert refused.value.status == 405
    router.add("/api/v2/things/{id}", post=lambda ctx: (201, None))
    assert router.match("POST", "/api/v2/things/1")[1] == {"id": "1"}
    router.REMEMBERED = 2
    for i in range(5):
        assert router.match("GET", f"/api/v2/things/{i}")[1] == {"id": str(i)}
    assert len(router._found) <= 2
