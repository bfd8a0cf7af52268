"""Rewrite scalar values in a manifest's text where they stand, and nothing else.

Why: `reconciler pull` changes a few values in files that people wrote and review with
`git diff`. Loading a whole file into a round-trip YAML tree and writing it back cost most of
a pull's time on large files (a 1.2 MB `deals.yaml`: seconds), and can only keep what that
editor models. Here the YAML parser's events (libyaml's when present) give the exact span of
each value to change; the new value is written into that span in the style the old one had
(plain stays plain, quotes stay the same quotes, a date stays a date), and every other byte
of the file (comments, spacing, key order, line endings) is left as it was.

Only single-line scalars in block mappings are rewritten here. Anything else (a list, a
mapping, a block or multi-line scalar, a value inside a flow collection, an anchor or alias,
a value that would need more than one line) makes `rewrite` answer None, and the caller
uses the round-trip editor for that file, as before.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

FieldPath = tuple[str, ...]  # (section, resource key, field) or (section, resource key, "fields", name)


@dataclass(frozen=True)
class Span:
    """Where a scalar value's text is (character offsets, quotes included) and how it is written."""

    start: int
    end: int
    style: str | None  # None: plain; "'" or '"': quoted; "|" or ">": block
    text: str  # the value as the parser read it
    single_line: bool


_NOT_SCALAR = None  # a wanted path whose value is not a plain single-line scalar
_ITEM = object()  # a sequence item's place in a path: never a wanted path's


def find_spans(text: str, wanted: set[FieldPath]) -> dict[FieldPath, Span | None]:
    """The span of each wanted path's value; None for a value this module does not rewrite.

    A path not in the file is absent from the answer.
    """
    found: dict[FieldPath, Span | None] = {}
    depth_max = max((len(p) for p in wanted), default=0)
    prefixes = {p[:i] for p in wanted for i in range(len(p) + 1)}
    # one frame per open collection: [path, is_mapping, expecting_key, pending_key, flow]
    stack: list[list[Any]] = []
    loader = _LOADER(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            if not stack:
                if isinstance(event, MappingStartEvent):
                    stack.append([(), True, True, None, bool(event.flow_style)])
                elif isinstance(event, SequenceStartEvent):
                    stack.append([(), False, False, None, bool(event.flow_style)])
                continue
            frame = stack[-1]
            path, is_mapping, expecting_key, pending, flow = frame
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                stack.pop()
                if stack and stack[-1][1]:
                    stack[-1][2] = True
                continue
            if is_mapping and expecting_key:
                frame[3] = event.value if isinstance(event, ScalarEvent) else object()
                frame[2] = False
                if isinstance(event, MappingStartEvent | SequenceStartEvent):  # a complex key: skip it
                    _skip(loader)
                continue
            here = (*path, pending) if is_mapping else (*path, _ITEM)
            if is_mapping:
                frame[2] = True
            if isinstance(event, ScalarEvent):
                if here in wanted:
                    single = event.start_mark.line == event.end_mark.line
                    style = event.style or None  # libyaml says "" for plain
                    ok = single and not flow and event.anchor is None and style in (None, "'", '"')
                    found[here] = Span(event.start_mark.index, event.end_mark.index, style, event.value,
                                       single) if ok else _NOT_SCALAR
                continue
            if isinstance(event, AliasEvent):
                if here in wanted:
                    found[here] = _NOT_SCALAR
                continue
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                if here in wanted:
                    found[here] = _NOT_SCALAR
                if here not in prefixes or len(here) >= depth_max:
                    _skip(loader)
                    continue
                stack.append([here, isinstance(event, MappingStartEvent), True, None,
                              flow or bool(event.flow_style)])
    finally:
        loader.dispose()
    return found


def _skip(loader: Any) -> None:
    """Past the end of the collection just started."""
    depth = 1
    while depth:
        event = loader.get_event()
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1


def _plain_tag(text: str) -> str:
    """The tag a plain scalar of this text resolves to (str, int, date, ...)."""
    return _LOADER.resolve(_LOADER, yaml.ScalarNode, text, (True, False))


def render(span: Span, value: Any) -> str | None:
    """`value` written in the style of the scalar at `span`, on one line; None when it cannot be.

    The style rules are those the round-trip editor followed: quotes are kept for text, a
    plain date stays a plain date, anything else is written as YAML writes it by default.
    """
    if value is None:
        return None  # an emptied value: how it is written depends on the editor, left to it
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if math.isfinite(value) and "e" not in text else None
    if not isinstance(value, str):
        return None  # lists, mappings: a structure
    if "\n" in value or "\r" in value:
        return None
    if span.style in ("'", '"'):
        return _dumped(value, span.style)
    if _plain_tag(span.text) == _TIMESTAMP:
        try:
            return datetime.date.fromisoformat(value).isoformat()  # a date written as a date
        except ValueError:
            pass
    return _dumped(value, None)


def _dumped(value: str, style: str | None) -> str | None:
    out = yaml.dump(value, Dumper=_DUMPER, default_style=style, allow_unicode=True, width=1_000_000)
    for end in ("\n...\n", "\n"):
        if out.endswith(end):
            out = out[: -len(end)]
            break
    return None if "\n" in out else out


def _reads_back(new_text: str, value: Any) -> bool:
    """The new scalar, as a mapping's value, reads back as the value (a date as that date)."""
    try:
        got = yaml.load(f"k: {new_text}\n", Loader=_LOADER)
    except yaml.YAMLError:
        return False
    if not isinstance(got, dict) or "k" not in got:
        return False
    read = got["k"]
    if isinstance(read, datetime.date) and isinstance(value, str):
        return read.isoformat() == datetime.date.fromisoformat(value).isoformat()
    return read == value and type(read) is type(value)


def rewrite(text: str, edits: Sequence[tuple[FieldPath, Any]]) -> str | None:
    """The text with each path's scalar replaced by its new value; None when one cannot be."""
    spans = find_spans(text, {path for path, _value in edits})
    replacements: dict[int, tuple[int, str]] = {}
    for path, value in edits:
        span = spans.get(path)
        if span is None:
            return None
        new_text = render(span, value)
        if new_text is None or not _reads_back(new_text, value):
            return None
        replacements[span.start] = (span.end, new_text)
    pieces = []
    at = 0
    for start in sorted(replacements):
        end, new_text = replacements[start]
        pieces += [text[at:start], new_text]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)
