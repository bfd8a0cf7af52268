"""An overall deadline for each request, not only for each socket read.

httpx's timeouts bound each read and write: an answer that trickles in (a proxy sending one
byte every two seconds) resets the read timeout with every byte and can hold a request, and
the run, for ever. So the network streams httpx reads from are wrapped: every read and write
gets at most the time left before the current request's deadline (set per attempt by
HttpClient, per thread), and none once it has passed, which httpx reports as a timeout like
any other.

The wrapping goes through httpcore's public NetworkBackend interface; only the place where
httpx keeps its connection pool is reached by name. If a future httpx moves it, `install`
says so (returns False) and requests keep httpx's own per-read timeouts.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within this block, this thread's reads and writes end `seconds` from now at the latest."""
    previous = getattr(_local, "until", None)
    _local.until = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.until = previous


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    until = getattr(_local, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise error("the request's overall deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection's stream with the deadline, whose writes go out together before the next read.

    httpcore writes a request's head and its body apart, and every write is a send with its own
    timeout set and poll: joined, a request is one send (issue 28, apply's CPU). Nothing is held
    back that the server could need before we read: HTTP/1.1 reads the answer only once the
    whole request is written.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self._pending: list[bytes] = []
        self._pending_timeout: float | None = None
        # no deadline to apply: the pool asks each idle connection whether it is readable before
        # every request, so the inner stream answers directly (one Python call less each time)
        self.get_extra_info = inner.get_extra_info  # type: ignore[method-assign]

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            self._flush()
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._pending.append(buffer)
            self._pending_timeout = timeout

    def _flush(self) -> None:
        buffer = b"".join(self._pending)
        self._pending.clear()
        self._inner.write(buffer, _left(self._pending_timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._pending.clear()
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                               local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(transport: httpx.HTTPTransport) -> bool:
    """Give `transport`'s connections the per-request deadline; False if its pool cannot be reached."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or isinstance(backend, _Backend):
        return isinstance(backend, _Backend)
    pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    return True
