"""Manifest value ↔ API value, one function per direction, so a round trip is the identity.

`to_api` turns a declared manifest value into the canonical API value (ids, hashes,
option ids); `from_api` turns a canonical live value back into manifest language (keys,
emails, names, labels). The planner compares in API space with `same` (which knows that
50000 == 50000.0, that Pipedrive stores note text as HTML, that only the order of
primary-first email values matters), and shows differences in manifest language.
Export uses `from_api` to write manifests that plan clean.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import kinds
from reconciler.kinds import FieldSpec
from reconciler.manifest.model import Reference
from reconciler.pipedrive.schema import AccountSchema, CustomField, UnknownName


@dataclass(frozen=True)
class Placeholder:
    """The id of an object this plan creates: known only after apply."""

    address: str  # "organization.acme"

    def __str__(self) -> str:
        return f"(id of {self.address}, known after apply)"


class NormalizeError(Exception):
    """A declared value the account cannot take (unknown user, stage, option...)."""


@dataclass
class Context:
    """What conversion needs beyond the value: the account's names and the identity map."""

    schema: AccountSchema
    # (kind, key) -> live id, or a Placeholder for objects created by this plan
    resolve_key: Callable[[str, str], int | Placeholder | None]
    # (kind, id) -> manifest key, for showing and exporting references
    key_for_id: Callable[[str, int], str | None]


