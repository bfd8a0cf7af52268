"""One registered object per field type: everything a type means, in one place.

A manifest field (`value: 50000`, `owner: alice@example.com`, `fields: {Region: EMEA}`)
travels through many stages: its JSON Schema, the loader's check and conversion, the
planner's translation into the canonical (v2-shaped) API value and back into manifest
language for display, the comparison with the live value, the natural keys identity
matches on, each API version's wire shape, and export. Each field type is one object that
answers all of these, as Alembic registers one comparator per object type; modules loop
over fields and call their type instead of switching on it.

Custom fields use the same objects: a custom field's Pipedrive type (`enum`, `user`,
`monetary`, ...) maps to a field type here (CUSTOM_TYPES), and the account's schema
builds a `FieldSpec` for it, so a user-type custom field takes an email exactly as
`owner:` does and an organization-type one a manifest key or `{id: N}` as `org:` does.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.manifest.model import Reference
from reconciler.normalize import (
    Context,
    NormalizeError,
    Placeholder,
    UnknownName,
    plain_key,
    text_key,
    text_to_api,
)

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
    return ("an " if word[:1] in "aeiou" else "a ") + word


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
    # fetches it for the objects that declare it, and the plan carries the calls to make.
    attached = False

    def read_attached(self, client: Any, spec: FieldSpec, ids: list[Any]) -> dict[Any, Any]:
        """Parent id -> the canonical value, for these parents (one list call per batch)."""
        raise NotImplementedError

    def attached_ops(self, spec: FieldSpec, desired: Any, live: Any) -> Any:
        """What to send for `desired` given `live` (a JSON-able value the plan saves)."""
        raise NotImplementedError

    def write_attached(self, client: Any, spec: FieldSpec, parent_id: Any, ops: Any) -> None:
        """Make the calls `ops` describes, for the parent `parent_id`."""
        raise NotImplementedError

    # export ----------------------------------------------------------------------------------

    def export(self, spec: FieldSpec, value: Any, ctx: Context, obj: Mapping[str, Any]) -> Any:
        """A manifest-language value as export writes it; Drop when it has no manifest form."""
        if isinstance(value, dict) and set(value) == {"id"}:
            raise Drop(f"{spec.api} {value['id']} has no name")
        return value


# -- standard types ------------------------------------------------------------------------------


class Text(FieldType):
    """One-line text."""

    name = "string"
    quote_hint = True

    def schema(self, spec):
        return ({"type": "string"} if spec.nullable else {"type": "string", "minLength": 1}), ""

    def expectation(self, spec):
        return "a string" if spec.nullable else "a non-empty string"

    def same(self, spec, desired, live):
        return (desired or None) == (live or None)  # Pipedrive stores "" as null

    def comparable(self, spec, value, like=None):
        return value or None


class Html(Text):
    """Note and activity text: plain text in manifests, sanitised HTML in Pipedrive.

    Escaped before it is sent, so `<john@acme.com>` survives the sanitiser; compared after
    Pipedrive's HTML normalisation; formatting added in Pipedrive is not compared.
    """

    name = "text"

    def to_api(self, spec, value, ctx, declared, live):
        return text_to_api(value)

    def from_api(self, spec, value, ctx):
        return text_key(value)

    def same(self, spec, desired, live):
        return desired == live or (text_key(desired) or None) == (text_key(live) or None)  # equal: no parsing

    def comparable(self, spec, value, like=None):
        return text_key(value) or None

    def match_value(self, spec, value):
        return plain_key(value)

    def match_live(self, spec, value):
        return text_key(value)


class LargeText(Html):
    """A large-text custom field: sent as written, compared like note text."""

    name = "large text"

    def to_api(self, spec, value, ctx, declared, live):
        return value


class Address(Text):
    """An address as one line; v2 sends and answers an object with `value`."""

    name = "address"

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if isinstance(value, dict):
            value = value.get("value") or value.get("formatted_address")
        return value or None

    def write(self, spec, value, version):
        if version == "v2":
            return {spec.api: {"value": value} if value is not None else None}
        return {spec.wire_name(version): value}


class Number(FieldType):
    name = "number"

    def schema(self, spec):
        return {"type": "number"}, ""

    def expectation(self, spec):
        return "a number"

    def convert(self, spec, value, pos):
        if not math.isfinite(value):
            raise ValueProblem(f"field '{spec.name}' must be a finite number, got {value}")
        return value

    def from_api(self, spec, value, ctx):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def same(self, spec, desired, live):
        if spec.empty is not None:  # a deal's value: null and 0 are the same thing to Pipedrive
            desired = spec.empty if desired is None else desired
            live = spec.empty if live is None else live
        return num_equal(desired, live)

    def comparable(self, spec, value, like=None):
        if value is None:
            value = spec.empty
        if isinstance(value, bool) or value is None:
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            return value

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if spec.container and version == "v1" and isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                return value
        return None if value == "" else value

    def match_value(self, spec, value):
        return value

    match_live = match_value


class Percent(Number):
    """A percentage, 0 to 100 (a deal's probability)."""

    name = "percent"

    def schema(self, spec):
        return {"type": "number", "minimum": 0, "maximum": 100}, ""

    def expectation(self, spec):
        return "a percentage from 0 to 100"


class Date(FieldType):
    name = "date"

    def schema(self, spec):
        return {"type": "string", "pattern": DATE_PATTERN, "format": "date"}, "An unquoted YAML date is accepted."

    def expectation(self, spec):
        return "a date YYYY-MM-DD"

    def convert(self, spec, value, pos):
        return _check_date(spec, value)

    def match_value(self, spec, value):
        return value

    match_live = match_value

    def read(self, spec, record, version):
        return self.raw(spec, record, version) or None


class Time(FieldType):
    """A time of day or a duration, HH:MM on a 24-hour clock."""

    name = "time"

    def schema(self, spec):
        return {"type": "string", "pattern": TIME_PATTERN}, "Quoted (\"14:00\") or not; 9:30 means 09:30."

    def expectation(self, spec):
        return "a time HH:MM (24-hour)"

    def convert(self, spec, value, pos):
        return _pad_time(value)

    def read(self, spec, record, version):
        return _hms(self.raw(spec, record, version))

    def match_value(self, spec, value):
        return value

    match_live = match_value


class Bool(FieldType):
    name = "bool"

    def schema(self, spec):
        return {"type": "boolean"}, ""

    def expectation(self, spec):
        return "true or false"

    def read(self, spec, record, version):
        return as_bool(self.raw(spec, record, version))

    def write(self, spec, value, version):
        if version == "v1" and value is not None:
            return {spec.wire_name(version): 1 if value else 0}
        return {spec.wire_name(version): value}

    def export(self, spec, value, ctx, obj):
        return value if value else None  # false is Pipedrive's default: left undeclared


class JsonBool(Bool):
    """A boolean that every version takes as JSON true/false (the v1 endpoints that are still
    supported, such as leads, do; the old ones took 0/1)."""

    name = "boolean"

    def write(self, spec, value, version):
        return {spec.wire_name(version): value}


class Contacts(FieldType):
    """Emails or phones: a list in manifests (the first is primary), {value, primary, label} in the API."""

    def __init__(self, name: str, item: str, item_schema: dict[str, Any], item_expectation: str,
                 label: str = "work") -> None:
        self.name = name
        self.item = item
        self.item_schema = item_schema
        self.item_expectation = item_expectation  # what one item must be, for a message about it
        self.label = label

    def schema(self, spec):
        return {"type": "array", "items": self.item_schema}, ""

    def expectation(self, spec):
        return f"a list of {self.item}s"

    def hint(self, spec, value):
        return f"; write a list: [{value}]" if isinstance(value, str) else ""

    def convert(self, spec, value, pos):
        return list(value)

    def to_api(self, spec, value, ctx, declared, live):
        return [{"value": v, "primary": i == 0, "label": self.label} for i, v in enumerate(value or [])]

    def from_api(self, spec, value, ctx):
        items = list(value or [])
        items.sort(key=lambda c: not c.get("primary"))  # primary first, stable otherwise
        return [str(c["value"]) for c in items]

    def same(self, spec, desired, live):
        if desired == live:
            return True  # as written: no normalising (most are)
        want = [c["value"].strip().lower() for c in desired or []]
        have = [v.strip().lower() for v in self.from_api(spec, live, None)]  # type: ignore[arg-type]
        return want == have

    def comparable(self, spec, value, like=None):
        return [v.strip().lower() for v in self.from_api(spec, value, None)]  # type: ignore[arg-type]

    def match_value(self, spec, value):
        return str(value[0]).strip().casefold() if value else None

    def match_live(self, spec, value):
        primary = [c for c in value or [] if c.get("primary")] or list(value or [])[:1]
        return str(primary[0]["value"]).strip().casefold() if primary else None

    def read(self, spec, record, version):
        out = []
        for item in self.raw(spec, record, version) or []:
            if isinstance(item, dict):
                value = item.get("value")
                if value in (None, ""):
                    continue
                out.append({"value": str(value), "primary": as_bool(item.get("primary")), "label": item.get("label")})
            elif item:
                out.append({"value": str(item), "primary": not out, "label": None})
        return out

    def write(self, spec, value, version):
        return {spec.wire_name(version): [
            {"value": c["value"], "primary": c["primary"], **({"label": c["label"]} if c.get("label") else {})}
            for c in value or []
        ]}

    def export(self, spec, value, ctx, obj):
        if self.name == "phones":
            return [Quoted(v) for v in value]
        return value


class Ref(FieldType):
    """Another resource by manifest key, or an existing object by `{id: N}`."""

    name = "ref"

    def schema(self, spec):
        target = spec.ref_kind or ""
        return (
            {"anyOf": [
                {"type": "string", "pattern": KEY_PATTERN},
                {"type": "object", "properties": {"id": _id_schema(spec)},
                 "required": ["id"], "additionalProperties": False},
            ]},
            f"The key of {article(target)} in the manifests, or {{id: N}} for an existing Pipedrive {target}.",
        )

    def expectation(self, spec):
        return f"the key of {article(spec.ref_kind or '')} or {{id: N}} with N a positive integer"

    def convert(self, spec, value, pos):
        return ref_value(spec.ref_kind or "", value, pos)

    def references(self, spec, value):
        if isinstance(value, Reference):
            yield value

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, Reference):  # a custom field's value, read without knowing its type
            value = ref_value(spec.ref_kind or "", value, None)
        if value.id is not None:
            return value.id
        resolved = ctx.resolve_key(value.kind, value.key or "")
        if resolved is None:
            raise NormalizeError(f"reference to {value.kind} {value.key!r} cannot be resolved")
        return resolved

    def from_api(self, spec, value, ctx):
        key = ctx.key_for_id(spec.ref_kind or "", value)
        return key if key is not None else {"id": value}

    def same(self, spec, desired, live):
        if isinstance(desired, Placeholder):
            return False
        return desired == live

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def match_value(self, spec, value):
        return value  # identity resolves references to ids before comparing

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return value


