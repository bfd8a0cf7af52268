"""Organization relationships as code (issue 27): `parent:` and `related:` on an organization.

A parent relationship is declared on the daughter (`parent: acme-group`), related organizations as
the whole set on either end (`related: [globex]`); both ends may be created in the same apply, and a
related pair declared from both ends is one relationship. The next plan is empty, a change made in
Pipedrive is drift and `pull` writes it back. Live state is checked through the sandbox's API.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

ORGS = {
    "acme-group": {"name": "Acme Group"},
    "acme": {"name": "Acme", "parent": "acme-group", "related": ["globex"]},
    "globex": {"name": "Globex", "related": ["acme"]},
    "initech": {"name": "Initech"},
}


def manifests(project: Project, **changes: dict) -> None:
    project.write("records.yaml", {"organizations": {k: {**v, **changes.get(k, {})} for k, v in ORGS.items()}})


def org_ids(project: Project) -> dict[str, int]:
    return {o["name"]: o["id"] for o in project.api("GET", "/api/v2/organizations", params={"limit": 500})}


def relationships(project: Project) -> list[tuple[str, str, str]]:
    """Every live relationship as (type, owner name, linked name), once."""
    ids = org_ids(project)
    names = {i: n for n, i in ids.items()}
    seen = {}
    for org_id in ids.values():
        for rel in project.api("GET", "/api/v1/organizationRelationships", params={"org_id": org_id}):
            seen[rel["id"]] = (rel["type"], names[rel["rel_owner_org_id"]["value"]],
                               names[rel["rel_linked_org_id"]["value"]])
    return sorted(seen.values())


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_organizations_and_their_relationships_once(project: Project) -> None:
    manifests(project)
    result = project.apply()
    assert "Resources: 4 created, 0 updated, 0 deleted" in result.out
    assert "cycle" not in result.both  # relationships are written after every create: they close no cycle
    live = relationships(project)
    assert ("parent", "Acme Group", "Acme") in live
    assert len([r for r in live if r[0] == "related"]) == 1  # declared from both ends, made once
    assert sorted(r[1:] for r in live if r[0] == "related")[0] in (("Acme", "Globex"), ("Globex", "Acme"))

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 4
    assert "parent" in project.lock()["applied"]["organization"]["acme"]


def test_a_new_parent_replaces_the_old_and_null_removes_it(project: Project) -> None:
    applied(project)
    manifests(project, acme={"parent": "initech"})
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "acme" and change["fields"]["parent"] == {"before": "acme-group", "after": "initech"}
    project.apply()
    assert ("parent", "Initech", "Acme") in relationships(project)
    assert ("parent", "Acme Group", "Acme") not in relationships(project)
    assert project.plan_json()["changes"] == []

    manifests(project, acme={"parent": None})
    project.apply()
    assert [r for r in relationships(project) if r[0] == "parent"] == []
    assert project.plan_json()["changes"] == []


def test_a_related_organization_left_out_is_unlinked(project: Project) -> None:
    applied(project)
    manifests(project, acme={"related": []}, globex={"related": []})
    project.apply()
    assert [r for r in relationships(project) if r[0] == "related"] == []
    assert project.plan_json()["changes"] == []


def test_a_relationship_made_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    ids = org_ids(project)
    project.api("POST", "/api/v1/organizationRelationships",
                json={"type": "related", "rel_owner_org_id": ids["Initech"], "rel_linked_org_id": ids["Globex"]})

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "globex" and change["fields"]["related"]["drift"] is True

    project.ok("pull", str(project.path))
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    assert records["organizations"]["globex"]["related"] == ["acme", "initech"]
    assert project.plan_json()["changes"] == []


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "organizations")
    written = {}
    for path in out.rglob("*.yaml"):
        written.update(yaml.safe_load(path.read_text(encoding="utf-8"))["organizations"])
    assert written["acme"]["parent"] == "acme-group" and written["acme"]["related"] == ["globex"]
    assert written["globex"]["related"] == ["acme"]  # a related pair: written on both ends
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 4


def test_an_unknown_organization_key_is_refused_at_validate_with_its_line(project: Project) -> None:
    manifests(project, acme={"parent": "nowhere"})
    result = project.run("validate")
    assert result.code == 1
    lines = (project.path / "records.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "parent: nowhere" in text)
    assert f"records.yaml:{line}:" in result.both and "nowhere" in result.both, result.both


def test_relationships_declared_from_one_end_each_converge(project: Project) -> None:
    """A ring a→b→c→a, each end listing only the next: each organization's whole set is both neighbours."""
    project.write("records.yaml", {"organizations": {
        "a": {"name": "A", "related": ["b"]}, "b": {"name": "B", "related": ["c"]},
        "c": {"name": "C", "related": ["a"]}}})
    project.apply()
    assert len(relationships(project)) == 3
    assert project.plan_json()["changes"] == []


def test_reading_relationships_costs_one_call_per_declaring_organization(project: Project) -> None:
    manifests(project)
    project.apply()
    calls = {o: 0 for o in ("relationships", "followers")}
    text = project.run("plan", "--debug").both
    calls["relationships"] = text.count("GET /api/v1/organizationRelationships?org_id=")
    calls["followers"] = text.count("/followers")
    assert calls == {"relationships": 2, "followers": 0}  # acme and globex declare them; none declares followers
