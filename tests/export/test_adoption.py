"""Adoption: the first apply to an account that already holds half the objects creates only the rest.

Why it matters: teams adopt reconciler on accounts full of data. Without a lock, identity
falls back to natural keys (CONTRACT §2), so existing objects are adopted (recorded in the
lock) instead of duplicated, and only fields that differ are updated. The plan must say so
plainly, since the user is about to confirm it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from reconciler.lock import LockFile
from reconciler.render import render_markdown, render_text
from tests.conftest import (
    SECTIONS,
    InProcess,
    company_manifests,
    copy_examples,
    count_resources,
    write_manifests,
)

KIND = {"organizations": "organization", "persons": "person", "deals": "deal", "notes": "note",
        "activities": "activity"}


def _half(data: dict[str, dict], orgs: set[str]) -> dict[str, dict]:
    """The resources of these organizations only: the org and everything keyed under it."""
    return {section: {key: value for key, value in resources.items()
                      if any(key == org or key.startswith(org + "-") for org in orgs)}
            for section, resources in data.items()}


def _live_counts(sandbox: InProcess) -> Counter:
    counts: Counter = Counter()
    with sandbox.client() as client:
        for section in SECTIONS:
            counts[KIND[section]] = sum(1 for _ in client.list(KIND[section]))
    return counts


def test_half_existing_account_creates_only_the_other_half(in_process: InProcess, tmp_path: Path) -> None:
    data = company_manifests(orgs=6, prefix="adopt")
    first = {f"adopt-org-{i}" for i in range(3)}
    half = _half(data, first)
    project = tmp_path / "project"
    write_manifests(project, half)
    _, result = in_process.apply(project)
    assert result.ok
    assert count_resources(half) * 2 == count_resources(data) == 60

    # the same project grows to the whole set, and its lock is lost (or was never committed)
    write_manifests(project, data)
    (project / "reconciler.lock").unlink()
    run = in_process.plan(project)
    plan = run.plan
    created = {(c.kind, c.key) for c in plan.changes if c.action == "create"}
    expected_new = {(KIND[s], k) for s in SECTIONS for k in data[s] if k not in half[s]}
    assert created == expected_new
    assert plan.summary == {"create": 30, "update": 0, "delete": 0, "unchanged": 30}
    adopted = {(a["kind"], a["key"]) for a in plan.adopt}
    assert adopted == {(KIND[s], k) for s in SECTIONS for k in half[s]}

    text = render_text(plan)
    for kind, key in adopted:
        assert f"{kind}.{key} (id " in text
    assert text.count("adopted: matches by its natural key, recorded in the lock") == 30
    assert "30 existing object(s) adopted into the lock without changes." in render_markdown(plan)
    assert json.loads(json.dumps(plan.to_json(), default=str))["adopt"]

    _, result = in_process.apply(project)
    assert result.ok
    assert _live_counts(in_process) == Counter({"organization": 6, "person": 12, "deal": 12, "note": 18,
                                                "activity": 12})  # not one duplicate
    lock = LockFile.read(project / "reconciler.lock")
    assert sum(len(v) for v in lock.resources.values()) == 60  # adopted objects are recorded too
    again = in_process.plan(project).plan
    assert again.summary["create"] == again.summary["update"] == 0 and not again.adopt


def test_adopted_objects_that_differ_get_only_their_differences(in_process: InProcess, tmp_path: Path) -> None:
    data = company_manifests(orgs=2, prefix="diff")
    project = tmp_path / "project"
    write_manifests(project, data)
    _, result = in_process.apply(project)
    assert result.ok
    (project / "reconciler.lock").unlink()
    data["deals"]["diff-org-0-d0"]["value"] = 777
    data["organizations"]["diff-org-1"]["address"] = "1 New Road"
    write_manifests(project, data)
    plan = in_process.plan(project).plan
    assert plan.summary["create"] == 0 and plan.summary["update"] == 2
    by_address = {c.address: c for c in plan.changes}
    deal = by_address["deal.diff-org-0-d0"]
    assert deal.adopted and list(deal.fields) == ["value"]
    assert deal.fields["value"] == {"before": 1000, "after": 777}
    org = by_address["organization.diff-org-1"]
    assert org.adopted and list(org.fields) == ["address"]
    text = render_text(plan)
    assert "deal.diff-org-0-d0" in text and "adopted: matched an existing object by its natural key" in text
    assert len(plan.adopt) == count_resources(data) - 2
    _, result = in_process.apply(project)
    assert result.ok
    assert _live_counts(in_process)["deal"] == 4


def test_v1_adoption_finds_every_owners_activities(tmp_path: Path) -> None:
    """Over v1, activities of other owners are listed too (user_id=0), so none is created twice."""

    from tests.conftest import invoke

    project = tmp_path / "project"
    copy_examples(project, "accounts")
    db = str(tmp_path / "sandbox.db")
    served = {"RECONCILER_SANDBOX_DEPRECATED_V1": "1"}  # v1 deals/persons/... are out of support at Pipedrive
    assert invoke(["apply", str(project), "--sandbox", db, "--auto-approve", "--api-version", "v1"], served).code == 0
    (project / "reconciler.lock").unlink()
    result = invoke(["plan", str(project), "--sandbox", db, "--api-version", "v1", "--format", "json"], served)
    assert result.code == 0, result.both
    plan = json.loads(result.out)
    assert plan["summary"]["create"] == 0
    assert {a["kind"] for a in plan["adopt"]} == {"organization", "person", "product", "deal", "note", "activity",
                                                  "lead"}
