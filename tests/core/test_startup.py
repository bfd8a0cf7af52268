"""Start-up stays light: a command imports only what it uses (issue 19).

`reconciler --version` used to import every command and library (0.29 s against a floor of
0.09 s). Each check runs in a fresh interpreter, since this test process has long imported
everything.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, cli_env

HEAVY = ("rich", "httpx", "jsonschema", "deepdiff", "yaml", "sqlite3", "reconciler.sandbox", "reconciler.session",
         "reconciler.commands.connections", "reconciler.commands.export")


def _after(argv: list[str], extra: str = "") -> dict:
    """Run `main(argv)` in a fresh interpreter; what was imported, and the collector's settings."""
    code = f"""
import gc, json, sys
from reconciler.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
{extra}
loaded = sorted(name for name, module in sys.modules.items() if module is not None)  # None: marked absent
print(json.dumps({{"code": code, "modules": loaded, "threshold": list(gc.get_threshold())}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_version_imports_no_command_and_no_heavy_library() -> None:
    result = _after(["--version"])
    assert result["code"] == 0
    assert _heavy(result["modules"]) == []


def test_help_lists_every_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True,
                          env=cli_env(), cwd=ROOT, timeout=60)
    assert proc.returncode == 0
    section = proc.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.strip()}
    from reconciler.cli import cli

    assert listed == set(cli.list_commands(None))
    assert {"apply", "connections", "export", "plan", "sandbox", "validate", "whoami"} <= listed


def test_a_lazy_command_runs_and_counts_as_mounted() -> None:
    from reconciler.cli import cli

    assert "sandbox" in cli.commands and "export" in cli.commands
    assert cli.get_command(None, "connections").name == "connections"
    assert cli.get_command(None, "no-such-command") is None


def test_validate_of_valid_manifests_never_imports_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("deals:\n  d: {title: T, org: {id: 1}}\n", encoding="utf-8")
    valid = _after(["validate", str(tmp_path)])
    assert valid["code"] == 0
    assert not any(m.startswith("jsonschema") for m in valid["modules"])
    (tmp_path / "m.yaml").write_text("deals:\n  d: {title: T, org: {id: 1}, valu: 3}\n", encoding="utf-8")
    invalid = _after(["validate", str(tmp_path)])
    assert invalid["code"] == 1
    assert "jsonschema" in invalid["modules"]


def test_the_cli_entry_tunes_the_garbage_collector() -> None:
    from reconciler.commands.common import GC_THRESHOLDS

    result = _after(["--version"], extra="frozen = gc.get_freeze_count()\nassert frozen > 0, frozen")
    assert result["threshold"] == list(GC_THRESHOLDS)


def test_the_http_client_comes_without_httpx_own_command_line_tool() -> None:
    """httpx imports its CLI (pygments, rich's syntax) when those are installed: not for us."""
    code = "import sys, reconciler.session, httpx; print(sorted(m for m in sys.modules if m.startswith('pygments')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_cli_leaves_the_last_collection_out_at_exit() -> None:
    """What is alive at exit is frozen (out of the final collection's walk), not collected."""
    code = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit", gc.get_freeze_count()))  # runs after main's own handler
from reconciler.cli import main
try:
    main(["--version"])
except SystemExit:
    pass
garbage = [[] for _ in range(1000)]
garbage.append(garbage)  # a cycle only a collection would free
del garbage
print("frozen after main", gc.get_freeze_count())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    counts = {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in proc.stdout.splitlines()
              if line.startswith("frozen")}
    assert counts["frozen at exit"] >= counts["frozen after main"] + 1000


def test_what_a_run_builds_is_frozen_not_collected_over_and_over() -> None:
    """The plan pipeline runs with the collector off and freezes what it built, in the CLI's process only."""
    code = """
import gc
from reconciler.commands.common import kept_to_the_end, tune_gc
with kept_to_the_end():
    untuned = gc.isenabled()  # not the CLI's process (tests run commands in-process): nothing changes
tune_gc()
before = gc.get_freeze_count()
with kept_to_the_end():
    during = gc.isenabled()
    built = [[i] for i in range(1000)]
print(untuned, during, gc.isenabled(), gc.get_freeze_count() - before >= 1000)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False", "True", "True"]


def test_no_command_module_imports_the_cli() -> None:
    """cli.py imports the commands (lazily); the commands share reconciler.commands.common, never cli.py."""
    for path in sorted((ROOT / "reconciler" / "commands").glob("*.py")) + [ROOT / "reconciler" / "sandbox" / "cli.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "reconciler.cli" not in imported, path


def test_apply_imports_no_exporter_puller_or_markdown(tmp_path: Path) -> None:
    """reconciler/operations and reconciler/render load export, pull and the markdown renderer when first
    asked for: apply starts sooner without them (issue 28)."""
    (tmp_path / "m.yaml").write_text("organizations:\n  o: {name: Start-up Org}\n", encoding="utf-8")
    result = _after(["--quiet", "apply", str(tmp_path), "--sandbox", "--auto-approve", "--format", "json"])
    assert result["code"] in (0, None)
    loaded = set(result["modules"])
    assert {"reconciler.operations.apply", "reconciler.render.text"} <= loaded
    assert not {"reconciler.operations.export", "reconciler.operations.pull", "reconciler.export",
                "reconciler.render.markdown"} & loaded


def test_the_late_names_are_the_functions_whatever_the_order_asked() -> None:
    """`export` and `pull` are each a submodule and a function of reconciler.operations: importing the
    submodule must not leave the module where the function was."""
    code = """
import importlib, sys
orders = [("PullOutcome", "export", "pull"), ("pull", "PullOutcome", "export"), ("export", "pull", "PullOutcome")]
order = orders[int(sys.argv[1])]
for name in order:
    exec(f"from reconciler.operations import {name}")
from reconciler.operations import PullOutcome, export, pull
from reconciler.render import render_markdown
import reconciler.operations as operations
assert callable(export) and callable(pull) and isinstance(PullOutcome, type), (export, pull, PullOutcome)
assert operations.export is export and operations.pull is pull
assert callable(render_markdown)
print("ok")
"""
    for order in range(3):
        proc = subprocess.run([sys.executable, "-c", code, str(order)], capture_output=True, text=True,
                              env=cli_env(), cwd=ROOT, timeout=60)
        assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
