"""The v1 endpoints Pipedrive deprecated on 2026-01-01 and put out of support on 2026-08-01.

Why the sandbox refuses them by default: a tool that passes its tests against a sandbox serving
these routes can still break on a real account, where Pipedrive no longer guarantees them and
its current official client (npm ``pipedrive`` 33.x) no longer has them. So the sandbox answers
each with 410 Gone in Pipedrive's error envelope, naming the v2 replacement, unless it was
started to serve them (``sandbox serve --serve-deprecated-v1``, ``SandboxGateway(...,
serve_deprecated_v1=True)`` or ``RECONCILER_SANDBOX_DEPRECATED_V1=1`` for the embedded one), for
people who still run ``--api-version v1`` against old accounts.

The table is Pipedrive's changelog post "Deprecation of selected API v1 endpoints" restricted to
the families the sandbox knows (deals, persons, organizations, activities, pipelines, stages,
products, deal products and the v1 search endpoints); tests/conformance checks that every route here is absent from the
current official client and every v1 route the sandbox still serves is present in it.
Notes, users, activity types and the ``*Fields`` endpoints are not deprecated.
"""

from __future__ import annotations

import re

OUT_OF_SUPPORT_SINCE = "2026-08-01"
ENV_FLAG = "RECONCILER_SANDBOX_DEPRECATED_V1"


def _family(name: str, *, search: bool) -> list[tuple[str, str, str]]:
    """The seven (or eight) deprecated routes of one entity family with their v2 replacements."""
    v2 = f"/api/v2/{name}"
    routes = [
        ("GET", f"/api/v1/{name}", f"GET {v2}"),
        ("GET", f"/api/v1/{name}/collection", f"GET {v2}"),
        ("POST", f"/api/v1/{name}", f"POST {v2}"),
        ("DELETE", f"/api/v1/{name}", f"DELETE {v2}/{{id}}"),
        ("GET", f"/api/v1/{name}/{{id}}", f"GET {v2}/{{id}}"),
        ("PUT", f"/api/v1/{name}/{{id}}", f"PATCH {v2}/{{id}}"),
        ("DELETE", f"/api/v1/{name}/{{id}}", f"DELETE {v2}/{{id}}"),
    ]
    if search:
        routes.append(("GET", f"/api/v1/{name}/search", f"GET {v2}/search"))
    return routes


# (method, v1 path template, the v2 replacement)
DEPRECATED_V1: tuple[tuple[str, str, str], ...] = (
    *_family("deals", search=True),
    ("GET", "/api/v1/deals/{id}/activities", "GET /api/v2/activities?deal_id={id}"),
    ("GET", "/api/v1/deals/{id}/persons", "GET /api/v2/persons?deal_id={id}"),
    *_family("persons", search=True),
    ("GET", "/api/v1/persons/{id}/deals", "GET /api/v2/deals?person_id={id}"),
    ("GET", "/api/v1/persons/{id}/activities", "GET /api/v2/activities?person_id={id}"),
    *_family("organizations", search=True),
    ("GET", "/api/v1/organizations/{id}/deals", "GET /api/v2/deals?org_id={id}"),
    ("GET", "/api/v1/organizations/{id}/activities", "GET /api/v2/activities?org_id={id}"),
    ("GET", "/api/v1/organizations/{id}/persons", "GET /api/v2/persons?org_id={id}"),
    *_family("activities", search=False),
    *[r for r in _family("pipelines", search=False) if r[1:2] != ("/api/v1/pipelines/collection",)
      and r[:2] != ("DELETE", "/api/v1/pipelines")],
    *[r for r in _family("stages", search=False) if r[1] != "/api/v1/stages/collection"],
    ("GET", "/api/v1/itemSearch", "GET /api/v2/itemSearch"),
    ("GET", "/api/v1/itemSearch/field", "GET /api/v2/itemSearch/field"),
    # products and deal products: deprecated with the rest and never modelled by the sandbox in v1,
    # so they answer 410 even with --serve-deprecated-v1
    *[r for r in _family("products", search=True) if r[1] != "/api/v1/products/collection"
      and r[:2] != ("DELETE", "/api/v1/products")],
    ("GET", "/api/v1/deals/{id}/products", "GET /api/v2/deals/{id}/products"),
    ("POST", "/api/v1/deals/{id}/products", "POST /api/v2/deals/{id}/products"),
    ("PUT", "/api/v1/deals/{id}/products/{product_attachment_id}",
     "PATCH /api/v2/deals/{id}/products/{product_attachment_id}"),
    ("DELETE", "/api/v1/deals/{id}/products/{product_attachment_id}",
     "DELETE /api/v2/deals/{id}/products/{product_attachment_id}"),
)

_PATTERNS: list[tuple[str, re.Pattern[str], str, str]] = [
    (method, re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", template) + "/?$"), template, replacement)
    for method, template, replacement in DEPRECATED_V1
]


# v1 routes a deprecated pattern would match that the current official client still has (so they
# are current): GET /v1/deals/archived would otherwise read as GET /v1/deals/{id}.
STILL_CURRENT: frozenset[tuple[str, str]] = frozenset({("GET", "/api/v1/deals/archived")})


def replacement_for(method: str, path: str) -> str | None:
    """The v2 replacement when ``method path`` is a deprecated v1 route, else None.

    ``/api/v1/deals/search`` matches the search entry before the by-id one, because the
    patterns are tried in the order above only after the literal ones.
    """
    method = method.upper()
    if (method, path.rstrip("/")) in STILL_CURRENT:
        return None
    found: str | None = None
    for m, regex, template, replacement in _PATTERNS:
        if m != method or not regex.match(path):
            continue
        if "{" not in template:
            return replacement
        found = found or replacement
    return found


def gone_message(method: str, path: str, replacement: str) -> str:
    """The one line a client shows for a 410 (say what happened, since when, and what to use)."""
    return (
        f"{method.upper()} {path} is a deprecated API v1 endpoint, out of support since "
        f"{OUT_OF_SUPPORT_SINCE}; use {replacement} instead"
    )
