"""What each Pipedrive call costs against the account's daily token budget.

One table, used by the client (plan/apply `stats`) and by the sandbox (`/_sandbox/stats`),
so that what we report is what the sandbox charges.

Source: Pipedrive, "Rate limiting" (pipedrive.readme.io/docs/core-api-concepts-rate-limiting),
section "Token costs": requests cost by kind of call and API version; v2 endpoints cost
about half of their v1 equivalents. Kinds of call: single-object GET, list GET, search,
write (POST/PUT/PATCH), DELETE.
"""

from __future__ import annotations

import re

# (version, kind of call) -> tokens
TOKEN_COSTS: dict[tuple[str, str], int] = {
    ("v1", "get"): 2,
    ("v1", "list"): 20,
    ("v1", "search"): 40,
    ("v1", "write"): 10,
    ("v1", "delete"): 6,
    ("v2", "get"): 1,
    ("v2", "list"): 10,
    ("v2", "search"): 20,
    ("v2", "write"): 5,
    ("v2", "delete"): 3,
}

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def route_template(path: str) -> str:
    """`/api/v2/deals/12` → `/api/v2/deals/{id}`, for per-route counts."""
    return _ID_SEGMENT.sub("/{id}", path.split("?", 1)[0])


def call_kind(method: str, path: str) -> str:
    """Classify a call the way the cost table does."""
    method = method.upper()
    template = route_template(path)
    if method == "DELETE":
        return "delete"
    if method in ("POST", "PUT", "PATCH"):
        return "write"
    if template.endswith("/search"):
        return "search"
    if template.endswith("/{id}") or template.endswith("/me"):
        return "get"
    return "list"


def api_version(path: str) -> str:
    return "v2" if "/api/v2/" in path or path.startswith("/v2/") else "v1"


def token_cost(method: str, path: str) -> int:
    """Tokens one call of `method path` costs."""
    return TOKEN_COSTS[(api_version(path), call_kind(method, path))]
