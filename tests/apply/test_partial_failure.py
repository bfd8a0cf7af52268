"""Partial failure (issue 6): a resource Pipedrive refuses fails alone, with a report.

The manifests pass `validate` and `plan` (the schema allows a title or name of spaces;
plan checks names against the account, not every rule of Pipedrive's), but the API refuses
a deal whose title and a person whose name is only spaces. (An organization id that does
not exist, then a currency the account does not have, the refusals this test used before,
are now found by plan: tests/plan/test_checked_before_writing.py, tests/kinds/test_currencies.py.)
Apply must go on with every independent resource, skip
the dependents of the refused ones (transitively), report each by address with the
reason and exit 1; once the manifests are fixed, a second run finishes the job with no
duplicate.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import check_plan_json, live_census, run_cli, write_manifests


def _manifests(fixed: bool) -> dict:
    return {
        "organizations": {"ok-org": {"name": "Partial Ok Org"}},
        "persons": {
            "good-person": {"name": "Good Person", "org": "ok-org", "emails": ["good@partial.example.com"]},
            "bad-person": {"name": "Bad Person" if fixed else "   ", "emails": ["bad@partial.example.com"],
                           "org": "ok-org"},
        },
        "deals": {
            "good-deal": {"title": "Partial good deal", "org": "ok-org", "value": 10, "currency": "USD"},
            "bad-deal": {"title": "Partial bad deal" if fixed else "   ", "org": "ok-org", "value": 20,
                         "currency": "EUR"},
            "dep-deal": {"title": "Partial deal of the bad person", "person": "bad-person", "value": 30},
        },
        "notes": {
            "good-note": {"deal": "good-deal", "content": "On the good deal."},
            "bad-deal-note": {"deal": "bad-deal", "content": "On the bad deal."},
            "dep-deal-note": {"deal": "dep-deal", "content": "Two levels below the bad person."},
        },
        "activities": {
            "bad-deal-call": {"subject": "Call about the bad deal", "deal": "bad-deal", "type": "call"},
            "good-call": {"subject": "Call about the good deal", "deal": "good-deal", "person": "good-person",
                          "type": "call"},
        },
    }


def test_refused_resources_fail_alone_and_a_second_run_finishes(tmp_path: Path, http_sandbox) -> None:
    project = write_manifests(tmp_path / "project", _manifests(fixed=False))
    assert run_cli("validate", str(project)).code == 0
    endpoint = ("--endpoint", http_sandbox.endpoint)

    first = run_cli("apply", str(project), "--auto-approve", "--format", "json", *endpoint)
    assert first.code == 1, first.out + first.err
    assert "Traceback" not in first.err
    report = json.loads(first.out[first.out.rindex('{\n  "ok"'):])
    assert report["ok"] is False
    assert report["summary"]["create"] == 5  # ok-org, good-person, good-deal, good-note, good-call
    assert report["summary"]["failed"] == 2 and report["summary"]["skipped"] == 4
    lines = {line.split(": ", 2)[1]: line for line in first.err.splitlines()
             if line.startswith(("failed: ", "skipped: "))}
    assert set(lines) == {"person.bad-person", "deal.bad-deal", "deal.dep-deal", "note.bad-deal-note",
                          "note.dep-deal-note", "activity.bad-deal-call"}
    assert lines["deal.bad-deal"].startswith("failed: ")
    assert "cannot be empty" in lines["deal.bad-deal"] and "2-deals.yaml:7: " in lines["deal.bad-deal"]
    assert lines["person.bad-person"].startswith("failed: ") and "cannot be empty" in lines["person.bad-person"]
    assert lines["deal.dep-deal"].startswith("skipped: ") and "person.bad-person" in lines["deal.dep-deal"]
    assert "deal.dep-deal" in lines["note.dep-deal-note"]
    assert "deal.bad-deal" in lines["activity.bad-deal-call"]
    lock = json.loads((project / "reconciler.lock").read_text())
    assert set(lock["resources"]["deal"]) == {"good-deal"}

    data = _manifests(fixed=True)
    write_manifests(project, data)
    planned = run_cli("plan", str(project), "--format", "json", *endpoint)
    plan = check_plan_json(json.loads(planned.out))
    assert plan["summary"] == {"create": 6, "update": 0, "delete": 0, "unchanged": 5}
    second = run_cli("apply", str(project), "--auto-approve", *endpoint)
    assert second.code == 0, second.out + second.err
    assert live_census(http_sandbox.api, data) == {"duplicates": [], "missing": [], "extra": []}
    final = run_cli("plan", str(project), "--detailed-exitcode", *endpoint)
    assert final.code == 0, final.out
