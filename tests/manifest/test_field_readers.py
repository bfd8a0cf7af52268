"""The loader reads each declared field through a per-kind table (loader._field_readers, issue 28):
it must say what asking the kind and the field's type each time says."""

from __future__ import annotations

import pytest

from reconciler import kinds
from reconciler.fieldtypes import FieldType
from reconciler.manifest import load_manifests
from reconciler.manifest.loader import _field_readers


@pytest.mark.parametrize("kind_name", sorted(kinds.BY_NAME))
def test_the_table_is_what_the_kind_says(kind_name: str) -> None:
    kind = kinds.kind(kind_name)
    table = _field_readers(kind)
    assert set(table) == set(kind.fields_by_name) - set(kinds.META_FIELDS)
    for name, (spec, convert, holds_custom) in table.items():
        assert spec is kind.field(name)
        assert (convert is None) == (type(spec.type).convert is FieldType.convert)
        assert holds_custom == (spec.type is kinds.CUSTOM)
    assert _field_readers(kind) is table  # built once per kind object


def test_values_converted_and_refused_as_before(tmp_path) -> None:
    """Converted values (a reference), values kept as written, meta keys and a value the field type
    refuses after the schema passed it: each lands where the plain path put it."""
    (tmp_path / "m.yaml").write_text(
        "organizations:\n"
        "  acme:\n    name: Acme\n    protect: true\n"
        "deals:\n"
        "  big:\n    title: Big\n    org: acme\n    value: 10\n    id: 7\n"
        "    fields:\n      Region: North\n"
        "  bad:\n    title: Bad\n    org: acme\n    expected_close_date: \"2026-02-31\"\n",
        encoding="utf-8")
    manifest, problems = load_manifests([tmp_path])
    acme, big, bad = manifest.get("organization", "acme"), manifest.get("deal", "big"), manifest.get("deal", "bad")
    assert acme.protect and acme.fields == {"name": "Acme"} and set(acme.field_pos) == {"name", "protect"}
    assert big.id == 7 and big.fields["org"].key == "acme" and big.fields["value"] == 10
    assert big.fields["fields"] == {"Region": "North"}
    assert big.field_pos["fields.Region"].line == 12 and big.field_pos["org"].line == 8
    assert "expected_close_date" not in bad.fields
    assert [(p.pos.line, "expected_close_date" in p.message or "2026-02-31" in p.message) for p in problems] == \
        [(16, True)]
