"""Bounded failure for writes too (issue 25, item 5 of the reproduction).

Before: the breaker's streak was one for the whole client, so the reads apply makes to find
out whether a failed create happened (they succeed) reset it: a write-only 500 storm was
never cut short (300 creates, 154 s, 1,535 calls). And httpx's timeout bounds each read,
not the answer: a server trickling one byte at a time held a request (and `plan`) for ever.
Now failures are counted per kind of operation, and each request has an overall deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from reconciler.apply import CREATE_ATTEMPTS, Applier
from reconciler.config import Settings
from reconciler.pipedrive.breaker import Breaker
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.errors import PipedriveError, ServerError
from reconciler.pipedrive.http import HttpClient
from reconciler.session import SANDBOX_ENDPOINT, plan_run


def test_successful_reads_do_not_reset_the_writes_streak() -> None:
    now = [0.0]
    breaker = Breaker(10.0, clock=lambda: now[0])
    error = ServerError("Pipedrive answered 500 on POST /api/v2/organizations", status=500)
    for _ in range(12):
        breaker.failure(error, kind="write")
        breaker.success("read")  # the lookup after each ambiguous create
        now[0] += 1.0
    assert breaker.opened is not None and getattr(breaker.opened, "gave_up", False)
    with pytest.raises(ServerError, match="gave up after"):
        breaker.check()


def test_the_leases_successful_renewals_do_not_reset_the_creates_streak() -> None:
    """Measured by bench/bench_bounded.py: with one streak for every write, the lease's renewal
    (a PATCH that succeeds every few seconds) kept a create storm going for 124 s."""
    from reconciler.pipedrive.breaker import kind_of

    now = [0.0]
    breaker = Breaker(10.0, clock=lambda: now[0])
    error = ServerError("Pipedrive answered 500 on POST /api/v2/organizations", status=500)
    for _ in range(12):
        breaker.failure(error, kind=kind_of("POST", "/api/v2/organizations"))
        breaker.success(kind_of("PATCH", "/api/v1/leadLabels/7"))
        breaker.success(kind_of("GET", "/api/v2/organizations"))
        now[0] += 1.0
    assert breaker.opened is not None


def test_a_write_success_still_ends_the_writes_streak() -> None:
    now = [0.0]
    breaker = Breaker(10.0, clock=lambda: now[0])
    error = ServerError("500", status=500)
    for _ in range(30):
        breaker.failure(error, kind="write")
        breaker.success("write")
        now[0] += 1.0
    assert breaker.opened is None


class _WritesFail(httpx.BaseTransport):
    """The sandbox, with every organization create answered 500 (nothing made); reads pass."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/organizations"):
            self.posts += 1
            return httpx.Response(500, json={"success": False, "error": "internal"})
        return self.inner.handle_request(request)


def test_a_write_only_500_storm_is_given_up_on(in_process, tmp_path: Path) -> None:
    n = 30
    project = tmp_path / "p"
    project.mkdir()
    (project / "crm.yaml").write_text(yaml.safe_dump(
        {"organizations": {f"storm-{i}": {"name": f"Storm Org {i}"} for i in range(n)}}), encoding="utf-8")
    transport = _WritesFail(in_process.transport)
    http = HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6, transport=transport, retry_budget=0.5)
    try:
        client = PipedriveClient(http)
        run = plan_run(client, Settings(), [str(project)])
        result = Applier(run.client, run.plan, run.lock, workers=4).run()
    finally:
        http.close()
    assert result.stopped and "gave up after" in result.stopped and "answered 500" in result.stopped
    assert transport.posts < n * CREATE_ATTEMPTS // 2, f"{transport.posts} creates tried in a write-only storm"


class _Trickle:
    """A loopback server that answers headers at once, then one byte of body every 0.2 s."""

    def __init__(self, body_bytes: int = 80) -> None:
        self.sent = 0
        self.body_bytes = body_bytes
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             + f"Content-Length: {self.body_bytes}\r\n\r\n".encode())
                for _ in range(self.body_bytes):
                    if self._stop.is_set():
                        return
                    conn.sendall(b" ")
                    self.sent += 1
                    time.sleep(0.2)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def test_a_trickling_answer_cannot_hold_a_request_past_its_deadline() -> None:
    server = _Trickle()
    http = HttpClient(server.url, api_key="k", timeout=1.0, retry_budget=0.5)
    try:
        with pytest.raises(PipedriveError, match="timed out"):
            http.request("GET", "/api/v1/users/me")
    finally:
        http.close()
        server.close()
    assert server.sent < server.body_bytes, "the whole trickle was waited for"
