"""Every currency the manifests name, checked against the account's currencies at plan time.

Pipedrive refuses a deal value, product price, lead value or monetary custom field in a currency
the company does not have (`currency: XYZ` is a 400 at apply, after other writes of the same
apply went through). The codes are known from the manifests alone (each field type says which it
names: FieldType.currencies), so a plan checks them before anything is written and refuses an
unknown one at its FILE:LINE with the field.

Cost: nothing when every code named is the user's default currency (`/users/me`, read anyway) or
one the lock's vocabulary records (`"currency": {"EUR": 2}`, written by apply, pull and export
from the codes the manifests use); otherwise one `GET /api/v1/currencies` (current, v1 only: the
official client's CurrenciesApi.getCurrencies), whose answer is the account as it is now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import kinds
from reconciler.manifest.model import Position, Problem, Resource

CURRENCIES_PATH = "/api/v1/currencies"


@dataclass(frozen=True)
class Named:
    """One currency code a resource names, where (the field's value) and in which field."""

    code: str
    pos: Position
    label: str  # the field: "currency", "prices", "value", "fields.Contract value"


def _naming(resources: Iterable[Resource]) -> Iterator[tuple[Resource, str, Any, str]]:
    """(resource, field, value, code) for every currency code the resources name, in manifest order."""
    for res in resources:
        if res.absent:
            continue
        naming = kinds.kind(res.kind).currency_fields
        if not naming:
            continue
        for name, value in res.fields.items():
            field_spec = naming.get(name)
            if field_spec is not None:
                for code in field_spec.type.currencies(field_spec, value):
                    yield res, name, value, code


def named(resources: Iterable[Resource]) -> list[Named]:
    """Every currency code the resources name, in manifest order, with where and in which field."""
    out: list[Named] = []
    for res, name, value, code in _naming(resources):
        label = name
        if name == "fields" and isinstance(value, Mapping):
            label = next((f"fields.{n}" for n, v in value.items()
                          if isinstance(v, Mapping) and v.get("currency") == code), name)
        out.append(Named(str(code), res.field_pos.get(label, res.field_pos.get(name, res.pos)), label))
    return out


def check(client: Any, resources: list[Resource], default: str | None,
          recorded: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """(the lock's `currency` vocabulary for the codes the manifests use, problems).

    Reads the account's currencies only when a code is neither `default` nor `recorded`.
    """
    codes = {str(code) for _res, _name, _value, code in _naming(resources)}  # where: only for a problem
    if not codes:
        return {}, []
    known: dict[str, Any] = {code: recorded[code] for code in codes if code in recorded}
    unknown = codes - set(known) - {default}
    problems: list[Problem] = []
    if unknown:
        answer = client.http.request("GET", CURRENCIES_PATH)
        account = {str(c.get("code")): c.get("id") for c in answer.get("data") or []
                   if isinstance(c, Mapping) and c.get("active_flag", True) is not False}
        known = {code: account[code] for code in codes if code in account}
        for use in named(resources):
            if use.code not in account and use.code != default:
                problems.append(Problem(use.pos, (
                    f"{use.label}: currency {use.code!r} is not one of the account's currencies "
                    f"(GET {CURRENCIES_PATH}); use an ISO 4217 code the company has, e.g. {default or 'USD'}")))
    return {code: known[code] for code in sorted(known) if code != default and known[code] is not None}, problems
