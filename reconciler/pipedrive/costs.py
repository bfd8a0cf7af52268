"""What each Pipedrive call costs against the account's daily token budget: the one table.

Used by the client (plan/apply `stats`) and by the sandbox (`/_sandbox/stats`), so that
what reconciler reports is what the sandbox charges.

Where each figure comes from (and how sure it is):
- v2 costs half of v1: CONFIRMED by Pipedrive's own pages (the "Rate limiting" page,
  https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting, and the changelog of
  the v1 deprecations: "API v2 endpoints ... consume 50% fewer tokens").
- the v1 prices per endpoint type (get single 2, get list 20, update 10, search 40):
  UNCONFIRMED, read from third-party summaries of that page, not from Pipedrive's table.
- delete 6: UNCONFIRMED, from no source we can cite.
Every decision made from these figures (how the live reader chooses between scans,
search and direct fetches) is checked by tests/live/test_cost_robustness.py to stay within
1.5× of the best choice when any figure is off by a factor of two.
"""

from __future__ import annotations

import re
from functools import cache

# endpoint type -> (v1 tokens, v2 tokens)
TOKEN_COSTS: dict[str, tuple[int, int]] = {
    "get_single": (2, 1),  # unconfirmed (third-party summary); v2 = half (confirmed rule)
    "get_list": (20, 10),  # unconfirmed (third-party summary); v2 = half (confirmed rule)
    "write": (10, 5),  # POST, PUT, PATCH; unconfirmed (third-party summary); v2 = half (confirmed rule)
    "delete": (6, 3),  # unconfirmed (no citable source); v2 = half (confirmed rule)
    "search": (40, 20),  # unconfirmed (third-party summary); v2 = half (confirmed rule)
}
SOURCES: dict[str, str] = {
    "v2_half": "confirmed: Pipedrive's rate-limiting page and v1 deprecation changelog",
    "get_single": "unconfirmed: third-party summary",
    "get_list": "unconfirmed: third-party summary",
    "write": "unconfirmed: third-party summary",
    "delete": "unconfirmed: no citable source",
    "search": "unconfirmed: third-party summary",
}

_VERSION = re.compile(r"^/(?:api/)?(v1|v2)(/.*)?$")
# A segment that names one object: a number, a lead's UUID, "me" (/users/me), or a 40-hex field key.
_ID = re.compile(r"^(\d+|me|[0-9a-f]{40}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@cache
def _field_collections() -> frozenset[str]:
    """Collections whose next segment names one item even when it is a word (v2 field codes)."""
    from reconciler import kinds

    names = {spec.field_schema_path for spec in kinds.KINDS if spec.field_schema_path}
    return frozenset(names | {"dealFields", "personFields", "organizationFields", "productFields",
                              "activityFields", "noteFields"})


def endpoint_type(method: str, path: str) -> str:
    """Classify a call as one of the table's endpoint types (why: costs depend on type only).

    By the path's shape, not by a list of known collections, so that a new kind's lists are
    never priced as single reads: a path whose last segment is an id is a single read;
    anything else is a list.
    """
    method = method.upper()
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/search") or path.endswith("/itemSearch"):
        return "search"
    if method == "DELETE":
        return "delete"
    if method in ("POST", "PUT", "PATCH"):
        return "write"
    segments = path.split("/")
    last = segments[-1]
    if _ID.match(last):
        return "get_single"
    if len(segments) >= 2 and segments[-2] in _field_collections():
        return "get_single"  # /api/v2/dealFields/{field_code}
    return "get_list"


def token_cost(method: str, path: str) -> int:
    """The tokens Pipedrive charges for ``method path`` (v1 prices unless the path is v2)."""
    match = _VERSION.match(path.split("?", 1)[0])
    version = match.group(1) if match else "v1"
    v1, v2 = TOKEN_COSTS[endpoint_type(method, path)]
    return v2 if version == "v2" else v1


_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def route_template(path: str) -> str:
    """`/api/v2/deals/12` → `/api/v2/deals/{id}`, for per-route counts."""
    return _ID_SEGMENT.sub("/{id}", path.split("?", 1)[0])
