"""Issue 24, reproductions 1 and 3: every command records the live values it saw or wrote.

`pull` accepts the live state (the lock records the pulled values), a no-change `apply`
refreshes the record, and `export` adopts the live state (its lock records every declared
field as applied): a UI edit made after any of them is drift, never an ordinary update.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke
from tests.examples_project import BOB, ExamplesProject


def bob_sets_value(project: ExamplesProject, deal_id: int, value: int) -> None:
    project.api("PATCH", f"/api/v2/deals/{deal_id}", json={"value": value}, headers=BOB)


def value_of(project: ExamplesProject, deal_id: int) -> float:
    return project.api("GET", f"/api/v2/deals/{deal_id}")["value"]


def test_pull_records_what_it_pulled_so_a_later_ui_edit_is_drift(project: ExamplesProject) -> None:
    deal = project.id("deal", "acme-renewal-2027")
    bob_sets_value(project, deal, 55000)
    before = (project.path / "reconciler.lock").read_text()
    assert project.run("pull").code == 0
    assert "value: 55000" in (project.path / "accounts" / "acme.yaml").read_text()
    assert (project.path / "reconciler.lock").read_text() != before  # the pulled value is recorded
    bob_sets_value(project, deal, 50000)  # Bob puts it back
    (change,) = project.plan_json()["changes"]
    assert change["fields"]["value"].get("drift") is True
    assert project.run("plan", "--on-drift", "fail").code == 1
    assert project.run("apply", "--auto-approve", "--on-drift", "keep").code == 0
    assert value_of(project, deal) == 50000  # Bob's value kept


def test_a_no_change_apply_refreshes_the_record(project: ExamplesProject) -> None:
    deal = project.id("deal", "acme-renewal-2027")
    bob_sets_value(project, deal, 55000)
    project.edit("acme.yaml", "    value: 50000\n", "    value: 55000\n")  # ops follow by hand
    result = project.run("apply", "--auto-approve")
    assert result.code == 0 and "0 updated" in result.out
    bob_sets_value(project, deal, 50000)
    (change,) = project.plan_json()["changes"]
    assert change["fields"]["value"].get("drift") is True
    assert project.run("plan", "--on-drift", "fail").code == 1


def test_export_records_every_field_as_applied(project: ExamplesProject, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    result = invoke(["export", "--out", str(out), "--sandbox", str(project.db)])
    assert result.code == 0, result.err
    lock = json.loads((out / "reconciler.lock").read_text())
    assert set(lock["applied"]["deal"]) == set(lock["resources"]["deal"])
    deal = project.id("deal", "acme-renewal-2027")
    bob_sets_value(project, deal, 61000)
    drift = invoke(["plan", str(out), "--drift-only", "--detailed-exitcode", "--sandbox", str(project.db)])
    assert drift.code == 2, drift.out + drift.err
    assert invoke(["plan", str(out), "--on-drift", "fail", "--sandbox", str(project.db)]).code == 1
    pulled = invoke(["pull", str(out), "--sandbox", str(project.db)])
    assert pulled.code == 0 and "Pulled 1 value" in pulled.out, pulled.out + pulled.err
    assert invoke(["plan", str(out), "--detailed-exitcode", "--sandbox", str(project.db)]).code == 0
