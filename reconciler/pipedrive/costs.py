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
Because most figures are unconfirmed, no decision trusts them: every option is priced under
every table the unconfirmed figures could really be (each one half or twice what is written
here), and its worst ratio to the best is what counts (`worst_ratios`).

A read has two costs, and users pay both: the time it takes, which at the account's rate limit
(the gateway's 10 requests a second) is its number of calls, and the tokens it spends from the
daily budget. `weighed_choice` weighs both (the rule, with its reasons: docs/costs.md): while
the budget is not scarce, the option whose worse regret is smallest, a regret being its calls
over the fewest calls any option makes, or its worst token ratio over TOKEN_TOLERANCE; when the
budget left (the gateway's `x-daily-requests-left`) is scarce, tokens alone (`robust_choice`).
tests/live/test_cost_robustness.py checks the reader's choices against the real calls of every
alternative under every table. Decisions between calls of one type (ids batches against list
pages) need no figures.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from functools import cache
from types import MappingProxyType

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

ERROR_FACTOR = 2  # how far an unconfirmed figure may be from the truth, either way
Calls = Mapping[str, float]  # endpoint type -> number of calls


@cache
def possible_tables() -> tuple[Mapping[str, tuple[float, float]], ...]:
    """The table as written and every corner of what it could really be.

    Each unconfirmed figure is taken at half and at twice its value, independently; the
    confirmed rule (v2 costs half of v1) holds in every table. Built once: the reader weighs
    its choices after every page of a scan, and the tables depend on this module's figures only.
    """
    unconfirmed = [name for name in TOKEN_COSTS if SOURCES[name].startswith("unconfirmed")]
    tables = [dict(TOKEN_COSTS)]
    for factors in itertools.product((1 / ERROR_FACTOR, ERROR_FACTOR), repeat=len(unconfirmed)):
        table = {name: (float(v1), float(v2)) for name, (v1, v2) in TOKEN_COSTS.items()}
        for name, factor in zip(unconfirmed, factors, strict=True):
            v1, _ = TOKEN_COSTS[name]
            table[name] = (v1 * factor, v1 * factor / 2)
        tables.append(table)
    return tuple(MappingProxyType(table) for table in tables)


def price(calls: Calls, version: str, table: Mapping[str, tuple[float, float]] = TOKEN_COSTS) -> float:
    """Tokens these calls cost at one table's prices."""
    column = 1 if version == "v2" else 0
    return sum(count * table[kind][column] for kind, count in calls.items())


def worst_ratios(options: Mapping[str, Sequence[Calls]], version: str) -> dict[str, float]:
    """Each option's worst ratio to the best option, over every possible table and situation.

    An option is a list of the calls it would make in each situation the caller cannot tell
    apart (an account of one page or of many, say); situations line up across options.
    """
    worst = dict.fromkeys(options, 1.0)
    situations = len(next(iter(options.values())))
    for table in possible_tables():
        for situation in range(situations):
            _keep_worst(worst, {name: price(calls[situation], version, table) for name, calls in options.items()})
    return worst


def _keep_worst(worst: dict[str, float], costs: Mapping[str, float]) -> None:
    """Raise each option's worst ratio to what it costs here against the cheapest (0 against 0: 1)."""
    best = min(costs.values())
    for name, cost in costs.items():
        ratio = cost / best if best else (1.0 if cost == 0 else float("inf"))
        worst[name] = max(worst[name], ratio)


def robust_choice(options: Mapping[str, Sequence[Calls]], version: str) -> str:
    """The option least far from the best whatever the true prices are (ties: the first given)."""
    worst = worst_ratios(options, version)
    return min(options, key=lambda name: worst[name])


# A token ratio this large weighs as much as one more call per call: tokens are a daily budget that
# renews and that a plan rarely dents, calls are the seconds users wait (at 10 req/s). 2.5 is the
# token slack issue #28 allows a read (within 1.2x of the fewest calls, 2.5x of the fewest tokens).
TOKEN_TOLERANCE = 2.5
# The budget is scarce when the dearest option, at the dearest possible prices, would spend more
# than this share of the tokens left today: then tokens alone decide (a plan must not exhaust it).
SCARCE_SHARE = 0.05


def call_ratios(options: Mapping[str, Sequence[Calls]]) -> dict[str, float]:
    """Each option's worst ratio of calls to the fewest any option makes, over the situations.

    Calls need no price: they are what the rate limit turns into seconds, whatever the tokens.
    """
    worst = dict.fromkeys(options, 1.0)
    situations = len(next(iter(options.values())))
    for situation in range(situations):
        _keep_worst(worst, {name: sum(calls[situation].values()) for name, calls in options.items()})
    return worst


def most_tokens(options: Mapping[str, Sequence[Calls]], version: str) -> float:
    """The most any option could spend in any situation at any possible table's prices."""
    return max(price(calls, version, table) for table in possible_tables()
               for situations in options.values() for calls in situations)


def weighed_scores(options: Mapping[str, Sequence[Calls]], version: str) -> dict[str, float]:
    """Each option's worse regret: its call ratio, or its worst token ratio over TOKEN_TOLERANCE."""
    by_calls = call_ratios(options)
    by_tokens = worst_ratios(options, version)
    return {name: max(by_calls[name], by_tokens[name] / TOKEN_TOLERANCE) for name in options}


def weighed_choice(options: Mapping[str, Sequence[Calls]], version: str, budget_left: float | None = None) -> str:
    """The option that weighs best in time (calls) and tokens together (ties: the first given).

    `budget_left`: the tokens the account has left today, when the gateway says
    (`x-daily-requests-left`); when the options could spend a noticeable share of it, tokens
    alone decide, as `robust_choice` weighs them.
    """
    if budget_left is not None and most_tokens(options, version) > SCARCE_SHARE * budget_left:
        return robust_choice(options, version)
    scores = weighed_scores(options, version)
    return min(options, key=lambda name: scores[name])


def daily_left(headers: Mapping[str, str]) -> int | None:
    """The tokens left in the account's daily budget, where the gateway passes Pipedrive's header."""
    value = headers.get("x-daily-requests-left")
    try:
        return None if value is None else max(0, int(float(value)))
    except ValueError:
        return None


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
