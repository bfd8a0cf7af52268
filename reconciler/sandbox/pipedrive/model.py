"""One company's objects as Pipedrive keeps them, independent of the API version.

Why a version-neutral layer: v1 and v2 differ in names (``user_id`` vs ``owner_id``,
``email`` vs ``emails``), in types (0/1 vs booleans, strings vs numbers) and in shapes
(root-level custom-field hashes vs a ``custom_fields`` object), but the rules are the same
ones: what is required, which references must exist, what winning a deal sets. Each version
parses its input into the internal field names here (with its own strictness) and renders
the stored documents in its own shape; the rules live once, in :class:`Company`.

Internal documents are v2-shaped: RFC 3339 UTC timestamps, plain integer references,
``emails``/``phones`` lists of ``{value, primary, label}``, ``label_ids``, ``visible_to`` as
an integer and ``custom_fields`` keyed by field hash, with enum values as option ids, sets
as lists of option ids and monetary values as ``{"value", "currency"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..company import API_USER_ID, DEFAULT_CURRENCY
from ..store import Store, now_iso
from .currency_codes import check_currency
from .errors import bad_request, not_found
from .following import owner_follows
from .history import record_changes
from .html import sanitize_html
from .util import check_date, check_time

LABELS = {
    "deal": "Deal",
    "person": "Person",
    "organization": "Organization",
    "activity": "Activity",
    "note": "Note",
    "user": "User",
    "pipeline": "Pipeline",
    "stage": "Stage",
    "field": "Field",
    "product": "Product",
    "deal_product": "Deal product",
    "lead": "Lead",
    "lead_label": "Lead label",
}
VISIBILITY = (1, 3, 5, 7)
DEAL_STATUSES = ("open", "won", "lost")
# Pipedrive's v2 refuses ``[]`` for a multi-option (set) custom field with a validation error and
# clears it with ``null`` (official v2 model description of custom_fields).
HASH_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class F:
    """One writable standard field: internal name, value type, and its input name per version.

    ``v1``/``v2`` None means the version does not accept the field as input.
    """

    name: str
    type: str
    v1: str | None
    v2: str | None
    nullable: bool = True


def _refs(*names: str) -> tuple[F, ...]:
    return tuple(
        F(n, "ref:" + {"person_id": "person", "org_id": "organization", "deal_id": "deal"}[n], n, n)
        for n in names
    )


SPECS: dict[str, tuple[F, ...]] = {
    "deal": (
        F("title", "str", "title", "title", nullable=False),
        F("value", "number", "value", "value", nullable=False),
        F("currency", "currency", "currency", "currency", nullable=False),
        F("owner_id", "user", "user_id", "owner_id", nullable=False),
        *_refs("person_id", "org_id"),
        F("pipeline_id", "ref:pipeline", "pipeline_id", "pipeline_id", nullable=False),
        F("stage_id", "ref:stage", "stage_id", "stage_id", nullable=False),
        F("status", "status", "status", "status", nullable=False),
        F("probability", "probability", "probability", "probability"),
        F("lost_reason", "str", "lost_reason", "lost_reason"),
        F("visible_to", "visible_to", "visible_to", "visible_to", nullable=False),
        F("expected_close_date", "date", "expected_close_date", "expected_close_date"),
        F("label_ids", "label_ids", "label", "label_ids"),
        F("add_time", "v_time", "add_time", "add_time", nullable=False),
        F("won_time", "v_time", "won_time", "won_time"),
        F("lost_time", "v_time", "lost_time", "lost_time"),
        F("close_time", "v_time", "close_time", "close_time"),
        F("is_archived", "bool", None, "is_archived", nullable=False),
        F("archive_time", "archive_time", None, "archive_time"),
    ),
    "person": (
        F("name", "str", "name", "name", nullable=False),
        F("first_name", "str", "first_name", None),
        F("last_name", "str", "last_name", None),
        F("owner_id", "user", "owner_id", "owner_id", nullable=False),
        *_refs("org_id"),
        F("emails", "emails", "email", "emails"),
        F("phones", "phones", "phone", "phones"),
        F("visible_to", "visible_to", "visible_to", "visible_to", nullable=False),
        F("label_ids", "label_ids", "label_ids", "label_ids"),
        F("add_time", "v_time", "add_time", "add_time", nullable=False),
    ),
    "organization": (
        F("name", "str", "name", "name", nullable=False),
        F("owner_id", "user", "owner_id", "owner_id", nullable=False),
        F("address", "address", "address", "address"),
        F("visible_to", "visible_to", "visible_to", "visible_to", nullable=False),
        F("label_ids", "label_ids", "label_ids", "label_ids"),
        F("add_time", "v_time", "add_time", "add_time", nullable=False),
    ),
    "activity": (
        F("subject", "str", "subject", "subject", nullable=False),
        F("type", "activity_type", "type", "type", nullable=False),
        F("owner_id", "user", "user_id", "owner_id", nullable=False),
        *_refs("deal_id", "person_id", "org_id"),
        F("due_date", "date", "due_date", "due_date"),
        F("due_time", "time", "due_time", "due_time"),
        F("duration", "time", "duration", "duration"),
        F("busy", "bool", "busy_flag", "busy", nullable=False),
        F("done", "bool", "done", "done", nullable=False),
        F("note", "html", "note", "note"),
        F("public_description", "str", "public_description", "public_description"),
        F("location", "location", "location", "location"),
        F("participants", "participants", "participants", "participants"),
        F("priority", "int", None, "priority"),
        F("lead_id", "lead", "lead_id", "lead_id"),
    ),
    "note": (
        F("content", "html", "content", None, nullable=False),
        *_refs("deal_id", "person_id", "org_id"),
        F("user_id", "user", "user_id", None, nullable=False),
        F("pinned_to_deal_flag", "bool", "pinned_to_deal_flag", None, nullable=False),
        F("pinned_to_person_flag", "bool", "pinned_to_person_flag", None, nullable=False),
        F("pinned_to_organization_flag", "bool", "pinned_to_organization_flag", None, nullable=False),
        F("lead_id", "lead", "lead_id", None),
        F("pinned_to_lead_flag", "bool", "pinned_to_lead_flag", None, nullable=False),
        F("add_time", "v_time", "add_time", None, nullable=False),
    ),
}

# Keys of the official v2 request models (npm pipedrive 33.x AddXRequest/UpdateXRequest) that the
# sandbox accepts but does not keep (what it does not model: marketing status, IM handles, industry...).
# Any other key outside SPECS is a 400, as v2 validates bodies strictly (migration guide: "all v2
# endpoints now have significantly stricter input validation"); tests/conformance checks the sets.
V2_ACCEPTED_NOT_KEPT: dict[str, tuple[str, ...]] = {
    "deal": ("is_deleted",),
    "person": ("postal_address", "notes", "im", "birthday", "job_title", "marketing_status"),
    "organization": ("website", "linkedin", "industry", "annual_revenue", "employee_count"),
    "activity": ("project_id", "attendees", "outcome"),
}
# Keys the sandbox takes in v2 though no official request model names them (kept for its own seeding).
V2_SANDBOX_ONLY: dict[str, tuple[str, ...]] = {"deal": ("add_time",)}

REQUIRED = {
    "deal": "title",
    "person": "name",
    "organization": "name",
    "activity": "subject",
    "note": "content",
}
CUSTOM_ENTITIES = ("deal", "person", "organization")
ADDRESS_PARTS = (
    "value",
    "country",
    "admin_area_level_1",
    "admin_area_level_2",
    "locality",
    "sublocality",
    "route",
    "street_number",
    "subpremise",
    "postal_code",
    "formatted_address",
)


ADDRESS_SUBFIELDS = (
    ("subpremise", "Apartment/suite no"),
    ("street_number", "House number"),
    ("route", "Street/road name"),
    ("sublocality", "District/sublocality"),
    ("locality", "City/town/village/locality"),
    ("admin_area_level_1", "State/county"),
    ("admin_area_level_2", "Region"),
    ("country", "Country"),
    ("postal_code", "ZIP/Postal code"),
    ("formatted_address", "Full/combined address"),
)


def custom_subfields(field: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A custom field's subfields as (key, name, type): the v1 sibling keys its value travels with
    (a monetary's currency, an address's parts, a time's zone, a range's end), which both versions'
    field schemas list. Empty for a field without parts."""
    key, ftype = field["key"], field["field_type"]
    if not field.get("is_custom"):
        return []
    if ftype == "monetary":
        return [(key + "_currency", "Currency", "varchar")]
    if ftype == "address":
        return [(f"{key}_{part}", name, "varchar") for part, name in ADDRESS_SUBFIELDS]
    out = []
    if ftype in ("timerange", "daterange"):
        out.append((key + "_until", "End", "time" if ftype == "timerange" else "date"))
    if ftype in ("time", "timerange"):
        out.append((key + "_timezone_id", "Timezone", "int"))
    return out


