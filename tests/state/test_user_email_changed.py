"""Users in the lock's vocabulary (issue 24: "the ids of the pipelines, stages, options, labels
and users the manifests name").

Manifests name users by email, and a Pipedrive user can change their own email address. The
lock records each named user's id with the email (`vocabulary.user`), so after Bob changes his
address the plan recognises him by id and says "user renamed in Pipedrive from X to Y" instead
of failing on every record he owns, and `pull` rewrites every reference; the next plan is empty.
Before, every plan and pull failed with `unknown user 'bob@example.com'`.
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.store import Store
from tests.conftest import copy_examples, run_cli
from tests.examples_project import ExamplesProject

OLD, NEW = "bob@example.com", "robert.brown@example.com"


def change_email(db: Path, old: str, new: str) -> int:
    """What Bob does in his own profile settings (no API changes a user's email): the sandbox's store."""
    store = Store(str(db))
    try:
        for connection in store.list_connections():
            company_id = connection["company_id"]
            for user in store.select(company_id, "user"):
                if user.get("email") == old:
                    user["email"] = new
                    store.put(company_id, "user", user)
                    return int(user["id"])
    finally:
        store.close()
    raise AssertionError(f"no user {old}")


def owners(project_path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((project_path / "accounts").glob("*.yaml")))


def test_the_lock_records_each_named_users_id(project: ExamplesProject) -> None:
    users = project.lock()["vocabulary"]["user"]
    bob = project.api("GET", "/api/v1/users", params={"limit": 500})
    ids = {u["email"]: u["id"] for u in bob}
    assert users == {email: ids[email] for email in ("alice@example.com", OLD, "carol@example.com")}


def test_a_user_who_changed_their_email_is_recognised_and_pull_rewrites_every_reference(
        project: ExamplesProject) -> None:
    assert owners(project.path).count(f"owner: {OLD}") >= 3
    bob = change_email(project.db, OLD, NEW)

    plan = project.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both  # nothing to change: the same user, by id
    assert f"user renamed in Pipedrive from '{OLD}' to '{NEW}'" in plan.err
    assert project.run("plan", "--drift-only", "--detailed-exitcode").code == 0

    pulled = project.run("pull")
    assert pulled.code == 0, pulled.both
    text = owners(project.path)
    assert OLD not in text and text.count(f"owner: {NEW}") >= 3
    assert project.lock()["vocabulary"]["user"][NEW] == bob and OLD not in project.lock()["vocabulary"]["user"]
    after = project.run("plan", "--detailed-exitcode")
    assert after.code == 0 and "renamed" not in after.err, after.both


def test_a_user_email_change_then_an_owner_change_in_git_writes_the_new_owner(project: ExamplesProject) -> None:
    """The recorded id is only an alias for the old email: an owner changed in git is still written."""
    change_email(project.db, OLD, NEW)
    project.edit("globex.yaml", f"    owner: {OLD}\n", "    owner: carol@example.com\n")
    plan = project.plan_json()
    owners_changed = [c for c in plan["changes"] if "owner" in c["fields"]]
    assert len(owners_changed) == 1 and not owners_changed[0]["fields"]["owner"].get("drift")


def test_over_http_a_user_email_change_leaves_plan_working_and_pull_rewrites(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("users")
    project = copy_examples(tmp_path / "crm")
    applied = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint)
    assert applied.code == 0, applied.both[-2000:]
    change_email(tmp_path / "users.db", OLD, NEW)

    plan = run_cli("plan", str(project), "--detailed-exitcode", "--endpoint", server.endpoint)
    assert plan.code == 0 and f"user renamed in Pipedrive from '{OLD}' to '{NEW}'" in plan.err, plan.both[-2000:]
    pulled = run_cli("pull", str(project), "--endpoint", server.endpoint)
    assert pulled.code == 0, pulled.both[-2000:]
    assert OLD not in owners(project)
    assert NEW in json.loads((project / "reconciler.lock").read_text())["vocabulary"]["user"]
    assert run_cli("plan", str(project), "--detailed-exitcode", "--endpoint", server.endpoint).code == 0


def test_a_deactivated_user_named_by_a_manifest_is_refused_at_plan_time_not_renamed(project: ExamplesProject) -> None:
    """Decision (docs/state.md): Pipedrive refuses to give anything to a deactivated user, so a manifest
    that names one is refused before any write, at its file and line; the lock's record of the user is
    not taken for a rename (reactivating the user, or naming another one, is the fix)."""
    store = Store(str(project.db))
    try:
        company_id = store.list_connections()[0]["company_id"]
        carol = next(u for u in store.select(company_id, "user") if u["email"] == "carol@example.com")
        carol["active_flag"] = False
        store.put(company_id, "user", carol)
    finally:
        store.close()
    plan = project.run("plan")
    assert plan.code == 1
    assert "user 'carol@example.com' is deactivated in this Pipedrive account" in plan.err
    assert "globex.yaml:" in plan.err and "renamed" not in plan.err
