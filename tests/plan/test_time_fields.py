"""Time, time-range and date-range custom fields (issue 14, case 6): objects in Pipedrive's v2
({value, until, timezone...}), declared naturally in manifests ("09:00", {from, until}) and
compared by what they mean, so that a second plan is empty; in both API versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import InProcess, invoke, write_manifests

V1 = {"RECONCILER_SANDBOX_DEPRECATED_V1": "1"}


def _fields(db: str) -> None:
    sandbox = InProcess(db)
    try:
        for name, field_type in (("Call at", "time"), ("Office hours", "timerange"), ("Campaign", "daterange")):
            sandbox.call("POST", "/api/v1/dealFields", json={"name": name, "field_type": field_type})
    finally:
        sandbox.close()


def _data(at: str, hours: dict, campaign: dict) -> dict:
    return {"deals": {"timed": {"title": "Timed deal",
                                "fields": {"Call at": at, "Office hours": hours, "Campaign": campaign}}}}


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_time_and_range_fields_round_trip(tmp_path: Path, version: str) -> None:
    db = str(tmp_path / "s.db")
    args = ["--sandbox", db, "--api-version", version]
    env = V1 if version == "v1" else None
    assert invoke(["whoami", *args], env=env).code == 0
    _fields(db)
    project = write_manifests(tmp_path / "p", _data("9:30", {"from": "09:00", "until": "17:00"},
                                                     {"from": "2027-01-01", "until": "2027-02-01"}))
    first = invoke(["apply", str(project), "--auto-approve", *args], env=env)
    assert first.code == 0, first.both
    again = invoke(["plan", str(project), "--detailed-exitcode", *args], env=env)
    assert again.code == 0, again.both
    project = write_manifests(tmp_path / "p", _data("09:30", {"from": "08:00", "until": "17:00"},
                                                     {"from": "2027-01-01", "until": "2027-03-01"}))
    plan = json.loads(invoke(["plan", str(project), "--format", "json", *args], env=env).out)
    assert [sorted(c["fields"]) for c in plan["changes"]] == [["fields.Campaign", "fields.Office hours"]]
    assert invoke(["apply", str(project), "--auto-approve", *args], env=env).code == 0
    assert invoke(["plan", str(project), "--detailed-exitcode", *args], env=env).code == 0
    out = tmp_path / "export"
    assert invoke(["export", "--out", str(out), *args], env=env).code == 0
    assert invoke(["plan", str(out), "--detailed-exitcode", *args], env=env).code == 0
