"""The sandbox's gateway front: the Maton gateway's layout in front of the local Pipedrive.

One :class:`SandboxGateway` answers every request the real gateway and control API would,
as plain values (status, headers, JSON bytes), with no socket in sight. Two fronts carry
it: :mod:`reconciler.sandbox.server` (a real HTTP server on loopback, for `sandbox serve`
and outside clients such as curl) and :mod:`reconciler.sandbox.transport` (an httpx
transport, for tests and `--sandbox`). Keeping the gateway free of I/O is what lets both
fronts behave the same, faults included.

Routes (CONTRACT §4 and §7):

- ``/pipedrive/<native path>``: ``Authorization: Bearer KEY`` must match the API key
  (else 401); ``Maton-Connection: ID`` picks the account, the oldest ACTIVE connection
  when omitted (else 400); the rate limit and the faults apply; then the Pipedrive API.
- ``GET/POST /connections``, ``GET/DELETE /connections/{id}``: Maton's control API,
  same key check.
- ``GET /_sandbox/stats``, ``POST /_sandbox/reset-stats``: call and token accounting,
  no key needed, so benchmarks and tests can read what a run cost.
- ``GET /_sandbox/connect/{id}``: the page a created connection's ``url`` points at;
  the sandbox needs no OAuth, so it only says the connection is already active.

Gateway-made errors (401, 400, 404, 405) use one flat body shape, ``{"status", "error":
CODE, "message"}``: Maton documents the statuses and their meanings but not a body.
This shape has no ``success`` key, so a client can tell a gateway error from a Pipedrive
error (which always carries ``"success": false``) by the body alone, and its ``error``
and ``message`` are plain strings, as a client that prints Pipedrive's errors expects.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from reconciler import jsoncodec
from reconciler.sandbox.faults import (
    DROP_AFTER_COMMIT,
    ERROR_500,
    RATE_429,
    TIMEOUT,
    WRITE_METHODS,
    Fault,
    FaultInjector,
)
from reconciler.sandbox.pipedrive import ApiError, PipedriveAPI
from reconciler.sandbox.store import Store

log = logging.getLogger(__name__)

APP = "pipedrive"
APP_PREFIX = "/" + APP
JSON_TYPE = "application/json; charset=utf-8"
# Without --rate-limit the headers still appear, counted against this nominal budget,
# so clients that read them always find integers; nothing is ever refused.
NOMINAL_LIMIT = 10_000


@dataclass
class GatewayResult:
    """One answer of the gateway.

    ``fault`` tells the front to misbehave: ``"timeout"`` means send nothing and hold
    the connection (nothing was written); ``"drop-after-commit"`` means the write was
    done, now close the connection without sending ``status``/``body``.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    fault: str | None = None

    def json(self) -> Any:
        """The body decoded, for tests and tools."""
        return jsoncodec.loads(self.body) if self.body else None


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON: the wire format of every answer."""
    return jsoncodec.dumps(value)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@lru_cache(maxsize=4096)  # a pure function the stats ask about for every request
def route_template(method: str, native_path: str) -> str:
    """``GET /api/v2/deals/12/followers`` → ``GET /api/v2/deals/{id}/followers``, for stats by route.

    A lead's (or lead label's) UUID is an id too: ``PATCH /api/v1/leads/{id}``.
    """
    parts = ["{id}" if part.isdigit() or _UUID.match(part) else part for part in native_path.split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


def gateway_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> GatewayResult:
    """A gateway-made error, in the one shape every gateway error uses (see the module doc)."""
    body = {"status": status, "error": code, "message": message}
    return GatewayResult(status, {"content-type": JSON_TYPE, **(headers or {})}, encode_json(body))


def pipedrive_error(status: int, message: str, headers: dict[str, str] | None = None) -> GatewayResult:
    """An error shaped as the sandbox's Pipedrive shapes them, plus ``errorCode`` as Pipedrive's 429 carries it."""
    body = {**ApiError(status, message).body(), "errorCode": status}
    return GatewayResult(status, {"content-type": JSON_TYPE, **(headers or {})}, encode_json(body))


class RateLimiter:
    """A sliding one-second window per account, as the gateway and Pipedrive count bursts.

    ``rps`` requests are allowed in any window of one second (a fractional ``rps`` below
    1 allows one request per ``1/rps`` seconds). Only admitted requests occupy the
    window, so a client that backs off after a 429 gets in again as soon as the oldest
    admitted request leaves the window. With ``rps=None`` nothing is refused, and the
    headers count against :data:`NOMINAL_LIMIT`.
    """

    def __init__(self, rps: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rps is not None and not rps > 0:
            raise ValueError(f"rate limit must be a positive number of requests per second, got {rps}")
        self.rps = rps
        self.enforced = rps is not None
        if rps is None:
            self.capacity, self.window = NOMINAL_LIMIT, 1.0
        elif rps >= 1:
            self.capacity, self.window = int(rps), 1.0
        else:
            self.capacity, self.window = 1, 1.0 / rps
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        cutoff = now - self.window
        while self._admitted and self._admitted[0] <= cutoff:
            self._admitted.popleft()

    def _reset_in(self, now: float) -> float:
        return (self._admitted[0] + self.window - now) if self._admitted else self.window

    def acquire(self) -> tuple[bool, dict[str, str]]:
        """Admit or refuse one request; return the decision and the rate-limit headers to send."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            admitted = not self.enforced or len(self._admitted) < self.capacity
            if admitted:
                self._admitted.append(now)
            headers = self._headers(now)
            if not admitted:
                headers["retry-after"] = str(max(1, math.ceil(self._reset_in(now))))
            return admitted, headers

    def peek(self) -> dict[str, str]:
        """The headers as they stand, without admitting anything (for answers that used no slot)."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            return self._headers(now)

    def _headers(self, now: float) -> dict[str, str]:
        remaining = max(0, self.capacity - len(self._admitted))
        return {
            "x-ratelimit-limit": str(self.capacity),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(max(1, math.ceil(self._reset_in(now)))),
        }


@dataclass
class Stats:
    """What /pipedrive requests that reached the API cost: calls and tokens, by route and by connection."""

    requests: int = 0
    tokens: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    by_connection: dict[str, int] = field(default_factory=dict)
    tokens_by_connection: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "tokens": self.tokens,
            "by_route": dict(sorted(self.by_route.items())),
            "by_connection": dict(self.by_connection),
            "tokens_by_connection": dict(self.tokens_by_connection),
            "faults": dict(sorted(self.faults.items())),
            "rate_limited": self.rate_limited,
        }


class SandboxGateway:
    """The Maton gateway and control API in front of a local, SQLite-backed Pipedrive.

    Thread-safe: the HTTP server calls :meth:`handle` from one thread per connection.
    The store serialises its own writes; the stats, rate limiter and fault stream each
    have their own lock.
    """

    def __init__(
        self,
        db_path: str | None,
        api_key: str = "sandbox",
        rate_limit: float | None = None,
        faults: Iterable[Fault] = (),
        fault_seed: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        serve_deprecated_v1: bool | None = None,
    ) -> None:
        """``serve_deprecated_v1``: answer Pipedrive's out-of-support v1 routes instead of 410
        (None: as ``RECONCILER_SANDBOX_DEPRECATED_V1`` says; see pipedrive/deprecated.py)."""
        if not api_key:
            raise ValueError("the sandbox gateway needs a non-empty API key")
        self.db_path = db_path
        self.store = Store(db_path)
        self.api = PipedriveAPI(self.store, serve_deprecated_v1=serve_deprecated_v1)
        self._api_key = api_key.encode("utf-8")
        self.rate_limiter = RateLimiter(rate_limit, clock=clock)
        self.faults = FaultInjector(faults, seed=fault_seed)
        self._stats = Stats()
        self._stats_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"SandboxGateway(db_path={self.db_path!r}, rate_limit={self.rate_limiter.rps!r})"

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        """Close the store; the gateway is unusable afterwards."""
        self.store.close()

    def __enter__(self) -> SandboxGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def default_connection(self) -> dict | None:
        """The connection a request without ``Maton-Connection`` goes to: the oldest ACTIVE one."""
        for conn in self.store.list_connections():
            if conn.get("status") == "ACTIVE":
                return conn
        return None

    # -- stats -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """A copy of the counters (the body of ``GET /_sandbox/stats``)."""
        with self._stats_lock:
            return self._stats.snapshot()

    def reset_stats(self) -> dict[str, Any]:
        """Zero every counter and return the zeroed snapshot."""
        with self._stats_lock:
            self._stats = Stats()
            return self._stats.snapshot()

    def _count_api_call(self, connection_id: str, method: str, native_path: str) -> None:
        try:
            tokens = int(self.api.token_cost(method, native_path))
        except Exception:  # a cost table gap must not fail the request it only accounts for
            log.exception("token_cost failed for %s %s", method, native_path)
            tokens = 0
        route = route_template(method, native_path)
        with self._stats_lock:
            s = self._stats
            s.requests += 1
            s.tokens += tokens
            s.by_route[route] = s.by_route.get(route, 0) + 1
            s.by_connection[connection_id] = s.by_connection.get(connection_id, 0) + 1
            s.tokens_by_connection[connection_id] = s.tokens_by_connection.get(connection_id, 0) + tokens

    def _count_fault(self, kind: str) -> None:
        with self._stats_lock:
            self._stats.faults[kind] = self._stats.faults.get(kind, 0) + 1

    def _count_rate_limited(self) -> None:
        with self._stats_lock:
            self._stats.rate_limited += 1

    # -- dispatch --------------------------------------------------------------------

    def handle(
        self,
        method: str,
        raw_path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> GatewayResult:
        """Answer one request. ``raw_path`` is the URL path (percent-encoded or not), without the query."""
        method = method.upper()
        hdrs = {k.lower(): v for k, v in headers.items()}
        path = unquote(raw_path) or "/"

        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._handle_sandbox(method, path, hdrs)
        if path == APP_PREFIX or path.startswith(APP_PREFIX + "/"):
            return self._handle_pipedrive(method, path[len(APP_PREFIX) :] or "/", query, hdrs, body)

        denied = self._check_key(hdrs)
        if denied is not None:
            return denied
        if path.rstrip("/") == "/connections" or path.startswith("/connections/"):
            return self._handle_control(method, path, query, hdrs, body)
        return gateway_error(
            404,
            "not_found",
            f"No route for {path}: the sandbox serves /{APP}/..., /connections and /_sandbox/...",
        )

    def _check_key(self, hdrs: Mapping[str, str]) -> GatewayResult | None:
        auth = hdrs.get("authorization", "").strip()
        if not auth:
            return gateway_error(
                401, "missing_api_key", "Missing API key: send 'Authorization: Bearer <MATON_API_KEY>'."
            )
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return gateway_error(
                401, "invalid_api_key", "Invalid authorization header: expected 'Bearer <MATON_API_KEY>'."
            )
        if not hmac.compare_digest(token.strip().encode("utf-8"), self._api_key):
            return gateway_error(401, "invalid_api_key", "Invalid API key.")
        return None

    # -- /pipedrive ------------------------------------------------------------------

    def _handle_pipedrive(
        self,
        method: str,
        native_path: str,
        query: list[tuple[str, str]],
        hdrs: Mapping[str, str],
        body: bytes | None,
    ) -> GatewayResult:
        denied = self._check_key(hdrs)
        if denied is not None:
            denied.headers.update(self.rate_limiter.peek())
            return denied

        wanted = hdrs.get("maton-connection", "").strip()
        if wanted:
            conn = self.store.get_connection(wanted)
            if conn is None or conn.get("status") != "ACTIVE":
                result = gateway_error(
                    400,
                    "connection_not_found",
                    f"No active {APP} connection with id {wanted!r} for this API key.",
                )
                result.headers.update(self.rate_limiter.peek())
                return result
        else:
            conn = self.default_connection()
            if conn is None:
                result = gateway_error(
                    400,
                    "missing_connection",
                    f"No active {APP} connection for this API key: create one with POST /connections.",
                )
                result.headers.update(self.rate_limiter.peek())
                return result
        connection_id = conn["connection_id"]

        admitted, rl_headers = self.rate_limiter.acquire()
        if not admitted:
            self._count_rate_limited()
            return pipedrive_error(429, "Request over limit", rl_headers)

        fault = self.faults.draw(method)
        if fault is not None:
            self._count_fault(fault)
        if fault == ERROR_500:
            return pipedrive_error(500, "Internal server error (injected by the sandbox)", rl_headers)
        if fault == RATE_429:
            headers = {**rl_headers, "x-ratelimit-remaining": "0", "retry-after": "1"}
            return pipedrive_error(429, "Request over limit (injected by the sandbox)", headers)
        if fault == TIMEOUT:
            return GatewayResult(0, {}, b"", fault=TIMEOUT)

        try:
            response = self.api.handle(
                connection_id, method, native_path, query, body, hdrs.get("content-type"),
                user=hdrs.get("x-sandbox-user"),
            )
        except Exception:
            log.exception("the sandbox API failed on %s %s", method, native_path)
            return pipedrive_error(500, "Internal server error", rl_headers)
        self._count_api_call(connection_id, method, native_path)

        out_headers = {"content-type": JSON_TYPE, **{k.lower(): v for k, v in response.headers.items()}}
        out_headers.update(rl_headers)
        payload = b"" if response.body is None else encode_json(response.body)
        result = GatewayResult(response.status, out_headers, payload)
        if fault == DROP_AFTER_COMMIT and method in WRITE_METHODS:
            result.fault = DROP_AFTER_COMMIT
        return result

    # -- control API -----------------------------------------------------------------

    def _connection_view(self, conn: Mapping[str, Any], hdrs: Mapping[str, str]) -> dict[str, Any]:
        host = hdrs.get("host") or "127.0.0.1"
        view = dict(conn)
        view.setdefault("method", "OAUTH2")
        view.setdefault("metadata", {})
        view["url"] = f"http://{host}/_sandbox/connect/{quote(str(conn['connection_id']), safe='')}"
        return view

    def _handle_control(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        hdrs: Mapping[str, str],
        body: bytes | None,
    ) -> GatewayResult:
        rest = path[len("/connections") :].strip("/")
        if not rest:
            if method == "GET":
                return self._list_connections(query, hdrs)
            if method == "POST":
                return self._create_connection(body, hdrs)
            return gateway_error(
                405, "method_not_allowed", f"{method} is not allowed on /connections (GET, POST)."
            )
        if "/" in rest:
            return gateway_error(404, "not_found", f"No route for {path}.")
        if method == "GET":
            conn = self.store.get_connection(rest)
            if conn is None:
                return gateway_error(404, "connection_not_found", f"No connection with id {rest!r}.")
            return self._ok({"connection": self._connection_view(conn, hdrs)})
        if method == "DELETE":
            if not self.store.delete_connection(rest):
                return gateway_error(404, "connection_not_found", f"No connection with id {rest!r}.")
            return self._ok({})
        return gateway_error(
            405, "method_not_allowed", f"{method} is not allowed on /connections/{{id}} (GET, DELETE)."
        )

    def _list_connections(self, query: list[tuple[str, str]], hdrs: Mapping[str, str]) -> GatewayResult:
        params = dict(query)
        app = params.get("app")
        status = params.get("status")
        out = []
        for conn in self.store.list_connections():
            if app and conn.get("app") != app:
                continue
            if status and str(conn.get("status", "")).upper() != status.upper():
                continue
            out.append(self._connection_view(conn, hdrs))
        return self._ok({"connections": out})

    def _create_connection(self, body: bytes | None, hdrs: Mapping[str, str]) -> GatewayResult:
        try:
            payload = json.loads(body) if body else {}
        except (ValueError, UnicodeDecodeError):
            return gateway_error(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(payload, dict) or not payload.get("app"):
            return gateway_error(400, "missing_app", 'Name the app to connect: {"app": "pipedrive"}.')
        if payload["app"] != APP:
            return gateway_error(
                400, "unsupported_app", f"The sandbox only connects {APP!r}, not {payload['app']!r}."
            )
        conn = self.store.create_connection()
        return self._ok({"connection": self._connection_view(conn, hdrs)})

    # -- /_sandbox -------------------------------------------------------------------

    def _handle_sandbox(self, method: str, path: str, hdrs: Mapping[str, str]) -> GatewayResult:
        if path == "/_sandbox/stats":
            if method != "GET":
                return gateway_error(405, "method_not_allowed", "Use GET /_sandbox/stats.")
            return self._ok(self.stats())
        if path == "/_sandbox/reset-stats":
            if method != "POST":
                return gateway_error(405, "method_not_allowed", "Use POST /_sandbox/reset-stats.")
            return self._ok(self.reset_stats())
        if path.startswith("/_sandbox/connect/") and method == "GET":
            connection_id = path[len("/_sandbox/connect/") :]
            conn = self.store.get_connection(connection_id)
            if conn is None:
                return gateway_error(404, "connection_not_found", f"No connection with id {connection_id!r}.")
            return self._ok(
                {
                    "connection_id": connection_id,
                    "status": conn.get("status"),
                    "message": "The sandbox needs no OAuth: this connection is already active.",
                }
            )
        return gateway_error(404, "not_found", f"No route for {path}.")

    @staticmethod
    def _ok(body: Any) -> GatewayResult:
        return GatewayResult(200, {"content-type": JSON_TYPE}, encode_json(body))
