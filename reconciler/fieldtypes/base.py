"""The base of every field type: FieldSpec, FieldType, the patterns and helpers they share."""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.manifest.model import Reference
from reconciler.normalize import Context, NormalizeError, UnknownName

if TYPE_CHECKING:
    from reconciler.manifest.model import Position


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # loose on purpose: catches "alice", accepts real addresses
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"  # 9:30 is read as 09:30
KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

VISIBILITY_IDS = {"owner": 1, "company": 3, "owner_group": 5, "company_group": 7}
VISIBILITY_NAMES = {v: k for k, v in VISIBILITY_IDS.items()}


class ValueProblem(Exception):
    """A declared value the loader cannot accept even though its schema matched (a 31 February)."""


class Drop(Exception):
    """Export cannot write this live value in manifest language; the message says why."""


class Quoted(str):
    """A string export always writes double-quoted: phone numbers, which YAML could misread."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a kind (or one custom field of an account): its type, names and docs.

    `api` is the canonical (v2) name; `v1_api` the v1 name where it differs. Custom fields
    live in a container (`custom_fields`) of the canonical object and of the v2 body.
    """

    name: str
    type: FieldType
    api: str
    description: str = ""
    v1_api: str | None = None
    ref_kind: str | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = True
    # What `null` ("empty") means to Pipedrive when it is not null itself: a deal's value
    # cannot be empty, it is 0 when unset.
    empty: Any = None
    container: str | None = None  # "custom_fields" for custom fields
    options: Mapping[str, Any] = field(default_factory=dict)  # option label -> id (enum, set)
    read_only: bool = False  # read and compared, never declared (e.g. update_time)
    uuid_ref: bool = False  # a reference to a kind whose ids are UUIDs (leads)

    def wire_name(self, version: str) -> str:
        return self.v1_api if version == "v1" and self.v1_api else self.api

    def live(self, obj: Mapping[str, Any]) -> Any:
        """This field's canonical value in a canonical live object."""
        if self.container:
            return (obj.get(self.container) or {}).get(self.api)
        return obj.get(self.api)

    @property
    def option_labels(self) -> dict[Any, str]:
        return {v: k for k, v in self.options.items()}


# -- small helpers shared by several types -------------------------------------------------


def norm_words(value: Any) -> str:
    """Names as people mean them: case and runs of whitespace do not matter."""
    return " ".join(str(value).split()).casefold()


def num_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


def as_id(value: Any) -> int | str | None:
    """An id from an answer: integers for most objects, UUID strings for leads (opaque)."""
    if value.__class__ is int:  # the common case first: a plan reads hundreds of thousands
        return value or None
    if isinstance(value, dict):
        value = value.get("value", value.get("id"))
    if value in (None, "", 0):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return text or None


def as_bool(value: Any) -> bool:
    if value.__class__ is bool:
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _hms(value: Any) -> str | None:
    """Pipedrive answers HH:MM or HH:MM:SS; manifests speak HH:MM."""
    if value in (None, ""):
        return None
    text = str(value)
    return text[:5] if len(text) >= 5 else text


def _seconds(value: str | None) -> str | None:
    """HH:MM → HH:MM:SS, the form Pipedrive's time custom fields take."""
    if value is None:
        return None
    return value if value.count(":") == 2 else f"{value}:00"


def _check_date(spec: FieldSpec, value: str) -> str:
    try:
        datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueProblem(f"field '{spec.name}' is not a real date: '{value}' ({exc})") from None
    return value


def _pad_time(value: str) -> str:
    return "0" + value if len(value) == 4 else value


