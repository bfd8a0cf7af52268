"""How Pipedrive stores note and activity-note content: as sanitised HTML.

What this sandbox implements (a documented approximation of Pipedrive's sanitiser):
- plain line breaks become ``<br>`` (``\\r\\n``, ``\\r`` and ``\\n`` alike);
- a small allow-list of formatting tags is kept (b, strong, i, em, u, s, strike, p, div,
  span, br, ul, ol, li, a, blockquote, h1-h6, pre, code, img); their attributes are kept
  only if harmless (href/src without ``javascript:``, title, alt, style is dropped);
- script, style, iframe, object and embed are removed together with their content; any
  other tag is dropped but its text kept;
- text is decoded (entities and character references, as browsers and ``html.unescape``
  read them) then re-escaped, so a bare ``&``, ``<`` or ``>`` comes back as ``&amp;``,
  ``&lt;``, ``&gt;`` (``AT&T`` as ``AT&amp;T``) and other entities as their characters.
Why it matters: the reconciler compares a manifest's plain text with what Pipedrive returns,
so the sandbox must return the transformed text, not the input.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

ALLOWED = frozenset(
    "b strong i em u s strike p div span br ul ol li a blockquote h1 h2 h3 h4 h5 h6 pre code img".split()
)
VOID = frozenset({"br", "img"})
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "head", "title"})
SAFE_ATTRS = frozenset({"href", "src", "title", "alt", "target", "rel"})


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        # convert_charrefs: with False, HTMLParser reads "AT&T rocks" as an entity "&T" and
        # drops a bare "&" at the end of the input ("R&D" became "RD").
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in ALLOWED:
            return
        kept = []
        for name, value in attrs:
            if name not in SAFE_ATTRS or value is None:
                continue
            if name in ("href", "src") and value.strip().lower().startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                continue
            kept.append(f' {name}="{escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in DROP_WITH_CONTENT:
            self.skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip or tag not in ALLOWED or tag in VOID:
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        if not self.skip:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.skip:
            self.out.append(f"&#{name};")


_NEWLINES = re.compile(r"\r\n|\r|\n")


def sanitize_html(content: str) -> str:
    """Content as Pipedrive would store it (see the module docstring for the exact rules)."""
    parser = _Sanitiser()
    parser.feed(_NEWLINES.sub("<br>", content))
    parser.close()
    return "".join(parser.out)
