"""The plan's currency check asks only the fields whose type can name a currency (issue 28): the
shortcut must miss none, whatever value a field of another type holds."""

from __future__ import annotations

import pytest

from reconciler import kinds


def _naming_fields(kind_name: str) -> dict:
    return kinds.kind(kind_name).currency_fields


VALUES = ["EUR", {"currency": "EUR", "amount": 1}, [{"price": 1, "currency": "EUR"}],
          {"Budget": {"value": 1, "currency": "EUR"}}]


@pytest.mark.parametrize("kind_name", sorted(kinds.BY_NAME))
def test_no_field_left_out_names_a_currency(kind_name: str) -> None:
    naming = _naming_fields(kind_name)
    for name, spec in kinds.kind(kind_name).fields_by_name.items():
        if name in naming:
            assert naming[name] is spec
            continue
        for value in VALUES:
            try:
                assert spec.type.currencies(spec, value) == [], (kind_name, name, value)
            except (TypeError, AttributeError, KeyError, ValueError):
                pass  # a value this type never holds


def test_the_fields_that_name_currencies_are_found() -> None:
    assert {"currency", "fields"} <= set(_naming_fields("deal"))
    assert {"prices"} <= set(_naming_fields("product"))
    assert {"value"} <= set(_naming_fields("lead"))
    assert not _naming_fields("note") or set(_naming_fields("note")) <= {"fields"}