def address_parts(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """An address custom field's value with every part (null when unknown), as Pipedrive answers it."""
    if not value:
        return None
    return {part: value.get(part) for part in ADDRESS_PARTS}


def defaults(kind: str, company: Company) -> dict[str, Any]:
    """A new object's stored fields before the request's values apply (why: every key exists)."""
    user = company.api_user_id
    if kind == "deal":
        return {
            "title": None,
            "creator_user_id": user,
            "owner_id": user,
            "value": 0,
            "currency": DEFAULT_CURRENCY,
            "person_id": None,
            "org_id": None,
            "pipeline_id": None,
            "stage_id": None,
            "status": "open",
            "probability": None,
            "lost_reason": None,
            "visible_to": 3,
            "close_time": None,
            "won_time": None,
            "lost_time": None,
            "expected_close_date": None,
            "label_ids": [],
            "stage_change_time": None,
            "is_archived": False,
            "archive_time": None,
            "origin": "API",
            "custom_fields": {},
        }
    if kind == "person":
        return {
            "name": None,
            "first_name": None,
            "last_name": None,
            "owner_id": user,
            "org_id": None,
            "emails": [],
            "phones": [],
            "visible_to": 3,
            "label_ids": [],
            "picture_id": None,
            "custom_fields": {},
        }
    if kind == "organization":
        return {
            "name": None,
            "owner_id": user,
            "address": None,
            "visible_to": 3,
            "label_ids": [],
            "picture_id": None,
            "custom_fields": {},
        }
    if kind == "activity":
        return {
            "subject": None,
            "type": "call",
            "owner_id": user,
            "creator_user_id": user,
            "deal_id": None,
            "lead_id": None,
            "person_id": None,
            "org_id": None,
            "project_id": None,
            "due_date": None,
            "due_time": None,
            "duration": None,
            "busy": False,
            "done": False,
            "marked_as_done_time": None,
            "location": None,
            "participants": [],
            "attendees": [],
            "public_description": None,
            "priority": None,
            "note": None,
        }
    if kind == "note":
        return {
            "content": None,
            "user_id": user,
            "deal_id": None,
            "person_id": None,
            "org_id": None,
            "lead_id": None,
            "pinned_to_deal_flag": False,
            "pinned_to_person_flag": False,
            "pinned_to_organization_flag": False,
            "pinned_to_lead_flag": False,
            "last_update_user_id": None,
        }
    raise KeyError(kind)


# ----------------------------------------------------------------------------- coercion
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def to_int(value: Any, name: str, strict: bool) -> int:
    """An integer; v1 (lenient) also takes digit strings, v2 (strict) only JSON integers."""
    if _is_int(value):
        return value
    if isinstance(value, float) and value.is_integer() and not strict:
        return int(value)
    if not strict and isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise bad_request(f"Parameter '{name}' must be an integer")


def to_number(value: Any, name: str, strict: bool) -> int | float:
    """A number; strings are a 400 in v2."""
    if _is_int(value) or isinstance(value, float):
        return value
    if not strict and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            return int(number) if number.is_integer() else number
    raise bad_request(f"Parameter '{name}' must be a number")


def to_bool(value: Any, name: str, strict: bool) -> bool:
    """A boolean; v1 takes Pipedrive's 0/1 (and true/false), v2 only JSON booleans."""
    if isinstance(value, bool):
        return value
    if not strict:
        if value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
            return value.strip().lower() in ("1", "true")
    raise bad_request(f"Parameter '{name}' must be a boolean" + ("" if strict else " (0 or 1)"))


def to_str(value: Any, name: str, strict: bool) -> str:
    """A string; numbers are accepted as text only in v1."""
    if isinstance(value, str):
        return value
    if not strict and (_is_int(value) or isinstance(value, float)):
        return str(value)
    raise bad_request(f"Parameter '{name}' must be a string")


def _contact_list(value: Any, name: str, strict: bool, default_label: str) -> list[dict[str, Any]]:
    """emails/phones -> ``[{value, primary, label}]`` with exactly one primary when non-empty.

    v2 takes only a list of objects; v1 also takes a string or a list of strings.
    """
    if value is None:
        return []
    if not strict and isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, list):
        raise bad_request(f"Parameter '{name}' must be an array")
    out: list[dict[str, Any]] = []
    for item in value:
        if not strict and isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict):
            raise bad_request(f"Parameter '{name}' must be an array of objects")
        raw = item.get("value")
        if not isinstance(raw, str):
            raise bad_request(f"Parameter '{name}[].value' must be a string")
        if raw.strip() == "":
            continue
        primary = item.get("primary", False)
        primary = to_bool(primary, f"{name}[].primary", strict) if primary is not None else False
        label = item.get("label", default_label)
        if label is None:
            label = default_label
        label = to_str(label, f"{name}[].label", strict)
        out.append({"value": raw.strip(), "primary": primary, "label": label})
    if out:
        seen = False
        for entry in out:
            if entry["primary"] and not seen:
                seen = True
            else:
                entry["primary"] = False
        if not seen:
            out[0]["primary"] = True
    return out


