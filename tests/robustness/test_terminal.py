"""The terminal as a person sees it (issue 18): plan shown before every question, no escape with NO_COLOR,
counts while reading, and the embedded sandbox unpaced.

These run the CLI on a real pseudo-terminal (tests.conftest.run_pty), because what is
checked is what rich and click do when they see a TTY: colour, bold, spinners and
prompts. CliRunner has no terminal, and `apply` refuses to ask without one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reconciler.config import DEFAULT_RATE_LIMIT, SANDBOX_RATE_LIMIT, resolve
from tests.conftest import (
    cli_env,
    company_manifests,
    copy_examples,
    invoke,
    run_cli,
    run_pty,
    write_manifests,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

ESC = b"\x1b"
PROMPT = b"Only 'yes' will be accepted:"


def _project(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "examples")


def _colour_env(**extra: str) -> dict[str, str]:
    """A terminal that takes colour: no NO_COLOR from the suite's clean environment."""
    env = cli_env(key=None, TERM="xterm-256color")
    env.pop("NO_COLOR")
    env.update(extra)
    return env


# -- show, then ask ------------------------------------------------------------------------


def test_apply_of_a_saved_plan_shows_the_plan_before_asking(tmp_path: Path) -> None:
    project = _project(tmp_path)
    db = str(tmp_path / "sandbox.db")
    saved = tmp_path / "plan.json"
    planned = run_cli("plan", str(project), "--sandbox", db, "--out", str(saved))
    assert planned.code == 0, planned.both
    code, screen = run_pty("apply", "--plan", str(saved), "--sandbox", db, cwd=tmp_path,
                           answers={PROMPT: b"no\n"})
    text = screen.decode()
    assert code == 1 and "apply cancelled" in text
    before_prompt = text[: text.index("Only 'yes'")]
    shown = run_cli("show", str(saved)).out
    for line in shown.splitlines():  # exactly what `plan` and `show` print, before the question
        assert line.strip() in before_prompt, f"not shown before the prompt: {line!r}"
    assert "Plan: 27 to create, 0 to update, 0 to delete." in before_prompt
    assert "+ deal.acme-renewal-2027 will be created" in before_prompt


def test_apply_of_manifests_shows_the_plan_before_asking(tmp_path: Path) -> None:
    project = _project(tmp_path)
    code, screen = run_pty("apply", str(project), "--sandbox", str(tmp_path / "s.db"), cwd=tmp_path,
                           answers={PROMPT: b"yes\n"})
    text = screen.decode()
    assert code == 0, text
    assert text.index("Plan: 27 to create") < text.index("Only 'yes'") < text.index("Apply complete!")


def test_show_prints_a_saved_plan_as_plan_did(tmp_path: Path) -> None:
    project = _project(tmp_path)
    db = str(tmp_path / "sandbox.db")
    saved = tmp_path / "plan.json"
    text = run_cli("plan", str(project), "--sandbox", db, "--out", str(saved))
    assert text.code == 0, text.both
    shown = run_cli("show", str(saved))  # as plan printed it, then exactly what apply will send (issue 25)
    assert shown.code == 0 and shown.out.startswith(text.out) and "Apply will send:" in shown.out[len(text.out):]
    as_json = run_cli("show", str(saved), "--format", "json")
    assert as_json.code == 0 and json.loads(as_json.out) == json.loads(saved.read_text())
    markdown = run_cli("show", str(saved), "--format", "markdown")
    planned_md = run_cli("plan", str(project), "--sandbox", db, "--format", "markdown")
    assert markdown.code == 0 and markdown.out.split("<sub>")[0] == planned_md.out.split("<sub>")[0]


