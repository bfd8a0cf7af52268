"""What the team day's people rules (team_day_people.py: followers, user custom fields) found, each as
an ordinary regression test."""

from __future__ import annotations

from pathlib import Path

from tests.shape.conftest import Project

BOB = {"X-Sandbox-User": "bob@example.com"}


def _user(project: Project, email: str) -> int:
    return next(u["id"] for u in project.api("GET", "/api/v1/users") if u["email"] == email)


def test_the_plan_names_the_follower_it_removes_when_the_owner_changed_in_the_ui(tmp_path: Path) -> None:
    """Found by the team day: Bob makes himself the owner of Carol's person in the UI (Pipedrive makes
    him follow; Carol, the previous owner, keeps following). The plan sets the owner back to Carol and
    removes Bob's follow (right: Carol is the owner the manifests give, never a managed follower), but
    its diff showed the followers beside the *live* owner: `- follower carol@example.com`, the one user
    it does not remove, in the text and in the JSON's `before` and `detail.removed`."""
    project = Project(tmp_path)
    project.write("crm.yaml", {"persons": {"mindy": {
        "name": "Mindy Park", "owner": "carol@example.com", "followers": ["alice@example.com"]}}})
    project.apply()
    person = project.lock()["resources"]["person"]["mindy"]
    project.api("PATCH", f"/api/v2/persons/{person}", json={"owner_id": _user(project, "bob@example.com")},
                headers=BOB)

    change = next(c for c in project.plan_json()["changes"] if c["key"] == "mindy")
    followers = change["fields"]["followers"]
    assert followers["before"] == ["alice@example.com", "bob@example.com"], followers
    assert followers["detail"] == {"added": [], "removed": ["bob@example.com"]}, followers
    assert followers.get("drift") is True, followers  # Pipedrive made Bob follow: changed in the UI
    assert change["writes"]["followers"] == {"add": [], "delete": [_user(project, "bob@example.com")]}
    assert "- follower bob@example.com" in project.ok("plan").out

    project.apply()
    live = {f["user_id"] for f in project.api("GET", f"/api/v2/persons/{person}/followers")}
    assert live == {_user(project, "carol@example.com"), _user(project, "alice@example.com")}
    assert project.run("plan", "--detailed-exitcode").code == 0


def test_pull_of_an_owner_changed_in_the_ui_takes_the_followers_beside_the_new_owner(tmp_path: Path) -> None:
    """Found by the team day: Bob gives Alice's deal to Carol in the UI. Carol (listed as a follower)
    becomes the owner, Alice keeps following. Beside Alice, the owner the manifests gave, the followers
    looked unchanged, so `pull` wrote only the new owner; beside Carol, the list [bob, carol] then named
    another set than Pipedrive's (Alice, now an ordinary follower, missing), and the next plan found a
    conflict nobody made and would have removed Alice. Now pull writes the followers beside the owner
    it writes, and nothing is left to change."""
    project = Project(tmp_path)
    project.write("crm.yaml", {"deals": {"renewal": {
        "title": "Renewal", "owner": "alice@example.com", "followers": ["bob@example.com", "carol@example.com"]}}})
    project.apply()
    deal = project.lock()["resources"]["deal"]["renewal"]
    project.api("PATCH", f"/api/v2/deals/{deal}", json={"owner_id": _user(project, "carol@example.com")},
                headers=BOB)

    pulled = project.run("pull", str(project.path))
    assert pulled.code == 0, pulled.both
    assert 'followers: ["bob@example.com", "carol@example.com"] → ["alice@example.com", "bob@example.com"]' \
        in pulled.out, pulled.both
    text = (project.path / "crm.yaml").read_text(encoding="utf-8")
    assert "owner: carol@example.com" in text and "alice@example.com" in text, text
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    live = {f["user_id"] for f in project.api("GET", f"/api/v2/deals/{deal}/followers")}
    assert live == {_user(project, e) for e in ("alice@example.com", "bob@example.com", "carol@example.com")}
