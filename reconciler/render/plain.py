"""A rich console that writes unstyled text itself when there is no style to write.

rich renders every printed string segment by segment, also when the console has no colour
system (output to a file or a pipe, `--no-color`, `NO_COLOR`) and soft wrap is on, so that
all it can write is the markup-free text, line for line. For apply's plan of 1,000 creates
(5,000 lines) that took 0.2 to 0.4 s on a busy machine, between the plan's reads and the
first write; at a rate limit every window after it waits that much longer (issue 28). The
text written is the same: the markup is parsed by rich's own parser (`Text.plain`, control
codes stripped as rich strips them); anything else (a renderable, tabs, a live progress
display, a terminal, options) goes through rich as before.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import render as render_markup
from rich.text import Text


class PlainWhenUnstyled(Console):
    """rich's Console, with a direct path for one string on a console that writes no style."""

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", markup: bool | None = None,
              **options: Any) -> None:
        if not self._direct(objects, options):
            super().print(*objects, sep=sep, end=end, markup=markup, **options)
            return
        text = objects[0]
        plain = render_markup(text, emoji=False).plain if (self._markup if markup is None else markup) else Text(text).plain
        if "\t" in plain:  # rich expands tabs: leave it to rich
            super().print(*objects, sep=sep, end=end, markup=markup, **options)
            return
        self.file.write(plain + end)
        self.file.flush()

    def _direct(self, objects: tuple[Any, ...], options: dict[str, Any]) -> bool:
        return (len(objects) == 1 and type(objects[0]) is str and not options and self.color_system is None
                and self.soft_wrap and not self._highlight and not self._emoji and not self.record
                and not self._render_hooks and self._buffer_index == 0)
