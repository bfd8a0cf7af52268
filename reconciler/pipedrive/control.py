"""The gateway's control API: which Pipedrive connections this key holds, and managing them.

Why a separate client: the data API (``ENDPOINT/api/...``) acts on *one* connection, the
one ``Maton-Connection`` names or the oldest active one. Knowing *which* one that is, and
listing, creating and deleting connections, is the control API's job
(``CONTROL_ENDPOINT/connections``, CONTRACT §3 and §4). ``whoami`` needs both to name the
account a command would change, and ``reconciler connections`` is a thin shell over this.

The HTTP layer is :class:`reconciler.pipedrive.http.HttpClient`, so the key header, the
pacing, the retries and the key redaction are exactly those of every other call; only the
error wording differs, because a 400 or a 404 from the control API means something else
than the same status from Pipedrive. With ``--sandbox`` the same in-process gateway
serves these routes (:func:`reconciler.session.make_transport`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from reconciler.config import ConfigError, Settings
from reconciler.embedded import SANDBOX_ENDPOINT, SANDBOX_KEY, borrowed, make_transport
from reconciler.pipedrive.errors import ApiValidationError, NoConnectionError, PipedriveError
from reconciler.pipedrive.http import HttpClient, stderr_trace

APP = "pipedrive"
ACTIVE = "ACTIVE"
LIST_HINT = "`reconciler connections list` shows this key's connections"


class UnknownConnectionError(NoConnectionError):
    """The connection id does not exist for this key: never did, or was deleted."""


class InactiveConnectionError(NoConnectionError):
    """The connection exists but is not ACTIVE (OAuth unfinished, revoked, deleted)."""


class ControlError(ApiValidationError):
    """The control API refused a request for another reason (its words, key redacted)."""


@dataclass(frozen=True)
class Connection:
    """One gateway connection, in the fields we show; ``raw`` keeps whatever else it said."""

    id: str
    app: str
    status: str
    created: str | None = None
    updated: str | None = None
    url: str | None = None
    method: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Connection:
        """Read Maton's connection object (``connection_id``, ``status``, ``creation_time``...)."""
        return cls(
            id=str(data.get("connection_id") or data.get("id") or ""),
            app=str(data.get("app") or ""),
            status=str(data.get("status") or "").upper(),
            created=data.get("creation_time"),
            updated=data.get("last_updated_time"),
            url=data.get("url"),
            method=data.get("method"),
            raw=dict(data),
        )

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape ``connections ... --format json`` prints."""
        return {
            "connection_id": self.id,
            "app": self.app,
            "status": self.status,
            "creation_time": self.created,
            "last_updated_time": self.updated,
            "method": self.method,
            "url": self.url,
        }


class _ControlHttp(HttpClient):
    """HttpClient with the control API's meaning of each error status.

    Why override only ``_error``: everything else (retries, 429 pacing, redaction, stats)
    must stay identical to the data API's; only the words a user reads differ.
    """

    def _error(self, response: httpx.Response, method: str, path: str, what: str | None) -> PipedriveError:
        status = response.status_code
        if status == 401:
            return super()._error(response, method, path, what)
        text = self.redact(_gateway_text(response))
        if status == 404 and what:
            return UnknownConnectionError(
                f"no {what} for this key: it does not exist or was deleted; {LIST_HINT}",
                status=status,
                path=path,
            )
        if status == 404:
            return ControlError(
                f"the control API at {self.endpoint} has no {method} {path} (404): check --control-endpoint "
                "(or RECONCILER_CONTROL_ENDPOINT)",
                status=status,
                path=path,
            )
        return ControlError(
            f"the control API refused {method} {path} ({status}): {text or 'no reason given'}",
            status=status,
            path=path,
        )


def _gateway_text(response: httpx.Response) -> str:
    """The message of a gateway error (``{"error": {"message"}}``) or of a Pipedrive-style one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    return str(error or body.get("message") or "")


def _path_for(connection_id: str) -> str:
    """``/connections/{id}`` with the id as one opaque path segment (no ``../`` tricks)."""
    if not connection_id or not connection_id.strip():
        raise ConfigError("a connection id is needed (see `reconciler connections list`)")
    return "/connections/" + quote(connection_id.strip(), safe="")


