"""docs/cli.md is generated from the CLI itself, complete, and the only reference users need (issue 18).

The README used to send users to ../shared/CONTRACT.md, a file outside the repository;
RECONCILER_LOCK_WAIT and RECONCILER_TIMEOUT were documented nowhere; whoami was described
as taking no PATH. If the first test fails after a CLI change, run
`python scripts/gen_cli_reference.py` and commit the page.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click

from reconciler.cli import ENVIRONMENT, cli
from tests.conftest import ROOT, copy_examples, invoke

SCRIPT = ROOT / "scripts" / "gen_cli_reference.py"
PAGE = ROOT / "docs" / "cli.md"
NAMED_IN_THE_ISSUE = {"MATON_API_KEY", "MATON_CONNECTION", "RECONCILER_ENDPOINT", "RECONCILER_CONTROL_ENDPOINT",
                      "RECONCILER_TIMEOUT", "RECONCILER_RATE_LIMIT", "RECONCILER_API_VERSION",
                      "RECONCILER_LOCK_WAIT", "NO_COLOR"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_the_page_is_up_to_date() -> None:
    result = _run("--check")
    assert result.returncode == 0, result.stderr


def test_a_cli_change_makes_the_page_stale(tmp_path: Path) -> None:
    page = tmp_path / "cli.md"
    page.write_text(PAGE.read_text(encoding="utf-8").replace("--max-deletes", "--max-removals"), encoding="utf-8")
    stale = _run("--check", "--out", str(page))
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert _run("--out", str(page)).returncode == 0
    assert page.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8")


def test_every_command_argument_and_option_is_on_the_page() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for path, command in _commands(cli):
        assert f"\n## reconciler {' '.join(path)}\n" in page, path
        section = page.split(f"\n## reconciler {' '.join(path)}\n", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and "--help" not in param.opts:
                assert f"`{param.opts[0]}" in section or f", {param.opts[0]}" in section, (path, param.opts)
            if isinstance(param, click.Argument):
                assert f"`{param.make_metavar(click.Context(command))}`" in section, (path, param.name)
    for option in ("--version", "--debug", "--quiet", "--no-color"):
        assert f"`{option}" in page or f", {option}" in page


def _read_by_the_source() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "reconciler").rglob("*.py"):
        names |= set(re.findall(r"""["']((?:RECONCILER|MATON)_[A-Z0-9_]+|NO_COLOR)["']""",
                                path.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_is_documented_and_real() -> None:
    documented = {name for name, _ in ENVIRONMENT}
    assert NAMED_IN_THE_ISSUE <= documented
    assert documented == _read_by_the_source(), "ENVIRONMENT in reconciler/cli.py is what the source reads"
    page = PAGE.read_text(encoding="utf-8")
    environment = page.split("\n## Environment\n", 1)[1].split("\n## ", 1)[0]
    for name in documented:
        assert f"| `{name}` |" in environment, name


def test_readme_sends_users_to_the_reference_not_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/cli.md" in readme
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if page.name == "reference.md":  # generated from the plan schema's description
            continue
        text = page.read_text(encoding="utf-8")
        assert "shared/CONTRACT" not in text and "CONTRACT §" not in text, page.name


def test_whoami_takes_a_path_and_reads_what_plan_reads(tmp_path: Path) -> None:
    """whoami PATH: the project's sandbox and reconciler.toml, as `plan PATH` uses them."""
    project = copy_examples(tmp_path / "examples")
    assert invoke(["apply", str(project), "--sandbox", "--auto-approve"]).code == 0
    planned = invoke(["plan", str(project), "--sandbox"])
    who = invoke(["whoami", str(project), "--sandbox", "--format", "json"])
    assert who.code == 0, who.both
    company = re.search(r"\(company (\d+)\)", planned.out).group(1)
    assert f'"company_id": {company}' in who.out
    (project / "reconciler.toml").write_text('connection = "not-a-connection"\n', encoding="utf-8")
    pinned = invoke(["whoami", str(project), "--sandbox"])
    assert "not-a-connection" in pinned.both
