"""Output that works in any console encoding: UTF-8 where the stream takes it, clean ASCII where not.

Why: plans use a few typographic symbols (→, ×, …, —) and print names from the account in
any script. Windows writes redirected output (`reconciler plan > plan.txt`) in the ANSI code
page (cp1252 in Western Europe and the Americas), where `→` does not exist, and Python's
default for it is to raise UnicodeEncodeError: the plan was lost, with a traceback. The
streams are not switched to UTF-8 behind the user's back (the file would then be read back
in cp1252 by the tools that made the redirect); instead, what the encoding cannot hold is
written as ASCII: our symbols as their usual ASCII spelling (`->`, `x`, `...`, `-`), any other
character as a `\\uXXXX` escape, so nothing is lost and nothing raises.
"""

from __future__ import annotations

import codecs
import sys
from typing import Any

HANDLER = "reconciler-ascii"
# the symbols our renderers write, as people type them in ASCII
ASCII = {"→": "->", "←": "<-", "×": "x", "…": "...", "—": "-", "–": "-", "−": "-", "·": "*", "✓": "v",
         "≈": "~", "≤": "<=", "≥": ">=", "“": '"', "”": '"', "‘": "'", "’": "'", "\u00a0": " "}


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # as a JSON-style surrogate pair, so that JSON output stays JSON
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(ASCII.get(char) or _escape(char) for char in text), error.end


codecs.register_error(HANDLER, _fallback)


def is_utf(stream: Any) -> bool:
    """Whether a text stream writes Unicode as is (UTF-8, UTF-16...)."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return encoding.startswith("utf")


def make_safe(stream: Any) -> None:
    """Keep a stream's encoding, but write what it cannot encode as ASCII instead of raising."""
    if stream is None or is_utf(stream) or getattr(stream, "errors", "strict") != "strict":
        return
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors=HANDLER)


def make_standard_streams_safe() -> None:
    """stdout and stderr, as every command starts (they may have been redirected to a file)."""
    make_safe(sys.stdout)
    make_safe(sys.stderr)
