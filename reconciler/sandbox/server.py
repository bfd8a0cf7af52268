"""A real HTTP/1.1 server on loopback in front of a :class:`SandboxGateway`.

Built on the standard library's :class:`http.server.ThreadingHTTPServer`: one thread per
client connection, keep-alive, ``Content-Length`` framing. It adds no dependency, and
the sandbox's load is a handful of client threads against SQLite, where the database,
not the HTTP layer, sets the pace (see ``bench/bench_sandbox.py``). An asyncio server
would need a framework or a hand-written HTTP parser for no gain here, and the faults
want exactly what a thread per connection gives: a ``timeout`` simply parks its thread
on the socket without affecting anyone else.

The faults, as a client sees them on the wire:

- ``timeout``: the request is read, then nothing is sent. The thread watches the socket
  and closes it when the client hangs up, when the server stops, or after
  ``timeout_hold`` seconds (120 by default), whichever comes first.
- ``drop-after-commit``: the write is done, then the socket is shut down with no bytes
  of answer; clients see "server disconnected without a response" (curl: "Empty reply
  from server").
"""

from __future__ import annotations

import logging
import select
import socket
import socketserver
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler.config import is_loopback
from reconciler.interrupts import StopRequest
from reconciler.sandbox.faults import DROP_AFTER_COMMIT, TIMEOUT
from reconciler.sandbox.gateway import GatewayResult, SandboxGateway, gateway_error

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_HOLD = 120.0
MAX_BODY = 32 * 1024 * 1024


class _GatewayHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries the gateway and a stop flag for parked ``timeout`` threads."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    stop_request: StopRequest | None = None  # set by serve_forever: a stop a signal handler asked for
    # socketserver's default backlog of 5 drops the SYNs of a client opening more connections at
    # once (apply's workers): each dropped one waits out the kernel's 1 s retransmit
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], gateway: SandboxGateway, timeout_hold: float, verbose: bool
    ) -> None:
        self.gateway = gateway
        self.timeout_hold = timeout_hold
        self.verbose = verbose
        self.stopping = threading.Event()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def service_actions(self) -> None:
        """Run by ``serve_forever`` after every poll, on the serving thread (where ``shutdown()``
        would deadlock): leave the loop once a stop was asked for."""
        if self.stop_request:
            raise _StopServing

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup that can
        # stall for seconds on a machine without network; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the gateway, writes (or withholds) the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "reconciler-sandbox"
    sys_version = ""
    server: _GatewayHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm
        # meets the client's delayed ACK and every keep-alive answer waits ~40 ms.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        # The request line never carries the key (it travels in a header), so it is safe to log.
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        n = int(length)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n) if n else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(gateway_error(400, "bad_request", f"Unreadable request body: {exc}."))
            self.close_connection = True
            return
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        method = "GET" if self.command == "HEAD" else self.command
        result = self.server.gateway.handle(method, split.path, query, dict(self.headers.items()), body)
        if result.fault == TIMEOUT:
            self._hold_then_close()
            return
        if result.fault == DROP_AFTER_COMMIT:
            self._drop()
            return
        self._send(result, head_only=self.command == "HEAD")

    def _send(self, result: GatewayResult, head_only: bool = False) -> None:
        self.send_response(result.status)
        for name, value in result.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(result.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        if head_only or not result.body or self.request_version == "HTTP/0.9":
            self.end_headers()
            if not head_only and result.body:
                self.wfile.write(result.body)
            return
        # the body in the same write as the headers (http.server's own buffer, which end_headers
        # flushes): one segment, so the client reads the whole answer at once instead of waking
        # again for the body (issue 28)
        self._headers_buffer.append(b"\r\n" + result.body)
        self.flush_headers()

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _hold_then_close(self) -> None:
        """Say nothing until the client gives up, the server stops, or the hold cap passes."""
        self.close_connection = True
        deadline = time.monotonic() + self.server.timeout_hold
        sock = self.connection
        while not self.server.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                readable, _, _ = select.select([sock], [], [], min(0.2, left))
                if readable and not sock.recv(4096, socket.MSG_PEEK):
                    break  # the client closed its end
                if readable:
                    sock.recv(65536)  # a pipelined request: discard it, it gets no answer either
            except OSError:
                break
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class RunningServer:
    """A started sandbox server: ``.url``, ``.stop()``, and a context manager for tests."""

    def __init__(self, httpd: _GatewayHTTPServer, thread: threading.Thread | None) -> None:
        self._httpd = httpd
        self._thread = thread
        host, port = httpd.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"

    @property
    def gateway(self) -> SandboxGateway:
        return self._httpd.gateway

    def stop(self) -> None:
        """Stop accepting, release parked ``timeout`` threads, close the socket. The gateway stays open."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(
    gateway: SandboxGateway, host: str, port: int, timeout_hold: float, verbose: bool
) -> _GatewayHTTPServer:
    if not is_loopback(host):
        warnings.warn(
            f"binding the sandbox to {host!r}, which is not loopback: anyone who can reach it and knows the key can use it",
            stacklevel=3,
        )
    return _GatewayHTTPServer((host, port), gateway, timeout_hold, verbose)


def start_server(
    gateway: SandboxGateway,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    timeout_hold: float = DEFAULT_TIMEOUT_HOLD,
    verbose: bool = False,
) -> RunningServer:
    """Serve ``gateway`` on a background thread; ``port=0`` picks a free port (see ``.url``)."""
    httpd = _bind(gateway, host, port, timeout_hold, verbose)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.name = f"sandbox-server-{httpd.server_address[1]}"
    thread.start()
    return RunningServer(httpd, thread)


class _StopServing(Exception):
    """Raised by the serving loop's own hook to leave ``serve_forever`` once a stop is asked."""


def serve_forever(
    gateway: SandboxGateway,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    timeout_hold: float = DEFAULT_TIMEOUT_HOLD,
    verbose: bool = False,
    on_ready: Any = None,
    stop: StopRequest | None = None,
) -> None:
    """Serve on this thread until interrupted or `stop` is set; ``on_ready(server)`` runs once
    the socket is bound. `stop` is looked at after every poll (0.2 s at most), so a stop asked
    for at any moment, before the loop started included, is seen."""
    httpd = _bind(gateway, host, port, timeout_hold, verbose)
    running = RunningServer(httpd, None)
    httpd.stop_request = stop
    try:
        if on_ready is not None:
            on_ready(running)
        httpd.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, _StopServing):
        pass
    finally:
        httpd.stopping.set()
        httpd.server_close()

