"""The README's two set-up commands work in order: command 1 leaves nothing the suite sees (issue 18).

README command 1 applies examples/ to the embedded sandbox, which leaves
`examples/reconciler.lock` and `examples/.reconciler/sandbox.db` in the checkout; command 2
then runs this suite in the same checkout. A test that read examples/ in place would see
that lock (a plan of "no changes" instead of 25 creates, a lock of the sandbox's account)
and fail, as 4 failures and 29 errors did before. So:

- every test takes examples/ through ``tests.conftest.copy_examples`` (a private copy
  without what running the tool leaves), and no other test file names the directory;
- this file runs command 1's apply, twice as the README says, in a copy of examples/ and
  checks that what ``copy_examples`` then gives is the pristine tree;
- `.ci/run` runs command 1 in its fresh clone before command 2, so the whole suite runs
  after it on every CI run.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT, cli_env, copy_examples, run_cli

README = ROOT / "README.md"
IN_PLACE = re.compile(r"""(ROOT|parents?\[?\d*\]?|parent)\s*/\s*["']examples["']""")


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def test_no_test_reads_examples_in_place() -> None:
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "conftest.py" and path.parent == ROOT / "tests":
            continue  # copy_examples itself
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if IN_PLACE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use tests.conftest.copy_examples instead:\n" + "\n".join(offenders)


def test_readme_command_1_then_the_tests_see_pristine_examples(tmp_path: Path) -> None:
    block = re.search(r"# 1\.[^\n]*\n([^\n]+)", README.read_text(encoding="utf-8"))
    assert block, "README no longer shows set-up command 1"
    apply_part = block.group(1).rsplit("&&", 1)[1].split()
    assert apply_part == ["reconciler", "apply", "examples", "--sandbox", "--auto-approve"], block.group(1)
    checkout = tmp_path / "checkout"
    pristine = _files(copy_examples(checkout / "examples"))
    env = cli_env(key=None)
    env.pop("RECONCILER_RATE_LIMIT")  # the embedded sandbox as the README runs it: its own default pace
    first = run_cli(*apply_part[1:], cwd=checkout, env=env)
    assert first.code == 0, first.both
    assert "27 created" in first.out
    second = run_cli(*apply_part[1:], cwd=checkout, env=env)  # "run it twice: the second run changes nothing"
    assert second.code == 0, second.both
    assert "No changes" in second.out and "0 created, 0 updated, 0 deleted" in second.out
    left = _files(checkout / "examples") - pristine
    assert "reconciler.lock" in left and ".reconciler/sandbox.db" in left, left
    seen = copy_examples(tmp_path / "seen", root=checkout)
    assert _files(seen) == pristine


def test_ci_runs_the_readme_commands_in_order() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    commands = re.findall(r"^# \d\.[^\n]*\n([^#\n][^\n]+)$", readme, re.M)
    assert len(commands) == 2
    positions = [script.find("\n" + command + "\n") for command in commands]
    assert -1 not in positions, "each README set-up command appears verbatim in .ci/run"
    assert positions[0] < positions[1]


def test_readme_installs_only_inside_a_virtual_environment() -> None:
    """Issue 26: on Debian 12's system Python, `python3 -m pip install -e .` fails with
    externally-managed-environment (PEP 668). Each set-up command activates .venv (command 1
    makes it) before anything is installed, so pip never touches the system Python."""
    readme = README.read_text(encoding="utf-8")
    commands = re.findall(r"^# \d\.[^\n]*\n([^#\n][^\n]+)$", readme, re.M)
    assert commands[0].startswith("python3 -m venv .venv && . .venv/bin/activate && "), commands[0]
    for command in commands:
        steps = [step.strip() for step in command.split("&&")]
        activated = steps.index(". .venv/bin/activate")
        installs = [i for i, step in enumerate(steps) if "pip install" in step]
        assert installs and min(installs) > activated, command
        assert not any(step.startswith(("python3 -m pip", "pip3 ")) for step in steps), command
