"""A request's head and body go out in one send (issue 28, apply's CPU).

httpcore writes them apart, and each write on a socket with a timeout is a timeout set, a
poll and a send. The deadline stream (reconciler/pipedrive/deadline.py) joins what is
written until the answer is read: HTTP/1.1 reads the answer only once the request is whole.
"""

from __future__ import annotations

import httpcore

from reconciler.pipedrive.deadline import _Stream


class _Recorded(httpcore.NetworkStream):
    """httpcore's side of a connection: what was written, and an answer to read."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.writes.append(buffer)
        self.events.append("write")

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.events.append("read")
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    def close(self) -> None:
        self.events.append("close")


def test_head_and_body_are_one_write_before_the_answer_is_read() -> None:
    inner = _Recorded()
    stream = _Stream(inner)
    stream.write(b"POST /api/v2/organizations HTTP/1.1\r\nContent-Length: 15\r\n\r\n", timeout=5.0)
    stream.write(b'{"name":"Acme"}', timeout=5.0)
    stream.write(b"", timeout=5.0)  # the end of the message: nothing to send
    assert inner.writes == []
    assert stream.read(65536, timeout=5.0).startswith(b"HTTP/1.1 200")
    assert inner.writes == [b'POST /api/v2/organizations HTTP/1.1\r\nContent-Length: 15\r\n\r\n{"name":"Acme"}']
    assert inner.events == ["write", "read"]
    stream.read(65536, timeout=5.0)  # nothing more written: nothing more sent
    assert len(inner.writes) == 1


def test_a_request_over_http_is_answered(http_sandbox) -> None:
    """The whole path over a real socket: head and body still reach the server whole."""
    from reconciler.pipedrive.http import HttpClient
    from tests.conftest import KEY

    with HttpClient(http_sandbox.endpoint, api_key=KEY) as client:
        made = client.request("POST", "/api/v2/organizations", json_body={"name": "One Send Org"})
        again = client.request("GET", f"/api/v2/organizations/{made['data']['id']}")
    assert again["data"]["name"] == "One Send Org"