def _id_schema(spec: FieldSpec) -> dict[str, Any]:
    """An id in `{id: N}`: a positive integer, or a UUID for kinds with opaque ids (leads)."""
    if spec.uuid_ref:
        return {"type": "string", "pattern": UUID_PATTERN}
    return {"type": "integer", "minimum": 1}


_KEY_RE = re.compile(KEY_PATTERN)


def ref_value(kind: str, value: Any, pos: Position | None) -> Reference:
    """A reference from its manifest form: a key, or {id: N}."""
    if isinstance(value, dict):
        return Reference(kind=kind, key=None, id=value["id"], pos=pos)  # type: ignore[arg-type]
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise NormalizeError(f"expected the key of {article(kind)} or {{id: N}}, got {value!r}")
    return Reference(kind=kind, key=value, id=None, pos=pos)  # type: ignore[arg-type]


class AccountObject(FieldType):
    """A reference to one of the account's own objects (user, pipeline, stage) by a readable name.

    Manifests name it (an email, a pipeline or stage name); the API holds its id. Reading keeps
    the id whatever shape the answer gives it (a bare id or an object), and resolving names
    to ids is the account schema's job (`ctx.schema`), looked up once per plan.
    """

    quote_hint = True
    described_as = "a name"

    def expectation(self, spec):
        return self.described_as

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))


class User(AccountObject):
    """A Pipedrive user, by email."""

    name = "user"
    described_as = "a user's email address"

    def schema(self, spec):
        return {"type": "string", "pattern": EMAIL_PATTERN, "format": "email"}, "Must be a user of the account."

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, str):
            raise NormalizeError(f"expected a user's email address, got {value!r}")
        return ctx.schema.user_id(value)

    def from_api(self, spec, value, ctx):
        return ctx.schema.emails_by_user.get(value, {"id": value})

    def match_value(self, spec, value):
        return value

    match_live = match_value


