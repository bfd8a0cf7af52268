"""Merges and lead conversions made in Pipedrive (issue 24, reproduction 5): never a duplicate.

A salesperson merges a managed person (organization, deal) into another one with Pipedrive's
own endpoint (`PUT /api/v1/{collection}/{id}/merge`, the survivor is `merge_with_id`), or
converts a managed lead to a deal. Before, the default apply created the merged object again
(its natural key no longer matched: the survivor keeps its own primary email, name or title)
and moved the deals and activities from the survivor to the copy. Now the resource is followed
to the survivor (reconciler/merges.py), the plan says "merged into N", apply and pull record
the survivor in the lock, and nothing is created.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.examples_project import BOB, ExamplesProject, examples_fixtures


class Project(ExamplesProject):
    def merge(self, kind: str, merged: Any, into: Any) -> dict:
        """What the web UI's merge does: `merged` goes, `into` survives (Pipedrive's v1 endpoint)."""
        section = {"person": "persons", "organization": "organizations", "deal": "deals"}[kind]
        return self.api("PUT", f"/api/v1/{section}/{merged}/merge", json={"merge_with_id": into}, headers=BOB)

    def person(self, name: str, email: str) -> int:
        return self.api("POST", "/api/v2/persons", json={
            "name": name, "emails": [{"value": email, "primary": True, "label": "work"}]}, headers=BOB)["id"]

    def live(self, section: str, **params: Any) -> list[dict]:
        return self.api("GET", f"/api/v2/{section}", params={"limit": 500, **params}) or []


applied_examples, project = examples_fixtures(Project)


def _holders(project: Project, email: str) -> list[int]:
    return [p["id"] for p in project.live("persons")
            if any(e["value"] == email for e in p.get("emails") or [])]


def test_a_person_merged_into_another_is_followed_and_the_default_apply_leaves_one(project: Project) -> None:
    john = project.id("person", "john-doe")
    survivor = project.person("Johnny Doe", "jd@home.example.net")
    project.merge("person", john, survivor)

    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
    assert plan["followed"] == [{"kind": "person", "key": "john-doe", "how": "merged", "from": john,
                                 "into": survivor, "into_kind": "person", "into_key": None, "at": None,
                                 "history": "Pipedrive keeps no record of who merged it or when"}]
    (change,) = [c for c in plan["changes"] if c["key"] == "john-doe"]
    assert change["id"] == survivor and "merged in Pipedrive into person" in change["reason"]
    assert change["fields"]["name"]["drift"] is True  # the survivor's name won the merge: drift, not silent
    text = project.run("plan").out
    assert (f"person.john-doe was merged in Pipedrive into person {survivor} (it was id {john}; Pipedrive keeps "
            "no record of who merged it or when)") in " ".join(text.split())

    assert project.run("apply", "--auto-approve").code == 0
    assert _holders(project, "john.doe@acme.example.com") == [survivor]
    deal = project.api("GET", f"/api/v2/deals/{project.id('deal', 'acme-renewal-2027')}")
    assert deal["person_id"] == survivor  # the deal stayed with the survivor, not moved to a copy
    activity = project.api("GET", f"/api/v2/activities/{project.id('activity', 'acme-followup')}")
    assert activity["person_id"] == survivor
    assert project.id("person", "john-doe") == survivor
    assert project.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("policy", ["keep", "fail"])
def test_a_merge_is_never_a_create_under_keep_or_fail(project: Project, policy: str) -> None:
    john = project.id("person", "john-doe")
    survivor = project.person("Johnny Doe", "jd@home.example.net")
    project.merge("person", john, survivor)
    result = project.run("apply", "--auto-approve", "--on-drift", policy)
    assert result.code == (0 if policy == "keep" else 1), result.both
    assert _holders(project, "john.doe@acme.example.com") == [survivor]
    assert len(project.live("persons")) == 6  # examples/ 6, Bob adds 1, the merge takes 1: nothing made again


def test_a_person_merged_into_another_managed_one_is_not_recreated(project: Project) -> None:
    john, jane = project.id("person", "john-doe"), project.id("person", "jane-roe")
    project.merge("person", jane, john)  # Jane's record goes into John's
    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
    assert {"kind": "person", "key": "jane-roe", "how": "merged", "from": jane, "into": john,
            "into_kind": "person", "into_key": "john-doe", "at": None,
            "history": "Pipedrive keeps no record of who merged it or when"} in plan["followed"]
    # the deal that named Jane is not moved anywhere: it is on the survivor, where Jane's key leads
    assert "acme-robotics-pilot" not in {c["key"] for c in plan["changes"]}
    assert "remove person.jane-roe from the manifests" in project.run("plan").out
    assert project.run("apply", "--auto-approve").code == 0
    # no person made again for Jane (overwrite puts John's declared emails back on the survivor)
    assert set(_holders(project, "jane.roe@acme.example.com")) <= {john}
    assert len(project.live("persons")) == 5


def test_an_organization_merged_into_another_is_followed(project: Project) -> None:
    initech = project.id("organization", "initech")
    survivor = project.api("POST", "/api/v2/organizations", json={"name": "Initech Holdings"}, headers=BOB)["id"]
    project.merge("organization", initech, survivor)
    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
    assert [(f["key"], f["into"]) for f in plan["followed"]] == [("initech", survivor)]
    assert project.run("apply", "--auto-approve").code == 0
    names = [o["name"] for o in project.live("organizations")]
    assert names.count("Initech Logistics") == 1 and "Initech Holdings" not in names  # renamed back, not duplicated
    assert project.id("organization", "initech") == survivor


def test_a_deal_merged_into_another_is_followed(project: Project) -> None:
    deal = project.id("deal", "acme-renewal-2027")
    org = project.id("organization", "acme")
    survivor = project.api("POST", "/api/v2/deals", json={"title": "Acme renewal (2027)", "org_id": org},
                           headers=BOB)["id"]
    project.merge("deal", deal, survivor)
    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
    assert [(f["kind"], f["key"], f["into"]) for f in plan["followed"]] == [("deal", "acme-renewal-2027", survivor)]
    assert project.run("apply", "--auto-approve").code == 0
    titles = [d["title"] for d in project.live("deals")]
    assert titles.count("Acme renewal 2027") == 1 and "Acme renewal (2027)" not in titles
    note = project.api("GET", f"/api/v1/notes/{project.id('note', 'acme-kickoff')}")
    assert note["deal_id"] == survivor


def test_a_lead_converted_to_a_deal_is_recognised_never_recreated(project: Project) -> None:
    lead = project.id("lead", "initech-warehouse-expansion")
    converted = project.api("POST", f"/api/v2/leads/{lead}/convert/deal", json={}, headers=BOB)
    status = project.api("GET", f"/api/v2/leads/{lead}/convert/status/{converted['conversion_id']}")
    deal = status["deal_id"]
    plan = project.plan_json()
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
    assert plan["followed"] == [{"kind": "lead", "key": "initech-warehouse-expansion", "how": "converted",
                                 "from": lead, "into": deal, "into_kind": "deal", "into_key": None}]
    assert f"was converted in Pipedrive to deal {deal}" in project.run("plan").out
    assert project.run("apply", "--auto-approve").code == 0
    assert project.api("GET", "/api/v1/leads") in (None, [])  # the lead was not created again
    assert [d["id"] for d in project.live("deals") if d["title"] == "Initech warehouse expansion"] == [deal]


def test_pull_repoints_the_lock_to_the_survivor(project: Project) -> None:
    john = project.id("person", "john-doe")
    survivor = project.person("Johnny Doe", "jd@home.example.net")
    project.merge("person", john, survivor)
    result = project.run("pull", "--prefer", "pipedrive")
    assert result.code == 0, result.both
    assert f"merged in Pipedrive into person {survivor}" in result.out
    assert project.id("person", "john-doe") == survivor
    plan = project.plan_json()
    assert "followed" not in plan
    assert [c for c in plan["changes"] if c["action"] == "create"] == []
