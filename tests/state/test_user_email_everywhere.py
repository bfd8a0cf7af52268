"""A user's changed email, wherever the manifests name users (issue 24: the vocabulary records "the
users they name").

tests/state/test_user_email_changed.py covers the user fields (owners). Users are also named by
email in a record's `followers:` list, in custom fields of Pipedrive's `user` type, in a filter's
conditions, in a goal's `assignee` and in a webhook's `user`. Each place here names Bob alone;
after Bob changes his address in Pipedrive, each must be recognised by the id the lock recorded:
the plan fails on nothing and changes nothing, it says "user renamed in Pipedrive from X to Y",
`pull` rewrites every reference, and the next plan is empty. Before, the followers, the user
custom fields and the filters' conditions were not recorded, so every plan and pull failed with
`unknown user 'bob@example.com'`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_cli
from tests.shape.conftest import Project
from tests.state.test_user_email_changed import NEW, OLD, change_email

MANAGER = "Account manager"  # a custom field of Pipedrive's user type, on deals, persons and organizations
SHAPE = {"custom_fields": {f"{kind}-manager": {"kind": kind, "name": MANAGER, "type": "user"}
                           for kind in ("deal", "person", "organization")}}

# one place each: Bob (OLD) is named there and nowhere else
PLACES: dict[str, dict[str, Any]] = {
    "followers": {
        "organizations": {"acme": {"name": "Acme", "followers": [OLD]}},
        "persons": {"ann": {"name": "Ann Lee", "org": "acme", "followers": [OLD, "carol@example.com"]}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "followers": ["carol@example.com", OLD]}},
    },
    "user custom fields": {
        **SHAPE,
        "organizations": {"acme": {"name": "Acme", "fields": {MANAGER: OLD}}},
        "persons": {"ann": {"name": "Ann Lee", "org": "acme", "fields": {MANAGER: OLD}}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "fields": {MANAGER: OLD}}},
    },
    "filter conditions": {
        "filters": {"bobs-deals": {"name": "Bob's deals", "type": "deals", "conditions": {
            "all": [{"field": "Owner", "operator": "=", "value": OLD}],
            "any": [{"field": "Title", "operator": "LIKE '%$%'", "value": "Acme"},
                    {"field": "Owner", "operator": "=", "value": OLD}]}}},
    },
    "goal assignee": {
        "goals": {"bob-won": {"title": "Bob's deals won", "assignee": OLD, "type": "deals_won", "target": 10,
                              "tracking_metric": "quantity", "interval": "monthly", "start": "2026-01-01",
                              "end": None}},
    },
    "webhook user": {
        "webhooks": {"bob-hook": {"name": "Deals as Bob sees them", "url": "https://hooks.example.com/deals",
                                  "event_action": "*", "event_object": "deal", "user": OLD, "version": "2.0"}},
    },
}


def combined(*places: str) -> dict[str, Any]:
    """The places' manifests as one: the same record's fields together."""
    out: dict[str, Any] = {}
    for name in places:
        for section, entries in PLACES[name].items():
            for key, fields in entries.items():
                record = out.setdefault(section, {}).setdefault(key, {})
                for field, value in fields.items():
                    record[field] = {**record[field], **value} if isinstance(value, dict) and field in record \
                        else value
    return out


def manifests_text(project_path: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(project_path.rglob("*.yaml")))


def bob_id(project: Project) -> int:
    return next(u["id"] for u in project.api("GET", "/api/v1/users") if u["email"] == OLD)


@pytest.fixture(params=list(PLACES))
def place(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def applied(place: str, tmp_path: Path) -> Project:
    project = Project(tmp_path)
    project.write("crm.yaml", PLACES[place])
    project.apply()
    return project


def test_the_lock_records_the_user_named_there(applied: Project) -> None:
    assert applied.lock().get("vocabulary", {}).get("user", {}).get(OLD) == bob_id(applied)


def test_a_changed_email_is_recognised_there_and_pull_rewrites_it(applied: Project, place: str) -> None:
    assert OLD in manifests_text(applied.path)
    bob = change_email(applied.db, OLD, NEW)

    plan = applied.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both  # the same user, by id: nothing to change, nothing failing
    assert f"user renamed in Pipedrive from '{OLD}' to '{NEW}'" in plan.err, plan.both
    drift = applied.run("plan", "--drift-only", "--detailed-exitcode")
    assert drift.code == 0, drift.both

    pulled = applied.run("pull", str(applied.path))
    assert pulled.code == 0, pulled.both
    text = manifests_text(applied.path)
    assert OLD not in text and NEW in text, text
    users = applied.lock()["vocabulary"]["user"]
    assert users.get(NEW) == bob and OLD not in users
    after = applied.run("plan", "--detailed-exitcode")
    assert after.code == 0 and "renamed" not in after.err, after.both


def test_pulled_followers_and_fields_keep_the_others(tmp_path: Path) -> None:
    """Only Bob's address is rewritten: the other followers stay, in their places."""
    project = Project(tmp_path)
    data = combined("followers", "user custom fields")
    data["deals"]["acme-deal"]["fields"] = {MANAGER: "carol@example.com"}
    project.write("crm.yaml", data)
    project.apply()
    change_email(project.db, OLD, NEW)
    pulled = project.run("pull", str(project.path))
    assert pulled.code == 0, pulled.both
    pulled = yaml.safe_load((project.path / "crm.yaml").read_text())
    assert pulled["persons"]["ann"]["fields"] == {MANAGER: NEW}
    assert pulled["deals"]["acme-deal"]["followers"] == ["carol@example.com", NEW]
    assert pulled["persons"]["ann"]["followers"] == [NEW, "carol@example.com"]
    assert pulled["deals"]["acme-deal"]["fields"] == {MANAGER: "carol@example.com"}


