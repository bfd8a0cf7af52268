"""Layers point one way: no import circle of more than two modules, imports inside functions included.

scripts/check_imports.py computes the graph with `ast` (nothing is imported); this test runs it
as a user would, and holds its graph-reading to a small package with a known circle.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_imports.py"


def _load_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_no_import_circle_of_more_than_two_modules():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no import circle of more than 2 modules" in result.stdout


def test_a_circle_through_a_lazy_import_is_found(tmp_path):
    checker = _load_script()
    pkg = tmp_path / "reconciler"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from reconciler import b\n")
    (pkg / "b.py").write_text("from reconciler.sub import c\n")
    (pkg / "sub" / "c.py").write_text("def late():\n    from reconciler.a import thing\n    return thing\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reconciler import a\n")
    (pkg / "e.py").write_text("from . import d\n")
    graph = checker.import_graph(tmp_path, "reconciler")
    assert graph["reconciler.sub.c"] == {"reconciler.a"}  # the import inside a function counts
    assert graph["reconciler.d"] == set()  # TYPE_CHECKING left out by default
    assert graph["reconciler.e"] == {"reconciler.d"}  # relative imports resolved
    assert checker.circles(graph) == [["reconciler.a", "reconciler.b", "reconciler.sub.c"]]
    typed = checker.import_graph(tmp_path, "reconciler", runtime_only=False)
    assert typed["reconciler.d"] == {"reconciler.a"}


def test_no_engine_module_over_900_lines():
    """Small modules with one job each: the sandbox (a Pipedrive of its own) aside, none over 900 lines."""
    engine = [p for p in (ROOT / "reconciler").rglob("*.py") if "sandbox" not in p.relative_to(ROOT).parts]
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in engine}
    assert {path: n for path, n in sizes.items() if n > 900} == {}
