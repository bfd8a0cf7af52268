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
