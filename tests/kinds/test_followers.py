"""Followers of deals, persons and organizations as code (issue 27): `followers:` by user email.

The list is the whole set of followers besides the owner: Pipedrive makes a record's owner follow it
by itself, so the owner is never added, removed or reported. One apply creates the records and
their followers, the next plan is empty, export then plan is empty, a follower added in Pipedrive is
drift and `pull` writes it back. Live state is checked through the sandbox's API.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

API_USER = "alice@example.com"  # the sandbox's API user: the owner of what the apply creates


def manifests(project: Project, deal_followers: list[str] | None = None) -> None:
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme", "followers": ["bob@example.com"]}},
        "persons": {"ann": {"name": "Ann Lee", "org": "acme", "owner": "bob@example.com",
                            "followers": ["carol@example.com"]}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme",
                                "followers": deal_followers if deal_followers is not None
                                else ["bob@example.com", "carol@example.com"]}},
    })


def users(project: Project) -> dict[str, int]:
    return {u["email"]: u["id"] for u in project.api("GET", "/api/v1/users")}


def followers(project: Project, collection: str, title: str) -> list[str]:
    """A record's followers' emails, as Pipedrive lists them."""
    found = next(r for r in project.api("GET", f"/api/v2/{collection}", params={"limit": 500})
                 if title in (r.get("title"), r.get("name")))
    emails = {i: e for e, i in users(project).items()}
    listed = project.api("GET", f"/api/v2/{collection}/{found['id']}/followers")
    return sorted(emails[f["user_id"]] for f in listed)


def deal_followers_line(project: Project) -> int:
    """The line of the deal's `followers:` (or its first item) in records.yaml."""
    lines = (project.path / "records.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "acme-deal:")
    at = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("followers:"))
    return at + (1 if lines[at].strip() == "followers:" else 0) + 1


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_records_and_their_followers(project: Project) -> None:
    manifests(project)
    result = project.apply()
    assert "Resources: 3 created, 0 updated, 0 deleted" in result.out
    # the owner follows by Pipedrive's own rule; the declared ones by the apply
    assert followers(project, "deals", "Acme deal") == sorted([API_USER, "bob@example.com", "carol@example.com"])
    assert followers(project, "organizations", "Acme") == sorted([API_USER, "bob@example.com"])
    assert followers(project, "persons", "Ann Lee") == ["bob@example.com", "carol@example.com"]

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 3
    assert all("followers" in fields for fields in
               (project.lock()["applied"][kind][key] for kind, key in (("deal", "acme-deal"), ("person", "ann"),
                                                                       ("organization", "acme"))))


def test_a_follower_left_out_is_removed_and_the_owner_never_is(project: Project) -> None:
    applied(project)
    manifests(project, deal_followers=["carol@example.com"])
    plan = project.plan_json()
    (change,) = plan["changes"]
    assert change["key"] == "acme-deal"
    assert change["fields"]["followers"]["detail"] == {"added": [], "removed": ["bob@example.com"]}
    text = project.ok("plan", "--no-color").out
    assert "- follower bob@example.com" in text
    project.apply()
    assert followers(project, "deals", "Acme deal") == sorted([API_USER, "carol@example.com"])
    assert project.plan_json()["changes"] == []

    manifests(project, deal_followers=[])  # none besides the owner
    project.apply()
    assert followers(project, "deals", "Acme deal") == [API_USER]
    assert project.plan_json()["changes"] == []


def test_declaring_the_owner_changes_nothing(project: Project) -> None:
    manifests(project, deal_followers=[API_USER, "bob@example.com"])
    project.apply()
    assert followers(project, "deals", "Acme deal") == sorted([API_USER, "bob@example.com"])
    assert project.plan_json()["changes"] == []


def test_a_new_owner_follows_and_the_previous_one_is_removed_unless_listed(project: Project) -> None:
    applied(project)
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    records["deals"]["acme-deal"]["owner"] = "bob@example.com"
    records["deals"]["acme-deal"]["followers"] = ["carol@example.com"]
    project.write("records.yaml", records)
    project.apply()
    assert followers(project, "deals", "Acme deal") == ["bob@example.com", "carol@example.com"]
    assert project.plan_json()["changes"] == []


def test_a_follower_added_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    (org,) = project.api("GET", "/api/v2/organizations", params={"limit": 500})
    project.api("POST", f"/api/v2/organizations/{org['id']}/followers",
                json={"user_id": users(project)["carol@example.com"]})

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "acme" and change["fields"]["followers"]["drift"] is True
    assert change["fields"]["followers"]["detail"] == {"added": [], "removed": ["carol@example.com"]}

    project.ok("pull", str(project.path))
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    assert records["organizations"]["acme"]["followers"] == ["bob@example.com", "carol@example.com"]
    assert project.plan_json()["changes"] == []


def test_a_follower_removed_in_pipedrive_is_drift_too(project: Project) -> None:
    applied(project)
    (deal,) = project.api("GET", "/api/v2/deals", params={"limit": 500})
    project.api("DELETE", f"/api/v2/deals/{deal['id']}/followers/{users(project)['carol@example.com']}")
    (change,) = project.plan_json()["changes"]
    assert change["fields"]["followers"]["drift"] is True
    assert change["fields"]["followers"]["detail"] == {"added": ["carol@example.com"], "removed": []}


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "organizations", "--kind", "persons", "--kind", "deals")
    exported = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in out.rglob("*.yaml")}
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.yaml"))
    assert "carol@example.com" in text and exported
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 3


def test_a_follower_that_is_no_email_is_refused_at_validate_with_its_line(project: Project) -> None:
    manifests(project, deal_followers=["bob"])
    result = project.run("validate")
    assert result.code == 1
    assert f"records.yaml:{deal_followers_line(project)}:" in result.both and "followers" in result.both, result.both


def test_an_unknown_user_is_refused_at_plan_with_its_line(project: Project) -> None:
    manifests(project, deal_followers=["nobody@example.com"])
    result = project.run("plan")
    assert result.code == 1
    assert f"records.yaml:{deal_followers_line(project)}:" in result.both
    assert "followers: unknown user 'nobody@example.com'" in result.both
