"""What apply will send for each change of a plan: the exact values, as JSON.

The plan's text shows changes in the manifests' language (labels, option names, before and
after); apply sends the plan's `writes` (API names and values). A reviewer of a saved plan
must see the latter too, or a plan could show one thing and send another: `show` and
`apply --plan` print this section, built from the very values apply sends.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.normalize import Placeholder
from reconciler.plan import Plan

VERBS = {"create": "create", "update": "update", "delete": "delete"}


def _plain(value: Any) -> Any:
    if isinstance(value, Placeholder):
        return f"<id of {value}>"
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render_sends(plan: Plan) -> str:
    """One line per change: its action, its target and the exact values sent (sorted keys)."""
    if not plan.changes:
        return ""
    lines = ["Apply will send:"]
    for change in plan.changes:
        target = f"{change.kind}.{change.key}" + (f" (id {change.id})" if change.id is not None else "")
        if change.action == "delete":
            lines.append(f"  delete {target}")
            continue
        body = json.dumps(_plain(change.writes), sort_keys=True, ensure_ascii=False, default=str)
        lines.append(f"  {VERBS[change.action]} {target}: {body}")
    return "\n".join(lines)
