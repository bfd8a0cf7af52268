"""What converting between manifest values and API values needs, besides the field types.

The conversions themselves belong to each field type (reconciler/fieldtypes/: `to_api`
turns a declared manifest value into the canonical API value, `from_api` turns it back,
`same` compares); this module holds what they share: the conversion context (the
account's names and the identity map), placeholders for ids known only after apply, the
errors, and the plain-text ↔ Pipedrive-HTML rules that text fields and natural keys use.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.vocabulary import UnknownName

if TYPE_CHECKING:
    from reconciler.vocabulary import AccountSchema

__all__ = ["Context", "NormalizeError", "Placeholder", "UnknownName", "plain_key", "text_key", "text_to_api"]


@dataclass(frozen=True)
class Placeholder:
    """A value known only after apply: the id of an object this plan creates, or a part of
    what the object's create or update answers (`part`): a custom field's key ("key",) or
    the id of one of its options ("option_ids", LABEL)."""

    address: str  # "organization.acme"
    part: tuple[str, ...] = ()  # () is the id

    def __str__(self) -> str:
        if not self.part:
            return f"(id of {self.address}, known after apply)"
        if self.part[0] == "option_ids":
            return f"(id of option {self.part[1]!r} of {self.address}, known after apply)"
        return f"({' '.join(self.part)} of {self.address}, known after apply)"


class NormalizeError(Exception):
    """A declared value the account cannot take (unknown user, stage, option...)."""


@dataclass
class Context:
    """What conversion needs beyond the value: the account's names and the identity map."""

    schema: AccountSchema
    # (kind, key) -> live id, or a Placeholder for objects created by this plan
    resolve_key: Callable[[str, str], Any]
    # (kind, id) -> manifest key, for showing and exporting references
    key_for_id: Callable[[str, Any], str | None]
    # the currency of a monetary value declared as a plain number on an object without one
    default_currency: str = "USD"
    # export: the kinds it writes whole, so that an `{id: N}` of one of them names an object the
    # account no longer lists (deleted in Pipedrive), not one left out of the export
    exported: frozenset[str] = frozenset()


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


def placeholders_in(value: Any) -> Iterator[Placeholder]:
    """Every Placeholder inside a value (dict keys included): what it waits for before it can be sent."""
    if isinstance(value, Placeholder):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from placeholders_in(key)
            yield from placeholders_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from placeholders_in(item)