def test_export_records_the_followers_and_user_fields_it_writes(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write("crm.yaml", combined("followers", "user custom fields"))
    project.apply()
    out = tmp_path / "exported"
    exported = project.run("export", "--out", str(out))
    assert exported.code == 0, exported.both
    lock = json.loads((out / "reconciler.lock").read_text())
    assert lock.get("vocabulary", {}).get("user", {}).get(OLD) == bob_id(project)
    change_email(project.db, OLD, NEW)
    plan = project.run("plan", "--detailed-exitcode", path=out)
    assert plan.code == 0 and f"user renamed in Pipedrive from '{OLD}' to '{NEW}'" in plan.err, plan.both


def test_over_http_followers_user_fields_and_conditions_follow_a_changed_email(tmp_path: Path,
                                                                               sandbox_process) -> None:
    server = sandbox_process("users")
    project = Project(tmp_path)
    project.write("crm.yaml", combined("user custom fields", "filter conditions"))
    data = yaml.safe_load((project.path / "crm.yaml").read_text())
    data["deals"]["acme-deal"]["followers"] = [OLD]
    data["filters"]["bobs-deals"]["conditions"]["all"].append({"field": MANAGER, "operator": "=", "value": OLD})
    project.write("crm.yaml", data)
    on = ("--endpoint", server.endpoint)
    applied = run_cli("apply", str(project.path), "--auto-approve", *on)
    assert applied.code == 0, applied.both[-2000:]
    change_email(tmp_path / "users.db", OLD, NEW)

    plan = run_cli("plan", str(project.path), "--detailed-exitcode", *on)
    assert plan.code == 0 and f"user renamed in Pipedrive from '{OLD}' to '{NEW}'" in plan.err, plan.both[-2000:]
    pulled = run_cli("pull", str(project.path), *on)
    assert pulled.code == 0, pulled.both[-2000:]
    text = manifests_text(project.path)
    assert OLD not in text and text.count(NEW) == 7, text  # 3 fields, 1 follower, 3 conditions
    assert NEW in project.lock()["vocabulary"]["user"]
    assert run_cli("plan", str(project.path), "--detailed-exitcode", *on).code == 0


def test_after_a_changed_email_a_follower_added_in_git_is_the_only_change(tmp_path: Path) -> None:
    """The recorded id is only an alias for the old address: a follower added in git is still added,
    Bob (by his old address) is neither removed nor re-added, and nothing is marked drift."""
    project = Project(tmp_path)
    project.write("crm.yaml", combined("followers"))
    project.apply()
    change_email(project.db, OLD, NEW)
    data = yaml.safe_load((project.path / "crm.yaml").read_text())
    data["organizations"]["acme"]["followers"] = [OLD, "carol@example.com"]
    project.write("crm.yaml", data)
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert (change["kind"], change["key"]) == ("organization", "acme")
    followers = change["fields"]["followers"]
    assert followers["detail"] == {"added": ["carol@example.com"], "removed": []} and not followers.get("drift")
    project.apply()
    users = {u["id"]: u["email"] for u in project.api("GET", "/api/v1/users")}
    org = next(o for o in project.api("GET", "/api/v2/organizations") if o["name"] == "Acme")
    live = sorted(users[f["user_id"]] for f in project.api("GET", f"/api/v2/organizations/{org['id']}/followers"))
    assert NEW in live and "carol@example.com" in live


def test_a_follower_removed_in_pipedrive_and_a_changed_email_pull_together(tmp_path: Path) -> None:
    """A followers list that drifted is pulled from Pipedrive, already under the new address; the
    lists that did not drift get the new address by the rename."""
    project = Project(tmp_path)
    project.write("crm.yaml", combined("followers"))
    project.apply()
    users = {u["email"]: u["id"] for u in project.api("GET", "/api/v1/users")}
    deal = next(d for d in project.api("GET", "/api/v2/deals") if d["title"] == "Acme deal")
    project.api("DELETE", f"/api/v2/deals/{deal['id']}/followers/{users['carol@example.com']}")
    change_email(project.db, OLD, NEW)

    pulled = project.run("pull", str(project.path))
    assert pulled.code == 0, pulled.both
    data = yaml.safe_load((project.path / "crm.yaml").read_text())
    assert data["deals"]["acme-deal"]["followers"] == [NEW]
    assert data["persons"]["ann"]["followers"] == [NEW, "carol@example.com"]
    assert data["organizations"]["acme"]["followers"] == [NEW]
    after = project.run("plan", "--detailed-exitcode")
    assert after.code == 0 and "renamed" not in after.err, after.both
