"""Plan renderers: text for terminals, JSON for machines, markdown for pull requests."""

from reconciler.render.json_render import render_json
from reconciler.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]


def __getattr__(name: str):
    """render_markdown when first asked for: only `plan --format markdown` needs it, and apply and
    plan's other formats start ~8 ms sooner without it (issue 28)."""
    if name != "render_markdown":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from reconciler.render.markdown import render_markdown

    globals()["render_markdown"] = render_markdown
    return render_markdown