def _address(value: Any, name: str, strict: bool) -> dict[str, Any] | None:
    """An organization's address: v2 sends an object with ``value``, v1 a string."""
    if value is None:
        return None
    if isinstance(value, str):
        if strict:
            raise bad_request(f"Parameter '{name}' must be an object")
        return {"value": value} if value else None
    if not isinstance(value, dict):
        raise bad_request(f"Parameter '{name}' must be an object")
    out: dict[str, Any] = {}
    for part in ADDRESS_PARTS:
        if value.get(part) is not None:
            out[part] = to_str(value[part], f"{name}.{part}", strict)
    if not out.get("value"):
        return None
    return out


def coerce(company: Company, spec: F, value: Any, name: str, strict: bool) -> Any:
    """One input value -> its stored form; references are checked to exist (a 400 if not)."""
    if value is None or (not strict and value == "" and spec.type not in ("str", "html")):
        if not spec.nullable:
            raise bad_request(f"Parameter '{name}' cannot be empty")
        if spec.type in ("emails", "phones", "label_ids", "participants"):
            return []
        return None
    kind = spec.type
    if kind == "str":
        text = to_str(value, name, strict)
        if not spec.nullable and not text.strip():
            raise bad_request(f"Parameter '{name}' cannot be empty")
        return text
    if kind == "html":
        text = to_str(value, name, strict)
        if not spec.nullable and not text.strip():
            raise bad_request(f"Parameter '{name}' cannot be empty")
        return sanitize_html(text)
    if kind == "int":
        return to_int(value, name, strict)
    if kind == "number":
        return to_number(value, name, strict)
    if kind == "probability":
        number = to_number(value, name, strict)
        if not 0 <= number <= 100:
            raise bad_request(f"Parameter '{name}' must be between 0 and 100")
        return number
    if kind == "bool":
        return to_bool(value, name, strict)
    if kind == "date":
        return check_date(value, name)
    if kind == "time":
        return check_time(value, name)
    if kind == "v_time":
        from .util import parse_v1_time, parse_v2_time

        return parse_v2_time(value, name) if strict else parse_v1_time(value, name)
    if kind == "archive_time":
        from .util import parse_v1_time

        return parse_v1_time(value, name)  # the official description: UTC, YYYY-MM-DD HH:MM:SS
    if kind == "currency":
        return check_currency(to_str(value, name, strict), name)
    if kind == "status":
        text = to_str(value, name, strict)
        if text not in DEAL_STATUSES:
            raise bad_request(f"Parameter '{name}' must be one of: open, won, lost")
        return text
    if kind == "visible_to":
        number = to_int(value, name, strict)
        if number not in VISIBILITY:
            raise bad_request(f"Parameter '{name}' must be one of: 1, 3, 5, 7")
        return number
    if kind == "user":
        user_id = to_int(value, name, strict)
        company.require_user(user_id)
        return user_id
    if kind.startswith("ref:"):
        ref_kind = kind[4:]
        ref_id = to_int(value, name, strict)
        if not strict and ref_id == 0:  # v1 clients clear a reference with 0
            return None
        company.require(ref_kind, ref_id)
        return ref_id
    if kind == "lead":  # a lead's UUID
        lead_id = to_str(value, name, strict).strip().lower()
        lead = company.get("lead", lead_id)
        if lead is None or lead.get("is_deleted"):
            raise bad_request(f"Lead with id {lead_id} does not exist")
        return lead_id
    if kind == "activity_type":
        text = to_str(value, name, strict)
        if text not in company.activity_type_keys():
            raise bad_request(f"Activity type '{text}' does not exist")
        return text
    if kind in ("emails", "phones"):
        return _contact_list(value, name, strict, "work")
    if kind == "label_ids":
        if not strict and not isinstance(value, list):
            value = [p for p in str(value).split(",") if p.strip()]
        if not isinstance(value, list):
            raise bad_request(f"Parameter '{name}' must be an array of integers")
        ids = [to_int(v, name, strict) for v in value]
        return ids
    if kind == "address":
        return _address(value, name, strict)
    if kind == "location":
        if isinstance(value, dict):
            return _address(value, name, strict)
        if strict:
            raise bad_request(f"Parameter '{name}' must be an object")
        return {"value": to_str(value, name, strict)}
    if kind == "participants":
        if not isinstance(value, list):
            raise bad_request(f"Parameter '{name}' must be an array")
        out = []
        for item in value:
            if not isinstance(item, dict):
                raise bad_request(f"Parameter '{name}' must be an array of objects")
            pid = to_int(item.get("person_id"), f"{name}[].person_id", strict)
            company.require("person", pid)
            primary = item.get("primary", item.get("primary_flag", False))
            out.append({"person_id": pid, "primary": to_bool(primary, f"{name}[].primary", strict)})
        return out
    raise AssertionError(kind)


