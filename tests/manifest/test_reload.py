"""A second load of the same manifests in one run (pull's, after it rewrote some files) takes each
file whose bytes are unchanged from the first load instead of parsing it again, and still says
everything a fresh load would: the changed files' new values, every file's problems, and the
checks across files (references), which run on the whole set again."""

from __future__ import annotations

from pathlib import Path

from reconciler.fieldtypes.relationships import with_implied_related
from reconciler.manifest import load_manifests
from reconciler.manifest.model import Reference

ORGS = "organizations:\n  acme:\n    name: Acme\n  globex:\n    name: Globex\n"
PERSONS = "persons:\n  jane:\n    name: Jane\n    org: acme\n"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def fresh(paths: list[Path]) -> tuple[list, list[str]]:
    manifest, problems = load_manifests(paths)
    return [(r.kind, r.key, r.fields, r.pos, r.field_pos) for r in manifest.resources], [str(p) for p in problems]


def test_an_unchanged_file_is_taken_from_the_first_load_and_a_changed_one_read_again(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ORGS)
    persons = write(tmp_path, "b.yaml", PERSONS)
    reads: dict = {}
    first, problems = load_manifests([tmp_path], reads=reads)
    assert problems == []
    persons.write_text(PERSONS.replace("Jane", "Jane Doe"), encoding="utf-8")
    second, problems = load_manifests([tmp_path], reads=reads)
    assert problems == []
    assert second.get("organization", "acme") is first.get("organization", "acme")  # not parsed again
    assert second.get("person", "jane") is not first.get("person", "jane")
    assert second.get("person", "jane").fields["name"] == "Jane Doe"
    assert second.hashes != first.hashes and set(second.hashes) == set(first.hashes)
    assert fresh([tmp_path]) == ([(r.kind, r.key, r.fields, r.pos, r.field_pos) for r in second.resources], [])


def test_an_unchanged_files_problems_are_said_again_and_references_checked_on_the_new_set(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ORGS + "    colour: blue\n")
    persons = write(tmp_path, "b.yaml", PERSONS)
    reads: dict = {}
    _first, problems = load_manifests([tmp_path], reads=reads)
    assert [p.message for p in problems] == [problems[0].message] and "colour" in problems[0].message
    persons.write_text(PERSONS.replace("org: acme", "org: initech"), encoding="utf-8")
    _second, again = load_manifests([tmp_path], reads=reads)
    assert [str(p) for p in again] == fresh([tmp_path])[1]
    assert any("colour" in p.message for p in again) and any("initech" in p.message for p in again)


def test_a_plan_completes_related_organizations_without_changing_the_loaded_ones(tmp_path: Path) -> None:
    """The loaded resources are shared by a later load: completing a related pair makes new ones."""
    write(tmp_path, "a.yaml", "organizations:\n  acme:\n    name: Acme\n    related: []\n"
                              "  globex:\n    name: Globex\n    related: [acme]\n")
    manifest, problems = load_manifests([tmp_path])
    assert problems == []
    acme = manifest.get("organization", "acme")
    planned = with_implied_related(manifest.resources, list(manifest.resources))
    assert acme.fields["related"] == []
    completed = next(r for r in planned if r.key == "acme")
    assert [ref.key for ref in completed.fields["related"] if isinstance(ref, Reference)] == ["globex"]
