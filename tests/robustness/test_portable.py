"""Every OS: nothing POSIX-only at import time, files written with LF, the CLI runs without fcntl (issue 18).

Windows has no `fcntl` (nor termios, pwd, grp, resource). When `reconciler.lock` imported
fcntl at module level, every command failed there, `--version` included. These tests
run the real CLI in a subprocess where importing those modules raises ImportError (a
meta-path blocker installed before reconciler is imported), and check the source for
what would break on Windows without anyone noticing on Linux: a POSIX-only import at
module level, a text file written with the platform's line ending (CRLF on Windows: a
committed `reconciler.lock` would change on every line).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Result, cli_env, copy_examples

POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource")
BLOCKER = """
import importlib.abc, runpy, sys
BLOCKED = set(sys.argv[1].split(","))
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {name!r} (blocked: as on Windows)", name=name)
        return None
for name in BLOCKED:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Blocker())
sys.argv = ["reconciler", *sys.argv[2:]]
runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
"""


def _run_without(modules: tuple[str, ...], *args: str, cwd: Path) -> Result:
    proc = subprocess.run([sys.executable, "-c", BLOCKER, ",".join(modules), *args], cwd=cwd,
                          env=cli_env(key=None), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The harness itself: with fcntl blocked, code that needs it fails as it would on Windows."""
    proc = subprocess.run([sys.executable, "-c", BLOCKER.replace('runpy.run_module("reconciler", run_name="__main__", '
                                                                 'alter_sys=True)', "import fcntl"), "fcntl"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "blocked: as on Windows" in proc.stderr


def test_the_cli_runs_without_posix_only_modules(tmp_path: Path) -> None:
    project = copy_examples(tmp_path / "examples")
    version = _run_without(POSIX_ONLY, "--version", cwd=tmp_path)
    assert version.code == 0 and "reconciler" in version.out, version.both
    valid = _run_without(POSIX_ONLY, "validate", "examples", cwd=tmp_path)
    assert valid.code == 0 and "27 resources" in valid.out, valid.both
    planned = _run_without(POSIX_ONLY, "plan", "examples", "--sandbox", "--format", "json", cwd=tmp_path)
    assert planned.code == 0, planned.both
    assert json.loads(planned.out)["summary"]["create"] == 27
    applied = _run_without(POSIX_ONLY, "apply", "examples", "--sandbox", "--auto-approve", cwd=tmp_path)
    assert applied.code == 0 and "27 created" in applied.out, applied.both
    assert "Traceback" not in applied.err
    assert (project / "reconciler.lock").is_file()


def _module_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Imports that run when the module is imported (not inside a function body)."""
    found: list[tuple[int, str]] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.lineno, node.module.split(".")[0]))
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []) or []:
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])

    visit(tree.body)
    return found


def _sources() -> list[Path]:
    return sorted((ROOT / "reconciler").rglob("*.py"))


def test_no_posix_only_module_is_imported_at_module_level() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}: import {name}"
                 for path in _sources()
                 for line, name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
                 if name in POSIX_ONLY]
    assert not offenders, "\n".join(offenders)


def _text_writes_without_newline(tree: ast.Module) -> list[int]:
    """open()/os.fdopen()/Path.open() in a text write mode, or write_text(), without newline=."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        keywords = {k.arg for k in node.keywords}
        if "newline" in keywords:
            continue
        if name == "write_text":
            lines.append(node.lineno)
            continue
        if name not in ("open", "fdopen"):
            continue
        mode_arg = next((k.value for k in node.keywords if k.arg == "mode"), None)
        if mode_arg is None:
            if isinstance(func, ast.Attribute) and name == "open":  # Path.open(mode); os.open takes flags
                is_os = isinstance(func.value, ast.Name) and func.value.id == "os"
                positional = [] if is_os else node.args[0:1]
            else:  # open(path, mode), os.fdopen(fd, mode)
                positional = node.args[1:2]
            mode_arg = positional[0] if positional else None
        mode = mode_arg.value if isinstance(mode_arg, ast.Constant) and isinstance(mode_arg.value, str) else ""
        if any(c in mode for c in "wax") and "b" not in mode:
            lines.append(node.lineno)
    return lines


def test_every_text_file_is_written_with_lf() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for path in [*_sources(), *sorted((ROOT / "scripts").glob("*.py"))]
                 for line in _text_writes_without_newline(ast.parse(path.read_text(encoding="utf-8")))]
    assert not offenders, "write text with newline=\"\\n\" (LF on every OS):\n" + "\n".join(offenders)
