"""A webhook deleted and created again in Pipedrive's UI (issue 27): followed, never duplicated or lost.

Pipedrive cannot update a webhook, so the web UI "edits" one by deleting it and creating another
(a new id). Before, the lock's id was simply gone: the default apply created a second webhook
beside the UI's (two deliveries of every event) and `pull` took the entry out of the manifests.
Now a declared webhook whose recorded id is gone is followed to the one live webhook that sends
the same events to the same place (subscription_url, event_action and event_object), created
after it and managed by nothing else; its other values (name, version, user, auth user) are
drift, and `pull` records the new id and writes them. Another integration's webhook (one that
existed before ours, or that the lock records) is never taken. Live state is checked through the
sandbox's API, never through reconciler's reading.
"""

from __future__ import annotations

import pytest
import yaml

from tests.kinds.conftest import Project
from tests.kinds.test_webhooks import HOOKS, applied, live_hooks

PERSONS = HOOKS["new-persons"]


@pytest.fixture(autouse=True)
def hook_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", "s3cret-Hook-pass")


def recreate_in_ui(project: Project, old_id: int, **changed: str) -> int:
    """What the web UI's edit does: delete the webhook, create one with the same URL and events."""
    project.api("DELETE", f"/api/v1/webhooks/{old_id}")
    body = {"subscription_url": PERSONS["url"], "event_action": PERSONS["event_action"],
            "event_object": PERSONS["event_object"], "name": PERSONS["name"], "version": PERSONS["version"],
            **changed}
    return project.api("POST", "/api/v1/webhooks", json=body)["id"]


def declared(project: Project) -> dict:
    return yaml.safe_load((project.path / "webhooks.yaml").read_text(encoding="utf-8"))["webhooks"]


def test_a_webhook_recreated_in_the_ui_is_followed_and_pull_adopts_it(project: Project) -> None:
    applied(project)
    old = live_hooks(project)["New persons"]["id"]
    new = recreate_in_ui(project, old, name="People to the CRM", version="2.0")

    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == [], plan["changes"]
    assert plan["followed"] == [{"kind": "webhook", "key": "new-persons", "how": "recreated", "from": old,
                                 "into": new, "into_kind": "webhook", "into_key": None}]
    (change,) = plan["changes"]  # what the UI changed is drift, as any other edit made there
    assert change["key"] == "new-persons" and change["fields"]["name"]["drift"] is True
    assert change["fields"]["version"]["drift"] is True
    assert f"was deleted and created again in Pipedrive as webhook {new}" in project.run("plan").out

    pulled = project.ok("pull", str(project.path))
    assert f"webhook {new}" in pulled.out, pulled.out
    now = declared(project)["new-persons"]
    assert (now["name"], now["version"], now["url"]) == ("People to the CRM", "2.0", PERSONS["url"])
    assert project.lock()["resources"]["webhook"]["new-persons"] == new
    after = project.plan_json()
    assert after["changes"] == [] and "followed" not in after, after
    assert sorted(h["id"] for h in project.api("GET", "/api/v1/webhooks")
                  if h["subscription_url"] == PERSONS["url"]) == [new]

    newer = recreate_in_ui(project, new, name="People again", version="2.0")  # a later UI edit: drift
    (change,) = project.plan_json()["changes"]
    assert change["fields"]["name"]["drift"] is True and not change["fields"]["name"].get("conflict")
    assert project.plan_json()["followed"][0]["into"] == newer


def test_a_webhook_recreated_unchanged_is_not_created_twice_by_apply(project: Project) -> None:
    applied(project)
    old = live_hooks(project)["New persons"]["id"]
    new = recreate_in_ui(project, old)
    plan = project.plan_json()
    assert plan["changes"] == [] and plan["followed"][0]["into"] == new
    project.apply()
    assert sorted(h["id"] for h in project.api("GET", "/api/v1/webhooks")
                  if h["subscription_url"] == PERSONS["url"]) == [new]
    assert project.lock()["resources"]["webhook"]["new-persons"] == new
    assert "followed" not in project.plan_json()


