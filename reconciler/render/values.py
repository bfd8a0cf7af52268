"""How one value looks in a rendered plan, shared by the text and markdown renderers."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
VERBS = {"create": "will be created", "update": "will be updated in-place", "delete": "will be deleted"}


# Characters that show nothing or move the cursor: controls (C0 and C1: terminal escape
# sequences), format characters (bidi overrides that reorder what a reviewer reads, zero-width
# spaces), line and paragraph separators, private-use and surrogates.
_HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp", "Co", "Cs"))


def printable(text: str) -> str:
    """`text` with every invisible or cursor-moving character written as \\uXXXX, on one line."""
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in _HIDDEN else c for c in text
    )


def show(value: Any, limit: int = 80) -> str:
    """A compact, unambiguous one-line form: strings quoted, structures as JSON.

    Values come from manifests and from the live account: nothing in them may act on the
    terminal or the page that shows them, so invisible characters are written out.
    """
    if value is None:
        return "null"
    known_later = isinstance(value, str) and value.startswith("(") and value.endswith(", known after apply)")
    text = value if known_later else json.dumps(
        value, ensure_ascii=False, default=str
    )
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline(summary: dict[str, int], adopted: int = 0) -> str:
    """Terraform's summary line, then how many existing objects the plan adopts, if any."""
    if not any(summary.get(k) for k in ("create", "update", "delete")):
        line = "No changes. The live account matches the manifests."
    else:
        line = (
            f"Plan: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['delete']} to delete."
        )
    if adopted:
        line += f" {adopted} existing object{'s' if adopted != 1 else ''} adopted (matched by natural key)."
    return line


def adopted_count(plan) -> int:
    """Objects matched by natural key: unchanged adoptions plus adopted updates."""
    return len(plan.adopt) + sum(1 for c in plan.changes if c.adopted)
