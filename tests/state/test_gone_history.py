"""Who and when for deletions and merges made in Pipedrive (issue 24, "each explained in the
plan, who and when where Pipedrive's change history tells"; reconciler/gone_history.py).

A deleted (or merged-away) deal is still listed by `GET /api/v2/deals?status=deleted` for 30
days, its `update_time` the moment it went: the plan says when. Pipedrive never says who
deleted or merged anything, and keeps no record the API shows of a deleted note, activity,
person or organization: the plan says so instead of staying silent. Before this, each was
explained only with the object's id.
"""

from __future__ import annotations

import re
from typing import Any

from tests.examples_project import BOB, ExamplesProject

WHEN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")


def _deleted_at(project: ExamplesProject, deal_id: Any) -> str:
    """When the sandbox says the deal was deleted, as the plan prints times."""
    deal = project.api("GET", f"/api/v2/deals/{deal_id}")
    assert deal["is_deleted"] is True
    return deal["update_time"].replace("T", " ").removesuffix("Z")[:16] + " UTC"


def test_a_deal_deleted_in_pipedrive_says_when_not_who(project: ExamplesProject) -> None:
    deal = project.id("deal", "globex-support-upgrade")
    project.api("DELETE", f"/api/v2/deals/{deal}", headers=BOB)
    at = _deleted_at(project, deal)

    plan = project.plan_json()
    (change,) = [c for c in plan["changes"] if c["key"] == "globex-support-upgrade"]
    assert change["reason"] == (f"deleted in Pipedrive (it was id {deal}), will be created again; "
                                f"deleted {at} (Pipedrive does not say who)")
    assert plan["history"] == [{"kind": "deal", "key": "globex-support-upgrade", "id": deal, "event": "deleted",
                                "at": at, "by": None, "told": f"deleted {at} (Pipedrive does not say who)"}]
    assert f"deleted {at} (Pipedrive does not say who)" in project.run("plan", "--format", "markdown").out
    kept = project.plan_json("--on-drift", "keep")["kept"]
    assert [k["reason"] for k in kept if k.get("deleted")] == [
        f"deleted in Pipedrive (it was id {deal}): kept deleted (--on-drift keep); deleted {at} (Pipedrive does not say who)"]


def test_a_deleted_note_says_pipedrive_keeps_no_record_and_costs_no_call(project: ExamplesProject) -> None:
    before = project.plan_json()["stats"]["api_calls"]
    note = project.id("note", "acme-kickoff")
    project.api("DELETE", f"/api/v1/notes/{note}", headers=BOB)

    plan = project.plan_json("--on-drift", "keep")
    (kept,) = plan["kept"]
    assert kept["reason"].endswith("; Pipedrive keeps no record of who deleted it or when")
    assert plan["history"] == [{"kind": "note", "key": "acme-kickoff", "id": note, "event": "deleted", "at": None,
                                "by": None, "told": "Pipedrive keeps no record of who deleted it or when"}]
    # one more call than before the deletion, as before this change (the plan's own by-id look for the
    # missing note): nothing is read for kinds whose deletions leave no record
    assert plan["stats"]["api_calls"] == before + 1
    text = project.run("plan", "--on-drift", "keep", "--no-color").out
    assert "Pipedrive keeps no record of who deleted it or when" in text


def test_a_deal_merged_in_pipedrive_says_when(project: ExamplesProject) -> None:
    deal = project.id("deal", "acme-renewal-2027")
    org = project.id("organization", "acme")
    survivor = project.api("POST", "/api/v2/deals", json={"title": "Acme renewal (2027)", "org_id": org},
                           headers=BOB)["id"]
    project.api("PUT", f"/api/v1/deals/{deal}/merge", json={"merge_with_id": survivor}, headers=BOB)
    at = _deleted_at(project, deal)

    plan = project.plan_json()
    (followed,) = plan["followed"]
    assert (followed["at"], followed["history"]) == (at, f"merged {at} (Pipedrive does not say who)")
    assert [h["event"] for h in plan["history"]] == ["merged"]
    text = project.run("plan", "--no-color").out
    assert f"merged in Pipedrive into deal {survivor} (it was id {deal}; merged {at} (Pipedrive does not say who))" \
        in " ".join(text.split())


def test_a_person_merged_in_pipedrive_says_pipedrive_keeps_no_record(project: ExamplesProject) -> None:
    john = project.id("person", "john-doe")
    survivor = project.api("POST", "/api/v2/persons", json={
        "name": "Johnny Doe", "emails": [{"value": "jd@home.example.net", "primary": True, "label": "work"}]},
        headers=BOB)["id"]
    project.api("PUT", f"/api/v1/persons/{john}/merge", json={"merge_with_id": survivor}, headers=BOB)

    plan = project.plan_json()
    (followed,) = plan["followed"]
    assert followed["at"] is None
    assert followed["history"] == "Pipedrive keeps no record of who merged it or when"
    markdown = project.run("plan", "--format", "markdown").out
    assert "Pipedrive keeps no record of who merged it or when" in markdown
