"""`plan` and `apply` as users run them, on the embedded sandbox (issue 5 and 6, "Must show").

- a plan right after applying examples/ shows no changes;
- changing one field of one deal (in the manifests, or in the live account) shows exactly
  that field and nothing else, in text and in JSON;
- `--target`, `--detailed-exitcode`, `--out` + `apply --plan` and its staleness refusal,
  deletes from `absent: true` and from removal with the lock, `protect`, `--max-deletes`,
  and apply's refusal without `--auto-approve` and without a terminal.

Every plan JSON seen here is validated against schemas/plan.schema.json. The CLI runs in
this process (CliRunner) on `--sandbox DB` for speed; examples/ is applied once per
module and each test starts from a copy of that database and project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import InProcess, check_plan_json, copy_examples
from tests.examples_project import ExamplesProject, apply_examples_once, copy_applied


class Project(ExamplesProject):
    """A copy of examples/ applied to its own sandbox database."""

    def live(self) -> InProcess:
        """Direct API access to this project's sandbox (close it before running the CLI again)."""
        return InProcess(str(self.db))

    def live_deal(self, key: str) -> dict:
        return self.api("GET", f"/api/v2/deals/{self.id('deal', key)}")


@pytest.fixture(scope="module")
def applied_examples(tmp_path_factory) -> Path:
    base, result = apply_examples_once(tmp_path_factory)
    assert "27 created" in result.out
    return base


@pytest.fixture
def project(applied_examples: Path, tmp_path: Path) -> Iterator[Project]:
    yield Project(*copy_applied(applied_examples, tmp_path))


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    """examples/ not yet applied, on an empty sandbox."""
    copy_examples(tmp_path / "project")
    return Project(tmp_path / "project", tmp_path / "sandbox.db")


# -- no changes after apply ---------------------------------------------------------------


def test_plan_right_after_applying_examples_shows_no_changes(project: Project) -> None:
    text = project.run("plan", "--detailed-exitcode")
    assert text.code == 0, text.out + text.err
    assert "No changes" in text.out
    plan = project.plan_json()
    assert plan["changes"] == []
    assert plan["summary"] == {"create": 0, "update": 0, "delete": 0, "unchanged": 27}
    assert plan["stats"]["api_calls"] > 0 and plan["stats"]["tokens"] > 0
    markdown = project.run("plan", "--format", "markdown")
    assert markdown.code == 0 and "No changes" in markdown.out


# -- one field of one deal ---------------------------------------------------------------

DEAL_EDITS = [
    # (manifest text in acme.yaml's first deal, replacement, field, before, after)
    ("value: 50000", "value: 55000.5", "value", 50000, 55000.5),
    ("stage: Negotiation", "stage: Proposal Made", "stage", "Negotiation", "Proposal Made"),
    ("status: open\n    expected_close_date: 2027-01-31", "status: won\n    expected_close_date: 2027-01-31",
     "status", "open", "won"),
    ("expected_close_date: 2027-01-31", "expected_close_date: 2027-02-28", "expected_close_date",
     "2027-01-31", "2027-02-28"),
    ("title: Acme renewal 2027", "title: Acme renewal 2027 (3 years)", "title", "Acme renewal 2027",
     "Acme renewal 2027 (3 years)"),
    ("person: john-doe\n    pipeline: Sales", "person: jane-roe\n    pipeline: Sales", "person", "john-doe", "jane-roe"),
    ("owner: alice@example.com\n    fields:\n      Lead source: Referral",
     "owner: carol@example.com\n    fields:\n      Lead source: Referral", "owner", "alice@example.com",
     "carol@example.com"),
    ("Lead source: Referral", "Lead source: Website", "fields.Lead source", "Referral", "Website"),
    ("Contract value: {value: 150000, currency: USD}", "Contract value: {value: 150000, currency: EUR}",
     "fields.Contract value", {"value": 150000, "currency": "USD"}, {"value": 150000, "currency": "EUR"}),
]


