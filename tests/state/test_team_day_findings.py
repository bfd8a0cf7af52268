"""What the team-day state machine (test_team_day.py) found, each as an ordinary regression test."""

from __future__ import annotations

from tests.conftest import invoke
from tests.examples_project import BOB, ExamplesProject


def test_pull_of_a_deleted_note_whose_key_a_pending_moved_entry_renames(project: ExamplesProject) -> None:
    """Shrunk from a failing day: ops rename a note's key with `moved:` (not applied yet), a
    salesperson deletes the note, `pull` takes the resource out of the manifests. It left the
    `moved:` entry naming the key: the files it had written no longer validated and pull failed
    after writing them. Now the entry goes with the resource, and the next plan is empty."""
    note = project.id("note", "acme-kickoff")
    project.edit("acme.yaml", "  acme-kickoff:\n", "  acme-kickoff-2027:\n")
    with open(project.path / "accounts" / "acme.yaml", "a", encoding="utf-8") as handle:
        handle.write("\nmoved:\n  - {from: note.acme-kickoff, to: note.acme-kickoff-2027}\n")
    project.api("DELETE", f"/api/v1/notes/{note}", headers=BOB)

    pulled = project.run("pull")
    assert pulled.code == 0, pulled.both
    text = (project.path / "accounts" / "acme.yaml").read_text(encoding="utf-8")
    assert "acme-kickoff" not in text and "moved:" not in text
    assert invoke(["validate", str(project.path)]).code == 0
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_keeps_a_field_changed_in_the_ui_whose_old_value_names_a_renamed_user(project: ExamplesProject) -> None:
    """Shrunk from a failing day: Bob makes himself the owner of Joanna Lee (Carol's) in the UI, then
    Carol changes her email address. `pull` wrote Bob as the owner, then its rewrite of Carol's old
    address (a rename) wrote Carol's new one over it in the same place: the manifests named Carol,
    Pipedrive Bob, and the next `plan --drift-only` still found drift. A field pull writes from
    Pipedrive takes no rename edit: the pulled value is already the current name."""
    from tests.state.test_user_email_changed import change_email

    person = project.id("person", "joanna-lee")
    bob = next(u["id"] for u in project.api("GET", "/api/v1/users") if u["email"] == "bob@example.com")
    project.api("PATCH", f"/api/v2/persons/{person}", json={"owner_id": bob}, headers=BOB)
    change_email(project.db, "carol@example.com", "carol.lee@example.com")

    pulled = project.run("pull")
    assert pulled.code == 0, pulled.both
    text = (project.path / "accounts" / "initech.yaml").read_text(encoding="utf-8")
    assert "  joanna-lee:\n    name: Joanna Lee\n    org: initech\n    emails: [joanna.lee@initech.example.com]\n" \
           "    owner: bob@example.com\n" in text
    drift = project.run("plan", "--drift-only", "--detailed-exitcode")
    assert drift.code == 0, drift.both


def test_pull_keeps_a_stage_changed_in_the_ui_when_the_old_stage_was_renamed(project: ExamplesProject) -> None:
    """Found by the slow run (100 days of 40 steps): the deal's stage (Negotiation) is renamed in
    Settings, then a salesperson moves the deal to Lead In. `pull --prefer pipedrive` wrote Lead In,
    then its rewrite of the renamed stage wrote the new name of Negotiation over it: the manifests
    said one stage, Pipedrive another, and the next `plan --drift-only` still found drift."""
    deal = project.id("deal", "globex-support-upgrade")
    negotiation = project.stage_id(deal, "Negotiation")
    project.api("PATCH", f"/api/v2/stages/{negotiation}", json={"name": "Negotiation (legal)"}, headers=BOB)
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"stage_id": project.stage_id(deal, "Lead In")}, headers=BOB)

    pulled = project.run("pull", "--prefer", "pipedrive")
    assert pulled.code == 0, pulled.both
    text = (project.path / "accounts" / "globex.yaml").read_text(encoding="utf-8")
    assert "    pipeline: Sales\n    stage: Lead In\n" in text
    drift = project.run("plan", "--drift-only", "--detailed-exitcode")
    assert drift.code == 0, drift.both


