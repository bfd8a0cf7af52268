"""Issue 9's must-show: two connections are two isolated accounts, and nothing crosses between them.

Over the HTTP sandbox, with examples/ as the project: apply on the default connection; a
plan on a second connection shows everything as creates and names that account; the lock
written by the first apply is ignored there with a warning; a saved plan refuses to run
against the other account; apply there needs --allow-account-change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.accounts.conftest import Cli
from tests.conftest import copy_examples


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of examples/, so the lock the tests write stays in tmp."""
    target = tmp_path / "project"
    copy_examples(target)
    (target / "reconciler.lock").unlink(missing_ok=True)
    return target


def resource_count(cli: Cli, project: Path) -> int:
    result = cli("validate", str(project), endpoint=False)
    assert result.code == 0, result.both
    match = re.match(r"(\d+) resources in", result.out)
    assert match, result.out
    return int(match.group(1))


def new_connection(cli: Cli) -> str:
    result = cli("connections", "create", "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)["connection"]["connection_id"]


def company(cli: Cli, *args: str) -> int:
    result = cli("whoami", "--format", "json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)["company_id"]


def apply_ok(cli: Cli, project: Path, *args: str) -> None:
    result = cli("apply", str(project), "--auto-approve", *args)
    assert result.code == 0, result.both


def plan_json(cli: Cli, project: Path, *args: str) -> dict:
    result = cli("plan", str(project), "--format", "json", *args)
    assert result.code == 0, result.both
    return json.loads(result.out)


def test_second_connection_is_an_isolated_account(cli: Cli, project: Path) -> None:
    second = new_connection(cli)
    first_company, second_company = company(cli), company(cli, "--connection", second)
    assert first_company != second_company
    total = resource_count(cli, project)

    apply_ok(cli, project)
    lock = json.loads((project / "reconciler.lock").read_text())
    assert lock["account"]["company_id"] == first_company
    assert plan_json(cli, project)["summary"]["create"] == 0

    text = cli("plan", str(project), "--connection", second)
    assert text.code == 0, text.both
    header = text.out.splitlines()[0]
    assert header.startswith("Account: ") and f"(company {second_company})" in header
    assert f"connection {second}" in header
    assert f"Plan: {total} to create, 0 to update, 0 to delete." in text.out
    warnings = [line for line in text.err.splitlines() if line.startswith("warning:")]
    assert any(
        "reconciler.lock belongs to company" in w and str(first_company) in w and "ignored" in w
        for w in warnings
    ), text.err

    as_json = plan_json(cli, project, "--connection", second)
    assert {c["action"] for c in as_json["changes"]} == {"create"}
    assert len(as_json["changes"]) == total
    assert as_json["summary"] == {"create": total, "update": 0, "delete": 0, "unchanged": 0}
    assert as_json["account"]["company_id"] == second_company
    assert as_json["account"]["connection"] == second


def test_saved_plan_refuses_on_the_other_connection(cli: Cli, project: Path, tmp_path: Path) -> None:
    second = new_connection(cli)
    first_company, second_company = company(cli), company(cli, "--connection", second)
    saved = tmp_path / "plan.json"
    made = cli("plan", str(project), "--out", str(saved))
    assert made.code == 0, made.both
    assert json.loads(saved.read_text())["account"]["company_id"] == first_company

    refused = cli("apply", "--plan", str(saved), "--auto-approve", "--connection", second)
    assert refused.code == 1, refused.both
    errors = [line for line in refused.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, refused.err
    assert f"made for company {first_company}" in errors[0]
    assert f"this connection is company {second_company}" in errors[0]
    # nothing was written to the second account
    assert plan_json(cli, project, "--connection", second)["summary"]["unchanged"] == 0

    # and the same plan applies on the account it was made for
    applied = cli("apply", "--plan", str(saved), "--auto-approve")
    assert applied.code == 0, applied.both
    assert plan_json(cli, project)["summary"]["create"] == 0


def test_apply_on_another_account_needs_allow_account_change(cli: Cli, project: Path) -> None:
    second = new_connection(cli)
    second_company = company(cli, "--connection", second)
    apply_ok(cli, project)

    refused = cli("apply", str(project), "--auto-approve", "--connection", second)
    assert refused.code == 1, refused.both
    assert "--allow-account-change" in refused.err
    assert plan_json(cli, project, "--connection", second)["summary"]["unchanged"] == 0

    apply_ok(cli, project, "--connection", second, "--allow-account-change")
    lock = json.loads((project / "reconciler.lock").read_text())
    assert lock["account"]["company_id"] == second_company
    # both accounts now hold everything once: no duplicates on either side
    for args in ((), ("--connection", second)):
        summary = plan_json(cli, project, *args)["summary"]
        assert summary["create"] == summary["update"] == summary["delete"] == 0


def test_project_file_pins_the_connection(cli: Cli, project: Path) -> None:
    second = new_connection(cli)
    second_company = company(cli, "--connection", second)
    (project / "reconciler.toml").write_text(f'connection = "{second}"\n')
    result = cli("plan", str(project))
    assert result.code == 0, result.both
    assert f"(company {second_company})" in result.out.splitlines()[0]
