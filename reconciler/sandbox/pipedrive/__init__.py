"""The local Pipedrive: one company's v1 and v2 API behind a single ``handle`` call.

The gateway (auth, connection choice, rate limits, faults, stats) calls
:meth:`PipedriveAPI.handle` with Pipedrive's native path; everything after that, routing,
validation, storage and the v1/v2 response shapes, lives in this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store import Store
from .errors import ApiError, not_found
from .tokens import token_cost as _token_cost


@dataclass
class ApiResponse:
    """What the gateway writes back: status, JSON body (None for no body), extra headers."""

    status: int
    body: dict | list | None
    headers: dict[str, str] = field(default_factory=dict)


class PipedriveAPI:
    """Pipedrive's API for the companies held in one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def handle(
        self,
        connection_id: str,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes | None,
        content_type: str | None,
    ) -> ApiResponse:
        """Answer one request for the company behind ``connection_id``."""
        error = not_found(f"Unknown method {method} {path}")
        return ApiResponse(error.status, error.body(), {"Content-Type": "application/json"})

    def token_cost(self, method: str, path: str) -> int:
        """Pipedrive's published token cost of that call (see tokens.py for the source)."""
        return _token_cost(method, path)


__all__ = ["ApiError", "ApiResponse", "PipedriveAPI"]
