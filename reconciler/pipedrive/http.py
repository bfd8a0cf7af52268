"""The HTTP layer: auth headers, pacing, bounded retries, error mapping, call accounting.

One `HttpClient` serves a whole run and may be used from several threads (apply keeps
the rate limit busy with a small pool). Everything that could leak the API key goes
through here, so this is where it is kept out of traces and messages.

Retry policy, the heart of "never a duplicate":
- reads (GET) and idempotent writes (PUT, PATCH, DELETE) are retried on 429, 5xx,
  timeouts and connection errors, with jittered exponential backoff;
- a create (POST) is retried only when the server certainly did nothing (429, or a
  connection that was never established). After a timeout, a dropped connection or a
  5xx, whether it happened is unknown: we raise AmbiguousWriteError and the caller looks.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import random
import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler import __version__, jsoncodec
from reconciler.pipedrive import deadline
from reconciler.pipedrive.breaker import DEFAULT_BUDGET, Breaker, kind_of
from reconciler.pipedrive.costs import daily_left, route_template, token_cost
from reconciler.pipedrive.errors import (
    AmbiguousWriteError,
    ApiValidationError,
    AuthError,
    BadAnswerError,
    NoConnectionError,
    NotFoundError,
    PipedriveError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from reconciler.pipedrive.ratelimit import RateLimiter
from reconciler.redact import redact

MAX_ATTEMPTS = 6
BACKOFF_BASE = 0.25
BACKOFF_CAP = 8.0


@dataclass
class CallStats:
    """Calls and tokens spent, as CONTRACT §6 `stats` reports them."""

    api_calls: int = 0
    tokens: int = 0
    writes: int = 0
    retries: int = 0
    by_route: Counter = field(default_factory=Counter)
    daily_left: int | None = None  # tokens left today, as the last answer said (x-daily-requests-left)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str, *, retry: bool) -> None:
        """One attempt. A retry is counted apart: `api_calls` are the calls that did the work."""
        with self._lock:
            if retry:
                self.retries += 1
                return
            self.api_calls += 1
            self.tokens += token_cost(method, path)
            self.by_route[f"{method} {route_template(path)}"] += 1
            if method != "GET":
                self.writes += 1

    def as_dict(self) -> dict[str, int]:
        return {"api_calls": self.api_calls, "tokens": self.tokens, "retries": self.retries}


@functools.lru_cache(maxsize=4)
def _server_date(value: str) -> datetime | None:
    """A `Date` header as an aware UTC time; None when it is not one. Cached: the header
    changes once a second, and answers come fifty a second (apply's CPU, issue 28)."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


class HttpClient:
    """Talks to ENDPOINT + native path with the key, the connection and the limiter."""

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str,
        connection: str | None = None,
        timeout: float = 30.0,
        rate_limit: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        trace: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry_budget: float = DEFAULT_BUDGET,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.transport = transport  # kept so the control client can share an in-process sandbox
        self._key = api_key
        self.connection = connection
        self.stats = CallStats()
        self.limiter = RateLimiter(rate_limit)
        self.breaker = Breaker(retry_budget)
        # The server's clock as last seen (its Date header) against our monotonic clock: the
        # "did that create happen?" search asks for objects updated since a server time, and
        # a client clock minutes off must not make it miss one (and create a duplicate).
        self._server_seen: tuple[datetime, float] | None = None
        self._trace = trace
        self._sleep = sleep
        # Called before every POST attempt (path, may_prove) while the account's apply lease is
        # held (reconciler/lease.py): it raises when the lease cannot be proven, so no create
        # is sent on a lease another apply may have taken over.
        self.write_guard: Callable[[str, bool], None] | None = None
        headers = {"User-Agent": f"reconciler/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if connection:
            headers["Maton-Connection"] = connection
        self._timeout = timeout
        if transport is None:  # the network: each request also gets an overall deadline (deadline.py)
            transport = httpx.HTTPTransport(verify=tls_context(self.endpoint))
            deadline.install(transport)
        self._http = _CookielessClient(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------

    def derive_key(self, purpose: bytes) -> bytes:
        """A secret for `purpose` derived from the API key (HMAC-SHA256), so that what needs a key
        (a saved plan's integrity check) never holds the API key itself."""
        return hmac.new(self._key.encode(), purpose, hashlib.sha256).digest()

    def redact(self, text: str) -> str:
        """Remove the key (any case, any long prefix: reconciler/redact.py) from any text that might
        reach a user (belt and braces)."""
        return redact(text, (self._key,))

    def _log(self, message: str) -> None:
        if self._trace:
            self._trace(self.redact(message))

    def _backoff(self, attempt: int) -> float:
        return min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)) * (0.5 + random.random() / 2)

    # -- the one request method ----------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        what: str | None = None,
    ) -> Any:
        """Send one logical request, retrying where that is safe; return the parsed JSON body.

        `what` names the object for error messages ("deal 12").
        """
        method = method.upper()
        creates = method == "POST"
        operation = kind_of(method, path)  # the breaker counts each kind of operation's failures apart
        url = self.endpoint + path
        params = {k: v for k, v in (params or {}).items() if v is not None}
        body = None if json_body is None else json.dumps(json_body, default=str).encode()
        headers = {"Content-Type": "application/json"} if body is not None else None
        last_error: PipedriveError | None = None
        attempt = 0
        while True:
            self.breaker.check()
            if attempt >= MAX_ATTEMPTS and not isinstance(last_error, RateLimitedError):
                assert last_error is not None
                raise last_error
            if creates and self.write_guard is not None:
                self.write_guard(path, True)  # may read the lease back: before taking a place in the limit
            self.limiter.acquire()
            if creates and self.write_guard is not None:
                try:
                    self.write_guard(path, False)  # the wait for a place may have been long (a paused machine)
                except BaseException:
                    self.limiter.release()
                    raise
            started = time.monotonic()
            self.stats.record(method, path, retry=attempt > 0)
            attempt += 1
            try:
                response = self._attempt(method, url, params, body, headers)
            except httpx.ConnectError as exc:
                # Never reached the server: safe to retry, even a create.
                last_error = TransportError(f"cannot connect to {self.endpoint}: {type(exc).__name__}", path=path)
                self._log(f"{method} {path} -> connect error ({attempt}/{MAX_ATTEMPTS})")
                self.breaker.failure(last_error, kind=operation)
                self.breaker.check()  # gave up: no point sleeping before saying so
                self._sleep(self._backoff(attempt - 1))
                continue
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection dropped"
                self._log(f"{method} {path} -> {kind} ({attempt}/{MAX_ATTEMPTS})")
                last_error = TransportError(f"{method} {path} {kind} after {attempt} attempts", path=path)
                self.breaker.failure(last_error, kind=operation)
                if creates:
                    raise AmbiguousWriteError(f"{method} {path} {kind}; the write may or may not have happened",
                                              path=path) from None
                self.breaker.check()
                self._sleep(self._backoff(attempt - 1))
                continue
            elapsed = (time.monotonic() - started) * 1000
            self._observe_date(response.headers.get("date"))
            self._log(f"{method} {path}{_query_text(params)} -> {response.status_code} ({elapsed:.0f} ms)")
            self.limiter.observe_headers(response.headers)
            if (left := daily_left(response.headers)) is not None:
                self.stats.daily_left = left
            status = response.status_code
            if status == 429:
                retry_after = _retry_after(response.headers)
                self.limiter.pause(retry_after if retry_after is not None else self._backoff(attempt - 1))
                last_error = RateLimitedError(
                    f"rate limited (429) on {method} {path} after {attempt} attempts: the gateway allows "
                    "10 requests a second per account and Pipedrive meters a daily token budget; lower "
                    "--rate-limit (or rate_limit in reconciler.toml) or wait for the budget to reset",
                    status=429,
                    path=path,
                )
                self.breaker.failure(last_error, rate_limited=True, kind=operation)
                if retry_after is None:
                    self._sleep(self._backoff(attempt - 1))
                continue
            if status >= 500:
                who = answered_by(response)
                last_error = ServerError(f"{who} answered {status} on {method} {path} after {attempt} attempts"
                                         f"{self.redact(_first_line_note(response))}", status=status, path=path)
                self.breaker.failure(last_error, kind=operation)
                if creates:
                    raise AmbiguousWriteError(f"{method} {path}: {who} answered {status}; the write may or may "
                                              "not have happened", status=status, path=path)
                self.breaker.check()
                self._sleep(self._backoff(attempt - 1))
                continue
            self.breaker.success(operation)
            if status == 404 and method == "DELETE" and attempt > 1:
                # An earlier attempt whose answer we lost already deleted it.
                return {"success": True, "data": None}
            if status >= 400:
                raise self._error(response, method, path, what)
            answer = _json(response)
            if not isinstance(answer, dict) and creates:  # a proxy's page after the write went through
                raise AmbiguousWriteError(
                    f"{answered_by(response)} answered {status} on {method} {path} with {_content_kind(response)}, "
                    "not Pipedrive's JSON; the write may or may not have happened", status=status, path=path)
            if not isinstance(answer, dict):
                raise BadAnswerError(
                    f"{answered_by(response)} answered {status} on {method} {path} with "
                    f"{_content_kind(response)}, not Pipedrive's JSON{self.redact(_first_line_note(response))}",
                    status=status, path=path)
            return answer

    def _attempt(self, method: str, url: str, params: dict[str, Any], body: bytes | None,
                 headers: dict[str, str] | None) -> httpx.Response:
        """One attempt; the place it took in the rate limit frees one window after it ends."""
        try:
            with deadline.deadline(self._timeout):  # the whole answer, not each read, within the timeout
                # a parsed URL, and no empty params: httpx then parses the URL text neither when
                # merging it nor when building the request (~9% of apply's CPU in httpx, issue 28)
                response = self._http.request(method, _parsed_url(url), params=params or None, content=body,
                                              headers=headers)
        finally:
            self.limiter.release()
        _let_go_of_stream(response)
        return response

    def _observe_date(self, value: str | None) -> None:
        if not value:
            return
        when = _server_date(value)
        if when is not None:
            self._server_seen = (when, time.monotonic())

    def server_now(self, fresh_since: float | None = None) -> datetime | None:
        """The server's current time (to the second), from its last Date header; None if never seen
        (or, with `fresh_since`, not seen on an answer since that monotonic time).

        Never the local clock: a client whose clock is off would otherwise look for recent
        objects in the wrong window.
        """
        if self._server_seen is None:
            return None
        when, seen_at = self._server_seen
        if fresh_since is not None and seen_at < fresh_since:
            return None
        return when + timedelta(seconds=time.monotonic() - seen_at)

    def _error(self, response: httpx.Response, method: str, path: str, what: str | None) -> PipedriveError:
        status = response.status_code
        body = _json(response, default={})
        text = _error_text(body)
        if not isinstance(_json(response), dict) and status not in (401, 404):
            # not Pipedrive's JSON, nor the gateway's: a proxy (an HTML login page, a 403 from a firewall)
            return BadAnswerError(
                f"{answered_by(response)} answered {status} on {method} {path} with {_content_kind(response)}, "
                f"not Pipedrive's JSON{self.redact(_first_line_note(response))}", status=status, path=path)
        if status == 401:
            return AuthError(
                "the gateway refused the API key (401): check MATON_API_KEY (an API key from maton.ai; "
                "with --sandbox no key is needed)",
                status=status,
                path=path,
            )
        if status == 400 and not (isinstance(body, dict) and "success" in body):
            # Pipedrive's own errors always carry `success`; the gateway's do not.
            which = f"connection {self.connection!r}" if self.connection else "Pipedrive connection"
            return NoConnectionError(
                f"the gateway has no usable {which} for this key ({self.redact(text) or 'HTTP 400'}): create one "
                "with `reconciler connections create` (or at https://ctrl.maton.ai), or pass --connection ID",
                status=status,
                path=path,
            )
        if status == 404:
            target = what or path
            return NotFoundError(f"{target} not found (404)", status=status, path=path)
        if status == 403:
            return PipedriveError(f"forbidden (403) on {method} {path}: {self.redact(text)}", status=status, path=path)
        if status == 410:
            hint = "; use --api-version v2" if path.startswith("/api/v1/") or path.startswith("/v1/") else ""
            return PipedriveError(
                f"Pipedrive answered 410 Gone for {method} {path}: this endpoint is out of support "
                f"(Pipedrive's v1 deprecations took effect on 2026-08-01){hint}",
                status=status,
                path=path,
            )
        return ApiValidationError(self.redact(text) or f"HTTP {status}", status=status, path=path)


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: answers' Set-Cookie headers are ignored, none is sent back.

    Pipedrive's API is authenticated by the key alone and keeps no session, so cookies carry
    nothing we need; reading them cost each answer a urllib request, an email message of
    its headers and a cookie-policy pass: ~6% of apply's CPU (issue 28).
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.Client):
    """httpx's client without cookies (see _NoCookies)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:  # none kept, whatever is given
        return None


def tls_context(endpoint: str) -> ssl.SSLContext:
    """What a client of this endpoint verifies TLS with.

    An https endpoint gets the trusted certificates, loaded once per process (each load
    costs ~35 ms of CPU, and a run may open two clients). A plain-http one (the sandbox on
    loopback) never negotiates TLS, so it gets a context that trusts nothing: free to make,
    and failing closed should TLS ever be attempted through it.
    """
    if endpoint.lower().startswith("https://"):
        return _trusted_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies hostnames and certificates, trusts none


@functools.cache
def _trusted_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=256)
def _parsed_url(text: str) -> httpx.URL:
    """`text` parsed once: apply sends a thousand creates to the same few URLs, and httpx would
    otherwise validate every character of each twice per request. httpx.URL is immutable."""
    return httpx.URL(text)


def _let_go_of_stream(response: httpx.Response) -> None:
    """Break the cycle between a read answer and its stream, so the body is freed with the answer.

    httpx binds the stream to its answer and back (BoundSyncStream): until the cyclic
    collector runs, every answer's body (up to ~0.4 MB a page) stays in memory, and a plan
    runs with the collector off (commands.common.kept_to_the_end). The body was read whole
    by now (not a streamed request), so the stream has nothing more to give.
    """
    response.stream = httpx.ByteStream(response.content)


def _content_kind(response: httpx.Response) -> str:
    kind = (response.headers.get("content-type") or "").split(";")[0].strip()
    if not response.content:
        return "an empty body"
    return f"a {kind} page" if kind == "text/html" else f"a {kind or 'body with no content type'}"


def answered_by(response: httpx.Response) -> str:
    """Who most likely wrote an answer: Pipedrive (its JSON carries `success`), the Maton gateway
    (its own JSON errors do not), or a proxy in front of them (anything that is not JSON)."""
    body = _json(response)
    if isinstance(body, dict):
        return "Pipedrive" if "success" in body else "the gateway"
    return "a proxy (or the gateway)"


def _first_line_note(response: httpx.Response) -> str:
    """The first line of a body that is not JSON, shortened and made printable (never a header)."""
    if isinstance(_json(response), dict) or not response.content:
        return ""
    text = response.content[:2000].decode("utf-8", errors="replace").strip()
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = "".join(c if c.isprintable() else "?" for c in line)[:120]
    return f"; it began: {line!r}" if line else ""


def _json(response: httpx.Response, default: Any = None) -> Any:
    try:
        return jsoncodec.loads(response.content)
    except ValueError:
        return default


def _error_text(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("error", "message") if body.get(k)]
    info = body.get("error_info")
    if info and info not in parts:
        parts.append(str(info))
    return "; ".join(parts)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), 60.0)
    except ValueError:
        return None


def _query_text(params: dict[str, Any]) -> str:
    if not params:
        return ""
    return "?" + "&".join(f"{k}={v}" for k, v in params.items())


def stderr_trace(message: str) -> None:
    """The `--debug` HTTP trace: one line per call on stderr."""
    print(f"debug: {message}", file=sys.stderr)
