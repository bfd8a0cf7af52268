"""Webhooks as code (issue 27): the `webhooks` section (Pipedrive's v1 webhooks).

Pipedrive cannot update a webhook: a change is a replace (delete, then create), shown as such.
The HTTP auth password comes from an environment variable the manifest names and is never
written anywhere (tests/kinds/test_webhook_secrets.py greps every artifact). Webhooks the
manifests did not create are another integration's and are never touched.
Live state is checked through the sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.kinds.conftest import Project

PASSWORD = "s3cret-Hook-pass"
HOOKS = {
    "deal-events": {"name": "Deals to the warehouse", "url": "https://hooks.example.com/deals",
                    "event_action": "*", "event_object": "deal", "user": "bob@example.com", "version": "2.0",
                    "http_auth_user": "pipedrive", "http_auth_password_env": "HOOK_PASSWORD"},
    "new-persons": {"name": "New persons", "url": "https://hooks.example.com/persons", "event_action": "create",
                    "event_object": "person", "version": "1.0"},
}


@pytest.fixture(autouse=True)
def hook_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", PASSWORD)


def manifests(project: Project, hooks: dict | None = None) -> None:
    project.write("webhooks.yaml", {"webhooks": hooks or HOOKS})


def live_hooks(project: Project) -> dict[str, dict]:
    return {h["name"]: h for h in project.api("GET", "/api/v1/webhooks")}


def stored_password(project: Project, hook_id: int) -> str | None:
    """What the sandbox keeps to send with each event (never answered by the API)."""
    from reconciler.sandbox.store import Store

    company_id = project.api("GET", "/api/v1/users/me")["company_id"]
    store = Store(str(project.db))
    try:
        return store.get(company_id, "webhook", hook_id)["http_auth_password"]
    finally:
        store.close()


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_webhooks_with_their_users_and_password(project: Project) -> None:
    manifests(project)
    plan = project.plan_json()
    assert plan["summary"] == {"create": 2, "update": 0, "delete": 0, "unchanged": 0}
    result = project.apply()
    assert "Resources: 2 created, 0 updated, 0 deleted" in result.out
    users = {u["email"]: u["id"] for u in project.api("GET", "/api/v1/users")}
    hooks = live_hooks(project)
    deals = hooks["Deals to the warehouse"]
    assert (deals["subscription_url"], deals["event_action"], deals["event_object"], deals["version"]) == \
        ("https://hooks.example.com/deals", "*", "deal", "2.0")
    assert deals["user_id"] == users["bob@example.com"] and deals["http_auth_user"] == "pipedrive"
    assert deals["http_auth_password"] is None  # never answered
    assert stored_password(project, deals["id"]) == PASSWORD
    assert hooks["New persons"]["version"] == "1.0"

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 2


def test_a_change_is_a_replace_shown_as_such(project: Project) -> None:
    applied(project)
    before = live_hooks(project)["Deals to the warehouse"]["id"]
    manifests(project, {**HOOKS, "deal-events": {**HOOKS["deal-events"], "event_action": "change"}})
    # the id the webhook has, not a literal 1: under load a create whose answer was late may have been
    # looked up and settled on another id (no duplicate: the count is checked below)
    heading = f"-/+ webhook.deal-events (id {before}) must be replaced — Pipedrive cannot update a webhook"
    shown = project.ok("plan").out
    assert heading in shown, shown
    markdown = project.ok("plan", "--format", "markdown").out
    assert heading in markdown, markdown
    (change,) = project.plan_json()["changes"]
    assert change["action"] == "update" and list(change["fields"]) == ["event_action"]
    assert change["reason"].startswith("must be replaced: Pipedrive cannot update a webhook")

    project.apply()
    after = live_hooks(project)["Deals to the warehouse"]
    assert after["id"] != before and after["event_action"] == "change" and after["user_id"] == \
        {u["email"]: u["id"] for u in project.api("GET", "/api/v1/users")}["bob@example.com"]
    assert stored_password(project, after["id"]) == PASSWORD  # the replacement keeps its password
    assert project.lock()["resources"]["webhook"]["deal-events"] == after["id"]
    assert len(project.api("GET", "/api/v1/webhooks")) == 2
    assert project.plan_json()["changes"] == []


def test_a_new_password_is_noticed_and_replaces_the_webhook(project: Project,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    applied(project)
    monkeypatch.setenv("HOOK_PASSWORD", "another-pass")
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "deal-events" and list(change["fields"]) == ["http_auth_password_env"]
    assert "drift" not in change["fields"]["http_auth_password_env"]
    project.apply()
    hook = live_hooks(project)["Deals to the warehouse"]
    assert stored_password(project, hook["id"]) == "another-pass"
    assert project.plan_json()["changes"] == []


def test_renaming_the_variable_with_the_same_password_changes_nothing(project: Project,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    applied(project)
    monkeypatch.setenv("DEALS_HOOK_PASSWORD", PASSWORD)
    manifests(project, {**HOOKS, "deal-events": {**HOOKS["deal-events"], "http_auth_password_env":
                                                 "DEALS_HOOK_PASSWORD"}})
    assert project.plan_json()["changes"] == []


def test_a_missing_password_variable_is_one_line_and_no_write(project: Project,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOK_PASSWORD")
    manifests(project)
    for command in ("plan", "apply"):
        result = project.run(command, *(("--auto-approve",) if command == "apply" else ()))
        assert result.code == 1, result.both
        assert "environment variable HOOK_PASSWORD is not set" in result.both
        assert "webhooks.yaml:" in result.both and "Traceback" not in result.both
    assert project.api("GET", "/api/v1/webhooks") == []
    assert not (project.path / "reconciler.lock").exists()


def test_webhooks_of_other_integrations_are_never_touched(project: Project) -> None:
    foreign = project.api("POST", "/api/v1/webhooks", json={
        "subscription_url": "https://hooks.example.com/deals", "event_action": "*", "event_object": "deal",
        "name": "Deals to the warehouse", "version": "2.0"})  # even one that looks the same
    applied(project)
    hooks = project.api("GET", "/api/v1/webhooks")
    assert foreign["id"] in {h["id"] for h in hooks} and len(hooks) == 3
    manifests(project, {"new-persons": HOOKS["new-persons"]})  # the declared one removed: deleted, not the other
    project.apply()
    assert sorted(h["id"] for h in project.api("GET", "/api/v1/webhooks")) == \
        sorted([foreign["id"], live_hooks(project)["New persons"]["id"]])


def test_export_leaves_the_password_out_and_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "everything"
    project.ok("export", "--out", str(out), "--kind", "webhooks")
    exported = yaml.safe_load((out / "webhooks.yaml").read_text(encoding="utf-8"))["webhooks"]
    by_name = {h["name"]: h for h in exported.values()}
    deals = by_name["Deals to the warehouse"]
    assert deals["user"] == "bob@example.com" and deals["http_auth_user"] == "pipedrive"
    assert "http_auth_password_env" not in deals
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] == 2


def test_a_change_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    old = live_hooks(project)["New persons"]
    # as the UI does it (no update either): delete, then create with the new URL
    project.api("DELETE", f"/api/v1/webhooks/{old['id']}")
    project.api("POST", "/api/v1/webhooks", json={
        "subscription_url": "https://hooks.example.com/people", "event_action": "create", "event_object": "person",
        "name": "New persons", "version": "1.0"})
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["key"] == "new-persons" and change["action"] == "create"  # a new webhook is not ours
    project.ok("pull", str(project.path))  # pull forgets the deleted one, never adopts the other's
    assert "new-persons" not in yaml.safe_load((project.path / "webhooks.yaml").read_text())["webhooks"]
    assert project.plan_json()["changes"] == []
    assert "new-persons" not in project.lock()["resources"]["webhook"]


def test_validate_refuses_bad_input_with_file_and_line(project: Project) -> None:
    for bad, word in (({"event_action": "updated"}, "updated"), ({"event_object": "deals"}, "deals"),
                      ({"url": "hooks.example.com/deals"}, "hooks.example.com/deals"),
                      ({"http_auth_password_env": "not a name"}, "not a name")):
        manifests(project, {"deal-events": {**HOOKS["deal-events"], **bad}})
        result = project.run("validate")
        assert result.code == 1, bad
        assert "webhooks.yaml:" in result.both and word in result.both, result.both


def test_a_pipedrive_url_is_refused_at_plan_with_file_and_line(project: Project) -> None:
    manifests(project, {"deal-events": {**HOOKS["deal-events"], "url": "https://acme.pipedrive.com/api/v1/deals"}})
    result = project.run("plan")
    assert result.code == 1 and "webhooks.yaml:" in result.both and "is a Pipedrive URL" in result.both


def test_an_unknown_user_is_refused_with_file_and_line(project: Project) -> None:
    manifests(project, {"deal-events": {**HOOKS["deal-events"], "user": "nobody@example.com"}})
    result = project.run("plan")
    assert result.code == 1 and "webhooks.yaml:" in result.both and "nobody@example.com" in result.both


def test_a_saved_plan_applied_without_the_variable_writes_nothing(project: Project,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    manifests(project)
    project.write("records.yaml", {"organizations": {"acme": {"name": "Acme"}}})
    saved = project.root / "saved.plan.json"
    project.ok("plan", "--out", str(saved))
    monkeypatch.delenv("HOOK_PASSWORD")
    result = project.run("apply", "--plan", str(saved), "--auto-approve")
    assert result.code == 1 and "Traceback" not in result.both
    assert "webhooks.yaml:" in result.both and "environment variable HOOK_PASSWORD is not set" in result.both
    assert "nothing was written" in result.both
    assert project.api("GET", "/api/v1/webhooks") == [] and project.api("GET", "/api/v2/organizations") == []