def coerce_custom(company: Company, field: dict[str, Any], value: Any, strict: bool, name: str) -> Any:
    """One custom field value -> its stored form, checking option ids exist.

    Stored forms: enum an option id, set a sorted list of option ids, monetary
    ``{"value", "currency"}``, numbers as numbers, everything else as a string.
    """
    ftype = field["field_type"]
    if value is None or (not strict and value == ""):
        return None
    options = {o["id"] for o in field.get("options") or []}
    if ftype == "enum":
        option = to_int(value, name, strict)
        if option not in options:
            raise bad_request(f"Option {option} does not exist for custom field '{field['name']}'")
        return option
    if ftype == "set":
        if not strict and isinstance(value, str):
            value = [p for p in value.split(",") if p.strip()]
        elif not strict and _is_int(value):
            value = [value]
        if not isinstance(value, list):
            raise bad_request(f"Parameter '{name}' must be an array of option ids")
        if strict and not value:
            # the official v2 description: use null to clear a multi-option field; [] is refused
            raise bad_request(f"Parameter '{name}' must not be an empty array; send null to clear the field")
        chosen = []
        for item in value:
            option = to_int(item, name, strict)
            if option not in options:
                raise bad_request(f"Option {option} does not exist for custom field '{field['name']}'")
            if option not in chosen:
                chosen.append(option)
        return sorted(chosen) or None
    if ftype == "monetary":
        if isinstance(value, dict):
            amount = value.get("value")
            currency = value.get("currency")
        elif strict:
            raise bad_request(f"Parameter '{name}' must be an object with value and currency")
        else:
            amount, currency = value, None
        amount = None if amount is None else to_number(amount, f"{name}.value", strict)
        if currency is not None:
            currency = check_currency(to_str(currency, f"{name}.currency", strict), f"{name}.currency")
        if amount is None:
            return None
        return {"value": amount, "currency": currency}
    if ftype in ("double", "int"):
        return to_number(value, name, strict)
    if ftype == "date":
        return check_date(value, name)
    if ftype in ("time", "timerange", "daterange"):
        return time_value(ftype, value, name, strict)
    if ftype == "user":
        user_id = to_int(value, name, strict)
        company.require_user(user_id)
        return user_id
    if ftype in ("org", "people"):
        ref = to_int(value, name, strict)
        company.require("organization" if ftype == "org" else "person", ref)
        return ref
    if ftype == "address" and isinstance(value, dict):
        return _address(value, name, strict)
    return to_str(value, name, strict)