def test_another_integrations_older_webhook_is_never_taken(project: Project) -> None:
    foreign = project.api("POST", "/api/v1/webhooks", json={
        "subscription_url": PERSONS["url"], "event_action": PERSONS["event_action"],
        "event_object": PERSONS["event_object"], "name": PERSONS["name"], "version": PERSONS["version"]})
    applied(project)
    ours = live_hooks(project)
    old = max(h["id"] for h in project.api("GET", "/api/v1/webhooks") if h["subscription_url"] == PERSONS["url"])
    assert old != foreign["id"] and len(ours) == 2
    project.api("DELETE", f"/api/v1/webhooks/{old}")  # ours deleted, not re-created: the older one is not it
    plan = project.plan_json()
    assert "followed" not in plan
    (change,) = plan["changes"]
    assert (change["key"], change["action"]) == ("new-persons", "create")
    project.apply()
    hooks = [h for h in project.api("GET", "/api/v1/webhooks") if h["subscription_url"] == PERSONS["url"]]
    assert foreign["id"] in {h["id"] for h in hooks} and len(hooks) == 2
    assert project.lock()["resources"]["webhook"]["new-persons"] != foreign["id"]


def test_two_candidates_follow_neither_and_say_why(project: Project) -> None:
    applied(project)
    old = live_hooks(project)["New persons"]["id"]
    first = recreate_in_ui(project, old)
    second = project.api("POST", "/api/v1/webhooks", json={
        "subscription_url": PERSONS["url"], "event_action": PERSONS["event_action"],
        "event_object": PERSONS["event_object"], "name": "Another", "version": "1.0"})["id"]
    result = project.run("plan")
    assert f"{first}, {second}" in result.both and "not followed" in result.both, result.both
    assert "followed" not in project.plan_json()


def test_a_webhook_recreated_in_the_ui_over_http(tmp_path, sandbox_process) -> None:
    """As a user runs it against `sandbox serve`: the password never printed, one webhook left."""
    from tests.conftest import cli_env, run_cli

    server = sandbox_process("hookrecreated")
    password = "over-http-recreated-pass"
    env = {**cli_env(), "HOOK_PASSWORD": password}

    def cli(*args: str):
        return run_cli(*args, "--endpoint", server.endpoint, env=env)

    project = tmp_path / "crm"
    project.mkdir()
    (project / "webhooks.yaml").write_text(yaml.safe_dump({"webhooks": HOOKS}, sort_keys=False), encoding="utf-8")
    applied_run = cli("apply", str(project), "--auto-approve")
    assert applied_run.code == 0, applied_run.both[-2000:]
    deals = HOOKS["deal-events"]
    (old,) = [h for h in server.api.call("GET", "/api/v1/webhooks") if h["subscription_url"] == deals["url"]]
    server.api.call("DELETE", f"/api/v1/webhooks/{old['id']}")
    new = server.api.call("POST", "/api/v1/webhooks", json={
        "subscription_url": deals["url"], "event_action": deals["event_action"], "event_object": deals["event_object"],
        "name": "Deals to the lake", "version": deals["version"], "user_id": old["user_id"],
        "http_auth_user": deals["http_auth_user"], "http_auth_password": password})["id"]

    drift = cli("plan", str(project), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2 and f"created again in Pipedrive as webhook {new}" in drift.out, drift.both[-2000:]
    pulled = cli("pull", str(project))
    assert pulled.code == 0, pulled.both[-2000:]
    now = yaml.safe_load((project / "webhooks.yaml").read_text(encoding="utf-8"))["webhooks"]["deal-events"]
    assert now["name"] == "Deals to the lake" and now["http_auth_password_env"] == "HOOK_PASSWORD"
    assert cli("plan", str(project), "--detailed-exitcode").code == 0
    assert [h["id"] for h in server.api.call("GET", "/api/v1/webhooks")
            if h["subscription_url"] == deals["url"]] == [new]
    for result in (applied_run, drift, pulled):
        assert password not in result.both
    assert password not in (project / "reconciler.lock").read_text(encoding="utf-8")
