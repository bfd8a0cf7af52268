"""Plan renderers: text for terminals, JSON for machines, markdown for pull requests."""

from reconciler.render.json_render import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