# ----------------------------------------------------------------------------- time fields
TIME_KEYS = {
    "time": ("value", "timezone_id", "timezone_name"),
    "timerange": ("value", "until", "timezone_id", "timezone_name"),
    "daterange": ("value", "until"),
}


def clock(value: Any, name: str) -> str:
    """A clock time as Pipedrive keeps it in time fields: ``HH:MM:SS`` (``HH:MM`` accepted)."""
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
        raise bad_request(f"Parameter '{name}' must be a time in format HH:MM:SS")
    return value if len(value) == 8 else value + ":00"


def time_value(ftype: str, value: Any, name: str, strict: bool) -> dict[str, Any]:
    """A time, time-range or date-range custom field value -> its stored object.

    v2 takes the official objects: time ``{value, timezone_id, timezone_name}``, time range
    ``{value, until, timezone_id, timezone_name}``, date range ``{value, until}``; anything else
    (a bare string, an unknown key, a range that ends before it starts) is a 400. v1 sends the
    value as a string and the rest as ``<hash>_until`` / ``<hash>_timezone_id`` siblings, which
    :func:`base.parse_input` gathers into the same object first.
    """
    if not isinstance(value, dict):
        raise bad_request(f"Parameter '{name}' must be an object with {', '.join(TIME_KEYS[ftype])}")
    unknown = sorted(set(value) - set(TIME_KEYS[ftype]))
    if unknown and strict:
        raise bad_request(f"Parameter '{name}' has unknown keys: {', '.join(unknown)}")
    if ftype == "daterange":
        start = check_date(value.get("value"), f"{name}.value")
        until = check_date(value.get("until"), f"{name}.until")
        if until < start:
            raise bad_request(f"Parameter '{name}.until' must not be before '{name}.value'")
        return {"value": start, "until": until}
    out: dict[str, Any] = {"value": clock(value.get("value"), f"{name}.value")}
    if ftype == "timerange":
        out["until"] = clock(value.get("until"), f"{name}.until")
    zone = value.get("timezone_id")
    out["timezone_id"] = None if zone is None else to_int(zone, f"{name}.timezone_id", strict)
    zone_name = value.get("timezone_name")
    out["timezone_name"] = None if zone_name is None else to_str(zone_name, f"{name}.timezone_name", strict)
    return out


