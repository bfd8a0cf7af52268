"""The direct path of the console writes exactly what rich writes, when there is no style to write.

reconciler/render/plain.py skips rich's segment rendering for one string on a console without a
colour system (a file, a pipe, --no-color): it must change nothing but the time it takes.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.markup import escape

from reconciler.render.plain import PlainWhenUnstyled

SAMPLES = ["plain", "[bold]x[/bold] y", "a\x1b[31mred", "a\rb\x07c\x08d", "tab\there", ":smile: emoji",
           "trailing   ", "  lead", "[red]unclosed", escape("[not markup]") + " ok", "uni ✓ é 中", "",
           "multi\nline\n\n", "\\[x]", "[link=http://x]l[/link]", "a\x0bb\x0cc", "x\x00y\x7fz",
           "[bold]" + "w" * 300 + "[/]", "ends with backslash \\", "[/]", "[bold]a[/italic]",
           "  + organization.org-1 will be created\n      + name = \"[Acme]\"",
           # tags matched as rich matches them (reconciler/render/plain.py removes them itself)
           "[b]a[i]b[/b]c[/i]", "[Bold]x[/bOLD ]", "[/ bold ]", "[bold red]x[/bold red]", "[red=x]y[/red]",
           "[bold]a[/]b[/]", "[@click]m[/]", "[#ff0000]h[/#ff0000]", "[b][b]x[/b]y[/b]z[/b]", "a[b\x07]c",
           # escapes undone as rich undoes them (a plan escapes every list it shows)
           'emails = \\["a@b.example"]', "\\\\[bold]x[/bold]", "\\\\\\[bold]x", "\\\\\\\\[b]y[/]", "a\\[b", "a\\\\[b",
           "[bold]\\[x][/bold] \\[/]", "x \\ y [red]z[/red]", "\\[@click]m", "\\[/]", "\\\\[/]", "[b]\\[/b][/b]",
           "\\\\", "a\\[\x07b]", "[green]+[/] tags = \\[\"x\", \"y\"]\n  [green]+[/] [bold]k[/] will be created"]


def _written(cls, text: str, markup: bool | None, **console) -> str:
    out = io.StringIO()
    console = cls(file=out, highlight=False, soft_wrap=True, emoji=False, **console)
    try:
        console.print(text) if markup is None else console.print(text, markup=markup)
    except Exception as exc:  # noqa: BLE001 - the same error either way is part of "the same"
        out.write(f"raised {type(exc).__name__}")
    return out.getvalue()


@pytest.mark.parametrize("markup", [None, True, False])
@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("console", [{"no_color": True, "color_system": None}, {"color_system": "auto"}])
def test_the_same_text_as_rich(text: str, markup: bool | None, console: dict) -> None:
    assert _written(PlainWhenUnstyled, text, markup, **console) == _written(Console, text, markup, **console)


def test_escaped_lists_take_the_direct_path() -> None:
    """A plan shows every list value escaped (`\\["a@b.example"]`): such a text no longer goes to rich's
    slow path whole (issue 28), and its text is rich's."""
    from rich.markup import render

    from reconciler.plan import Change, Plan
    from reconciler.render import render_text
    from reconciler.render.plain import _markup_removed

    plan = Plan(changes=[Change("create", "person", f"p-{i}", None, fields={
        "name": {"before": None, "after": f"P {i}"}, "emails": {"before": None, "after": [f"p{i}@x.example"]}})
        for i in range(50)])
    text = render_text(plan)
    assert "\\[" in text
    assert _markup_removed(text) == render(text, emoji=False).plain


def test_a_styled_console_still_goes_through_rich() -> None:
    styled = _written(PlainWhenUnstyled, "[bold]x[/bold]", None, color_system="truecolor", force_terminal=True)
    assert "\x1b[1m" in styled
