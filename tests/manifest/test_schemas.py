"""The committed JSON Schemas are exactly what kinds.py generates, and they are usable.

If this fails after a change to kinds.py, run `python scripts/gen_schemas.py` and commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from reconciler import kinds
from reconciler.manifest.schema import MANIFEST_FILE, all_schemas, render, schema_file
from tests.conftest import copy_examples

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA_DIR = ROOT / "reconciler" / "schemas"


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_committed_schema_matches_generator(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == render(all_schemas()[name]), "stale schema: run python scripts/gen_schemas.py"


def test_gen_script_check_mode_agrees() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_gen_script_writes_into_a_directory(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--dir", str(tmp_path)])
    assert done.returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(all_schemas())


def test_schemas_dir_symlink_shows_the_same_files() -> None:
    assert (ROOT / "schemas" / MANIFEST_FILE).read_text() == (SCHEMA_DIR / MANIFEST_FILE).read_text()


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_schema_is_valid_draft_2020_12_and_every_field_is_described(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for prop, sub in schema["properties"].items():
        assert len(sub.get("description", "")) > 15, f"{name}: {prop} needs a description"


def test_kind_schemas_cover_exactly_the_kind_fields() -> None:
    for kind in kinds.KINDS:
        schema = all_schemas()[schema_file(kind)]
        assert list(schema["properties"]) == [*kinds.META_FIELDS, *kind.field_names]
        assert schema["additionalProperties"] is False


def _manifest_validator() -> Draft202012Validator:
    registry: Registry = Registry().with_resources(
        (name, Resource.from_contents(json.loads((SCHEMA_DIR / name).read_text())))
        for name in all_schemas()
        if name != MANIFEST_FILE
    )
    return Draft202012Validator(json.loads((SCHEMA_DIR / MANIFEST_FILE).read_text()), registry=registry)


def _plain(path: Path) -> Any:
    # Editors see YAML 1.1 values: dates as dates and so on; compare on JSON-like data.
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def test_manifest_schema_accepts_the_examples(tmp_path: Path) -> None:
    validator = _manifest_validator()
    root = copy_examples(tmp_path / "examples")
    for path in sorted(root.rglob("*.yaml")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # hidden, as the loader skips them: CI settings (examples/ci/.github/actionlint.yaml)
        assert list(validator.iter_errors(_plain(path))) == [], path


def test_manifest_schema_rejects_bad_keys_unknown_sections_and_fields() -> None:
    validator = _manifest_validator()
    assert not validator.is_valid({"organisations": {}})
    assert not validator.is_valid({"organizations": {"Acme Corp": {"name": "x"}}})
    assert not validator.is_valid({"organizations": {"acme": {"nme": "x"}}})
    assert not validator.is_valid({"deals": {"d": {"status": "closed"}}})
    assert validator.is_valid({"deals": {"d": {"title": "x", "org": {"id": 3}, "stage": "Qualified"}}})
