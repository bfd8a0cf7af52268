"""The gateway over a real loopback socket: keep-alive, auth, rate limit and every fault on the wire.

The in-process transport can only simulate a timeout or a dropped connection by raising;
these tests check that the server really withholds the answer or really closes the
socket, and that what a client library then reports matches what the transport raises.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.faults import Fault
from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.server import RunningServer, is_loopback, start_server

KEY = "http-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def gateway() -> Iterator[SandboxGateway]:
    gw = SandboxGateway(None, api_key=KEY)
    yield gw
    gw.close()


@pytest.fixture
def server(gateway: SandboxGateway) -> Iterator[RunningServer]:
    with start_server(gateway) as running:
        yield running


def titles(gw: SandboxGateway) -> set[str]:
    """The company's deal titles, read in-process with faults off so the check cannot be hit."""
    saved = gw.faults.faults
    gw.faults.faults = ()
    try:
        body = gw.handle("GET", "/pipedrive/api/v2/deals", [("limit", "500")], AUTH, None).json()
        return {d["title"] for d in body["data"]}
    finally:
        gw.faults.faults = saved


def test_url_is_loopback_with_the_bound_port(server: RunningServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.com")


def test_keep_alive_json_and_content_length(server: RunningServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        request = (
            f"GET /pipedrive/api/v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n"
        ).encode()
        reader = sock.makefile("rb")
        for _ in range(2):  # two requests on one connection: keep-alive works
            sock.sendall(request)
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200")
            headers = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            assert headers["content-type"].startswith("application/json")
            assert "x-ratelimit-remaining" in headers
            body = reader.read(int(headers["content-length"]))
            assert b'"success":true' in body


def test_auth_over_http(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url) as c:
        r = c.get("/pipedrive/api/v1/users/me")
        assert r.status_code == 401 and r.json()["error"] == "missing_api_key"
        r = c.get("/connections", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.json()["error"] == "invalid_api_key"
        assert c.get("/_sandbox/stats").status_code == 200


def test_head_and_unknown_route(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH) as c:
        r = c.head("/pipedrive/api/v1/users/me")
        assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0
        assert c.get("/nowhere").status_code == 404


def test_chunked_request_body(server: RunningServer, gateway: SandboxGateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": '
        yield b'"sent in chunks"}'

    with httpx.Client(base_url=server.url, headers=AUTH) as c:
        r = c.post("/pipedrive/api/v2/deals", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code in (200, 201), r.text
    assert "sent in chunks" in titles(gateway)


def test_rate_limit_over_http() -> None:
    gw = SandboxGateway(None, api_key=KEY, rate_limit=2)
    try:
        with start_server(gw) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as c:
            statuses = [c.get("/pipedrive/api/v1/users/me") for _ in range(3)]
            refused = statuses[-1]
            assert [r.status_code for r in statuses] == [200, 200, 429]
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["x-ratelimit-limit"] == "2"
            assert refused.json()["errorCode"] == 429
            time.sleep(1.05)
            assert c.get("/pipedrive/api/v1/users/me").status_code == 200
    finally:
        gw.close()


@pytest.mark.parametrize(("kind", "status"), [("error-500", 500), ("rate-429", 429)])
def test_error_faults_over_http(kind: str, status: int) -> None:
    gw = SandboxGateway(None, api_key=KEY, faults=[Fault(kind, 1.0)])
    try:
        with start_server(gw) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as c:
            r = c.post("/pipedrive/api/v2/deals", json={"title": "not written"})
            assert r.status_code == status
        assert "not written" not in titles(gw)
    finally:
        gw.close()


def test_timeout_fault_over_http_until_the_client_gives_up() -> None:
    gw = SandboxGateway(None, api_key=KEY, faults=[Fault("timeout", 1.0)])
    try:
        with start_server(gw) as srv:
            with httpx.Client(base_url=srv.url, headers=AUTH, timeout=0.3) as c:
                with pytest.raises(httpx.ReadTimeout):  # the client's own timeout ended it: the server held
                    c.post("/pipedrive/api/v2/deals", json={"title": "timed out"})
            assert "timed out" not in titles(gw)
            assert gw.stats()["faults"] == {"timeout": 1}
            assert gw.stats()["requests"] == 1  # the check's read only
    finally:
        gw.close()


def test_timeout_fault_is_capped_by_the_hold() -> None:
    gw = SandboxGateway(None, api_key=KEY, faults=[Fault("timeout", 1.0)])
    try:
        with start_server(gw, timeout_hold=0.3) as srv:
            with httpx.Client(base_url=srv.url, headers=AUTH, timeout=10) as c:
                # closed by the server's hold (0.3 s), not the client's 10 s timeout (a ReadTimeout)
                with pytest.raises(httpx.RemoteProtocolError):
                    c.get("/pipedrive/api/v1/users/me")
    finally:
        gw.close()


def test_stop_releases_a_held_timeout() -> None:
    gw = SandboxGateway(None, api_key=KEY, faults=[Fault("timeout", 1.0)])
    try:
        srv = start_server(gw)
        sock = socket.create_connection((srv.host, srv.port), timeout=5)
        sock.sendall(
            f"GET /pipedrive/api/v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()
        )
        time.sleep(0.2)
        srv.stop()
        assert sock.recv(1024) == b""  # closed with no answer (a held socket would time out in 5 s: an error)
        sock.close()
    finally:
        gw.close()


def test_drop_after_commit_over_http() -> None:
    gw = SandboxGateway(None, api_key=KEY, faults=[Fault("drop-after-commit", 1.0)])
    try:
        with start_server(gw) as srv, httpx.Client(base_url=srv.url, headers=AUTH, timeout=5) as c:
            with pytest.raises(httpx.RemoteProtocolError):
                c.post("/pipedrive/api/v2/deals", json={"title": "committed, answer lost"})
            # The client reconnects transparently on its next request; reads are never dropped.
            assert c.get("/pipedrive/api/v1/users/me").status_code == 200
        assert "committed, answer lost" in titles(gw)
        assert gw.stats()["by_route"]["POST /api/v2/deals"] == 1
    finally:
        gw.close()


def test_same_seed_same_faults_over_http() -> None:
    def run() -> list[str]:
        gw = SandboxGateway(
            None, api_key=KEY, faults=[Fault("error-500", 0.3), Fault("rate-429", 0.2)], fault_seed=9
        )
        try:
            with start_server(gw) as srv, httpx.Client(base_url=srv.url, headers=AUTH) as c:
                return [str(c.get("/pipedrive/api/v1/users/me").status_code) for _ in range(30)]
        finally:
            gw.close()

    first = run()
    assert first == run()
    assert {"200", "500", "429"} <= set(first)


def test_non_loopback_bind_warns(gateway: SandboxGateway) -> None:
    with pytest.warns(UserWarning, match="not loopback"):
        srv = start_server(gateway, host="0.0.0.0")
    srv.stop()


def test_an_answer_is_one_write_headers_and_body(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Headers and body leave in one write (one segment on loopback): the client reads the whole answer
    at once instead of waking again for the body (issue 28). HEAD and empty bodies are unchanged."""
    import socketserver

    writes: list[bytes] = []
    original = socketserver._SocketWriter.write

    def write(self, data):  # what the handler hands the socket, in order
        writes.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", write)
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        answer = client.get("/pipedrive/api/v1/users/me")
        assert answer.status_code == 200 and answer.json()["success"] is True
        assert len(writes) == 1 and writes[0].endswith(answer.content) and b"\r\n\r\n" in writes[0]
        writes.clear()
        head = client.head("/pipedrive/api/v1/users/me")
        assert head.status_code == 200 and head.content == b""
        assert len(writes) == 1 and writes[0].endswith(b"\r\n\r\n")
