"""Small conversions shared by both API versions: timestamps, dates, bodies, query strings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from reconciler import jsoncodec

from .errors import bad_request

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")


def v1_time(value: str | None) -> str | None:
    """RFC 3339 (internal) -> v1's ``YYYY-MM-DD HH:MM:SS``."""
    if not value:
        return None
    return value[:10] + " " + value[11:19]


def parse_v2_time(value: str, name: str) -> str:
    """A v2 RFC 3339 timestamp -> internal UTC form; anything else is a 400."""
    if not isinstance(value, str):
        raise bad_request(f"Parameter '{name}' must be an RFC 3339 date-time string")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"Parameter '{name}' must be an RFC 3339 date-time (e.g. 2026-11-28T07:30:00Z)"
        ) from None
    if parsed.tzinfo is None or "T" not in text.upper():
        raise bad_request(f"Parameter '{name}' must be an RFC 3339 date-time (e.g. 2026-11-28T07:30:00Z)")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_v1_time(value: str, name: str) -> str:
    """A v1 ``YYYY-MM-DD HH:MM:SS`` timestamp (UTC) -> internal form; anything else is a 400."""
    try:
        parsed = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise bad_request(f"Invalid '{name}': expected format YYYY-MM-DD HH:MM:SS") from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_date(value: Any, name: str) -> str:
    """A calendar date ``YYYY-MM-DD`` that exists."""
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise bad_request(f"Parameter '{name}' must be a date in format YYYY-MM-DD")
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise bad_request(f"Parameter '{name}' is not a valid date") from None
    return value


def check_time(value: Any, name: str) -> str:
    """A clock time ``HH:MM`` (seconds dropped, as Pipedrive shows them)."""
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise bad_request(f"Parameter '{name}' must be a time in format HH:MM")
    return value[:5]


def parse_body(body: bytes | None, content_type: str | None) -> Any:
    """A request body: a JSON object or array, or a form-encoded body as a dict (v1 clients still
    send forms); {} when there is none. A JSON scalar is a 400."""
    if not body:
        return {}
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key.endswith("[]"):
                out.setdefault(key[:-2], []).append(value)
            else:
                out[key] = value
        return out
    try:
        data = jsoncodec.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Invalid JSON in request body") from None
    if not isinstance(data, dict | list):
        raise bad_request("Request body must be a JSON object")
    return data


class Query:
    """Decoded query pairs with Pipedrive's parsing rules (repeatable keys allowed)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self.map: dict[str, list[str]] = {}
        for key, value in pairs:
            self.map.setdefault(key, []).append(value)

    def get(self, name: str) -> str | None:
        """The last value given for ``name`` (why: repeated scalars take the last, like most servers)."""
        values = self.map.get(name)
        return values[-1] if values else None

    def has(self, name: str) -> bool:
        return name in self.map and self.map[name][-1] != ""

    def int(self, name: str, default: int | None = None, *, minimum: int | None = None) -> int | None:
        """An integer parameter; a non-integer is a 400."""
        raw = self.get(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?\d+", raw.strip()):
            raise bad_request(f"Parameter '{name}' must be an integer")
        value = int(raw)
        if minimum is not None and value < minimum:
            raise bad_request(f"Parameter '{name}' must be at least {minimum}")
        return value

    def bool(self, name: str) -> bool | None:
        """A boolean parameter: true/false or 1/0."""
        raw = self.get(name)
        if raw is None or raw == "":
            return None
        lowered = raw.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise bad_request(f"Parameter '{name}' must be a boolean")

    def int_list(self, name: str, *, max_items: int | None = None) -> list[int] | None:
        """A comma-separated id list (``ids=1,2,3``, also repeated keys)."""
        values = self.map.get(name)
        if not values:
            return None
        out: list[int] = []
        for value in values:
            for part in value.split(","):
                part = part.strip()
                if not part:
                    continue
                if not part.isdigit():
                    raise bad_request(f"Parameter '{name}' must be a comma-separated list of integers")
                out.append(int(part))
        if max_items is not None and len(out) > max_items:
            raise bad_request(f"Parameter '{name}' accepts at most {max_items} ids")
        return out