@pytest.mark.parametrize("content", ['{"format_version": 99, "summary": {}}', "not json", "[]"])
def test_show_refuses_what_is_not_a_plan_in_one_line(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = invoke(["show", str(bad)])
    assert result.code == 1
    assert result.err.startswith(f"error: {bad}: not a reconciler plan") and len(result.err.splitlines()) == 1


# -- no colour means no escape ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_color_output_has_no_escape_at_all_on_a_terminal(tmp_path: Path, how: str) -> None:
    project = _project(tmp_path)
    db = str(tmp_path / "s.db")
    env = _colour_env(NO_COLOR="1") if how == "NO_COLOR" else _colour_env()
    flag = ["--no-color"] if how == "--no-color" else []
    runs = [
        ("plan", str(project), "--sandbox", db, *flag),
        ("apply", str(project), "--sandbox", db, "--auto-approve", *flag),
        ("plan", str(project), "--sandbox", db, "--format", "markdown", *flag),
        ("export", "--sandbox", db, "--out", str(tmp_path / "exported"), *flag),
        ("validate", str(project), *flag),
        ("validate", str(tmp_path / "missing"), *flag),
    ]
    for args in runs:
        _, screen = run_pty(*args, cwd=tmp_path, env=env)
        assert ESC not in screen, f"reconciler {' '.join(args)} wrote an escape: {screen[:400]!r}"
    _, screen = run_pty("apply", str(project), "--sandbox", db, *flag, cwd=tmp_path, env=env)
    assert b"No changes" in screen and ESC not in screen


def test_a_colour_terminal_gets_colour_and_live_counts(tmp_path: Path) -> None:
    """The control for the test above: the same terminal without NO_COLOR does get escapes."""
    project = _project(tmp_path)
    db = str(tmp_path / "s.db")
    assert run_cli("apply", str(project), "--sandbox", db, "--auto-approve").code == 0
    code, screen = run_pty("plan", str(project), "--sandbox", db, cwd=tmp_path, env=_colour_env())
    assert code == 0 and ESC in screen
    text = screen.decode(errors="replace")
    assert "read 6 activities" in text and "API calls," in text, "counts while reading"


# -- counts while reading, off a terminal -------------------------------------------------------


def test_plan_and_export_report_counts_per_kind_and_calls(tmp_path: Path) -> None:
    project = _project(tmp_path)
    db = str(tmp_path / "s.db")
    assert run_cli("apply", str(project), "--sandbox", db, "--auto-approve").code == 0
    planned = run_cli("plan", str(project), "--sandbox", db)
    lines = [line for line in planned.err.splitlines() if line.startswith("read ")]
    assert [line.split(" (")[0] for line in lines] == [
        "read 3 organizations", "read 6 persons", "read 1 product", "read 6 deals", "read 1 lead",
        "read 4 notes", "read 6 activities"]  # leads before the notes and activities that may hang off them
    assert all(line.endswith("tokens so far)") and "API calls" in line for line in lines)
    exported = run_cli("export", "--sandbox", db, "--out", str(tmp_path / "out"))
    assert exported.code == 0, exported.both
    assert "read 6 deals (" in exported.err and "API calls" in exported.err
    quiet = run_cli("plan", str(project), "--sandbox", db, "--quiet")
    assert "read " not in quiet.err


# -- the embedded sandbox is not paced --------------------------------------------------------


def test_embedded_sandbox_runs_unpaced_unless_rate_limit_is_given(tmp_path: Path) -> None:
    assert resolve(sandbox="", first_path=str(tmp_path), env={}).rate_limit == SANDBOX_RATE_LIMIT
    assert resolve(sandbox="", first_path=str(tmp_path), rate_limit=4.0, env={}).rate_limit == 4.0
    env = {"RECONCILER_RATE_LIMIT": "3"}  # the gateway's budget: not for the embedded sandbox
    assert resolve(sandbox="", first_path=str(tmp_path), env=env).rate_limit == SANDBOX_RATE_LIMIT
    assert resolve(env=env).rate_limit == 3.0
    assert resolve(env={}).rate_limit == DEFAULT_RATE_LIMIT


def test_a_large_apply_on_the_embedded_sandbox_is_not_held_to_10_requests_a_second(tmp_path: Path) -> None:
    project = write_manifests(tmp_path / "big", company_manifests(orgs=8, prefix="fast"))  # 80 resources
    env = cli_env(key=None)
    env.pop("RECONCILER_RATE_LIMIT")  # as a user runs it
    result = run_cli("apply", str(project), "--sandbox", str(tmp_path / "s.db"), "--auto-approve",
                     "--format", "json", env=env)
    assert result.code == 0, result.both
    assert json.loads(result.out)["stats"]["api_calls"] >= 80
    # the client such an apply writes through is not paced (no wall clock here: speed is bench/'s)
    from reconciler.session import open_client

    with open_client(resolve(sandbox=str(tmp_path / "s.db"), first_path=str(project), env={})) as client:
        assert client.http.limiter.rate == SANDBOX_RATE_LIMIT > DEFAULT_RATE_LIMIT
