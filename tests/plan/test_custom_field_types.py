"""Custom fields people set (issue 16): a user-type field takes an email like `owner:`, an
organization- or person-type field a manifest key or `{id: N}` like `org:`; export writes
them the same way. Each applies, plans clean afterwards, and round-trips through export.

Before, validate and plan accepted `Account manager: carol@example.com` and apply failed
with "must be an integer".
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import InProcess, invoke, write_manifests


def _add_fields(db: str) -> None:
    sandbox = InProcess(db)
    try:
        for name, field_type in (("Account manager", "user"), ("Partner org", "org"), ("Sponsor", "people")):
            sandbox.call("POST", "/api/v1/dealFields", json={"name": name, "field_type": field_type})
    finally:
        sandbox.close()


def _manifests(manager: str, partner, sponsor) -> dict:
    return {
        "organizations": {"cf-acme": {"name": "CF Acme"}, "cf-partner": {"name": "CF Partner"}},
        "persons": {"cf-sponsor": {"name": "CF Sponsor", "emails": ["sponsor@cf.example.com"]}},
        "deals": {"cf-deal": {"title": "CF deal", "org": "cf-acme",
                              "fields": {"Account manager": manager, "Partner org": partner, "Sponsor": sponsor}}},
    }


def test_user_organization_and_person_custom_fields(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    invoke(["whoami", "--sandbox", db])  # creates the sandbox company
    _add_fields(db)
    project = write_manifests(tmp_path / "project", _manifests("carol@example.com", "cf-partner", "cf-sponsor"))
    first = invoke(["apply", str(project), "--auto-approve", "--sandbox", db])
    assert first.code == 0, first.both
    second = invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"])
    assert second.code == 0, second.both

    # an edit costs exactly one write
    project = write_manifests(tmp_path / "project", _manifests("bob@example.com", "cf-acme", "cf-sponsor"))
    plan = invoke(["plan", str(project), "--sandbox", db, "--format", "json"])
    changes = json.loads(plan.out)["changes"]
    assert [(c["action"], c["key"], sorted(c["fields"])) for c in changes] == [
        ("update", "cf-deal", ["fields.Account manager", "fields.Partner org"])]
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0

    out = tmp_path / "exported"
    exported = invoke(["export", "--out", str(out), "--sandbox", db])
    assert exported.code == 0, exported.both
    deal = next(d for f in out.rglob("*.yaml") for d in (yaml.safe_load(f.read_text()).get("deals") or {}).values()
                if d["title"] == "CF deal")
    assert deal["fields"]["Account manager"] == "bob@example.com"
    assert deal["fields"]["Partner org"] == "cf-acme"
    assert deal["fields"]["Sponsor"] == "cf-sponsor"
    clean = invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"])
    assert clean.code == 0, clean.both


def test_a_user_custom_field_names_an_unknown_user_at_plan_time(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    invoke(["whoami", "--sandbox", db])
    _add_fields(db)
    project = write_manifests(tmp_path / "project", _manifests("nobody@example.com", {"id": 999999}, "cf-sponsor"))
    plan = invoke(["plan", str(project), "--sandbox", db])
    assert plan.code == 1
    assert "fields.Account manager: unknown user 'nobody@example.com'" in plan.err
