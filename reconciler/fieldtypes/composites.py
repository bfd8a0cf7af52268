"""Values made of several parts: participants, prices, lead value, a deal's products, money,
time-of-day objects and ranges."""

from __future__ import annotations

import datetime
import re
from typing import Any

from reconciler.fieldtypes.base import (
    TIME_PATTERN,
    Drop,
    FieldType,
    ValueProblem,
    _hms,
    _pad_time,
    _seconds,
    as_bool,
    as_id,
    num_equal,
)
from reconciler.fieldtypes.references import REF, ref_value
from reconciler.fieldtypes.scalars import NUMBER
from reconciler.manifest.model import Reference
from reconciler.normalize import NormalizeError, Placeholder


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


class Prices(FieldType):
    """A product's prices, one per currency: [{price: 120, currency: USD, cost: 80}]."""

    name = "prices"
    KEYS = ("price", "currency", "cost", "direct_cost", "notes")

    def currencies(self, spec, value):
        return [item["currency"] for item in value or [] if isinstance(item, dict) and item.get("currency")]
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

    def currencies(self, spec, value):
        return [value["currency"]] if isinstance(value, dict) and value.get("currency") else []

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
    written by calls of its own: one attach, change or detach per product that differs. Those
    calls, and the reads, are the client layer's (reconciler/pipedrive/attached.py).
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

    def export(self, spec, value, ctx, obj):
        # Pipedrive keeps a deal's line when its product is deleted; a manifest cannot name that
        # product, so the deal's products are left undeclared (unmanaged) rather than written as a
        # reference every plan would refuse (found by the team-day test: export, then plan failed)
        gone = [item["product"]["id"] for item in value if isinstance(item.get("product"), dict)]
        if gone and spec.ref_kind in ctx.exported:
            raise Drop(f"a line names {spec.ref_kind} id {gone[0]}, which the account no longer lists "
                       "(deleted in Pipedrive)")
        return value

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

    def match_value(self, spec, value):
        return None

    match_live = match_value


# -- option fields (custom enum and set) ----------------------------------------------------------


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

    def other_shapes(self, spec, value):
        return [PlainAmount(value)] if isinstance(value, dict) and not isinstance(value, PlainAmount) else []

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


# -- registered instances ----------------------------------------------------------------------

PARTICIPANTS = Participants()
PRICES = Prices()
LEAD_VALUE = LeadValue()
DEAL_PRODUCTS = DealProducts()
MONEY = Money()
TIME_OF_DAY = TimeOfDay()
TIME_RANGE = Range("timerange", "time")
DATE_RANGE = Range("daterange", "date")
