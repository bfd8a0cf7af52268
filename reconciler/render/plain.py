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
from rich.control import strip_control_codes
from rich.markup import RE_TAGS
from rich.markup import render as render_markup
from rich.style import Style
from rich.text import Text


class PlainWhenUnstyled(Console):
    """rich's Console, with a direct path for one string on a console that writes no style."""

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", markup: bool | None = None,
              **options: Any) -> None:
        if not self._direct(objects, options):
            super().print(*objects, sep=sep, end=end, markup=markup, **options)
            return
        text = objects[0]
        if self._markup if markup is None else markup:
            plain = _markup_removed(text)
            if plain is None:
                plain = render_markup(text, emoji=False).plain
        else:
            plain = Text(text).plain
        if "\t" in plain:  # rich expands tabs: leave it to rich
            super().print(*objects, sep=sep, end=end, markup=markup, **options)
            return
        self.file.write(plain + end)
        self.file.flush()

    def _direct(self, objects: tuple[Any, ...], options: dict[str, Any]) -> bool:
        return (len(objects) == 1 and type(objects[0]) is str and not options and self.color_system is None
                and self.soft_wrap and not self._highlight and not self._emoji and not self.record
                and not self._render_hooks and self._buffer_index == 0)


def _markup_removed(text: str) -> str | None:
    """`render_markup(text).plain` without building the styled Text (apply's plan of 1,000 creates:
    ~40 ms of CPU, issue 28), or None where rich must decide: a meta tag (`[@...]`) or a closing
    tag with nothing to close, which rich refuses (MarkupError). Tags are found by rich's own
    pattern and matched as rich matches them; escapes are undone as rich undoes them (a plan
    escapes every list value it shows, `emails = \\["a@b.example"]`, so a plan of persons took
    rich's slow path whole: showing the 1,000-create mixed plan took 48-54 ms before the first
    write, 24-33 ms without it, issue 28; split by the pattern rather than matched tag by tag, a
    third less again): before a tag, each
    pair of backslashes is one literal backslash and an odd one left makes the tag literal text;
    in the text between tags, `\\[` is `[`."""
    if "[@" in text:
        return None
    parts = RE_TAGS.split(text)  # text, then (whole tag, its escapes, its inside, text after) per tag
    pieces = [parts[0].replace("\\[", "[")]
    open_tags: list[str] = []
    for index in range(1, len(parts), 4):
        whole, escapes, tag, after = parts[index], parts[index + 1], parts[index + 2], parts[index + 3]
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            pieces.append("\\" * backslashes)
            if escaped:
                pieces.append(whole[len(escapes):])
                pieces.append(after.replace("\\[", "["))
                continue
        name = tag.partition("=")[0]
        if not name.startswith("/"):
            open_tags.append(Style.normalize(name))
        elif not (closed := name[1:].strip()):
            if not open_tags:
                return None
            open_tags.pop()
        else:
            closed = Style.normalize(closed)
            for position in range(len(open_tags) - 1, -1, -1):
                if open_tags[position] == closed:
                    del open_tags[position]
                    break
            else:
                return None
        pieces.append(after.replace("\\[", "["))
    return strip_control_codes("".join(pieces))
