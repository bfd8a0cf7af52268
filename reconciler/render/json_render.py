"""The plan JSON of CONTRACT §6 (described by schemas/plan.schema.json)."""

from __future__ import annotations

import json

from reconciler.plan import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False, default=str)