class ControlClient:
    """List, create, show and delete connections; find the one the gateway would use."""

    def __init__(self, http: HttpClient, app: str = APP) -> None:
        self.http = http
        self.app = app

    def list(self, *, status: str | None = None) -> list[Connection]:
        """This key's connections for the app, oldest first (the gateway's order of preference)."""
        params: dict[str, Any] = {"app": self.app}
        if status:
            params["status"] = status
        body = self.http.request("GET", "/connections", params=params)
        items = (body or {}).get("connections") or []
        found = [Connection.from_api(item) for item in items if isinstance(item, dict)]
        found = [c for c in found if not c.app or c.app == self.app]
        # sorted() is stable: connections without a creation time keep the server's order
        return sorted(found, key=lambda c: c.created or "")

    def create(self) -> Connection:
        """Start a new connection; its ``url`` is where the user finishes OAuth in a browser."""
        body = self.http.request("POST", "/connections", json_body={"app": self.app})
        data = (body or {}).get("connection") or body or {}
        return Connection.from_api(data)

    def get(self, connection_id: str) -> Connection:
        """One connection; :class:`UnknownConnectionError` if this key has none by that id."""
        what = f"connection {connection_id.strip()!r}"
        body = self.http.request("GET", _path_for(connection_id), what=what)
        return Connection.from_api((body or {}).get("connection") or body or {})

    def delete(self, connection_id: str) -> None:
        """Delete a connection: the gateway forgets its OAuth grant (Pipedrive's data stays)."""
        what = f"connection {connection_id.strip()!r}"
        self.http.request("DELETE", _path_for(connection_id), what=what)

    def default(self) -> Connection | None:
        """The connection a request without ``Maton-Connection`` goes to: the oldest active one."""
        for conn in self.list():
            if conn.active:
                return conn
        return None

    def resolve(self, explicit: str | None) -> Connection:
        """The connection commands would use: ``explicit`` (checked), else the gateway's default.

        Why check an explicit id here rather than let the data API fail: its 400 cannot
        tell "never existed" from "deleted" from "OAuth unfinished", and each needs a
        different next step.
        """
        if explicit:
            conn = self.get(explicit)
            if conn.app and conn.app != self.app:
                raise UnknownConnectionError(
                    f"connection {conn.id!r} is for {conn.app}, not {self.app}; {LIST_HINT}"
                )
            if not conn.active:
                finish = f"; finish OAuth at {conn.url}" if conn.url and conn.status != "DELETED" else ""
                raise InactiveConnectionError(
                    f"connection {conn.id!r} is {conn.status or 'not active'}, not ACTIVE{finish}; "
                    f"pass another --connection ({LIST_HINT})"
                )
            return conn
        conn = self.default()
        if conn is None:
            raise NoConnectionError(
                f"this key has no active {self.app} connection: create one with "
                "`reconciler connections create` and finish OAuth at the URL it prints"
            )
        return conn


def control_endpoint(settings: Settings) -> str:
    """Where the control API is: the sandbox's origin with ``--sandbox``, else the setting."""
    if settings.uses_sandbox:
        parts = urlsplit(SANDBOX_ENDPOINT)
        return f"{parts.scheme}://{parts.netloc}"
    return settings.control_endpoint


@contextlib.contextmanager
def open_control(settings: Settings, transport: httpx.BaseTransport | None = None) -> Iterator[ControlClient]:
    """A control client for these settings; with ``--sandbox``, over the in-process gateway.

    Pass the data client's ``transport`` to share one sandbox gateway (one store) with it;
    a transport this function made itself is closed with it.
    """
    if settings.uses_sandbox:
        key = SANDBOX_KEY
    else:
        key = settings.api_key.reveal()
        if not key:
            raise ConfigError("MATON_API_KEY is not set: export the API key from maton.ai (or use --sandbox)")
    if transport is None:
        transport = make_transport(settings)  # the embedded sandbox's owns its gateway; None: the network
    else:
        transport = borrowed(transport)  # the caller's (the data client's): it closes it
    http = _ControlHttp(
        control_endpoint(settings),
        api_key=key,
        connection=None,
        timeout=settings.timeout,
        rate_limit=settings.rate_limit,
        transport=transport,
        trace=stderr_trace if settings.debug else None,
    )
    try:
        yield ControlClient(http)
    finally:
        http.close()  # closes the transport, and the embedded sandbox when the transport is ours
