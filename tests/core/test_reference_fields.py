"""The reader collects `{id: N}` references asking only fields whose type can hold references
(live.id_references, as manifest/checks.py does; issue 28): the shortcut must miss none."""

from __future__ import annotations

import pytest

from reconciler import kinds
from reconciler.fieldtypes import FieldType

VALUES = [{"id": 5}, [{"id": 5}], [{"person": {"id": 5}}], {"Partner": {"id": 5}}, "acme", 5]


@pytest.mark.parametrize("kind_name", sorted(kinds.BY_NAME))
def test_a_field_skipped_holds_no_reference(kind_name: str) -> None:
    for name, spec in kinds.kind(kind_name).fields_by_name.items():
        if type(spec.type).references is not FieldType.references:
            continue  # asked
        for value in VALUES:
            assert list(spec.type.references(spec, value)) == [], (kind_name, name, value)


def test_reference_fields_are_asked() -> None:
    deal = kinds.kind("deal")
    assert type(deal.field("org").type).references is not FieldType.references
    assert type(deal.field("person").type).references is not FieldType.references
