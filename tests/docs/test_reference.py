"""docs/reference.md is generated from schemas/*.schema.json and must be up to date.

If this fails after a schema change, run `python scripts/gen_reference.py` and commit the page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_reference.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_reference_is_up_to_date() -> None:
    result = _run("--check")
    assert result.returncode == 0, result.stderr


def test_every_kind_and_field_is_on_the_page() -> None:
    from reconciler import kinds

    page = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    for spec in kinds.KINDS:
        assert f"## {spec.name}\n" in page and f"| `{spec.section}` |" in page
        for name in (*kinds.META_FIELDS, *spec.field_names):
            assert f"| `{name}` |" in page, f"{spec.name}.{name} is missing from docs/reference.md"


def test_a_schema_change_makes_the_page_stale(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    deal = json.loads((schemas / "deal.schema.json").read_text(encoding="utf-8"))
    deal["properties"]["title"]["description"] = "Changed."
    (schemas / "deal.schema.json").write_text(json.dumps(deal), encoding="utf-8")
    page = tmp_path / "reference.md"
    shutil.copy(ROOT / "docs" / "reference.md", page)
    stale = _run("--check", "--schemas", str(schemas), "--out", str(page))
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert _run("--schemas", str(schemas), "--out", str(page)).returncode == 0
    assert "| `title` | string | Changed. |" in page.read_text(encoding="utf-8")
    assert _run("--check", "--schemas", str(schemas), "--out", str(page)).returncode == 0
