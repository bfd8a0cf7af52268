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


@pytest.mark.parametrize("kind_name", sorted(kinds.BY_NAME))
def test_reference_names_are_the_fields_asked(kind_name: str) -> None:
    """KindSpec.reference_names, the set both walks skip by, is exactly the fields asked above."""
    spec = kinds.kind(kind_name)
    assert spec.reference_names == {name for name, field in spec.fields_by_name.items()
                                    if type(field.type).references is not FieldType.references}


def _every_field(resources):
    """The plain walk: every declared field asked for its references, no shortcut."""
    for res in resources:
        spec = kinds.kind(res.kind)
        for name, value in res.fields.items():
            field = spec.field(name)
            if field is not None:
                for ref in field.type.references(field, value):
                    yield res, name, ref


def test_the_walks_find_what_asking_every_field_finds(tmp_path) -> None:
    """id_references and the loader's reference checks, which skip by reference_names, find every
    reference a walk asking every field finds: `{id: N}` ones for the reader, keys for the checks."""
    from reconciler.live import id_references
    from reconciler.manifest import load_manifests
    from tests.conftest import company_manifests, write_manifests

    data = company_manifests(orgs=3)
    deal = next(iter(data["deals"].values()))
    deal["org"] = {"id": 4242}  # one `{id: N}` reference, as the reader fetches them
    note = next(iter(data["notes"].values()))
    note.pop("deal", None), note.pop("person", None), note.pop("lead", None)
    note["org"] = "no-such-org"  # one key no manifest declares, as the checks report
    manifest, problems = load_manifests([write_manifests(tmp_path / "m", data)])

    plain: dict = {}
    for res, name, ref in _every_field(manifest.resources):
        if ref.id is not None:
            plain.setdefault(ref.kind, {}).setdefault(ref.id, []).append((res, name, ref))
    assert id_references(manifest.resources) == plain
    assert plain == {"organization": {4242: [plain["organization"][4242][0]]}}
    missing = [(ref.pos, ref.key) for _, _, ref in _every_field(manifest.resources)
               if ref.key is not None and manifest.get(ref.kind, ref.key) is None]
    assert [(p.pos, "no-such-org") for p in problems if "which no manifest declares" in p.message] == missing
    assert len(missing) == 1
