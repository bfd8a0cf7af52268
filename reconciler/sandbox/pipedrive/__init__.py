"""The local Pipedrive: one company's v1 and v2 API behind a single ``handle`` call.

The gateway (auth, connection choice, rate limits, faults, stats) calls
:meth:`PipedriveAPI.handle` with Pipedrive's native path; everything after that (routing,
validation, storage and the v1/v2 response shapes) lives in this package:

- ``model``: version-neutral objects and Pipedrive's rules (required fields, references,
  deal stage/status consistency), ``base``: router, paging, input parsing,
- ``v1`` / ``v2``: serialisers and routes per family, ``search``: both versions' search,
- ``pipelines``: v2 pipelines and stages with Pipedrive's rules, ``products``: v2 products,
  ``deal_products``: the products attached to deals (and the deal value they make),
  ``leads``: v1 leads and lead labels (UUID ids), ``lead_conversion``: lead -> deal (v2),
- ``merges``: merging persons, organizations and deals (v1, current),
- ``fields``: custom fields and their options (``fields_v2``: the v2 field routes),
  ``html``: note content sanitising,
- ``errors``: Pipedrive's error body (token costs come from ``reconciler.pipedrive.costs``, the
  one table the client counts with),
- ``deprecated``: the v1 routes Pipedrive put out of support (410 unless served on purpose).

Paths: ``/api/v2/...`` and ``/api/v1/...``; the legacy ``/v1/...`` prefix is read as
``/api/v1/...``, as Pipedrive still accepts it for v1 (v2 exists only under ``/api/v2``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import lru_cache

from reconciler.pipedrive.costs import token_cost

from ..store import Store
from . import (
    activity_fields,
    activity_types,
    changelog,
    currencies,
    deal_products,
    fields_v2,
    filters,
    followers,
    goals,
    lead_conversion,
    leads,
    merges,
    org_relationships,
    pipelines,
    product_variations,
    products,
    search,
    teams,
    v1,
    v2,
    webhooks,
)
from .base import Ctx, Router
from .deprecated import ENV_FLAG, gone_message
from .deprecated import replacement_for as _replacement_for
from .errors import ApiError
from .model import Company
from .util import Query

# Both depend on the method and path alone, and a run asks about the same few paths again and
# again (POST /api/v1/notes a thousand times): ~0.1 ms of regular expressions a request (issue 28).
_token_cost = lru_cache(maxsize=4096)(token_cost)
replacement_for = lru_cache(maxsize=4096)(_replacement_for)

log = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class ApiResponse:
    """What the gateway writes back: status, JSON body (None for no body), extra headers."""

    status: int
    body: dict | list | None
    headers: dict[str, str] = field(default_factory=dict)


def deprecated_v1_from_env() -> bool:
    """Whether the environment asks the sandbox to serve Pipedrive's deprecated v1 routes."""
    return os.environ.get(ENV_FLAG, "").strip().lower() in ("1", "true", "yes", "on")


def build_router() -> Router:
    """Every route of both versions; literal paths first so ``/deals/search`` is not read as an id."""
    router = Router()
    search.register(router)
    deal_products.register(router)  # /api/v2/deals/products before /api/v2/deals/{id}
    changelog.register(router)
    currencies.register(router)
    merges.register(router)
    v1.register(router)
    v2.register(router)
    pipelines.register(router)
    products.register(router)
    leads.register(router)
    lead_conversion.register(router)
    fields_v2.register(router)
    activity_fields.register(router)
    activity_types.register(router)  # after v1: adds writes to its activityTypes list
    filters.register(router)
    goals.register(router)
    teams.register(router)
    webhooks.register(router)
    followers.register(router)
    org_relationships.register(router)
    product_variations.register(router)
    return router


class PipedriveAPI:
    """Pipedrive's API for the companies held in one :class:`Store`."""

    def __init__(self, store: Store, *, serve_deprecated_v1: bool | None = None) -> None:
        """``serve_deprecated_v1`` None reads ``RECONCILER_SANDBOX_DEPRECATED_V1`` (1/true/yes)."""
        self.store = store
        self.router = build_router()
        if serve_deprecated_v1 is None:
            serve_deprecated_v1 = deprecated_v1_from_env()
        self.serve_deprecated_v1 = serve_deprecated_v1

    def handle(
        self,
        connection_id: str,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes | None,
        content_type: str | None,
        user: str | None = None,
    ) -> ApiResponse:
        """Answer one request for the company behind ``connection_id``.

        The whole request runs in one store transaction: it sees one consistent state and a
        refused request (any 4xx/5xx) leaves nothing behind. ``user`` (the sandbox-only
        ``X-Sandbox-User`` header: a user's id or email) makes the request another user's
        than the API user's, so that the change history names them.
        """
        try:
            path = "/" + path.split("?", 1)[0].strip("/")
            if path == "/v1" or path.startswith("/v1/"):
                path = "/api" + path
            replacement = replacement_for(method, path) if path.startswith("/api/v1/") else None
            if replacement is not None and not self.serve_deprecated_v1:
                raise ApiError(410, gone_message(method, path, replacement))
            try:
                handler, params = self.router.match(method, path)
            except ApiError as error:
                # deprecated routes the sandbox never modelled (v1 products) are gone even when served
                if replacement is not None and error.status in (404, 405):
                    raise ApiError(410, gone_message(method, path, replacement)) from None
                raise
            company_id = self.store.company_id(connection_id)
            if company_id is None:
                raise ApiError(404, f"Connection {connection_id} not found")
            with self.store.transaction():
                company = Company(self.store, company_id)
                if user:
                    company.api_user_id = _acting_user(company, user)
                ctx = Ctx(
                    company=company,
                    version="v2" if path.startswith("/api/v2/") else "v1",
                    method=method.upper(),
                    query=Query(list(query)),
                    raw=body,
                    content_type=content_type,
                    params=params,
                )
                status, payload = handler(ctx)
            return ApiResponse(status, payload, dict(JSON_HEADERS))
        except ApiError as error:
            headers = dict(JSON_HEADERS)
            allowed = getattr(error, "allowed", None)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
            return ApiResponse(error.status, error.body(), headers)
        except Exception:  # a sandbox bug must still answer like a server would
            log.exception("sandbox error on %s %s", method, path)
            return ApiResponse(500, ApiError(500, "Internal server error").body(), dict(JSON_HEADERS))

    def token_cost(self, method: str, path: str) -> int:
        """Pipedrive's published token cost of that call (reconciler/pipedrive/costs.py says where from)."""
        return _token_cost(method, path)


def _acting_user(company: Company, wanted: str) -> int:
    """The user an ``X-Sandbox-User`` header names, by id or email; a 400 when there is none."""
    for user in company.store.select(company.id, "user"):
        if wanted.strip().lower() in (str(user["id"]), str(user.get("email", "")).lower()):
            return int(user["id"])
    raise ApiError(400, f"X-Sandbox-User: no user {wanted!r} in this company")


__all__ = ["ApiError", "ApiResponse", "PipedriveAPI"]