@pytest.mark.parametrize(("old", "new", "field", "before", "after"), DEAL_EDITS,
                         ids=[e[2] for e in DEAL_EDITS])
def test_one_changed_deal_field_shows_exactly_that_field(project: Project, old, new, field, before, after) -> None:
    project.edit("acme.yaml", old, new)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 0, "update": 1, "delete": 0, "unchanged": 26}
    (change,) = plan["changes"]
    assert (change["action"], change["kind"], change["key"]) == ("update", "deal", "acme-renewal-2027")
    assert change["id"] == project.lock()["resources"]["deal"]["acme-renewal-2027"]
    assert change["fields"] == {field: {"before": before, "after": after}}
    assert len(change["writes"]) == 1, change["writes"]

    text = project.run("plan", "--detailed-exitcode")
    assert text.code == 2
    body = text.out
    assert "~ deal.acme-renewal-2027" in body
    field_lines = [line for line in body.splitlines() if line.startswith("      ")]
    assert len(field_lines) == 1 and field_lines[0].strip().startswith(f"~ {field}:"), body
    assert "Plan: 0 to create, 1 to update, 0 to delete." in body


def test_a_live_change_to_one_deal_field_shows_exactly_that_field(project: Project) -> None:
    deal = project.live_deal("acme-renewal-2027")
    sandbox = project.live()
    try:
        stages = {s["name"]: s["id"] for s in sandbox.call("GET", "/api/v2/stages", params={"limit": 500})
                  if s["pipeline_id"] == deal["pipeline_id"]}
        sandbox.call("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": stages["Lead In"], "probability": 5})
    finally:
        sandbox.close()
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["key"] == "acme-renewal-2027"
    # changed in Pipedrive since the last apply: drift (issue 15), still overwritten by default,
    # attributed to the user who made it (the sandbox's API user here)
    assert change["fields"]["stage"].pop("changed_at").endswith(" UTC")
    assert change["fields"] == {"stage": {"before": "Lead In", "after": "Negotiation", "drift": True,
                                          "changed_by": "Alice Anderson <alice@example.com>"}}, (
        "an undeclared field (probability) changed live must not show")
    assert project.run("apply", "--auto-approve").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0


# -- --target, --detailed-exitcode ---------------------------------------------------------


def test_target_narrows_to_the_resource_and_what_it_needs(fresh: Project) -> None:
    plan = fresh.plan_json("--target", "deal.acme-renewal-2027")
    assert {(c["action"], c["kind"], c["key"]) for c in plan["changes"]} == {
        ("create", "organization", "acme"), ("create", "person", "john-doe"),
        ("create", "deal", "acme-renewal-2027")}
    assert [c["kind"] for c in plan["changes"]] == ["organization", "person", "deal"], "parents first"
    applied = fresh.run("apply", "--auto-approve", "--target", "deal.acme-renewal-2027")
    assert applied.code == 0, applied.err
    rest = fresh.plan_json()
    assert rest["summary"] == {"create": 24, "update": 0, "delete": 0, "unchanged": 3}
    several = fresh.plan_json("--target", "note.acme-kickoff", "--target", "activities.initech-lunch")
    assert {c["key"] for c in several["changes"]} >= {"acme-kickoff", "initech-lunch"}
    bad = fresh.run("plan", "--target", "deal.no-such-deal")
    assert bad.code == 1 and "--target deal.no-such-deal: no such resource" in bad.err


def test_target_never_deletes_what_it_was_not_pointed_at(project: Project) -> None:
    text = (project.path / "accounts" / "initech.yaml").read_text()
    (project.path / "accounts" / "initech.yaml").write_text(text.split("notes:")[0])  # drop initech's notes/activities
    targeted = project.plan_json("--target", "deal.acme-renewal-2027")
    assert targeted["changes"] == []
    full = project.plan_json()
    assert full["summary"]["delete"] > 0


