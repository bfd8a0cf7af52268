"""The gateway front as a value: Maton's key and connection rules, control API, stats, rate limit.

These run the gateway in-process (directly and through the httpx transport), so they are
fast; test_http_server.py repeats the wire-level cases over a real socket.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.faults import Fault
from reconciler.sandbox.gateway import RateLimiter, SandboxGateway, route_template
from reconciler.sandbox.transport import SandboxTransport

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class FakeClock:
    """A clock the test moves by hand, so rate-limit windows are exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> Iterator[SandboxGateway]:
    gw = SandboxGateway(None, api_key=KEY)
    yield gw
    gw.close()


@pytest.fixture
def client(gateway: SandboxGateway) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SandboxTransport(gateway), base_url="http://sandbox.test", headers=AUTH) as c:
        yield c


def create_deal(client: httpx.Client, title: str, connection: str | None = None) -> int:
    headers = {"Maton-Connection": connection} if connection else {}
    r = client.post("/pipedrive/api/v2/deals", json={"title": title}, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()["data"]["id"]


# -- auth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer wrong"}, "invalid_api_key"),
        ({"Authorization": f"Basic {KEY}"}, "invalid_api_key"),
        ({"Authorization": "Bearer "}, "invalid_api_key"),
    ],
)
@pytest.mark.parametrize("path", ["/pipedrive/api/v1/users/me", "/connections"])
def test_key_is_required(gateway: SandboxGateway, headers: dict, code: str, path: str) -> None:
    result = gateway.handle("GET", path, [], headers, None)
    assert result.status == 401
    assert result.json() == {"status": 401, "error": code, "message": result.json()["message"]}
    assert KEY not in result.body.decode()
    assert gateway.stats()["requests"] == 0


def test_header_names_are_case_insensitive(gateway: SandboxGateway) -> None:
    result = gateway.handle("GET", "/pipedrive/api/v1/users/me", [], {"AUTHORIZATION": f"bearer {KEY}"}, None)
    assert result.status == 200


def test_key_never_in_repr(gateway: SandboxGateway) -> None:
    assert KEY not in repr(gateway)


def test_unknown_prefix_is_404(client: httpx.Client) -> None:
    r = client.get("/hubspot/crm/v3/objects")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


# -- connections ----------------------------------------------------------------------


def test_default_is_the_oldest_active_connection(client: httpx.Client, gateway: SandboxGateway) -> None:
    first = gateway.default_connection()
    assert first is not None
    client.post("/connections", json={"app": "pipedrive"})
    me = client.get("/pipedrive/api/v1/users/me").json()["data"]
    assert me["company_id"] == first["company_id"]
    assert gateway.stats()["by_connection"] == {first["connection_id"]: 1}


def test_header_picks_the_connection_and_companies_are_isolated(client: httpx.Client) -> None:
    second = client.post("/connections", json={"app": "pipedrive"}).json()["connection"]
    other = second["connection_id"]
    in_default = create_deal(client, "Only in the default company")
    in_other = create_deal(client, "Only in the second company", connection=other)

    def titles(connection: str | None) -> set[str]:
        headers = {"Maton-Connection": connection} if connection else {}
        body = client.get("/pipedrive/api/v2/deals", params={"limit": 500}, headers=headers).json()
        return {d["title"] for d in body["data"]}

    assert "Only in the default company" in titles(None)
    assert "Only in the default company" not in titles(other)
    assert "Only in the second company" in titles(other)
    assert "Only in the second company" not in titles(None)
    # Ids repeat across accounts: each company counts from its own start.
    assert in_default == in_other
    me = client.get("/pipedrive/api/v1/users/me", headers={"Maton-Connection": other}).json()["data"]
    assert me["company_id"] == second["company_id"]


def test_unknown_connection_is_400(client: httpx.Client) -> None:
    r = client.get("/pipedrive/api/v1/users/me", headers={"Maton-Connection": "no-such-connection"})
    assert r.status_code == 400
    assert r.json()["error"] == "connection_not_found"
    assert "x-ratelimit-limit" in r.headers


