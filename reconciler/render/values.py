"""How one value looks in a rendered plan, shared by the text and markdown renderers."""

from __future__ import annotations

import json
from typing import Any

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
VERBS = {"create": "will be created", "update": "will be updated in-place", "delete": "will be deleted"}


def show(value: Any, limit: int = 80) -> str:
    """A compact, unambiguous one-line form: strings quoted, structures as JSON."""
    if value is None:
        return "null"
    text = value if isinstance(value, str) and value.startswith("(id of ") else json.dumps(
        value, ensure_ascii=False, default=str
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline(summary: dict[str, int]) -> str:
    if not any(summary.get(k) for k in ("create", "update", "delete")):
        return "No changes. The live account matches the manifests."
    return (
        f"Plan: {summary['create']} to create, {summary['update']} to update, "
        f"{summary['delete']} to delete."
    )
