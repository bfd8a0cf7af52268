"""One-value field types: text, numbers, dates, times, booleans, contact lists."""

from __future__ import annotations

import datetime
import math
from typing import Any

from reconciler.fieldtypes.base import (
    DATE_PATTERN,
    EMAIL_PATTERN,
    TIME_PATTERN,
    FieldType,
    Quoted,
    ValueProblem,
    _check_date,
    _hms,
    _pad_time,
    as_bool,
    num_equal,
)
from reconciler.normalize import plain_key, text_key, text_to_api


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


class CurrencyCode(Text):
    """A deal's currency: one-line text that names one of the account's currencies."""

    def currencies(self, spec, value):
        return [value] if isinstance(value, str) and value else []


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


# -- registered instances ----------------------------------------------------------------------

STRING = Text()
CURRENCY_CODE = CurrencyCode()
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
DATETIME = DateTime()
LARGE_TEXT = LargeText()