def test_deleted_connection_is_400(client: httpx.Client) -> None:
    conn = client.post("/connections", json={"app": "pipedrive"}).json()["connection"]["connection_id"]
    assert client.get("/pipedrive/api/v1/users/me", headers={"Maton-Connection": conn}).status_code == 200
    assert client.delete(f"/connections/{conn}").status_code == 200
    r = client.get("/pipedrive/api/v1/users/me", headers={"Maton-Connection": conn})
    assert r.status_code == 400
    assert r.json()["error"] == "connection_not_found"


def test_no_connection_at_all_is_400(client: httpx.Client) -> None:
    for conn in client.get("/connections").json()["connections"]:
        client.delete(f"/connections/{conn['connection_id']}")
    r = client.get("/pipedrive/api/v1/users/me")
    assert r.status_code == 400
    assert r.json()["error"] == "missing_connection"


# -- control API ----------------------------------------------------------------------


def test_control_api_crud(client: httpx.Client) -> None:
    listed = client.get("/connections").json()["connections"]
    assert len(listed) == 1
    default = listed[0]
    for key in ("connection_id", "status", "creation_time", "last_updated_time", "url", "app", "metadata"):
        assert key in default
    assert default["status"] == "ACTIVE" and default["app"] == "pipedrive"

    r = client.post("/connections", json={"app": "pipedrive"})
    assert r.status_code == 200
    created = r.json()["connection"]
    assert created["status"] == "ACTIVE"
    assert created["company_id"] != default["company_id"]
    assert created["url"].startswith("http://sandbox.test/_sandbox/connect/")
    page = client.get(created["url"])
    assert page.status_code == 200 and page.json()["status"] == "ACTIVE"

    ids = [c["connection_id"] for c in client.get("/connections").json()["connections"]]
    assert ids == [default["connection_id"], created["connection_id"]]  # oldest first

    got = client.get(f"/connections/{created['connection_id']}").json()["connection"]
    assert got["connection_id"] == created["connection_id"]

    assert client.delete(f"/connections/{created['connection_id']}").status_code == 200
    assert client.get(f"/connections/{created['connection_id']}").status_code == 404
    assert client.delete(f"/connections/{created['connection_id']}").status_code == 404
    assert [c["connection_id"] for c in client.get("/connections").json()["connections"]] == [
        default["connection_id"]
    ]


