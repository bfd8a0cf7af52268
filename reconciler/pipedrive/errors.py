"""Errors a user can act on, each one line.

The CLI prints `str(error)` and exits 1; only `--debug` adds a traceback. Messages never
include the API key: they are built from our own words, the HTTP status, the path and
Pipedrive's error text, never from request headers.
"""

from __future__ import annotations


class PipedriveError(Exception):
    """Base class: something the API or the connection to it refused."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.path = path


class AuthError(PipedriveError):
    """401: the key is missing or wrong."""


class NoConnectionError(PipedriveError):
    """The gateway's 400: no Pipedrive connection for this key, or an unknown connection id."""


class NotFoundError(PipedriveError):
    """404: the object (kind and id) or the route does not exist."""


class RateLimitedError(PipedriveError):
    """429 that persisted through every retry."""


class ApiValidationError(PipedriveError):
    """Pipedrive refused a write as invalid (400/422); the message carries Pipedrive's words."""


class ServerError(PipedriveError):
    """5xx that persisted through every retry."""


class TransportError(PipedriveError):
    """No usable answer: timeout or connection failure, after every retry of an idempotent call."""


class AmbiguousWriteError(PipedriveError):
    """A write whose outcome is unknown (timeout, dropped connection).

    It must never be retried blindly: the caller first finds out whether it happened.
    """


class BadAnswerError(PipedriveError):
    """An answer that is not Pipedrive's JSON (an HTML page from a proxy, invalid JSON)."""
