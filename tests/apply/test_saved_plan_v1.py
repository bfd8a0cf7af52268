"""A saved plan applies with `--api-version v1` and typed custom values (issue 16).

v1 answers custom values in shapes that depend on each field's type (an enum's option id
as text, a set as "1,2", a monetary amount beside `<key>_currency`). The client must be
given the account's field types explicitly; before, it learnt them only as a side effect
of the planner's schema load, so `apply --plan` (which does not plan) read every object
with enum, set or monetary values as changed ("stale") and sent a monetary create wrongly.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import invoke, write_manifests


def _deals(value: int, source: str, interests: list[str]) -> dict:
    return {
        "organizations": {"v1-org": {"name": "V1 Org", "fields": {"Industry": "Retail"}}},
        "persons": {"v1-person": {"name": "V1 Person", "emails": ["v1@example.com"], "fields": {"Interests": interests}}},
        "deals": {
            "v1-deal": {"title": "V1 deal", "org": "v1-org", "currency": "EUR",
                        "fields": {"Lead source": source, "Contract value": value}},
            "v1-new": {"title": "V1 new deal", "org": "v1-org", "fields": {"Contract value": {"value": 7, "currency": "GBP"}}},
        },
    }


V1 = {"RECONCILER_SANDBOX_DEPRECATED_V1": "1"}  # v1 deals are out of support: the sandbox serves them on request


def test_apply_plan_with_v1_and_enum_set_and_monetary_values(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    data = _deals(100, "Referral", ["Events"])
    data["deals"].pop("v1-new")
    project = write_manifests(tmp_path / "project", data)
    first = invoke(["apply", str(project), "--auto-approve", "--sandbox", db, "--api-version", "v1"], env=V1)
    assert first.code == 0, first.both
    project = write_manifests(tmp_path / "project", _deals(250, "Website", ["Events", "Newsletter"]))
    plan_file = tmp_path / "plan.json"
    made = invoke(["plan", str(project), "--out", str(plan_file), "--sandbox", db, "--api-version", "v1"], env=V1)
    assert made.code == 0, made.both
    summary = json.loads(plan_file.read_text(encoding="utf-8"))["summary"]
    assert (summary["create"], summary["update"]) == (1, 2), summary
    applied = invoke(["apply", "--plan", str(plan_file), "--auto-approve", "--sandbox", db, "--api-version", "v1"], env=V1)
    assert applied.code == 0, applied.both
    again = invoke(["plan", str(project), "--sandbox", db, "--api-version", "v1", "--detailed-exitcode"], env=V1)
    assert again.code == 0, again.both
    assert "No changes" in again.out
