"""Round trip on accounts a person made by hand in Pipedrive, not by reconciler.

Why: real accounts hold duplicate names, names YAML would misread (Yes, 123, 2026-01-01),
notes with HTML, people with no organization or no email, deals with only a person,
activities with only an org. Each must export to a manifest that plans clean.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.export import ACCOUNTS_DIR
from reconciler.lock import LockFile
from tests.conftest import InProcess

from .conftest import rc


def _populate(db: Path) -> dict[str, int]:
    sandbox = InProcess(str(db))
    ids: dict[str, int] = {}
    try:
        fields = sandbox.call("GET", "/api/v1/dealFields", params={"limit": 500})
        contract = next(f["key"] for f in fields if f["name"] == "Contract value")
        org_fields = sandbox.call("GET", "/api/v1/organizationFields", params={"limit": 500})
        industry = next(f for f in org_fields if f["name"] == "Industry")
        for label, name in (("acme1", "Acme"), ("acme2", "Acme"), ("yes", "Yes"), ("num", "123"),
                            ("date", "2026-01-01"), ("cafe", "Café Müller: #1 {best}"),
                            ("acme12", "Acme 12")):
            ids[label] = sandbox.call("POST", "/api/v2/organizations", json={"name": name})["id"]
        sandbox.call("PATCH", f"/api/v2/organizations/{ids['cafe']}",
                     json={"custom_fields": {industry["key"]: industry["options"][1]["id"]}})
        ids["loner"] = sandbox.call("POST", "/api/v2/persons", json={"name": "Lone Wolf"})["id"]
        ids["twin1"] = sandbox.call("POST", "/api/v2/persons", json={"name": "Sam Smith", "org_id": ids["acme1"]})["id"]
        ids["twin2"] = sandbox.call("POST", "/api/v2/persons", json={"name": "Sam Smith", "org_id": ids["acme2"]})["id"]
        ids["deal_person_only"] = sandbox.call(
            "POST", "/api/v2/deals",
            json={"title": "Person-only deal", "person_id": ids["twin2"], "value": 10.5, "currency": "EUR",
                  "status": "lost", "lost_reason": "No budget", "custom_fields": {contract: {"value": 99.5, "currency": "GBP"}}},
        )["id"]
        ids["deal_bare"] = sandbox.call("POST", "/api/v2/deals", json={"title": "True"})["id"]
        ids["note_html"] = sandbox.call(
            "POST", "/api/v1/notes",
            json={"content": "<p>Line one &amp; more</p><p>Line <b>two</b>: 50% off</p>", "org_id": ids["acme1"]},
        )["id"]
        ids["note_person"] = sandbox.call("POST", "/api/v1/notes",
                                          json={"content": "no: org here", "person_id": ids["loner"]})["id"]
        ids["act_org"] = sandbox.call(
            "POST", "/api/v2/activities",
            json={"subject": "Quarterly review", "type": "meeting", "org_id": ids["yes"], "done": True},
        )["id"]
        ids["act_org2"] = sandbox.call(
            "POST", "/api/v2/activities",
            json={"subject": "Quarterly review", "type": "meeting", "org_id": ids["yes"], "due_date": "2027-03-01"},
        )["id"]
    finally:
        sandbox.close()
    return ids


def test_hand_made_account_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "hand.db"
    ids = _populate(db)
    out = tmp_path / "out"
    result = rc("export", "--out", str(out), "--sandbox", str(db))
    assert result.code == 0, result.both
    plan = rc("plan", str(out), "--sandbox", str(db), "--detailed-exitcode")
    assert plan.code == 0, plan.both + "\n" + "\n".join(
        f"--- {p}\n{p.read_text()}" for p in sorted(out.rglob("*.yaml")))
    lock = LockFile.read(out / "reconciler.lock")
    orgs = {v: k for k, v in lock.resources["organization"].items()}
    # the oldest of a name gets the bare key, later ones the id; "Acme 12" keeps its own
    assert orgs[ids["acme1"]] == "acme"
    assert orgs[ids["acme2"]] == f"acme-{ids['acme2']}"
    assert orgs[ids["acme12"]] == "acme-12"
    assert orgs[ids["num"]] == "123" and orgs[ids["date"]] == "2026-01-01"
    assert orgs[ids["cafe"]] == "cafe-muller-1-best"
    people = {v: k for k, v in lock.resources["person"].items()}
    assert people[ids["twin1"]] == "sam-smith" and people[ids["twin2"]] == f"sam-smith-{ids['twin2']}"
    # a person with no organization goes to persons.yaml; the person-only deal follows its
    # person into that person's organization file
    persons = yaml.safe_load((out / "persons.yaml").read_text(encoding="utf-8"))["persons"]
    assert persons == {"lone-wolf": {"name": "Lone Wolf", "owner": "alice@example.com", "visible_to": "company"}}
    acme = yaml.safe_load((out / ACCOUNTS_DIR / "acme.yaml").read_text(encoding="utf-8"))
    # manifest text is plain text: formatting made in Pipedrive's editor is not managed
    assert acme["notes"]["acme-line-one-more"]["content"] == "Line one & more\nLine two: 50% off"
    acme2 = yaml.safe_load((out / ACCOUNTS_DIR / f"acme-{ids['acme2']}.yaml").read_text(encoding="utf-8"))
    deal = acme2["deals"]["person-only-deal"]
    assert "org" not in deal and deal["person"] == f"sam-smith-{ids['twin2']}"
    assert deal["fields"]["Contract value"] == {"value": 99.5, "currency": "GBP"}
    assert deal["status"] == "lost" and deal["lost_reason"] == "No budget"
    # YAML-lookalike values stay strings
    for label, name in (("yes", "Yes"), ("num", "123"), ("date", "2026-01-01")):
        doc = yaml.safe_load((out / ACCOUNTS_DIR / f"{orgs[ids[label]]}.yaml").read_text(encoding="utf-8"))
        assert doc["organizations"][orgs[ids[label]]]["name"] == name
    deals = yaml.safe_load((out / "deals.yaml").read_text(encoding="utf-8"))["deals"]
    assert deals["true"]["title"] == "True"
    # two activities with one subject on one org: the second gets the id
    yes_doc = yaml.safe_load((out / ACCOUNTS_DIR / "yes.yaml").read_text(encoding="utf-8"))
    assert sorted(yes_doc["activities"]) == ["yes-quarterly-review", f"yes-quarterly-review-{ids['act_org2']}"]
    assert yes_doc["activities"]["yes-quarterly-review"]["done"] is True
    assert validate_ok(out)


def validate_ok(out: Path) -> bool:
    result = rc("validate", str(out))
    assert result.code == 0, result.both
    return True
