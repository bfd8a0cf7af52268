"""JSON decoding and compact encoding, with orjson when it is installed (an optional extra).

Why: a plan decodes every page of live objects it reads, and the sandbox decodes its
stored rows and encodes every answer; measured on this machine, orjson decodes a page of
500 deals in 0.7x the time of the standard library and encodes it in 0.14x (bench/README.md
has the figures in use). Why optional: everything works without it, identically, only
slower; `pip install 'pipedrive-reconciler[fast]'` adds it.

Identical means: whatever orjson refuses (NaN, integers beyond 64 bits, keys that are not
strings, invalid documents) goes to the standard library, which then answers or raises
exactly as before (a ValueError for invalid JSON, a TypeError for what cannot be encoded).
Two differences remain, both in text the standard library writes and JSON readers parse
alike or not at all: a float may be spelt differently (`1e16`, not `1e+16`), and a float
that is not finite is written `null` (JSON has no NaN; the standard library writes the
invalid token `NaN`, which no Pipedrive client could read either).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # the standard library alone: same answers, slower
    orjson = None  # type: ignore[assignment]


def loads(data: bytes | bytearray | str) -> Any:
    """Parse a JSON document; ValueError (json.JSONDecodeError) when it is not one."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # let the standard library decide, and word the error
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept), as `json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)` writes it."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:
            pass  # non-string keys, huge integers...: the standard library's way
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
