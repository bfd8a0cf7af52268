"""The plan JSON of CONTRACT §6 (described by schemas/plan.schema.json)."""

from __future__ import annotations

import json
import sys

from reconciler.plan import Plan
from reconciler.render.encoding import is_utf


def render_json(plan: Plan) -> str:
    """The plan as JSON text: UTF-8 characters as they are, or every non-ASCII one as a \\u escape
    when stdout cannot write Unicode (Windows' cp1252 redirects): JSON either way, the same data."""
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=not is_utf(sys.stdout), default=str)
