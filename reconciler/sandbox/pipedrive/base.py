"""What every route shares: the request context, the router, paging and input parsing.

Why a router table rather than if/else on paths: Pipedrive answers an unknown path with 404
and a known path with the wrong method with 405, which needs the full table of paths and
their methods in one place.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import ApiError, bad_request, not_found
from .model import CUSTOM_ENTITIES, HASH_RE, SPECS, TIME_KEYS, Company, coerce, coerce_custom
from .util import Query, parse_body

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


@dataclass
class Ctx:
    """One request: the company it addresses, the API version and the parsed input."""

    company: Company
    version: str
    method: str
    query: Query
    raw: bytes | None = None
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @cached_property
    def payload(self) -> Any:
        """The parsed request body (a JSON object, a JSON array, or a form as a dict; {} when none).

        Parsed on first use, so that a route that takes no body never fails on one.
        """
        return parse_body(self.raw, self.content_type)

    @property
    def body(self) -> dict[str, Any]:
        """The request body as an object; anything else is a 400 (only the fields' options
        endpoints take an array, through :attr:`payload`)."""
        if not isinstance(self.payload, dict):
            raise bad_request("Request body must be a JSON object")
        return self.payload

    @property
    def strict(self) -> bool:
        """v2 validates types strictly (a string where a number belongs is a 400); v1 coerces."""
        return self.version == "v2"

    def id(self, name: str = "id") -> int:
        """A numeric path parameter; a non-number is a 400 in v2 and a 404 in v1."""
        raw = self.params[name]
        if not raw.isdigit():
            if self.strict:
                raise bad_request(f"Parameter '{name}' must be an integer")
            raise ApiError(404, "Not found")
        return int(raw)

    def uuid(self, name: str, label: str) -> str:
        """A UUID path parameter (leads, lead labels); anything else names nothing: a 404."""
        raw = self.params[name].lower()
        if not UUID_RE.match(raw):
            raise not_found(f"{label} not found")
        return raw

    def only(self, allowed: Iterable[str], body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The body, refusing any key outside the official request model.

        Why: Pipedrive's v2 validates bodies against its schema and answers a key it does not
        know with a 400 ("Parameter 'x' is not allowed for this request"); the sandbox does so on
        the routes whose request models it implements in full.
        """
        body = self.body if body is None else body
        allowed = set(allowed)
        for key in body:
            if key not in allowed:
                raise bad_request(f"Parameter '{key}' is not allowed for this request")
        return body


Handler = Callable[[Ctx], tuple[int, Any]]


class Router:
    """Paths (regexes with named groups) -> {method: handler}.

    A match is remembered by method and path: a run sends the same few paths again and again
    (POST /api/v2/persons a thousand times), and trying ~60 patterns in turn cost ~40 us a request
    (issue 28). Only found routes are remembered (an unknown path raises every time, as before).
    """

    REMEMBERED = 4096  # paths with ids are many: forget them all past this many

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        self._found: dict[tuple[str, str], tuple[Handler, dict[str, str]]] = {}

    def add(self, pattern: str, **methods: Handler) -> None:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")
        for existing, handlers in self.routes:
            if existing.pattern == regex.pattern:
                handlers.update({m.upper(): h for m, h in methods.items()})
                self._found.clear()
                return
        self.routes.append((regex, {m.upper(): h for m, h in methods.items()}))
        self._found.clear()

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        found = self._found.get((method, path))
        if found is None:
            found = self._match(method, path)
            if len(self._found) >= self.REMEMBERED:
                self._found.clear()
            self._found[(method, path)] = found
        return found[0], dict(found[1])

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed: list[str] = []
        for regex, handlers in self.routes:
            found = regex.match(path)
            if not found:
                continue
            handler = handlers.get(method.upper())
            if handler is not None:
                return handler, found.groupdict()
            allowed.extend(handlers)
        if allowed:
            error = ApiError(405, f"Method {method.upper()} is not allowed for {path}")
            error.allowed = sorted(set(allowed))  # type: ignore[attr-defined]
            raise error
        raise ApiError(404, f"Unknown method {method.upper()} {path}")