# -- text ---------------------------------------------------------------------------

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_P_OPEN = re.compile(r"<p>", re.IGNORECASE)
_P_CLOSE = re.compile(r"</p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def text_key(value: str | None) -> str | None:
    """Note/activity text as Pipedrive means it: HTML line breaks and entities decoded.

    Pipedrive stores note content as sanitised HTML (a newline becomes <br>, & becomes
    &amp;); a manifest holds plain text. Both sides are brought to plain text with single
    newlines and no trailing space before comparing.
    """
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")  # Pipedrive makes every line break <br>
    text = _BR.sub("\n", text)
    text = _P_CLOSE.sub("\n", _P_OPEN.sub("", text))
    text = _TAG.sub("", text)  # formatting (bold, links) is Pipedrive's business: the text is ours
    text = html.unescape(text)
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def plain_key(value: str | None) -> str | None:
    """Manifest text (plain text, never markup) in the form text_key gives live text."""
    if value is None:
        return None
    return text_key(text_to_api(str(value)))  # what is sent, read back as Pipedrive shows it


def text_to_api(value: str) -> str:
    """Manifest text is plain text: escape what Pipedrive would read as markup.

    Without this, 'Reply to <john@acme.com>' would lose the address to Pipedrive's HTML
    sanitiser, plan an update forever, and be unfindable by its natural key.
    """
    return html.escape(value, quote=False)


# -- per-type conversions -------------------------------------------------------------


def _contacts_to_api(values: list[str] | None, label: str) -> list[dict]:
    return [{"value": v, "primary": i == 0, "label": label} for i, v in enumerate(values or [])]


def _contacts_from_api(values: list[dict] | None) -> list[str]:
    items = list(values or [])
    items.sort(key=lambda c: not c.get("primary"))  # primary first, stable otherwise
    return [str(c["value"]) for c in items]


def ref_to_api(ref: Reference | None, ctx: Context) -> int | Placeholder | None:
    if ref is None:
        return None
    if ref.id is not None:
        return ref.id
    resolved = ctx.resolve_key(ref.kind, ref.key or "")
    if resolved is None:
        raise NormalizeError(f"reference to {ref.kind} {ref.key!r} cannot be resolved")
    return resolved


def ref_from_api(value: int | None, ref_kind: str, ctx: Context) -> Any:
    if value is None:
        return None
    key = ctx.key_for_id(ref_kind, int(value))
    return key if key is not None else {"id": int(value)}


def to_api(spec: FieldSpec, value: Any, ctx: Context, declared: dict[str, Any], live: dict | None) -> Any:
    """A declared manifest value of one field → its canonical API value."""
    if value is None:
        return spec.empty
    try:
        if spec.type == kinds.REF:
            return ref_to_api(value, ctx)
        if spec.type == kinds.TEXT:
            return text_to_api(value)
        if spec.type == kinds.USER:
            return ctx.schema.user_id(value)
        if spec.type == kinds.VISIBILITY:
            return kinds.VISIBILITY_IDS[value]
        if spec.type == kinds.PIPELINE:
            return ctx.schema.pipeline_id(value)
        if spec.type == kinds.STAGE:
            pipeline_id = None
            if declared.get("pipeline") is not None:
                pipeline_id = ctx.schema.pipeline_id(declared["pipeline"])
            elif live is not None and live.get("pipeline_id"):
                pipeline_id = live["pipeline_id"]
            return ctx.schema.stage_id(value, pipeline_id)
        if spec.type in (kinds.EMAILS, kinds.PHONES):
            return _contacts_to_api(value, "work")
    except UnknownName as exc:
        raise NormalizeError(str(exc)) from None
    return value


def from_api(spec: FieldSpec, value: Any, ctx: Context) -> Any:
    """A canonical live value of one field → manifest language."""
    if value is None:
        return None
    if spec.type == kinds.REF:
        return ref_from_api(value, spec.ref_kind or "", ctx)
    if spec.type == kinds.USER:
        return ctx.schema.emails_by_user.get(int(value), {"id": int(value)})
    if spec.type == kinds.VISIBILITY:
        return kinds.VISIBILITY_NAMES.get(int(value), int(value))
    if spec.type == kinds.PIPELINE:
        return ctx.schema.pipeline_names.get(int(value), {"id": int(value)})
    if spec.type == kinds.STAGE:
        info = ctx.schema.stage_info.get(int(value))
        return info[1] if info else {"id": int(value)}
    if spec.type in (kinds.EMAILS, kinds.PHONES):
        return _contacts_from_api(value)
    if spec.type == kinds.TEXT:
        return text_key(value)
    if spec.type == kinds.NUMBER and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same(spec: FieldSpec, desired: Any, live: Any) -> bool:
    """Do a desired and a live canonical value mean the same thing?"""
    if isinstance(desired, Placeholder):
        return False
    if spec.empty is not None:  # e.g. a deal's value: null and 0 are the same thing to Pipedrive
        desired = spec.empty if desired is None else desired
        live = spec.empty if live is None else live
    if spec.type == kinds.TEXT:
        return (text_key(desired) or None) == (text_key(live) or None)  # Pipedrive stores "" as null
    if spec.type in (kinds.EMAILS, kinds.PHONES):
        want = [c["value"].strip().lower() for c in desired or []]
        have = [v.strip().lower() for v in _contacts_from_api(live)]
        return want == have
    if spec.type == kinds.NUMBER:
        return _num_equal(desired, live)
    if spec.type == kinds.STRING:
        return (desired or None) == (live or None)
    return desired == live


def _num_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


# -- custom fields ---------------------------------------------------------------------


def custom_to_api(custom: CustomField, value: Any, currency_hint: str | None) -> Any:
    """A declared custom field value (labels, numbers) → the v2 value (option ids, objects)."""
    if value is None:
        return None
    try:
        if custom.field_type == "enum":
            return custom.options[str(value)] if str(value) in custom.options else _bad_option(custom, value)
        if custom.field_type == "set":
            labels = value if isinstance(value, list) else [value]
            return sorted(custom.options[str(v)] if str(v) in custom.options else _bad_option(custom, v)
                          for v in labels)
        if custom.field_type == "monetary":
            if isinstance(value, dict):
                return {"value": value.get("value"), "currency": value.get("currency") or currency_hint}
            return {"value": value, "currency": currency_hint}
    except UnknownName as exc:
        raise NormalizeError(str(exc)) from None
    return value


def _bad_option(custom: CustomField, value: Any):
    choices = ", ".join(repr(label) for label in custom.options)
    raise NormalizeError(f"unknown option {value!r} for custom field {custom.name!r} (choices: {choices})")


def custom_from_api(custom: CustomField, value: Any) -> Any:
    if value is None:
        return None
    if custom.field_type == "enum":
        return custom.option_labels.get(int(value), value)
    if custom.field_type == "set":
        ids = value if isinstance(value, list) else [value]
        return [custom.option_labels.get(int(i), i) for i in sorted(int(i) for i in ids)]
    if custom.field_type == "monetary" and isinstance(value, dict):
        amount = value.get("value")
        if isinstance(amount, float) and amount.is_integer():
            amount = int(amount)
        return {"value": amount, "currency": value.get("currency")}
    return value


def custom_same(custom: CustomField, desired: Any, live: Any, declared_plain_number: bool) -> bool:
    if custom.field_type == "monetary":
        if desired is None or live is None:
            return desired is None and live is None
        if not isinstance(live, dict):
            live = {"value": live, "currency": None}
        if declared_plain_number:
            return _num_equal(desired.get("value"), live.get("value"))
        return _num_equal(desired.get("value"), live.get("value")) and desired.get("currency") == live.get(
            "currency"
        )
    if custom.field_type == "set":
        return sorted(desired or []) == sorted(live or [])
    if custom.field_type in ("double", "int"):
        return _num_equal(desired, live)
    if custom.field_type == "text":
        return (text_key(desired) or None) == (text_key(live) or None)
    if desired in ("", None) and live in ("", None):
        return True
    return desired == live