def test_pull_prefer_manifests_still_pulls_drift_so_a_later_git_change_is_ordinary(project: ExamplesProject) -> None:
    """From the slow run: a salesperson moves a deal's close date, `pull --prefer manifests` runs (the
    preference only settles conflicts: plain drift is pulled), then ops change the date in git. The
    change is an ordinary one, neither drift nor conflict (the model had expected drift: its own
    mistake, kept as this test of what pull does)."""
    deal = project.id("deal", "globex-support-upgrade")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"expected_close_date": "2026-05-25"}, headers=BOB)
    assert project.run("pull", "--prefer", "manifests").code == 0
    assert "expected_close_date: 2026-05-25" in (project.path / "accounts" / "globex.yaml").read_text(encoding="utf-8")
    project.edit("globex.yaml", "expected_close_date: 2026-05-25", "expected_close_date: 2028-01-23")
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "globex-support-upgrade"]
    assert change["fields"]["expected_close_date"] == {"before": "2026-05-25", "after": "2028-01-23"}


def test_a_deal_archived_then_deleted_in_pipedrive_still_says_when(project: ExamplesProject) -> None:
    """From the slow run: a deal archived, then deleted, in the UI. The list of deleted deals leaves
    archived deals out (v2), so the plan said nothing of when; the archived list is asked too."""
    deal = project.id("deal", "initech-fleet-tracking")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"is_archived": True}, headers=BOB)
    project.api("DELETE", f"/api/v2/deals/{deal}", headers=BOB)
    (entry,) = project.plan_json()["history"]
    assert entry["key"] == "initech-fleet-tracking" and entry["at"] is not None, entry


def test_export_after_a_product_is_deleted_in_the_ui_plans_empty(project: ExamplesProject, tmp_path) -> None:
    """Found by the default team day after the merge of issue 27's kinds: a salesperson deletes the
    robot-arm product in the UI; Pipedrive keeps the deal's line for it. `export` wrote that line as
    `{product: {id: 1}}`, and the plan of the fresh export refused it ("names product id 1, which does
    not exist in this account"). Now the deal's products are left undeclared, and export says why."""
    product = project.id("product", "robot-arm")
    project.api("DELETE", f"/api/v2/products/{product}", headers=BOB)
    out = tmp_path / "exported"
    exported = invoke(["export", "--out", str(out), "--sandbox", str(project.db)])
    assert exported.code == 0, exported.both
    assert "deleted in Pipedrive" in exported.both
    again = invoke(["plan", str(out), "--detailed-exitcode", "--sandbox", str(project.db)])
    assert again.code == 0, again.both


def test_export_after_a_deal_is_deleted_in_the_ui_plans_empty(project: ExamplesProject, tmp_path) -> None:
    """Found by the default team day after the merge of issue 24's new rules: a salesperson deletes
    a deal in the UI; its note and activity (kept by the sandbox) still name it. `export` wrote them
    with `deal: {id: N}`, and the plan of the fresh export refused it ("names deal id N, which does not
    exist in this account"). Now export leaves such references out (a child left with no parent is
    skipped), says so, and the next plan is empty."""
    deal = project.id("deal", "acme-renewal-2027")
    project.api("DELETE", f"/api/v2/deals/{deal}", headers=BOB)
    out = tmp_path / "exported"
    exported = invoke(["export", "--out", str(out), "--sandbox", str(project.db)])
    assert exported.code == 0, exported.both
    again = invoke(["plan", str(out), "--detailed-exitcode", "--sandbox", str(project.db)])
    assert again.code == 0, again.both


def test_a_reference_moved_by_a_merge_to_an_org_deleted_since_is_drift_not_conflict(project: ExamplesProject) -> None:
    """Found by a random team day: a salesperson merges acme into globex (John Doe, acme's, is
    re-pointed to globex), then deletes globex. The plan re-creates acme and points John Doe at it,
    and called his org a conflict, changed in the manifests too, though they name acme as at the last
    apply. A reference to an object the plan creates again is compared as the id the lock holds for
    its key: only Pipedrive moved, so it is drift."""
    import json

    acme, globex = project.id("organization", "acme"), project.id("organization", "globex")
    project.api("PUT", f"/api/v1/organizations/{acme}/merge", json={"merge_with_id": globex}, headers=BOB)
    project.api("DELETE", f"/api/v2/organizations/{globex}", headers=BOB)
    result = project.run("plan", "--format", "json")
    assert result.code == 0, result.both
    org = next(c for c in json.loads(result.out)["changes"] if c["key"] == "john-doe")["fields"]["org"]
    assert org.get("drift") and not org.get("conflict"), org


