"""One redactor for every message: the API key never reaches a terminal, a log or an exception.

Exact matching was not enough: a gateway echoing the key lowercased, or an error quoting its
first dozen characters, printed it; and a manifest that is really a `.env` file (a symlink)
was quoted by the loader, key and all. So the key is matched in any letter case, and so is
any prefix of it of MIN_PREFIX characters or more; the value of a `MATON_API_KEY=` line is
hidden even when this process does not know the key (it came from a file, not the
environment). Every console the CLI prints through, the HTTP layer's messages and traces,
and the last-resort error line all call `redact`.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

MIN_PREFIX = 8
MASK = "***"
NOT_SECRET = frozenset({"sandbox"})  # the embedded sandbox's key: public, printed in the docs
_ASSIGNED = re.compile(r"(MATON_API_KEY\s*[=:]\s*['\"]?)([^\s'\"]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=32)
def _pattern(secret: str) -> re.Pattern[str]:
    """The secret, or any prefix of it of MIN_PREFIX characters or more, in any letter case."""
    if len(secret) <= MIN_PREFIX:
        return re.compile(re.escape(secret), re.IGNORECASE)
    rest = secret[MIN_PREFIX:]
    tail = ""
    for char in reversed(rest):  # (?:c1(?:c2(?:c3)?)?)?: each further character only after the one before
        tail = f"(?:{re.escape(char)}{tail})?"
    return re.compile(re.escape(secret[:MIN_PREFIX]) + tail, re.IGNORECASE)


_REGISTERED: set[str] = set()  # other secrets this process has read (webhooks' HTTP auth passwords)


def register(secret: str | None) -> None:
    """Hide this secret too, from now on, wherever `redact` runs (the consoles, the HTTP trace, errors):
    as written, not by prefix (a password's first letters may be a word such as "password")."""
    if secret and secret.strip():
        _REGISTERED.add(secret)


def secrets(extra: Iterable[str | None] = ()) -> list[str]:
    """The secrets to hide: the environment's API key and any given, longest first."""
    found = {s for s in (os.environ.get("MATON_API_KEY"), *extra) if s and s.strip() and s not in NOT_SECRET}
    return sorted(found, key=len, reverse=True)


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` with every secret (see the module's docstring) replaced by ***."""
    if not text:
        return text
    for secret in secrets(extra):
        text = _pattern(secret.strip()).sub(MASK, text)
    for secret in sorted(_REGISTERED, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _ASSIGNED.sub(lambda m: m.group(1) + MASK, text)


class RedactingFile:
    """A text stream that redacts what is written to it (the consoles the CLI prints through)."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)