class ActivityType(Text):
    """An activity type by its key (call, meeting...) or its name (Product demo): the account's own
    list, with the types the manifests declare (a new one's key is known after apply), checked at plan time."""

    name = "activity type"
    vocabulary = "activity_types"  # what the account's schema must load for this type (AccountSchema.load)

    def to_api(self, spec, value, ctx, declared, live):
        known = ctx.schema.activity_types
        if value in ctx.schema.activity_type_keys and value not in known:
            return ctx.schema.activity_type_keys[value]  # by name
        if known and value not in known:
            from reconciler.manifest.checks import suggest

            names = sorted(known | {n for n in ctx.schema.activity_type_keys if isinstance(n, str)})
            hint = suggest(str(value), names)
            raise NormalizeError(f"unknown activity type {value!r}{hint or ''} (types: {', '.join(names)})")
        return value

    # Pipedrive's own types, whose keys are the same in every account; a type an account added
    # has a key Pipedrive derived there (product_demo, product_demo_2...), so export names it
    # by name: a fresh account that creates it in the same apply then takes the records too.
    BUILT_IN = ("call", "meeting", "task", "deadline", "email", "lunch")

    def export(self, spec, value, ctx, obj):
        if value in self.BUILT_IN:
            return value
        names = [name for name, key in ctx.schema.activity_type_keys.items() if key == value]
        return names[0] if len(names) == 1 else value


class Choice(FieldType):
    """One of a fixed set of words (a deal's status), sent as the word itself."""

    name = "enum"
    quote_hint = True

    def schema(self, spec):
        return {"type": "string", "enum": list(spec.choices)}, ""

    def expectation(self, spec):
        return "one of " + ", ".join(spec.choices)

    def hint(self, spec, value):
        if not isinstance(value, str):
            return ""
        from reconciler.manifest.checks import suggest

        return suggest(value, spec.choices)


class Visibility(Choice):
    """Who can see an object: owner (1), company (3), owner_group (5), company_group (7)."""

    name = "visibility"

    def to_api(self, spec, value, ctx, declared, live):
        return VISIBILITY_IDS[value]

    def from_api(self, spec, value, ctx):
        return VISIBILITY_NAMES.get(int(value), int(value))

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def export(self, spec, value, ctx, obj):
        if not isinstance(value, str):
            raise Drop(f"unknown value {value}")
        return value


class Pipeline(AccountObject):
    """A pipeline by name."""

    name = "pipeline"
    described_as = "a pipeline name"

    def schema(self, spec):
        return {"type": "string", "minLength": 1}, "Must name an existing pipeline."

    def to_api(self, spec, value, ctx, declared, live):
        return ctx.schema.pipeline_id(value)

    def from_api(self, spec, value, ctx):
        return ctx.schema.pipeline_names.get(value, {"id": value})

    def export(self, spec, value, ctx, obj):
        value = super().export(spec, value, ctx, obj)
        if len(ctx.schema.pipelines.get(value, [])) > 1:
            # the stage is still declared: plan resolves it in the deal's live pipeline
            raise Drop(f"the name {value!r} is shared by several pipelines")
        return value


class Stage(AccountObject):
    """A stage by name, within the object's pipeline (declared, else live)."""

    name = "stage"
    described_as = "a stage name"

    def schema(self, spec):
        return {"type": "string", "minLength": 1}, "Must name a stage of the deal's pipeline."

    def to_api(self, spec, value, ctx, declared, live):
        pipeline_id = None
        if declared.get("pipeline") is not None:
            pipeline_id = ctx.schema.pipeline_id(declared["pipeline"])
        elif live is not None and live.get("pipeline_id"):
            pipeline_id = live["pipeline_id"]
        return ctx.schema.stage_id(value, pipeline_id)

    def from_api(self, spec, value, ctx):
        info = ctx.schema.stage_info.get(value)
        return info[1] if info else {"id": value}

    def export(self, spec, value, ctx, obj):
        value = super().export(spec, value, ctx, obj)
        if len(ctx.schema.stages.get(obj.get("pipeline_id"), {}).get(value, [])) > 1:
            raise Drop(f"the name {value!r} is not unique in its pipeline")
        return value


class Participants(FieldType):
    """An activity's participants: persons by key or {id: N}, the first primary.

    Pipedrive's v2 sets an activity's person through `participants` (its `person_id` is the
    primary participant, read-only by the migration guide); v1 takes `primary_flag`.
    """

    name = "participants"

    def schema(self, spec):
        item, _ = REF.schema(spec)
        return {"type": "array", "items": item}, "Persons by key or {id: N}; the first one is primary."

    def expectation(self, spec):
        return "a list of person keys (or {id: N}), the first primary"

    def convert(self, spec, value, pos):
        return [ref_value(spec.ref_kind or "", item, pos) for item in value]

    def references(self, spec, value):
        for item in value or []:
            if isinstance(item, Reference):
                yield item

    def to_api(self, spec, value, ctx, declared, live):
        return [{"person_id": REF.to_api(spec, item, ctx, declared, live), "primary": index == 0}
                for index, item in enumerate(value)]

    def from_api(self, spec, value, ctx):
        ordered = sorted(value or [], key=lambda p: not p.get("primary"))
        return [REF.from_api(spec, p["person_id"], ctx) for p in ordered]

    def same(self, spec, desired, live):
        def shape(items):
            items = list(items or [])
            primary = next((p["person_id"] for p in items if p.get("primary")), None)
            return primary, sorted((str(p["person_id"]) for p in items), key=str)

        if any(isinstance(p.get("person_id"), Placeholder) for p in desired or []):
            return False
        return shape(desired) == shape(live)

    def comparable(self, spec, value, like=None):
        items = list(value or [])
        primary = next((p["person_id"] for p in items if p.get("primary")), None)
        return [primary, sorted((str(p["person_id"]) for p in items), key=str)]

    def read(self, spec, record, version):
        out = []
        for item in self.raw(spec, record, version) or []:
            if isinstance(item, dict) and item.get("person_id") is not None:
                primary = item.get("primary", item.get("primary_flag", False))
                out.append({"person_id": as_id(item["person_id"]), "primary": as_bool(primary)})
        return out

    def write(self, spec, value, version):
        flag = "primary_flag" if version == "v1" else "primary"
        return {spec.api: [{"person_id": p["person_id"], flag: p["primary"]} for p in value or []]}

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return value if len(value) > 1 else None  # one participant is the `person` field already


class VisibilityText(Visibility):
    """Visibility sent as text ("3"), as leads take it."""

    name = "visibility (text)"

    def write(self, spec, value, version):
        return {spec.wire_name(version): None if value is None else str(value)}