def test_detailed_exitcode(fresh: Project) -> None:
    assert fresh.run("plan").code == 0
    assert fresh.run("plan", "--detailed-exitcode").code == 2
    assert fresh.run("apply", "--auto-approve").code == 0
    assert fresh.run("plan", "--detailed-exitcode").code == 0
    (fresh.path / "accounts" / "broken.yaml").write_text("deals:\n  Bad Key: {title: x}\n")
    broken = fresh.run("plan", "--detailed-exitcode")
    assert broken.code == 1 and re.search(r"broken\.yaml:2:3: error: ", broken.err), broken.err


# -- saved plans ---------------------------------------------------------------------------


def test_saved_plan_applies_and_is_refused_when_a_touched_object_changed(project: Project, tmp_path: Path) -> None:
    project.edit("acme.yaml", "value: 50000", "value: 60000")
    saved = tmp_path / "out" / "plan.json"
    result = project.run("plan", "--out", str(saved))
    assert result.code == 0 and saved.exists()
    plan = check_plan_json(json.loads(saved.read_text()))
    assert plan["summary"]["update"] == 1

    # someone changes the deal in Pipedrive between plan and apply
    deal = project.live_deal("acme-renewal-2027")
    sandbox = project.live()
    try:
        sandbox.call("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": "Acme renewal 2027 (edited by Bob)"})
    finally:
        sandbox.close()
    refused = project.run("apply", "--plan", str(saved), "--auto-approve")
    assert refused.code == 1
    assert "stale" in refused.err and f"deal {deal['id']}" in refused.err, refused.err
    assert project.live_deal("acme-renewal-2027")["value"] == 50000, "a refused plan writes nothing"

    # a new plan over the new state applies; a change elsewhere does not make it stale
    assert project.run("plan", "--out", str(saved)).code == 0
    other = project.live_deal("acme-robotics-pilot")
    sandbox = project.live()
    try:
        sandbox.call("PATCH", f"/api/v2/deals/{other['id']}", json={"probability": 40})
    finally:
        sandbox.close()
    applied = project.run("apply", "--plan", str(saved), "--auto-approve")
    assert applied.code == 0, applied.err
    deal = project.live_deal("acme-renewal-2027")
    assert deal["value"] == 60000 and deal["title"] == "Acme renewal 2027"
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_a_saved_plan_applied_twice_creates_nothing_twice(fresh: Project, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert fresh.run("plan", "--target", "deal.acme-renewal-2027", "--out", str(saved)).code == 0
    assert fresh.run("apply", "--plan", str(saved), "--auto-approve").code == 0
    again = fresh.run("apply", "--plan", str(saved), "--auto-approve")
    assert again.code == 1 and "stale" in again.err, again.out + again.err
    assert "acme-renewal-2027: created since the plan was made" in again.err
    sandbox = fresh.live()
    try:
        assert len(sandbox.call("GET", "/api/v2/deals")) == 1
        assert len(sandbox.call("GET", "/api/v2/organizations")) == 1
    finally:
        sandbox.close()


def test_a_saved_plan_replayed_without_the_lock_creates_nothing_twice(fresh: Project, tmp_path: Path) -> None:
    """CONTRACT §2: the lock is never needed to avoid duplicates."""
    saved = tmp_path / "plan.json"
    assert fresh.run("plan", "--target", "organization.acme", "--out", str(saved)).code == 0
    assert fresh.run("apply", "--plan", str(saved), "--auto-approve").code == 0
    (fresh.path / "reconciler.lock").unlink()
    fresh.run("apply", "--plan", str(saved), "--auto-approve")
    sandbox = fresh.live()
    try:
        assert len(sandbox.call("GET", "/api/v2/organizations")) == 1
    finally:
        sandbox.close()


# -- deletes -------------------------------------------------------------------------------


def test_absent_true_deletes_and_then_counts_as_unchanged(project: Project) -> None:
    note_id = project.lock()["resources"]["note"]["acme-kickoff"]
    project.edit("acme.yaml", "    pinned: true\n", "    pinned: true\n    absent: true\n")
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert (change["action"], change["kind"], change["key"], change["id"]) == ("delete", "note", "acme-kickoff",
                                                                             note_id)
    assert change["reason"] == "absent: true"
    assert project.run("apply", "--auto-approve").code == 0
    assert "acme-kickoff" not in project.lock()["resources"]["note"]
    after = project.plan_json()
    assert after["changes"] == [] and after["summary"]["unchanged"] == 27
    sandbox = project.live()
    try:
        assert sandbox.raw.get(f"/api/v1/notes/{note_id}").status_code in (404, 410) or \
            sandbox.call("GET", f"/api/v1/notes/{note_id}").get("active_flag") is False
    finally:
        sandbox.close()


def test_removed_from_the_manifests_deletes_through_the_lock_children_first(project: Project) -> None:
    lock = project.lock()["resources"]
    text = (project.path / "accounts" / "initech.yaml").read_text()
    kept = text.split("\ndeals:")[0]  # keep initech's organization and persons only
    (project.path / "accounts" / "initech.yaml").write_text(kept + "\n")
    plan = project.plan_json()
    deletes = [(c["kind"], c["key"]) for c in plan["changes"]]
    assert all(c["action"] == "delete" and c["reason"] == "removed from the manifests" for c in plan["changes"])
    kinds_in_order = [k for k, _ in deletes]
    order = {"activity": 0, "note": 1, "lead": 2, "deal": 2}  # leads may have notes and activities (issue 27)
    assert kinds_in_order == sorted(kinds_in_order, key=order.__getitem__), "children are deleted first"
    for kind, key in deletes:
        assert key.startswith("initech") and key in lock[kind]
    assert project.run("apply", "--auto-approve").code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0
    left = project.lock()["resources"]
    assert not any(key in left.get(kind, {}) for kind, key in deletes)


def test_protect_fails_a_plan_that_would_delete(project: Project) -> None:
    # acme is `protect: true`; removing it (and what hangs on it) from the manifests would delete it
    (project.path / "accounts" / "acme.yaml").write_text("organizations: {}\n")
    result = project.run("plan")
    assert result.code == 1
    assert re.search(r"reconciler\.lock:\d+:\d+: error: organization 'acme' \(id \d+\) is protected", result.err), \
        result.err
    applied = project.run("apply", "--auto-approve", "--max-deletes", "100")
    assert applied.code == 1 and "is protected" in applied.err
    assert "acme" in project.lock()["resources"]["organization"], "nothing was deleted"


def test_max_deletes(project: Project) -> None:
    text = (project.path / "accounts" / "globex.yaml").read_text()
    (project.path / "accounts" / "globex.yaml").write_text(text.split("\nnotes:")[0] + "\n")
    deletes = project.plan_json()["summary"]["delete"]
    assert deletes == 3
    refused = project.run("apply", "--auto-approve", "--max-deletes", str(deletes - 1))
    assert refused.code == 1
    assert f"the plan deletes {deletes} objects, more than --max-deletes {deletes - 1}" in refused.err
    assert project.plan_json()["summary"]["delete"] == deletes, "nothing was deleted"
    assert project.run("apply", "--auto-approve", "--max-deletes", str(deletes)).code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0


# -- confirmation ------------------------------------------------------------------------------


def test_apply_without_auto_approve_and_without_a_terminal_refuses(fresh: Project) -> None:
    result = fresh.run("apply")
    assert result.code == 1
    assert "apply needs confirmation" in result.err and "--auto-approve" in result.err
    assert not (fresh.path / "reconciler.lock").exists() or not fresh.lock()["resources"]
    assert fresh.plan_json()["summary"]["create"] == 27, "nothing was written"
    # with nothing to do there is nothing to confirm
    assert fresh.run("apply", "--auto-approve").code == 0
    assert fresh.run("apply").code == 0
