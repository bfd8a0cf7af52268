"""The CI material in examples/ci/ and .pre-commit-hooks.yaml parses and uses only real commands.

Why: these files are copied verbatim into users' repositories and run unattended; a flag
renamed in the CLI would break every copy silently. Every `reconciler ...` command line in
their shell steps is parsed by the real click command tree (reconciler.cli.cli), so an
unknown command, an unknown flag or a bad choice fails here first.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"
# Hidden, as they sit in a user's repository, which also keeps `reconciler validate examples`
# (the loader skips hidden paths) from reading them as manifests.
GITHUB = CI / ".github" / "workflows" / "reconciler.yml"
GITLAB = CI / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
FILES = [GITHUB, GITLAB, HOOKS]
CI_DOC = ROOT / "docs" / "ci.md"
SHELL_KEYS = {"run", "script", "before_script", "after_script", "entry"}
COMMAND = re.compile(r"(?:^|[\s;&|(])(reconciler\s[^\n]*)")
PIP_INSTALL = re.compile(r"pip\s+install\b[^;&|\n]*")
OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "2>&1", "(", ")"}
GROUP_FLAGS = {p for param in cli.params for p in param.opts + param.secondary_opts}


def _shell_strings(node: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("entry"), str):  # a pre-commit hook: its command is entry + args
            yield shlex.join([*shlex.split(node["entry"]), *map(str, node.get("args") or [])])
        for k, v in node.items():
            if k == "entry":
                continue
            yield from _shell_strings(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _shell_strings(item, key)
    elif isinstance(node, str) and key in SHELL_KEYS:
        yield node


def _argv(line: str) -> list[str]:
    """The reconciler invocation on a line: tokens up to the first shell operator or comment."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    out: list[str] = []
    for token in lexer:
        if token in OPERATORS or set(token) <= set("|&;<>()"):
            break
        out.append(token)
    return out


def reconciler_commands(path: Path) -> list[list[str]]:
    """Every `reconciler ...` argv in a file's shell steps (run, script, entry...)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for text in _shell_strings(doc):
        for line in text.replace("\\\n", " ").splitlines():
            line = PIP_INSTALL.sub("", line)  # `pip install reconciler` installs; it runs nothing
            for match in COMMAND.finditer(line):
                found.append(_argv(match.group(1)))
    return found


def check_argv(argv: list[str]) -> None:
    """Parse argv exactly as the CLI would, without running anything; raise click errors."""
    assert argv[0] == "reconciler"
    args = argv[1:]
    while args and args[0].startswith("-"):  # group options (flags only) before the command
        if args[0] not in GROUP_FLAGS:
            raise click.NoSuchOption(args[0])
        args = args[1:]
    command: click.Command = cli
    names = []
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError(f"no command after {' '.join(['reconciler', *names])}")
        sub = command.get_command(click.Context(command), args[0])
        if sub is None:
            raise click.UsageError(f"no such command {args[0]!r} in {' '.join(['reconciler', *names])}")
        names.append(args[0])
        command, args = sub, args[1:]
    command.make_context(" ".join(names), list(args))  # unknown flags, bad choices, missing values


def test_there_are_ci_files() -> None:
    assert all(p.is_file() for p in FILES)
    # every YAML file under examples/ci is one of them: nothing unchecked
    assert sorted(p for p in CI.rglob("*") if p.suffix in (".yml", ".yaml")) == sorted(FILES[:2])


def test_examples_directory_stays_valid_manifests() -> None:
    """examples/ is applied by the README's first command: the CI files must not be read as manifests."""
    from reconciler.manifest import load_manifests

    _, problems = load_manifests([ROOT / "examples"])
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_parses_as_yaml_and_every_reconciler_command_exists(path: Path) -> None:
    commands = reconciler_commands(path)
    assert commands, f"{path.name} runs no reconciler command"
    for argv in commands:
        try:
            check_argv(argv)
        except click.ClickException as exc:
            pytest.fail(f"{path.name}: `{shlex.join(argv)}`: {exc.format_message()}")


def test_github_workflow_covers_the_three_flows() -> None:
    doc = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    commands = [shlex.join(a) for a in reconciler_commands(GITHUB)]
    assert any("plan" in c and "--format markdown" in c for c in commands)
    assert any(c.startswith("reconciler apply") and "--auto-approve" in c for c in commands)
    assert any("--detailed-exitcode" in c for c in commands)
    runs = "\n".join(_shell_strings(doc))
    assert "gh pr comment" in runs and "reconciler.lock" in runs and "git push" in runs


def test_gitlab_pipeline_covers_the_three_flows() -> None:
    doc = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert {"plan", "apply", "drift"} <= set(doc)
    assert doc["apply"]["resource_group"]
    commands = [shlex.join(a) for a in reconciler_commands(GITLAB)]
    assert any("plan" in c and "--format markdown" in c for c in commands)
    assert any(c.startswith("reconciler apply") and "--auto-approve" in c for c in commands)
    assert any("--detailed-exitcode" in c for c in commands)
    assert "reconciler.lock" in "\n".join(_shell_strings(doc))


def test_pre_commit_hook_validates_the_whole_directory() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "reconciler-validate")
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "accounts/acme.yaml") and re.search(hook["files"], "x.yml")
    check_argv([*shlex.split(hook["entry"]), *hook["args"]])


def test_sample_pre_commit_config_uses_the_hook() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    # the .pre-commit-config.yaml docs/ci.md shows (not a file under examples/: a test of the
    # manifest schema reads every *.yaml there as a manifest)
    block = re.search(r"```yaml\n(repos:.*?)```", CI_DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/ci.md no longer shows a .pre-commit-config.yaml"
    config = yaml.safe_load(block.group(1))
    used = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert used
    for hook in used:
        assert hook["id"] in hooks
        check_argv([*shlex.split(hooks[hook["id"]]["entry"]), *hook.get("args", hooks[hook["id"]]["args"])])


def test_pre_commit_hook_entry_accepts_the_examples() -> None:
    """The hook's command, run as pre-commit runs it, on a directory of valid manifests."""
    from click.testing import CliRunner

    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    entry = shlex.split(hooks[0]["entry"])[1:]
    result = CliRunner().invoke(cli, [*entry, str(ROOT / "examples" / "accounts")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("line", [
    "reconciler plan crm --no-such-flag",
    "reconciler plan crm --format yaml",
    "reconciler deploy crm",
    "reconciler apply crm --max-deletes",
    "reconciler --verbose plan crm",
    "reconciler connections frobnicate",
])
def test_the_checker_catches_mistakes(line: str) -> None:
    with pytest.raises(click.ClickException):
        check_argv(_argv(line))


def test_pip_install_is_not_a_command(tmp_path: Path) -> None:
    path = tmp_path / "ci.yml"
    path.write_text("job:\n  script:\n    - pip install --quiet reconciler && reconciler plan crm\n", encoding="utf-8")
    assert reconciler_commands(path) == [["reconciler", "plan", "crm"]]


def test_the_checker_stops_at_shell_operators() -> None:
    argv = _argv('reconciler plan "$CRM_DIR" --format markdown > plan.md || code=$?  # note')
    assert argv == ["reconciler", "plan", "$CRM_DIR", "--format", "markdown"]
    check_argv(argv)
