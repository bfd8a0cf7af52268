"""What each Pipedrive call costs against the account's daily token budget: the one table.

Used by the client (plan/apply `stats`) and by the sandbox (`/_sandbox/stats`), so that
what reconciler reports is what the sandbox charges.

Source: Pipedrive's "Rate limiting" page, section "Token-based rate limiting"
(https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting), which prices calls by
endpoint type: get a single entity 2, get a list 20, update (POST/PUT/PATCH) 10, delete 6,
search 40. The same page and the v1 deprecation changelog
(https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints)
say the v2 equivalents cost half, hence the v2 column.
"""


from __future__ import annotations

import re

# endpoint type -> (v1 tokens, v2 tokens)
TOKEN_COSTS: dict[str, tuple[int, int]] = {
    "get_single": (2, 1),
    "get_list": (20, 10),
    "write": (10, 5),  # POST, PUT, PATCH
    "delete": (6, 3),
    "search": (40, 20),
}

_VERSION = re.compile(r"^/api/(v1|v2)(/.*)?$")
# A trailing segment that names one object: a number, "me" (/users/me), or a 40-hex field key.
_SINGLE = re.compile(r"/(\d+|me|[0-9a-f]{40}|[a-z_]+)$")
_COLLECTIONS = frozenset(
    {
        "deals",
        "persons",
        "organizations",
        "activities",
        "notes",
        "pipelines",
        "stages",
        "users",
        "activityTypes",
        "dealFields",
        "personFields",
        "organizationFields",
        "activityFields",
        "noteFields",
        "itemSearch",
    }
)


def endpoint_type(method: str, path: str) -> str:
    """Classify a call as one of the table's endpoint types (why: costs depend on type only)."""
    method = method.upper()
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/search") or path.endswith("/itemSearch"):
        return "search"
    if method == "DELETE":
        return "delete"
    if method in ("POST", "PUT", "PATCH"):
        return "write"
    last = path.rsplit("/", 1)[-1]
    if last in _COLLECTIONS:
        return "get_list"
    if _SINGLE.search(path):
        return "get_single"
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