# ----------------------------------------------------------------------------- company
class Company:
    """One company's data and rules, for the length of one request (it caches lookups)."""

    def __init__(self, store: Store, company_id: int) -> None:
        self.store = store
        self.id = company_id
        self.api_user_id = API_USER_ID
        self._fields: dict[str, list[dict[str, Any]]] = {}
        self._types: set[str] | None = None

    # lookups -------------------------------------------------------------
    def get(self, kind: str, object_id: int | str) -> dict[str, Any] | None:
        return self.store.get(self.id, kind, object_id)

    def find(self, kind: str, object_id: int, *, deleted_ok: bool = False) -> dict[str, Any]:
        """An object the request addresses by id: a 404 if missing (or deleted, unless allowed)."""
        obj = self.get(kind, object_id)
        if obj is None or (obj.get("is_deleted") and not deleted_ok):
            raise not_found(f"{LABELS.get(kind, kind.title())} not found")
        return obj

    def require(self, kind: str, object_id: int) -> dict[str, Any]:
        """An object the request refers to: a 400 if it does not exist or was deleted."""
        obj = self.get(kind, object_id)
        if obj is None or obj.get("is_deleted"):
            raise bad_request(f"{LABELS.get(kind, kind.title())} with id {object_id} does not exist")
        return obj

    def require_user(self, user_id: int) -> dict[str, Any]:
        user = self.get("user", user_id)
        if user is None or not user.get("active_flag"):
            raise bad_request(f"User with id {user_id} does not exist")
        return user

    def activity_type_keys(self) -> set[str]:
        if self._types is None:
            self._types = {
                t["key_string"] for t in self.store.select(self.id, "activity_type") if t.get("active_flag")
            }
        return self._types

    def fields(self, entity: str) -> list[dict[str, Any]]:
        """The entity's field schema, standard then custom, in order."""
        if entity not in self._fields:
            self._fields[entity] = self.store.select(
                self.id, "field", where={"category": entity}, order=(("id", "ASC"),)
            )
        return self._fields[entity]

    def forget_fields(self, entity: str) -> None:
        """Drop the cached field schema of an entity (why: a field or option was just written)."""
        self._fields.pop(entity, None)

    def custom_fields(self, entity: str) -> dict[str, dict[str, Any]]:
        return {f["key"]: f for f in self.fields(entity) if f["is_custom"]}

    def label_options(self, entity: str) -> dict[int, str]:
        for field in self.fields(entity):
            if field["key"] == "label" and not field["is_custom"]:
                return {o["id"]: o["label"] for o in field.get("options") or []}
        return {}

    def first_stage(self, pipeline_id: int) -> dict[str, Any]:
        stages = self.store.select(
            self.id, "stage", where={"pipeline_id": pipeline_id}, order=(("id", "ASC"),)
        )
        if not stages:
            raise bad_request(f"Pipeline with id {pipeline_id} has no stages")
        return min(stages, key=lambda s: (s["order_nr"], s["id"]))

    # writes ----------------------------------------------------------------
    def create(
        self, kind: str, changes: dict[str, Any], custom: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A new object from parsed input: defaults, required fields, kind rules, then stored."""
        record = defaults(kind, self)
        required = REQUIRED[kind]
        if changes.get(required) in (None, ""):
            raise bad_request(f"Parameter '{required if kind != 'deal' else 'title'}' is required")
        record.update(changes)
        if custom:
            record["custom_fields"] = {k: v for k, v in custom.items() if v is not None}
        self._rules(kind, record, changes, creating=True, before={})
        stamp = now_iso()
        record["add_time"] = changes.get("add_time") or stamp
        record["update_time"] = stamp
        record["is_deleted"] = False
        made = self.store.insert(self.id, kind, record)
        owner_follows(self, kind, made)  # Pipedrive makes the owner follow (issue 27)
        return made

    def update(
        self, kind: str, record: dict[str, Any], changes: dict[str, Any], custom: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Apply parsed input to a stored object: only the given fields change.

        An archived deal takes no other change unless the same request unarchives it
        (Pipedrive: "archived deals will not be editable through the API", 2025-07-15).
        """
        if kind == "deal" and record.get("is_archived") and changes.get("is_archived") is not False:
            if set(changes) - {"is_archived", "archive_time"} or custom:
                raise bad_request("Archived deals cannot be edited; unarchive the deal first (is_archived: false)")
        before = dict(record)
        record.update(changes)
        if custom:
            merged = dict(record.get("custom_fields") or {})
            for key, value in custom.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            record["custom_fields"] = merged
        self._rules(kind, record, changes, creating=False, before=before)
        record_changes(self, kind, before, record)  # deals, persons and organizations keep a history
        if record.get("owner_id") != before.get("owner_id"):
            owner_follows(self, kind, record)  # a new owner follows too; the previous one stays
        return self.store.put(self.id, kind, record)

    def delete(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """Mark an object deleted (Pipedrive keeps deleted objects for 30 days)."""
        record["is_deleted"] = True
        if kind == "deal":
            record["status"] = "deleted"
        return self.store.put(self.id, kind, record)

    def _rules(
        self,
        kind: str,
        record: dict[str, Any],
        changes: dict[str, Any],
        creating: bool,
        before: dict[str, Any],
    ) -> None:
        """Kind-specific consistency rules Pipedrive applies on every write."""
        if kind in CUSTOM_ENTITIES:
            known = self.custom_fields(kind)
            for key, value in record.get("custom_fields", {}).items():
                field = known.get(key)
                if field and field["field_type"] == "monetary" and isinstance(value, dict):
                    if not value.get("currency"):
                        value["currency"] = record.get("currency") or DEFAULT_CURRENCY
        if "label_ids" in changes:
            entity = kind if kind in CUSTOM_ENTITIES else None
            if entity:
                options = self.label_options(entity)
                for label_id in record["label_ids"]:
                    if label_id not in options:
                        raise bad_request(f"Label with id {label_id} does not exist")
                record["label_ids"] = sorted(set(record["label_ids"]))
        if kind == "deal":
            self._deal_rules(record, changes, creating, before.get("stage_id"))
            if not creating:
                self._deal_products_rule(record, changes, before)
        elif kind == "person":
            if "name" in changes and ("first_name" not in changes or "last_name" not in changes):
                first, _, last = record["name"].strip().partition(" ")
                record.setdefault("first_name", None)
                if "first_name" not in changes:
                    record["first_name"] = first or None
                if "last_name" not in changes:
                    record["last_name"] = last or None
        elif kind == "activity":
            if "done" in changes:
                if record["done"] and not record.get("marked_as_done_time"):
                    record["marked_as_done_time"] = now_iso()
                elif not record["done"]:
                    record["marked_as_done_time"] = None
            if "participants" in changes and "person_id" not in changes:
                # the person is the primary participant: no participants, no person (issue 24)
                primary = [p for p in record["participants"] if p["primary"]] or record["participants"][:1]
                record["person_id"] = primary[0]["person_id"] if primary else None
            elif "person_id" in changes and "participants" not in changes:
                if record["person_id"] is None:
                    record["participants"] = []
                else:
                    record["participants"] = [{"person_id": record["person_id"], "primary": True}]
        elif kind == "note":
            if not any(record.get(p) for p in ("deal_id", "person_id", "org_id", "lead_id")):
                raise bad_request("Note must be attached to a deal, person, organization or lead")
            if creating or "content" in changes:
                if not (record.get("content") or "").strip():
                    raise bad_request("Parameter 'content' cannot be empty")
            if not creating:
                record["last_update_user_id"] = self.api_user_id

    def _deal_products_rule(self, record: dict[str, Any], changes: dict[str, Any], before: dict[str, Any]) -> None:
        """A deal with products has its value calculated from them (deal_products.py): another value
        is refused; a new currency is the products' currency too."""
        if "value" not in changes and "currency" not in changes:
            return
        attached = self.store.select(self.id, "deal_product", where={"deal_id": record["id"]})
        if not attached:
            return
        if "value" in changes and changes["value"] != before.get("value"):
            raise bad_request(
                f"Deal with id {record['id']} has products, so its value is calculated from them "
                f"({before.get('value')}); change the products instead"
            )
        for product in attached:
            if product["currency"] != record["currency"]:
                product["currency"] = record["currency"]
                self.store.put(self.id, "deal_product", product)

    def _deal_rules(
        self, record: dict[str, Any], changes: dict[str, Any], creating: bool, old_stage: int | None
    ) -> None:
        """Stage/pipeline consistency, the won/lost/close timestamps, and ``lost_reason`` only on a
        deal that is (or in the same request becomes) lost, as Pipedrive validates it."""
        if changes.get("lost_reason") is not None and record.get("status") != "lost":
            raise bad_request("Parameter 'lost_reason' can only be set when the deal status is lost")
        stage_given = changes.get("stage_id") is not None
        pipeline_given = changes.get("pipeline_id") is not None
        if stage_given:
            stage = self.require("stage", record["stage_id"])
            if pipeline_given and stage["pipeline_id"] != record["pipeline_id"]:
                raise bad_request(
                    f"Stage with id {stage['id']} does not belong to pipeline with id {record['pipeline_id']}"
                )
            record["pipeline_id"] = stage["pipeline_id"]
        elif pipeline_given:
            current = self.get("stage", old_stage) if old_stage else None
            if current is None or current["pipeline_id"] != record["pipeline_id"]:
                record["stage_id"] = self.first_stage(record["pipeline_id"])["id"]
        elif creating:
            pipelines = self.store.select(self.id, "pipeline", order=(("id", "ASC"),))
            if not pipelines:
                raise bad_request("Company has no pipelines")
            first = min(pipelines, key=lambda p: (p["order_nr"], p["id"]))
            record["pipeline_id"] = first["id"]
            record["stage_id"] = self.first_stage(first["id"])["id"]
        stamp = now_iso()
        if "is_archived" in changes or "archive_time" in changes:
            if record.get("is_archived"):
                record["archive_time"] = changes.get("archive_time") or record.get("archive_time") or stamp
            else:
                record["archive_time"] = None
        if not creating and record["stage_id"] != old_stage:
            record["stage_change_time"] = stamp
        if "status" in changes or creating:
            status = record["status"]
            if status == "won":
                record["won_time"] = record.get("won_time") or stamp
                record["lost_time"] = None
                record["close_time"] = changes.get("close_time") or record["won_time"]
            elif status == "lost":
                record["lost_time"] = record.get("lost_time") or stamp
                record["won_time"] = None
                record["close_time"] = changes.get("close_time") or record["lost_time"]
            else:
                record["won_time"] = record["lost_time"] = record["close_time"] = None

    def parse_custom_v2(self, entity: str, value: Any) -> dict[str, Any]:
        """v2's ``custom_fields`` object -> stored values; unknown keys are a 400."""
        if not isinstance(value, dict):
            raise bad_request("Parameter 'custom_fields' must be an object")
        known = self.custom_fields(entity)
        out: dict[str, Any] = {}
        for key, raw in value.items():
            field = known.get(key)
            if field is None:
                raise bad_request(f"Custom field '{key}' does not exist")
            out[key] = coerce_custom(self, field, raw, True, f"custom_fields.{key}")
        return out


def merge_custom(record: dict[str, Any], custom: dict[str, Any]) -> None:
    """Custom field values written into a record kept as its `custom_fields` mapping (leads,
    products): None clears one, a monetary value without a currency takes the company's."""
    values = dict(record.get("custom_fields") or {})
    for key, value in custom.items():
        if value is None:
            values.pop(key, None)
        else:
            if isinstance(value, dict) and "currency" in value and not value.get("currency"):
                value["currency"] = DEFAULT_CURRENCY
            values[key] = value
    record["custom_fields"] = values