def test_a_field_newly_declared_has_no_last_applied_value_until_applied(project: ExamplesProject) -> None:
    """From a random team day (the model's mistake, kept as this test of the documented rule): ops
    declare globex-reseller's close date, which the manifests never declared, and a salesperson sets
    it in the UI before the apply. The lock holds no last-applied value for it, so the plan cannot
    tell the UI's edit from git's: an ordinary change showing Pipedrive's value (docs/drift.md, "a
    field newly declared is never drift"). Once applied it is recorded, and the next UI edit is drift."""
    deal = project.id("deal", "globex-reseller")
    project.edit("globex.yaml", "    stage: Onboarding\n", "    stage: Onboarding\n    expected_close_date: 2028-04-30\n")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"expected_close_date": "2028-03-26"}, headers=BOB)
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "globex-reseller"]
    assert change["fields"] == {"expected_close_date": {"before": "2028-03-26", "after": "2028-04-30"}}

    assert project.run("apply", "--auto-approve").code == 0
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"expected_close_date": "2028-05-02"}, headers=BOB)
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "globex-reseller"]
    assert change["fields"]["expected_close_date"]["drift"] is True


def test_pull_records_a_newly_declared_field_only_where_both_sides_agree(project: ExamplesProject) -> None:
    """The model's bookkeeping of the rule above through `pull`: a newly declared close date that
    Pipedrive does not hold is no drift, so pull leaves it (an ordinary change still); one Pipedrive
    holds too is recorded, and a later UI edit of it is drift."""
    deal = project.id("deal", "globex-reseller")
    project.edit("globex.yaml", "    stage: Onboarding\n", "    stage: Onboarding\n    expected_close_date: 2028-04-30\n")
    assert project.run("pull").code == 0
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "globex-reseller"]
    assert change["fields"] == {"expected_close_date": {"before": None, "after": "2028-04-30"}}

    project.api("PATCH", f"/api/v2/deals/{deal}", json={"expected_close_date": "2028-04-30"}, headers=BOB)
    assert project.run("pull").code == 0
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"expected_close_date": "2028-05-02"}, headers=BOB)
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "globex-reseller"]
    assert change["fields"]["expected_close_date"]["drift"] is True


def test_a_resource_keep_leaves_whole_keeps_its_conflict(project: ExamplesProject) -> None:
    """From a random team day (the model's mistake, kept as this test of what apply does): a
    salesperson deletes initech, then changes initech-fleet-tracking's value while ops change it in
    git. `apply --on-drift keep` leaves the deal as it is (it names the deleted organization) and
    writes none of its fields, so their records stay: the next default plan re-creates initech and
    still calls the value a conflict (the model had taken the git edit as applied)."""
    project.api("DELETE", f"/api/v2/organizations/{project.id('organization', 'initech')}", headers=BOB)
    project.edit("initech.yaml", "    value: 27500\n", "    value: 27640\n")
    project.api("PATCH", f"/api/v2/deals/{project.id('deal', 'initech-fleet-tracking')}", json={"value": 28560},
                headers=BOB)
    applied = project.run("apply", "--auto-approve", "--on-drift", "keep")
    assert applied.code == 0, applied.both
    assert "deal.initech-fleet-tracking" in applied.out and "left as it is" in applied.out, applied.out
    (change,) = [c for c in project.plan_json()["changes"] if c["key"] == "initech-fleet-tracking"]
    assert change["fields"]["value"]["conflict"] is True, change


def test_pull_prefer_manifests_on_a_deal_archived_in_the_ui_leaves_the_refusal_to_a_human(
        project: ExamplesProject) -> None:
    """From a random team day (the model's mistake, kept as this test of what the commands do): a
    salesperson and ops change globex-support-upgrade's value, then the salesperson archives it.
    `pull --prefer manifests` keeps ops' value, and the next plan refuses in one line naming the
    file and the deal and asking a human to unarchive it or leave the value; the model had asserted
    that plan always answers. `--drift-only` reports instead: git's pending change is not drift, and
    a CI drift check must not go blind on the whole account for one archived deal (it warns)."""
    deal = project.id("deal", "globex-support-upgrade")
    project.edit("globex.yaml", "    value: 8500\n", "    value: 8600\n")
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"value": 9700}, headers=BOB)
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"is_archived": True}, headers=BOB)
    pulled = project.run("pull", "--prefer", "manifests")
    assert pulled.code == 0, pulled.both
    assert "value: 8600" in (project.path / "accounts" / "globex.yaml").read_text(encoding="utf-8")
    refused = project.run("plan")
    assert refused.code == 1 and "Traceback" not in refused.both
    (line,) = [line for line in refused.err.splitlines() if "error:" in line]
    assert "globex.yaml:" in line and "globex-support-upgrade" in line and "archived: false" in line, line
    drift = project.run("plan", "--drift-only", "--detailed-exitcode")
    assert drift.code in (0, 2) and "error:" not in drift.both, drift.both
    assert "globex-support-upgrade" in drift.both and "archived: false" in drift.both, drift.both
    assert "without --drift-only, refuses it" in drift.both, drift.both