def test_control_api_filters(client: httpx.Client) -> None:
    client.post("/connections", json={"app": "pipedrive"})
    assert len(client.get("/connections", params={"app": "pipedrive"}).json()["connections"]) == 2
    assert client.get("/connections", params={"app": "slack"}).json()["connections"] == []
    assert len(client.get("/connections", params={"status": "ACTIVE"}).json()["connections"]) == 2
    assert client.get("/connections", params={"status": "PENDING"}).json()["connections"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"{not json", "invalid_json"), (b"{}", "missing_app"), (b'{"app": "slack"}', "unsupported_app")],
)
def test_control_api_create_errors(client: httpx.Client, body: bytes, code: str) -> None:
    r = client.post("/connections", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"] == code


def test_control_api_wrong_method(client: httpx.Client) -> None:
    assert client.put("/connections", json={}).status_code == 405
    assert client.patch("/connections/abc", json={}).status_code == 405


def test_control_api_does_not_count_in_stats(client: httpx.Client, gateway: SandboxGateway) -> None:
    client.get("/connections")
    client.post("/connections", json={"app": "pipedrive"})
    assert gateway.stats()["requests"] == 0


# -- stats ----------------------------------------------------------------------------


def test_route_template() -> None:
    assert route_template("get", "/api/v2/deals/12") == "GET /api/v2/deals/{id}"
    assert route_template("GET", "/api/v1/deals/12/followers") == "GET /api/v1/deals/{id}/followers"
    assert route_template("GET", "/api/v1/users/me") == "GET /api/v1/users/me"


def test_stats_count_calls_tokens_and_routes(client: httpx.Client, gateway: SandboxGateway) -> None:
    deal = create_deal(client, "Counted")
    client.get(f"/pipedrive/api/v2/deals/{deal}")
    client.get("/pipedrive/api/v2/deals")
    client.get("/pipedrive/api/v2/deals/999999")  # a 404 from the API still reached it
    client.get("/pipedrive/api/v1/users/me", headers={"Authorization": "Bearer nope"})  # never reached it
    stats = client.get("/_sandbox/stats", headers={"Authorization": ""}).json()
    assert stats["requests"] == 4
    assert stats["by_route"] == {
        "POST /api/v2/deals": 1,
        "GET /api/v2/deals/{id}": 2,
        "GET /api/v2/deals": 1,
    }
    expected_tokens = (
        gateway.api.token_cost("POST", "/api/v2/deals")
        + 2 * gateway.api.token_cost("GET", "/api/v2/deals/1")
        + gateway.api.token_cost("GET", "/api/v2/deals")
    )
    assert stats["tokens"] == expected_tokens > 0
    assert sum(stats["by_connection"].values()) == 4


def test_reset_stats_needs_no_key_and_zeroes(gateway: SandboxGateway, client: httpx.Client) -> None:
    client.get("/pipedrive/api/v1/users/me")
    assert gateway.handle("GET", "/_sandbox/stats", [], {}, None).json()["requests"] == 1
    reset = gateway.handle("POST", "/_sandbox/reset-stats", [], {}, None)
    assert reset.status == 200
    assert reset.json()["requests"] == 0
    assert gateway.handle("GET", "/_sandbox/stats", [], {}, None).json() == reset.json()
    assert gateway.handle("POST", "/_sandbox/stats", [], {}, None).status == 405
    assert gateway.handle("GET", "/_sandbox/reset-stats", [], {}, None).status == 405
    assert gateway.handle("GET", "/_sandbox/nothing", [], {}, None).status == 404


# -- rate limit -----------------------------------------------------------------------


def test_rate_limit_headers_on_every_answer(client: httpx.Client) -> None:
    r = client.get("/pipedrive/api/v1/users/me")
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert int(r.headers[name]) >= 0
    assert int(r.headers["x-ratelimit-remaining"]) == int(r.headers["x-ratelimit-limit"]) - 1


def test_rate_limit_refuses_past_rps_and_writes_nothing() -> None:
    clock = FakeClock()
    gw = SandboxGateway(None, api_key=KEY, rate_limit=3, clock=clock)
    try:
        with httpx.Client(transport=SandboxTransport(gw), base_url="http://sandbox.test", headers=AUTH) as c:
            statuses = []
            for i in range(3):
                r = c.post("/pipedrive/api/v2/deals", json={"title": f"ok {i}"})
                statuses.append(r.status_code)
                assert r.headers["x-ratelimit-limit"] == "3"
                assert r.headers["x-ratelimit-remaining"] == str(2 - i)
            assert all(s in (200, 201) for s in statuses)
            clock.now += 0.5
            r = c.post("/pipedrive/api/v2/deals", json={"title": "refused"})
            assert r.status_code == 429
            assert r.headers["retry-after"] == "1"
            assert r.headers["x-ratelimit-remaining"] == "0"
            body = r.json()
            assert body["success"] is False and body["errorCode"] == 429
            clock.now += 0.6  # the first three leave the one-second window
            titles = {
                d["title"] for d in c.get("/pipedrive/api/v2/deals", params={"limit": 500}).json()["data"]
            }
            assert "refused" not in titles and {"ok 0", "ok 1", "ok 2"} <= titles
            stats = gw.stats()
            assert stats["rate_limited"] == 1
            assert stats["requests"] == 4  # three writes and the list; the 429 never reached the API
    finally:
        gw.close()


def test_sliding_window_and_fractional_rates() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.acquire()[0] and limiter.acquire()[0]
    ok, headers = limiter.acquire()
    assert not ok and headers["retry-after"] == "1"
    clock.now += 0.999
    assert not limiter.acquire()[0]
    clock.now += 0.002
    assert limiter.acquire()[0]

    slow = RateLimiter(0.25, clock=clock)  # one request per four seconds
    assert slow.acquire()[0]
    ok, headers = slow.acquire()
    assert not ok and headers["retry-after"] == "4"
    clock.now += 4.01
    assert slow.acquire()[0]
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_unlimited_never_refuses() -> None:
    limiter = RateLimiter(None, clock=FakeClock())
    assert all(limiter.acquire()[0] for _ in range(20_000))


# -- faults over the in-process transport ----------------------------------------------


def faulty(kind: str, p: float = 1.0, seed: int = 0) -> SandboxGateway:
    return SandboxGateway(None, api_key=KEY, faults=[Fault(kind, p)], fault_seed=seed)


def deal_titles(gw: SandboxGateway) -> set[str]:
    """Read the company's deals with faults switched off, so the check itself cannot be hit."""
    saved = gw.faults.faults
    gw.faults.faults = ()
    try:
        result = gw.handle("GET", "/pipedrive/api/v2/deals", [("limit", "500")], AUTH, None)
        return {d["title"] for d in result.json()["data"]}
    finally:
        gw.faults.faults = saved


@pytest.mark.parametrize(("kind", "status"), [("error-500", 500), ("rate-429", 429)])
def test_error_faults_answer_without_writing(kind: str, status: int) -> None:
    gw = faulty(kind)
    try:
        with httpx.Client(transport=SandboxTransport(gw), base_url="http://sandbox.test", headers=AUTH) as c:
            r = c.post("/pipedrive/api/v2/deals", json={"title": "never written"})
            assert r.status_code == status
            assert r.json()["success"] is False
            if kind == "rate-429":
                assert r.headers["retry-after"] == "1"
        assert "never written" not in deal_titles(gw)
        stats = gw.stats()
        assert stats["faults"] == {kind: 1}
        assert stats["requests"] == 1  # only the check's read
    finally:
        gw.close()


def test_timeout_fault_raises_read_timeout_and_writes_nothing() -> None:
    gw = faulty("timeout")
    try:
        with httpx.Client(transport=SandboxTransport(gw), base_url="http://sandbox.test", headers=AUTH) as c:
            with pytest.raises(httpx.ReadTimeout):
                c.post("/pipedrive/api/v2/deals", json={"title": "timed out"})
        assert "timed out" not in deal_titles(gw)
        assert gw.stats()["faults"] == {"timeout": 1}
    finally:
        gw.close()


def test_drop_after_commit_raises_after_the_write() -> None:
    gw = faulty("drop-after-commit")
    try:
        with httpx.Client(transport=SandboxTransport(gw), base_url="http://sandbox.test", headers=AUTH) as c:
            with pytest.raises(httpx.RemoteProtocolError):
                c.post("/pipedrive/api/v2/deals", json={"title": "committed then dropped"})
            # Reads are never dropped.
            assert c.get("/pipedrive/api/v1/users/me").status_code == 200
        assert "committed then dropped" in deal_titles(gw)
        stats = gw.stats()
        assert stats["by_route"]["POST /api/v2/deals"] == 1  # it reached the API, so it counts
    finally:
        gw.close()


def test_faults_are_reproducible_under_a_seed() -> None:
    def run(seed: int) -> list[str]:
        gw = SandboxGateway(
            None,
            api_key=KEY,
            faults=[Fault("error-500", 0.3), Fault("timeout", 0.2), Fault("drop-after-commit", 0.2)],
            fault_seed=seed,
        )
        outcomes = []
        try:
            with httpx.Client(
                transport=SandboxTransport(gw), base_url="http://sandbox.test", headers=AUTH
            ) as c:
                for i in range(40):
                    try:
                        if i % 2:
                            r = c.post("/pipedrive/api/v2/deals", json={"title": f"d{i}"})
                        else:
                            r = c.get("/pipedrive/api/v1/users/me")
                        outcomes.append(str(r.status_code))
                    except httpx.HTTPError as exc:
                        outcomes.append(type(exc).__name__)
        finally:
            gw.close()
        return outcomes

    first = run(42)
    assert first == run(42)
    assert first != run(43)
    assert {"500", "ReadTimeout", "RemoteProtocolError"} <= set(first)


def test_transport_is_thread_safe(gateway: SandboxGateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    transport = SandboxTransport(gateway)
    with httpx.Client(transport=transport, base_url="http://sandbox.test", headers=AUTH) as c:

        def work(i: int) -> int:
            return c.post("/pipedrive/api/v2/deals", json={"title": f"parallel {i}"}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(work, range(64)))
    assert all(s in (200, 201) for s in statuses)
    titles = {
        d["title"]
        for d in json.loads(
            gateway.handle("GET", "/pipedrive/api/v2/deals", [("limit", "500")], AUTH, None).body
        )["data"]
    }
    assert {f"parallel {i}" for i in range(64)} <= titles
    assert gateway.stats()["requests"] == 65