# ----------------------------------------------------------------------------- paging
def v1_paging(ctx: Ctx) -> tuple[int, int]:
    """v1 ``start``/``limit``: limit defaults to 100 and is capped at 500 (Pipedrive caps silently)."""
    start = ctx.query.int("start", 0, minimum=0) or 0
    limit = ctx.query.int("limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    return start, min(limit, MAX_LIMIT)


def v1_pagination(start: int, limit: int, more: bool) -> dict[str, Any]:
    """v1's ``additional_data.pagination``; ``next_start`` is present only when there is more."""
    page: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        page["next_start"] = start + limit
    return page


def v2_limit(ctx: Ctx) -> int:
    """v2 ``limit``: default 100, at most 500; more is a 400 (v2 validates, v1 clamps)."""
    limit = ctx.query.int("limit", DEFAULT_LIMIT, minimum=1) or DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise bad_request(f"Parameter 'limit' must be at most {MAX_LIMIT}")
    return limit


def encode_cursor(payload: dict[str, Any]) -> str:
    """An opaque cursor (why opaque: clients must pass it back unchanged, as with Pipedrive's)."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise bad_request("Invalid cursor") from None
    if not isinstance(payload, dict):
        raise bad_request("Invalid cursor")
    return payload


def keyset_page(
    ctx: Ctx,
    kind: str,
    *,
    where: dict[str, Any],
    deleted: bool | None,
    sql: list[tuple[str, list[Any]]],
    sort_by: str,
    direction: str,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One v2 page by keyset on (sort column, id), so paging never skips or repeats an object.

    Why keyset instead of offsets: objects created or updated while a client pages would
    shift offsets; Pipedrive's cursors are stable, and so are these.
    """
    cursor = decode_cursor(ctx.query.get("cursor"))
    conditions = list(sql)
    op = ">" if direction == "ASC" else "<"
    if cursor is not None:
        last_id = cursor.get("id")
        if not isinstance(last_id, int) or cursor.get("s") != sort_by or cursor.get("d") != direction:
            raise bad_request("Invalid cursor")
        if sort_by == "id":
            conditions.append((f"id {op} ?", [last_id]))
        else:
            from ..store import SORT_EXPRESSIONS

            value = cursor.get("v")
            column = SORT_EXPRESSIONS.get(sort_by, sort_by)
            conditions.append((f"({column} {op} ? OR ({column} = ? AND id {op} ?))", [value, value, last_id]))
    order = [(sort_by, direction)] if sort_by == "id" else [(sort_by, direction), ("id", direction)]
    rows = ctx.company.store.select(
        ctx.company.id, kind, where=where, deleted=deleted, sql=conditions, order=order, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        payload: dict[str, Any] = {"s": sort_by, "d": direction, "id": last["id"]}
        if sort_by != "id":
            empty: Any = 0 if sort_by == "order_nr" else ""
            payload["v"] = last.get(sort_by) if last.get(sort_by) is not None else empty
            if sort_by == "name":  # the indexed column holds the name in lower case
                payload["v"] = str(payload["v"]).lower()
        next_cursor = encode_cursor(payload)
    return rows, next_cursor


def v2_sort(ctx: Ctx, allowed: tuple[str, ...] = ("id", "update_time", "add_time")) -> tuple[str, str]:
    sort_by = ctx.query.get("sort_by") or "id"
    if sort_by not in allowed:
        raise bad_request(f"Parameter 'sort_by' must be one of: {', '.join(allowed)}")
    direction = (ctx.query.get("sort_direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise bad_request("Parameter 'sort_direction' must be one of: asc, desc")
    return sort_by, direction.upper()


def v1_sort(ctx: Ctx, name_column: bool = True) -> list[tuple[str, str]]:
    """v1 ``sort=field ASC, field2 DESC`` over the sortable columns (title/name/subject -> name)."""
    raw = ctx.query.get("sort")
    if not raw:
        return [("id", "ASC")]
    order: list[tuple[str, str]] = []
    for part in raw.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        column = bits[0]
        direction = bits[1].upper() if len(bits) > 1 else "ASC"
        if column in ("title", "name", "subject", "content") and name_column:
            column = "name"
        if column == "user_id":
            column = "owner_id"
        if column == "organization_id":  # the leads' name for it
            column = "org_id"
        if column not in (
            "id",
            "add_time",
            "update_time",
            "name",
            "owner_id",
            "org_id",
            "person_id",
            "deal_id",
            "stage_id",
            "pipeline_id",
        ):
            raise bad_request(f"Invalid sort field '{bits[0]}'")
        if direction not in ("ASC", "DESC"):
            raise bad_request(f"Invalid sort direction '{bits[1]}'")
        order.append((column, direction))
    if not any(c == "id" for c, _ in order):
        order.append(("id", "ASC"))
    return order


def time_filters(ctx: Ctx) -> list[tuple[str, list[Any]]]:
    """v2 ``updated_since``/``updated_until`` (RFC 3339) as SQL conditions on update_time."""
    from .util import parse_v2_time

    out: list[tuple[str, list[Any]]] = []
    since = ctx.query.get("updated_since")
    if since:
        out.append(("update_time >= ?", [parse_v2_time(since, "updated_since")]))
    until = ctx.query.get("updated_until")
    if until:
        out.append(("update_time < ?", [parse_v2_time(until, "updated_until")]))
    return out


# ----------------------------------------------------------------------------- input
def parse_input(
    ctx: Ctx, kind: str, existing: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A request body -> (standard changes, custom field changes) in internal names.

    v2 reads its own names and a ``custom_fields`` object, strictly typed; v1 reads its
    names, Pipedrive's 0/1 booleans, and custom fields as root-level hash keys, a monetary
    one with a ``<hash>_currency`` sibling. v2 refuses a key outside the official request model
    with a 400, as it validates every body (so a misspelt key is never dropped silently); v1,
    which coerces, ignores unknown standard keys; an unknown 40-hex key or ``custom_fields``
    entry is a 400 in both.
    """
    body = ctx.body
    strict = ctx.strict
    if strict:
        ctx.only(v2_request_keys(kind))
    changes: dict[str, Any] = {}
    for spec in SPECS[kind]:
        name = spec.v2 if strict else spec.v1
        if name is None:
            continue
        if name not in body and not strict and spec.name == "label_ids" and "label" in body:
            name = "label"
        if name not in body:
            continue
        changes[spec.name] = coerce(ctx.company, spec, body[name], name, strict)
    custom: dict[str, Any] = {}
    if kind not in CUSTOM_ENTITIES:
        return changes, custom
    if strict:
        if body.get("custom_fields") is not None:
            custom = ctx.company.parse_custom_v2(kind, body["custom_fields"])
        return changes, custom
    return changes, parse_custom_v1(ctx, kind, existing)


def v2_request_keys(kind: str) -> set[str]:
    """Every key a v2 create or update of ``kind`` takes (the official request model's)."""
    from .model import V2_ACCEPTED_NOT_KEPT, V2_SANDBOX_ONLY

    keys = {spec.v2 for spec in SPECS[kind] if spec.v2}
    keys |= set(V2_ACCEPTED_NOT_KEPT.get(kind, ())) | set(V2_SANDBOX_ONLY.get(kind, ()))
    if kind in CUSTOM_ENTITIES:
        keys.add("custom_fields")
    return keys


def parse_custom_v1(ctx: Ctx, entity: str, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """v1 custom field values: root-level hash keys of ``entity``'s custom fields, a monetary one with
    a ``<hash>_currency`` sibling, time fields with ``_until``/``_timezone_id`` siblings.

    Leads use it with the deals' fields, which they inherit.
    """
    body = ctx.body
    custom: dict[str, Any] = {}
    known = ctx.company.custom_fields(entity)
    for key, raw in body.items():
        base = re.sub(r"_(currency|until|timezone_id)$", "", key) if HASH_RE.match(key[:40]) else key
        field = known.get(base)
        if field is None:
            if HASH_RE.match(base):
                raise bad_request(f"Custom field '{base}' does not exist")
            continue
        if base in custom:
            continue
        if field["field_type"] in ("time", "timerange", "daterange"):
            old = ((existing or {}).get("custom_fields") or {}).get(base) or {}
            parts = {"value": body.get(base, old.get("value"))}
            for sub in ("until", "timezone_id"):
                if sub in TIME_KEYS[field["field_type"]]:
                    parts[sub] = body.get(f"{base}_{sub}", old.get(sub))
            if "timezone_name" in TIME_KEYS[field["field_type"]]:
                parts["timezone_name"] = old.get("timezone_name")
            if parts["value"] in (None, ""):
                custom[base] = None
            else:
                custom[base] = coerce_custom(ctx.company, field, parts, False, base)
        elif field["field_type"] == "monetary":
            old = ((existing or {}).get("custom_fields") or {}).get(base) or {}
            amount = body.get(base, old.get("value"))
            currency = body.get(base + "_currency", old.get("currency"))
            if amount in (None, ""):
                custom[base] = None
            else:
                custom[base] = coerce_custom(
                    ctx.company, field, {"value": amount, "currency": currency or None}, False, base
                )
        elif key == base:
            custom[base] = coerce_custom(ctx.company, field, raw, False, base)
    return custom
