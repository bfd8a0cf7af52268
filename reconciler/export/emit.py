"""Writing manifests: a small YAML emitter for export's one fixed shape."""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler import kinds
from reconciler.fieldtypes import Quoted

ORDERED_KINDS = tuple(sorted(kinds.KINDS, key=lambda s: s.order))


class Flow(dict):
    """A small mapping written inline ({id: 5}, {value: 1, currency: USD}), as people write them."""


class FlowList(list):
    """A list of scalars written inline ([a@x.com, b@x.com])."""



# Why a small emitter of our own: PyYAML builds a node object per value before emitting,
# which made writing 55,000 exported objects take five seconds, more than reading them. The
# data written here has one fixed shape (sections → keys → fields → scalars, small inline
# maps and lists), so each scalar is written plain when a conservative pattern proves that is
# safe, as a literal block for multi-line text, and double-quoted otherwise. Tests load every
# form back with yaml.safe_load and compare.

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9 _.,@&()/'+-]*")  # no ':', '#', quotes or indicators first
_PLAIN_IN_FLOW = re.compile(r"[A-Za-z_][A-Za-z0-9 _.@&()/'+-]*")  # and no ',' inside [..] or {..}
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
_UNSAFE_IN_QUOTES = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_BLOCK_SAFE = re.compile("[\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar: JSON's escapes are YAML's, plus the characters YAML forbids raw."""
    dumped = json.dumps(text, ensure_ascii=False)
    return _UNSAFE_IN_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def _number(value: float) -> str:
    text = repr(value)
    if "e" in text and "." not in text:  # YAML 1.1 reads 1e+20 as a string; 1.0e+20 is a float
        text = text.replace("e", ".0e")
    return text


def emit_scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML that loads back to exactly `value`."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    text = str(value)
    if isinstance(value, Quoted):
        return _quoted(text)
    plain = _PLAIN_IN_FLOW if flow else _PLAIN
    if plain.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED:
        return text
    return _quoted(text)


def _literal_block(text: str, indent: str) -> str | None:
    """Multi-line note text as a literal block, which reads like the note; None when not exact."""
    if "\n" not in text or "\r" in text or not _BLOCK_SAFE.fullmatch(text):
        return None
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if not lines[0] or lines[0][0] in " \t" or any(line != line.rstrip() for line in lines) or "" in lines[-1:]:
        return None
    chomp = "" if text.endswith("\n") else "-"
    return f"|{chomp}\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines)


def _flow(value: Any) -> str:
    """A value written inline, mappings and lists nested: {product: widget, quantity: 2}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{emit_scalar(k, True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return emit_scalar(value, True)


def _emit_value(value: Any, indent: str) -> str:
    """What follows `key:` for one value: ' scalar', ' [inline]', ' {inline}', a block, or nested lines."""
    if isinstance(value, Flow):
        inner = ", ".join(f"{emit_scalar(k, True)}: {emit_scalar(v, True)}" for k, v in value.items())
        return " {" + inner + "}"
    if isinstance(value, list):
        if any(isinstance(v, dict) for v in value):  # small mappings (prices, a deal's products): one a line
            return "".join(f"\n{indent}- {_flow(v)}" for v in value)
        return " [" + ", ".join(emit_scalar(v, True) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return " {}"
        return "\n" + "\n".join(f"{indent}{emit_scalar(k)}:{_emit_value(v, indent + '  ')}"
                                 for k, v in value.items())
    if isinstance(value, str) and not isinstance(value, Quoted):
        block = _literal_block(value, indent)
        if block is not None:
            return " " + block
    return " " + emit_scalar(value)


def render_file(document: dict[str, dict[str, dict]], header: str) -> str:
    """One manifest file: a comment header, then the kind sections in creation order, keys sorted.

    A blank line between sections and between the resources of a section, as people write them.
    """
    out: list[str] = [header.rstrip("\n")] if header else []
    for spec in ORDERED_KINDS:
        if spec.section not in document:
            continue
        resources = document[spec.section]
        if out:
            out.append("")
        out.append(f"{spec.section}:" if resources else f"{spec.section}: {{}}")
        for number, (key, fields) in enumerate(sorted(resources.items())):
            if number:
                out.append("")
            out.append(f"  {emit_scalar(key)}:{_emit_value(fields, '    ')}")
    return "\n".join(out) + "\n"