def article(word: str) -> str:
    """`organization` → `an organization`; messages read as English."""
    return ("an " if word[:1] in "aeiou" else "a ") + word


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`; did you mean 'x'?` when a choice is close to the word, else nothing."""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"; did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


# -- the base type -------------------------------------------------------------------------------


class FieldType:
    """A value type; subclasses override what differs. Defaults suit a plain scalar."""

    name = "value"
    # The loader suggests quoting an unquoted value YAML read as another type
    # (`currency: NO` is false in YAML 1.1).
    quote_hint = False

    def __repr__(self) -> str:
        return f"<field type {self.name}>"

    # manifest side ---------------------------------------------------------------

    def schema(self, spec: FieldSpec) -> tuple[dict[str, Any], str]:
        """The JSON Schema of a declared value (without null), and a sentence on its shape."""
        return {"type": "string"}, ""

    def expectation(self, spec: FieldSpec) -> str:
        """What the value must be, for "must be X, got Y" messages."""
        return "a string"

    def hint(self, spec: FieldSpec, value: Any) -> str:
        """Extra advice after a wrong value ("; did you mean 'won'?")."""
        return ""

    def references(self, spec: FieldSpec, value: Any) -> Iterator[Reference]:
        """The references a declared value holds (validate checks them, --target follows them)."""
        return iter(())

    def convert(self, spec: FieldSpec, value: Any, pos: Position) -> Any:
        """A schema-valid YAML value in the model's shape; ValueProblem if still wrong."""
        return value

    def currencies(self, spec: FieldSpec, value: Any) -> list[str]:
        """The currency codes a declared value names, checked against the account's currencies at
        plan time (reconciler/currencies.py): Pipedrive refuses a code the account does not have."""
        return []

    # manifest <-> canonical API value ---------------------------------------------------

    def to_api(self, spec: FieldSpec, value: Any, ctx: Context, declared: Mapping[str, Any],
               live: Mapping[str, Any] | None) -> Any:
        """A declared manifest value → the canonical API value (ids, hashes, option ids)."""
        return value

    def from_api(self, spec: FieldSpec, value: Any, ctx: Context) -> Any:
        """A canonical live value → manifest language (keys, emails, names, labels)."""
        return value

    def same(self, spec: FieldSpec, desired: Any, live: Any) -> bool:
        """Do a desired and a live canonical value mean the same thing?"""
        return desired == live

    def comparable(self, spec: FieldSpec, value: Any, like: Any = None) -> Any:
        """A canonical value (desired or live) in a normal form for the lock's digests.

        Two values this type's `same()` calls equal have equal comparable forms, so the
        digest of what apply wrote equals the digest of what Pipedrive shows afterwards, and
        a plan can tell which side changed since (reconciler/drift.py). `like` is the desired
        value the live one is compared with, for types whose comparison depends on how the
        manifest declared it (a monetary amount declared without its currency).
        """
        return value

    def other_shapes(self, spec: FieldSpec, value: Any) -> list[Any]:
        """Other ways the manifests may have declared a value like this one, for `like`: a record
        taken when the manifests declared the field in another shape still matches the live value
        seen through that shape (a monetary amount declared as a plain number then)."""
        return []

    def to_api_value(self, spec: FieldSpec, value: Any, ctx: Context, declared: Mapping[str, Any],
                     live: Mapping[str, Any] | None) -> Any:
        """to_api with `null` meaning the field's empty value, and unknown names as NormalizeError."""
        if value is None:
            return spec.empty
        try:
            return self.to_api(spec, value, ctx, declared, live)
        except UnknownName as exc:
            raise NormalizeError(str(exc)) from None

    def from_api_value(self, spec: FieldSpec, value: Any, ctx: Context) -> Any:
        return None if value is None else self.from_api(spec, value, ctx)

    # natural keys ------------------------------------------------------------------------

    def match_value(self, spec: FieldSpec, value: Any) -> Any:
        """A declared value as identity compares it (manifest side)."""
        return norm_words(value)

    def match_live(self, spec: FieldSpec, value: Any) -> Any:
        """A canonical live value as identity compares it."""
        return norm_words(value)

    # wire (per API version) <-> canonical -------------------------------------------------

    def raw(self, spec: FieldSpec, record: Mapping[str, Any], version: str) -> Any:
        """The field's value as the answer holds it: custom fields under `custom_fields` in v2,
        at the root by their key in v1; standard fields under their version's name."""
        if spec.container and version == "v2":
            return (record.get(spec.container) or {}).get(spec.api)
        # spec.wire_name(version), without the call: read for every field of every object read
        return record.get(spec.v1_api if version == "v1" and spec.v1_api else spec.api)

    def read(self, spec: FieldSpec, record: Mapping[str, Any], version: str) -> Any:
        """The canonical value of this field in an API answer of either version."""
        value = self.raw(spec, record, version)
        return None if value == "" else value

    def write(self, spec: FieldSpec, value: Any, version: str) -> dict[str, Any]:
        """Request-body keys for a canonical value (usually one; v1 monetary adds `_currency`)."""
        return {spec.wire_name(version): value}

    # attached sub-resources (a deal's products) ---------------------------------------------
    # A type whose values are objects of their own, attached to the parent and written by calls
    # of their own after the parent's write: the parent's body never carries it, the reader
    # fetches it for the objects that declare it, and the plan carries the calls to make. The
    # calls themselves are the client layer's (reconciler/pipedrive/attached.py).
    attached = False

    def attached_ops(self, spec: FieldSpec, desired: Any, live: Any) -> Any:
        """What to send for `desired` given `live` (a JSON-able value the plan saves)."""
        raise NotImplementedError

    # export ----------------------------------------------------------------------------------

    def export(self, spec: FieldSpec, value: Any, ctx: Context, obj: Mapping[str, Any]) -> Any:
        """A manifest-language value as export writes it; Drop when it has no manifest form."""
        if isinstance(value, dict) and set(value) == {"id"}:
            raise Drop(f"{spec.api} {value['id']} has no name")
        return value


# -- standard types ------------------------------------------------------------------------------