class DateTime(FieldType):
    """A moment, "YYYY-MM-DD HH:MM:SS" in UTC (a deal's won_time); RFC 3339 in v2 answers."""

    name = "date-time"

    def schema(self, spec):
        return ({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?$"},
                "UTC, e.g. 2027-01-31 14:00:00.")

    def expectation(self, spec):
        return "a UTC date and time YYYY-MM-DD HH:MM:SS"

    def convert(self, spec, value, pos):
        if _moment(value) is None:
            raise ValueProblem(f"field '{spec.name}' is not a real date and time: '{value}'")
        return value

    def to_api(self, spec, value, ctx, declared, live):
        return _moment(value)

    def from_api(self, spec, value, ctx):
        moment = _moment(value)
        return moment.replace("T", " ").removesuffix("Z") if moment else value

    def same(self, spec, desired, live):
        return desired == live or _moment(desired) == _moment(live)  # equal text: no parsing

    def comparable(self, spec, value, like=None):
        return _moment(value)

    def write(self, spec, value, version):
        if value is not None and version == "v1":
            value = value.replace("T", " ").removesuffix("Z")
        return {spec.wire_name(version): value}


def _moment(value: Any) -> str | None:
    """A date-time as RFC 3339 UTC to the second, or None."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


class Labels(FieldType):
    """Labels by name (a deal's Hot, Warm); the API speaks label ids (option ids, or UUIDs for leads).

    Which labels exist is the account's: `FieldSpec.ref_kind` names the kind whose label set it is.
    """

    name = "labels"

    def schema(self, spec):
        return {"type": "array", "items": {"type": "string", "minLength": 1}}, "Label names, as shown in Pipedrive."

    def expectation(self, spec):
        return "a list of label names"

    def hint(self, spec, value):
        return f"; write a list: [{value}]" if isinstance(value, str) else ""

    def convert(self, spec, value, pos):
        return list(value)

    def to_api(self, spec, value, ctx, declared, live):
        return sorted((ctx.schema.label_id(spec.ref_kind or "", str(name)) for name in value), key=str)

    def write(self, spec, value, version):
        # no labels is [], never null: the official request models do not mark label_ids nullable
        # (UpdateLeadRequest refuses null; issue 27)
        return {spec.wire_name(version): [] if value is None else value}

    def from_api(self, spec, value, ctx):
        names = ctx.schema.label_names.get(spec.ref_kind or "", {})
        return sorted((names.get(i, {"id": i}) for i in value or []), key=lambda v: (isinstance(v, dict), str(v)))

    def same(self, spec, desired, live):
        return sorted(desired or [], key=str) == sorted(live or [], key=str)

    def comparable(self, spec, value, like=None):
        return sorted(value or [], key=str)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            value = [] if value in (None, "") else [value]
        return [as_id(v) for v in value]

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        if any(isinstance(v, dict) for v in value):
            raise Drop("a label id has no name")
        return value


class Prices(FieldType):
    """A product's prices, one per currency: [{price: 120, currency: USD, cost: 80}]."""

    name = "prices"
    KEYS = ("price", "currency", "cost", "direct_cost", "notes")
    NUMBERS = ("price", "cost", "direct_cost")

    def schema(self, spec):
        item = {
            "type": "object",
            "properties": {
                "price": {"type": "number", "description": "The unit price."},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."},
                "cost": {"type": "number", "description": "The unit cost."},
                "direct_cost": {"type": "number", "description": "The direct (overhead) cost."},
                "notes": {"type": "string"},
            },
            "required": ["price", "currency"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": item}, "One price per currency; only the keys written are managed."

    def expectation(self, spec):
        return "a list of {price, currency} (one per currency)"

    def convert(self, spec, value, pos):
        currencies = [item["currency"] for item in value]
        if len(set(currencies)) != len(currencies):
            raise ValueProblem(f"field '{spec.name}' has two prices in one currency: a product has one per currency")
        return [dict(item) for item in value]

    def to_api(self, spec, value, ctx, declared, live):
        return sorted((dict(item) for item in value), key=lambda item: item["currency"])

    def from_api(self, spec, value, ctx):
        out = []
        for item in sorted(value or [], key=lambda p: str(p.get("currency"))):
            shown = {"price": _plain_number(item.get("price")), "currency": item.get("currency")}
            for key in ("cost", "direct_cost"):
                if item.get(key):
                    shown[key] = _plain_number(item[key])
            if item.get("notes"):
                shown["notes"] = item["notes"]
            out.append(shown)
        return out

    def same(self, spec, desired, live):
        have = {p.get("currency"): p for p in live or []}
        if set(have) != {p["currency"] for p in desired or []}:
            return False
        for want in desired or []:
            current = have[want["currency"]]
            for key, value in want.items():
                if key in self.NUMBERS:
                    if not num_equal(value, current.get(key) or 0):
                        return False
                elif (value or None) != (current.get(key) or None):
                    return False
        return True

    def comparable(self, spec, value, like=None):
        # only the keys the manifests write are managed: a live price is seen through them
        shape = {p.get("currency"): set(p) for p in (like if like is not None else value) or []}
        out = []
        for item in sorted(value or [], key=lambda p: str(p.get("currency"))):
            row = []
            # a price the manifests no longer declare: its price and what is set (as declared)
            own = {"price"} | {k for k, v in item.items() if v}
            for key in sorted(shape.get(item.get("currency"), own) - {"currency"}):
                current = item.get(key)
                row.append([key, NUMBER.comparable(spec, current or 0) if key in self.NUMBERS else (current or None)])
            out.append([item.get("currency"), row])
        return out

    def read(self, spec, record, version):
        return [{k: p.get(k) for k in self.KEYS if k in p} for p in self.raw(spec, record, version) or []]

    def match_value(self, spec, value):
        return None

    match_live = match_value


def _plain_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class LeadValue(FieldType):
    """A lead's value: a number (in the account's default currency) or {amount, currency}."""

    name = "lead value"

    def schema(self, spec):
        return ({"anyOf": [
            {"type": "number"},
            {"type": "object", "properties": {"amount": {"type": "number"},
                                              "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
             "required": ["amount", "currency"], "additionalProperties": False},
        ]}, "A number, or {amount, currency}.")

    def expectation(self, spec):
        return "a number or {amount: N, currency: CODE}"

    def to_api(self, spec, value, ctx, declared, live):
        if isinstance(value, dict):
            return {"amount": value["amount"], "currency": value["currency"]}
        current = ((live or {}).get(spec.api) or {}).get("currency")
        return {"amount": value, "currency": current or ctx.default_currency}

    def from_api(self, spec, value, ctx):
        if not isinstance(value, dict):
            return value
        return {"amount": _plain_number(value.get("amount")), "currency": value.get("currency")}

    def same(self, spec, desired, live):
        if desired is None or live is None:
            return desired is None and live is None
        return num_equal(desired.get("amount"), live.get("amount")) and desired.get("currency") == live.get("currency")

    def comparable(self, spec, value, like=None):
        if value is None:
            return None
        return [NUMBER.comparable(spec, value.get("amount")), value.get("currency")]

    def match_value(self, spec, value):
        return None

    match_live = match_value


class DealProducts(FieldType):
    """A deal's products: [{product: KEY or {id: N}, quantity, item_price, discount}], attached to the
    deal through `/api/v2/deals/{id}/products` (each its own object, with its own id), so it is
    written by calls of its own: one attach, change or detach per product that differs.
    """

    name = "deal products"
    attached = True
    NUMBERS = ("quantity", "item_price", "discount", "tax")
    OTHERS = ("discount_type", "comments", "is_enabled")
    DEFAULTS = {"discount": (None, 0), "tax": (None, 0), "discount_type": (None, "percentage"),
                "comments": (None, ""), "is_enabled": (None, True)}
    # the answer's field that counts a deal's products (`include_fields=products_count`)
    count_field = "products_count"

    def schema(self, spec):
        product, _ = REF.schema(spec)
        item = {
            "type": "object",
            "properties": {
                "product": product,
                "quantity": {"type": "number", "exclusiveMinimum": 0},
                "item_price": {"type": "number", "minimum": 0},
                "discount": {"type": "number", "minimum": 0},
                "discount_type": {"type": "string", "enum": ["percentage", "amount"]},
                "tax": {"type": "number", "minimum": 0},
                "comments": {"type": "string"},
                "is_enabled": {"type": "boolean"},
            },
            "required": ["product", "quantity", "item_price"],
            "additionalProperties": False,
        }
        return ({"type": "array", "items": item},
                "Products on the deal, each a product key (or {id: N}) with quantity and item_price; the deal's "
                "value is then Pipedrive's sum of them.")

    def expectation(self, spec):
        return "a list of {product, quantity, item_price}"

    def convert(self, spec, value, pos):
        return [{**item, "product": ref_value(spec.ref_kind or "", item["product"], pos)} for item in value]

    def references(self, spec, value):
        for item in value or []:
            if isinstance(item.get("product"), Reference):
                yield item["product"]

    def to_api(self, spec, value, ctx, declared, live):
        out = []
        for item in value:
            entry = {"product_id": REF.to_api(spec, item["product"], ctx, declared, live)}
            entry.update({k: v for k, v in item.items() if k != "product"})
            out.append(entry)
        return out

    def from_api(self, spec, value, ctx):
        out = []
        for item in value or []:
            shown: dict[str, Any] = {"product": REF.from_api(spec, item["product_id"], ctx),
                                     "quantity": _plain_number(item.get("quantity")),
                                     "item_price": _plain_number(item.get("item_price"))}
            if item.get("discount"):
                shown["discount"] = _plain_number(item["discount"])
                if item.get("discount_type") and item["discount_type"] != "percentage":
                    shown["discount_type"] = item["discount_type"]
            if item.get("comments"):
                shown["comments"] = item["comments"]
            if item.get("is_enabled") is False:
                shown["is_enabled"] = False
            out.append(shown)
        return out

    def _pairs(self, desired: list[dict], live: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
        """Desired items matched to live attachments of the same product, in order; then the rest."""
        pool: dict[Any, list[dict]] = {}
        for item in live or []:
            pool.setdefault(item.get("product_id"), []).append(item)
        pairs, added = [], []
        for want in desired or []:
            candidates = pool.get(want.get("product_id")) or []
            if candidates and not isinstance(want.get("product_id"), Placeholder):
                pairs.append((want, candidates.pop(0)))
            else:
                added.append(want)
        removed = [item for items in pool.values() for item in items]
        return pairs, added, removed

    def _differs(self, want: dict, have: dict) -> dict:
        changes = {}
        for key, value in want.items():
            if key == "product_id":
                continue
            current = have.get(key)
            if key in self.NUMBERS:
                if not num_equal(value, current if current is not None else 0):
                    changes[key] = value
            elif value != current:
                changes[key] = value
        return changes

    def same(self, spec, desired, live):
        pairs, added, removed = self._pairs(desired, live)
        return not added and not removed and not any(self._differs(w, h) for w, h in pairs)

    def comparable(self, spec, value, like=None):
        # each attachment seen through the keys the manifests write for its product
        shapes: dict[Any, list[set[str]]] = {}
        for item in (like if like is not None else value) or []:
            shapes.setdefault(str(item.get("product_id")), []).append(set(item) - {"id", "product_id"})
        out = []
        for item in value or []:
            pending = shapes.get(str(item.get("product_id"))) or []
            # a line the manifests no longer declare: seen through the keys a line always has, and
            # those set away from their defaults (as a manifest that declared it would have them)
            keys = pending.pop(0) if pending else {"quantity", "item_price"} | {
                k for k, v in item.items() if k not in ("id", "product_id") and v not in self.DEFAULTS.get(k, (None,))}
            row: list[Any] = [str(item.get("product_id"))]
            for key in sorted(keys):
                current = item.get(key)
                row.append([key, NUMBER.comparable(spec, current or 0) if key in self.NUMBERS else current])
            out.append(row)
        return sorted(out, key=str)

    def attached_ops(self, spec, desired, live):
        pairs, added, removed = self._pairs(desired, live)
        return {
            "add": added,
            "update": [{"id": have["id"], **diff} for want, have in pairs if (diff := self._differs(want, have))],
            "delete": [item["id"] for item in removed],
        }

    def read_attached(self, client, spec, ids):
        out: dict[Any, list[dict]] = {i: [] for i in ids}
        for start in range(0, len(ids), 100):
            batch = sorted(ids[start:start + 100])
            params = {"deal_ids": ",".join(map(str, batch)), "sort_by": "order_nr", "sort_direction": "asc"}
            for item in client.paged("/api/v2/deals/products", params, version="v2"):
                keep = {"id": item["id"], "product_id": item.get("product_id")}
                keep.update({k: item.get(k) for k in (*self.NUMBERS, *self.OTHERS)})
                out.setdefault(item.get("deal_id"), []).append(keep)
        return out

    def write_attached(self, client, spec, parent_id, ops):
        path = f"/api/v2/deals/{parent_id}/products"
        for attachment_id in ops.get("delete", []):
            client.http.request("DELETE", f"{path}/{attachment_id}", what=f"product {attachment_id} of deal {parent_id}")
        for change in ops.get("update", []):
            body = {k: v for k, v in change.items() if k != "id"}
            client.http.request("PATCH", f"{path}/{change['id']}", json_body=body,
                                what=f"product {change['id']} of deal {parent_id}")
        for item in ops.get("add", []):
            client.http.request("POST", path, json_body=item, what=f"a product of deal {parent_id}")

    def match_value(self, spec, value):
        return None

    match_live = match_value


# -- option fields (custom enum and set) ----------------------------------------------------------


def _bad_option(spec: FieldSpec, value: Any) -> NormalizeError:
    choices = ", ".join(repr(label) for label in spec.options)
    return NormalizeError(f"unknown option {value!r} for custom field {spec.name!r} (choices: {choices})")


class Option(FieldType):
    """One option of a custom single-option field, by its label; the API speaks option ids."""

    name = "option"

    def to_api(self, spec, value, ctx, declared, live):
        if str(value) not in spec.options:
            raise _bad_option(spec, value)
        return spec.options[str(value)]

    def from_api(self, spec, value, ctx):
        return spec.option_labels.get(as_id(value), value)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            value = value.get("id")
        return as_id(value)

    def export(self, spec, value, ctx, obj):
        if not isinstance(value, str):
            raise Drop("an option id has no label")
        return value


class Options(FieldType):
    """Several options of a custom multi-option field, by label; cleared with null, never []."""

    name = "options"

    def to_api(self, spec, value, ctx, declared, live):
        labels = value if isinstance(value, list) else [value]
        ids = []
        for label in labels:
            if str(label) not in spec.options:
                raise _bad_option(spec, label)
            ids.append(spec.options[str(label)])
        return sorted(ids, key=_option_order) or None  # Pipedrive's v2 refuses []: null is "no option"

    def from_api(self, spec, value, ctx):
        ids = value if isinstance(value, list) else [value]
        labels = spec.option_labels
        return [labels.get(i, i) for i in sorted(ids, key=_option_order)]

    def same(self, spec, desired, live):
        return sorted(desired or [], key=_option_order) == sorted(live or [], key=_option_order)

    def comparable(self, spec, value, like=None):
        return sorted(value or [], key=_option_order)

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, "", []):
            return None
        if isinstance(value, str):
            return [as_id(v) for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            value = [value]
        return [as_id(v.get("id") if isinstance(v, dict) else v) for v in value]

    def write(self, spec, value, version):
        if version == "v1" and isinstance(value, list):
            return {spec.api: ",".join(str(v) for v in value)}
        return {spec.api: value}

    def export(self, spec, value, ctx, obj):
        if any(not isinstance(label, str) for label in value):
            raise Drop("an option id has no label")
        return value


def _option_order(option_id: Any) -> tuple[str, Any]:
    """A total order over option ids of any type: ints, strings, and the placeholders of options
    this plan adds (a set field created in the same apply as the records that use it)."""
    if isinstance(option_id, int | str):
        return type(option_id).__name__, option_id
    return "~" + type(option_id).__name__, str(option_id)


class PlainAmount(dict):
    """A monetary value declared as a plain number: only its amount is compared (the currency
    sent is the object's). A dict as far as the API and plan files are concerned."""


class Money(FieldType):
    """A monetary custom field: a number in the object's currency, or {value, currency}."""

    name = "monetary"

    def to_api(self, spec, value, ctx, declared, live):
        hint = declared.get("currency") or (live or {}).get("currency") or ctx.default_currency
        if isinstance(value, dict):
            return {"value": value.get("value"), "currency": value.get("currency") or hint}
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NormalizeError(f"expected a number or {{value, currency}}, got {value!r}")
        return PlainAmount(value=value, currency=hint)

    def from_api(self, spec, value, ctx):
        if not isinstance(value, dict):
            return value
        amount = value.get("value")
        if isinstance(amount, float) and amount.is_integer():
            amount = int(amount)
        return {"value": amount, "currency": value.get("currency")}

    def same(self, spec, desired, live):
        if desired is None or live is None:
            return desired is None and live is None
        if not isinstance(live, dict):
            live = {"value": live, "currency": None}
        if isinstance(desired, PlainAmount):  # declared as a plain number: the amount is what is managed
            return num_equal(desired.get("value"), live.get("value"))
        return num_equal(desired.get("value"), live.get("value")) and desired.get("currency") == live.get("currency")

    def comparable(self, spec, value, like=None):
        if value is None:
            return None
        if not isinstance(value, dict):
            value = {"value": value, "currency": None}
        amount = NUMBER.comparable(spec, value.get("value"))
        if isinstance(value, PlainAmount) or isinstance(like, PlainAmount):
            return [amount]  # declared as a plain number: only the amount is managed
        return [amount, value.get("currency")]

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            return {"value": value.get("value"), "currency": value.get("currency")}
        return {"value": value, "currency": record.get(f"{spec.api}_currency")}

    def write(self, spec, value, version):
        if value is None:
            return {spec.api: None}
        clean = {"value": value.get("value"), "currency": value.get("currency")}
        if version == "v1":
            out = {spec.api: clean["value"]}
            if clean["currency"]:
                out[f"{spec.api}_currency"] = clean["currency"]
            return out
        return {spec.api: clean}

    def export(self, spec, value, ctx, obj):
        if not isinstance(value, dict) or value.get("value") is None:
            raise Drop("a monetary value has no amount")
        return value if value.get("currency") else value["value"]


class TimeOfDay(FieldType):
    """A time custom field: "09:00" in manifests; {value: "09:00:00", timezone...} in v2."""

    name = "time of day"

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, str) or not re.match(TIME_PATTERN, value):
            raise NormalizeError(f"expected a time HH:MM, got {value!r}")
        return {"value": _seconds(_pad_time(value))}

    def from_api(self, spec, value, ctx):
        return _hms(value.get("value")) if isinstance(value, dict) else _hms(value)

    def same(self, spec, desired, live):
        return self.from_api(spec, desired, None) == self.from_api(spec, live, None)  # type: ignore[arg-type]

    def comparable(self, spec, value, like=None):
        return self.from_api(spec, value, None)  # type: ignore[arg-type]

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            return dict(value)
        out = {"value": value}
        for extra in ("timezone_id", "timezone_name"):
            if record.get(f"{spec.api}_{extra}") is not None:
                out[extra] = record[f"{spec.api}_{extra}"]
        return out

    def write(self, spec, value, version):
        if version == "v1":
            return {spec.api: None if value is None else value.get("value")}
        return {spec.api: value}


class Range(FieldType):
    """A date-range or time-range custom field: {from, until} in manifests, {value, until} in v2."""

    def __init__(self, name: str, bound: str) -> None:
        self.name = name
        self.bound = bound  # "date" | "time"

    def _bound(self, value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        if self.bound == "date":
            try:
                datetime.date.fromisoformat(text)
            except ValueError:
                raise NormalizeError(f"expected a date YYYY-MM-DD, got {value!r}") from None
            return text
        if not re.match(TIME_PATTERN, text):
            raise NormalizeError(f"expected a time HH:MM, got {value!r}")
        return _seconds(_pad_time(text))

    def to_api(self, spec, value, ctx, declared, live):
        if not isinstance(value, dict) or set(value) - {"from", "until"} or "from" not in value:
            raise NormalizeError(f"expected {{from: …, until: …}}, got {value!r}")
        return {"value": self._bound(value.get("from")), "until": self._bound(value.get("until"))}

    def _show(self, value: Any) -> Any:
        return _hms(value) if self.bound == "time" else value

    def from_api(self, spec, value, ctx):
        if not isinstance(value, dict):
            return value
        return {"from": self._show(value.get("value")), "until": self._show(value.get("until"))}

    def same(self, spec, desired, live):
        if desired is None or live is None:
            return desired is None and live is None
        return self.from_api(spec, desired, None) == self.from_api(spec, live, None)  # type: ignore[arg-type]

    def comparable(self, spec, value, like=None):
        return None if value is None else self.from_api(spec, value, None)  # type: ignore[arg-type]

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            return dict(value)
        out = {"value": value, "until": record.get(f"{spec.api}_until")}
        if record.get(f"{spec.api}_timezone_id") is not None:
            out["timezone_id"] = record[f"{spec.api}_timezone_id"]
        return out

    def write(self, spec, value, version):
        if version == "v1":
            if value is None:
                return {spec.api: None, f"{spec.api}_until": None}
            return {spec.api: value.get("value"), f"{spec.api}_until": value.get("until")}
        return {spec.api: value}


# -- the account's shape: option lists, stage order and rotting ------------------------------


class Renamed(str):
    """A declared option label that renames a live option (`{label: NEW, was: OLD}`): the label
    itself wherever it is shown or saved, with the old label beside it for matching and for
    the plan's detail ("renamed")."""

    was: str

    def __new__(cls, label: str, was: str) -> Renamed:
        item = super().__new__(cls, label)
        item.was = was
        return item

    def __getnewargs__(self) -> tuple[str, str]:  # copies (deepdiff's, pickle's) keep `was`
        return str(self), self.was


def _option_item(value: Any) -> tuple[str, str | None]:
    """(label, old label) of one declared option: `EMEA`, or `{label: Americas, was: America}`."""
    if isinstance(value, dict):
        return str(value["label"]), (str(value["was"]) if value.get("was") is not None else None)
    return str(value), getattr(value, "was", None)


class OptionList(FieldType):
    """A custom field's options, in order: labels, or `{label: NEW, was: OLD}` for a rename.

    Pipedrive keeps an option's id when it is relabelled, so every record using it keeps its
    value; a new label alone would be a new option (and the old one removed, clearing every
    record that used it). `was` says which live option a label is: it is matched by its label
    first (so the manifest can keep `was` after the rename is applied), then by `was`. The
    canonical value is a list of {id, label} in order, id None for an option to add.
    """

    name = "options"

    def schema(self, spec):
        item = {"anyOf": [
            {"type": "string", "minLength": 1},
            {"type": "object", "description": "An option renamed: its new label, and the label it has in "
             "Pipedrive now (its id, and every value using it, stay).",
             "properties": {"label": {"type": "string", "minLength": 1},
                            "was": {"type": "string", "minLength": 1}},
             "required": ["label", "was"], "additionalProperties": False},
        ]}
        return {"type": "array", "items": item}, ""

    def expectation(self, spec):
        return "a list of option labels (or {label: NEW, was: OLD} for a rename)"

    def convert(self, spec, value, pos):
        seen: set[str] = set()
        for item in value:
            label = _option_item(item)[0]
            if label.casefold() in seen:
                raise ValueProblem(f"field '{spec.name}' names option {label!r} twice: option labels are unique "
                                   "within a field")
            seen.add(label.casefold())
        return [Renamed(*_option_item(item)) if isinstance(item, dict) else item for item in value]

    def to_api(self, spec, value, ctx, declared, live):
        live_options = list((live or {}).get(spec.api) or [])
        free = {o["id"]: o["label"] for o in live_options}

        def take(label: str | None) -> Any:
            if label is None:
                return None
            for exact in (True, False):
                for option_id, live_label in free.items():
                    if live_label == label if exact else live_label.casefold() == label.casefold():
                        del free[option_id]
                        return option_id
            return None

        items = [_option_item(v) for v in value or []]
        ids: list[Any] = [take(label) for label, _ in items]  # labels first: a label kept keeps its option
        for index, (_, was) in enumerate(items):
            if ids[index] is None:
                ids[index] = take(was)
        # a label the lock recorded for an option since renamed in Pipedrive is that option (its id)
        aliases = getattr(ctx.schema, "option_aliases", {}).get((live or {}).get("key"), {})
        for index, (label, _) in enumerate(items):
            if ids[index] is None and aliases.get(label) in free:
                ids[index] = aliases[label]
                del free[aliases[label]]
        return [{"id": option_id, "label": label} for option_id, (label, _) in zip(ids, items, strict=True)]

    def from_api(self, spec, value, ctx):
        return [o["label"] for o in value or []]

    def same(self, spec, desired, live):
        return [o["label"] for o in desired or []] == [o["label"] for o in live or []]

    def comparable(self, spec, value, like=None):
        # the labels, in order, as `same` compares them: an option's id is Pipedrive's (None in
        # what a create sends), so the digest of what was applied equals that of what is live
        return [str(o["label"]) for o in value or []]

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        if not value:
            return None
        return [{"id": as_id(o.get("id")), "label": str(o.get("label"))} for o in value if isinstance(o, dict)]

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        return list(value)


class Position(FieldType):
    """Where a pipeline or stage is shown (Pipedrive's `order_nr`), lowest first.

    Pipedrive's API v2 can place nothing: a new pipeline or stage goes last and none can be
    moved. So a position is never written nor counted as a change: new ones are created in
    the declared order (the kinds table's `create_sequence`), and a live one elsewhere than
    declared is a notice (KindHooks.check) telling where to move it by hand.
    """

    name = "position"

    def schema(self, spec):
        return {"type": "integer", "minimum": 1}, ""

    def expectation(self, spec):
        return "a whole number, 1 or more"

    def same(self, spec, desired, live):
        return True

    def read(self, spec, record, version):
        return as_id(self.raw(spec, record, version))

    def write(self, spec, value, version):
        return {}

    def match_value(self, spec, value):
        return value

    match_live = match_value


class Rotting(FieldType):
    """A stage's rotting: after how many days a deal in it rots, or null (off).

    Pipedrive stores a flag and a number (v2 `is_deal_rot_enabled` and `days_to_rotten`, v1
    `rotten_flag` and `rotten_days`); a manifest says one number or null.
    """

    name = "rotting days"
    FLAGS = {"v1": ("rotten_flag", "rotten_days"), "v2": ("is_deal_rot_enabled", "days_to_rotten")}

    def schema(self, spec):
        return {"type": "integer", "minimum": 1}, ""

    def expectation(self, spec):
        return "a whole number of days, 1 or more"

    def read(self, spec, record, version):
        flag, days = self.FLAGS[version]
        return as_id(record.get(days)) if as_bool(record.get(flag)) else None

    def write(self, spec, value, version):
        flag, days = self.FLAGS[version]
        return {flag: value is not None, days: value}

    def match_value(self, spec, value):
        return value

    match_live = match_value


class Raw(FieldType):
    """A custom field of a type reconciler does not know: compared and sent as written."""

    name = "raw"

    def same(self, spec, desired, live):
        if desired in ("", None) and live in ("", None):
            return True
        return desired == live

    def comparable(self, spec, value, like=None):
        return None if value == "" else value

    def read(self, spec, record, version):
        value = self.raw(spec, record, version)
        return None if value == "" else value

    def export(self, spec, value, ctx, obj):
        if isinstance(value, dict | list):
            raise Drop("this value has no manifest form")
        return value


class CustomFields(FieldType):
    """The `fields:` mapping: custom fields by name; each value is typed by the account's schema."""

    name = "custom"

    def schema(self, spec):
        return {"type": "object", "additionalProperties": custom_value_schema()}, ""

    def expectation(self, spec):
        return "a mapping of custom field names to values"

    def convert(self, spec, value, pos):
        return dict(value)

    def members(self, spec: FieldSpec, value: Any, ctx: Context, kind: str) -> Iterator[tuple[str, Any, Any]]:
        """(label, FieldSpec or UnknownName, value) for each declared custom field."""
        for name, item in (value or {}).items():
            try:
                yield f"fields.{name}", ctx.schema.custom_field(kind, name).spec, item
            except UnknownName as exc:
                yield f"fields.{name}", exc, item


def custom_value_schema() -> dict[str, Any]:
    """What a custom field's value may look like before the account says its type."""
    return {
        "description": "A custom field's value: text, a number, true/false, a date as YYYY-MM-DD, a time "
        "HH:MM, an option's label, a list of option labels (multiple options), {value, currency} "
        "(monetary), {from, until} (date or time range), a user's email, the key of an organization or "
        "person or {id: N}, or null (empty).",
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": {"type": "string"}},
            {
                "type": "object",
                "description": "A monetary custom field with its own currency.",
                "properties": {
                    "value": {"type": "number", "description": "The amount."},
                    "currency": {"type": "string", "minLength": 1, "description": "ISO 4217 currency code, e.g. USD."},
                },
                "required": ["value", "currency"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "A date range (YYYY-MM-DD) or time range (HH:MM).",
                "properties": {"from": {"type": "string"}, "until": {"type": ["string", "null"]}},
                "required": ["from"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "description": "An existing organization or person by its Pipedrive id.",
                "properties": {"id": {"type": "integer", "minimum": 1}},
                "required": ["id"],
                "additionalProperties": False,
            },
        ],
    }


# -- the registry ------------------------------------------------------------------------------------

STRING = Text()
ACTIVITY_TYPE = ActivityType()
TEXT = Html()
ADDRESS = Address()
NUMBER = Number()
PERCENT = Percent()
DATE = Date()
TIME = Time()
BOOL = Bool()
JSON_BOOL = JsonBool()
EMAILS = Contacts("emails", "email addresse", {"type": "string", "pattern": EMAIL_PATTERN}, "an email address")
PHONES = Contacts("phones", "phone number", {"type": "string", "minLength": 1}, "a phone number (text)")
REF = Ref()
PARTICIPANTS = Participants()
VISIBILITY_TEXT = VisibilityText()
DATETIME = DateTime()
LABELS = Labels()
PRICES = Prices()
LEAD_VALUE = LeadValue()
DEAL_PRODUCTS = DealProducts()
USER = User()
VISIBILITY = Visibility()
PIPELINE = Pipeline()
STAGE = Stage()
ENUM = Choice()
CUSTOM = CustomFields()
OPTION = Option()
OPTIONS = Options()
MONEY = Money()
TIME_OF_DAY = TimeOfDay()
TIME_RANGE = Range("timerange", "time")
DATE_RANGE = Range("daterange", "date")
LARGE_TEXT = LargeText()
RAW = Raw()
OPTION_LIST = OptionList()
POSITION = Position()
ROTTING = Rotting()

# Pipedrive's custom field types (the `field_type` of /dealFields etc.) → field type, and
# for reference types the kind they point at.
CUSTOM_TYPES: dict[str, tuple[FieldType, str | None]] = {
    "varchar": (STRING, None),
    "varchar_auto": (STRING, None),
    "phone": (STRING, None),
    "text": (LARGE_TEXT, None),
    "double": (NUMBER, None),
    "int": (NUMBER, None),
    "monetary": (MONEY, None),
    "enum": (OPTION, None),
    "set": (OPTIONS, None),
    "date": (DATE, None),
    "time": (TIME_OF_DAY, None),
    "timerange": (TIME_RANGE, None),
    "daterange": (DATE_RANGE, None),
    "user": (USER, None),
    "org": (REF, "organization"),
    "people": (REF, "person"),
    "address": (ADDRESS, None),
}


def custom_spec(key: str, name: str, field_type: str, options: Mapping[str, Any] | None = None) -> FieldSpec:
    """The FieldSpec of one custom field of an account (its 40-character key, name and type)."""
    ftype, ref_kind = CUSTOM_TYPES.get(field_type, (RAW, None))
    return FieldSpec(name=name, type=ftype, api=key, container="custom_fields", ref_kind=ref_kind,
                     options=dict(options or {}))


def is_hash_key(key: str) -> bool:
    """A custom field's key: 40 lowercase hex characters."""
    return len(key) == 40 and all(c in "0123456789abcdef" for c in key)
