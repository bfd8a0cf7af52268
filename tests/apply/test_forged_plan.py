"""Saved plans that cannot be forged by anyone without the key (issue 25, item 2).

Before: the plan's digest was an unkeyed SHA-256, so whoever could edit a plan file (a CI
artifact) recomputed it: a forged plan deleted the protected organization (a made-up key
with its id, and an emptied `protected` list) and wrote a title `show` never displayed; a
saved plan applied after the project moved recreated the old directory with a one-entry
lock. Now `plan --out` signs with an HMAC under a key derived from the API key and the
account (the sandbox's key too), apply reads protections from the lock, `show` and `apply
--plan` print exactly what will be sent, and a plan applied away from its project is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from pathlib import Path

import pytest

from reconciler.plan import content_digest
from tests.conftest import copy_examples, invoke


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "project")


def _run(project: Path, *args: str, db: Path | None = None):
    return invoke([*args, "--sandbox", str(db or project.parent / "sandbox.db")])


def _planned(project: Path) -> tuple[Path, dict]:
    assert _run(project, "apply", str(project), "--auto-approve").code == 0
    deal = project / "accounts" / "acme.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("value: 50000", "value: 51000", 1), encoding="utf-8")
    plan_file = project.parent / "plan.json"
    made = _run(project, "plan", str(project), "--out", str(plan_file))
    assert made.code == 0, made.both
    return plan_file, json.loads(plan_file.read_text(encoding="utf-8"))


def _protected_acme(project: Path) -> int:
    lock = json.loads((project / "reconciler.lock").read_text(encoding="utf-8"))
    assert "acme" in lock["protected"]["organization"]
    return lock["resources"]["organization"]["acme"]


def _forge(data: dict, acme_id: int) -> dict:
    """Delete the protected organization under a made-up key, empty `protected`, and send a title
    the change's `fields` do not show."""
    data = dict(data)
    data.pop("digest")
    data["protected"] = {}
    data["changes"] = [*data["changes"], {"action": "delete", "kind": "organization", "key": "made-up",
                                          "id": acme_id, "fields": {}, "writes": {}}]
    data["changes"][0]["writes"]["title"] = "Forged title"
    data["summary"] = dict(data["summary"], delete=data["summary"]["delete"] + 1)
    return data


def _apply_plan(project: Path, plan_file: Path, forged: dict, digest: str):
    forged["digest"] = digest
    plan_file.write_text(json.dumps(forged), encoding="utf-8")
    return _run(project, "apply", "--plan", str(plan_file), "--auto-approve", "--max-deletes", "50")


def test_a_forged_plan_with_a_recomputed_digest_is_refused(project: Path) -> None:
    plan_file, data = _planned(project)
    assert data["digest"].startswith("hmac-sha256:")
    forged = _forge(data, _protected_acme(project))
    refused = _apply_plan(project, plan_file, forged, content_digest(forged))  # what the old check accepted
    assert refused.code == 1 and "not signed" in refused.err, refused.both
    wrong_key = hmac.new(b"someone else's key", b"x", hashlib.sha256).digest()
    refused = _apply_plan(project, plan_file, forged, content_digest(forged, wrong_key))
    assert refused.code == 1 and "signature does not match" in refused.err, refused.both
    assert "Apply complete" not in refused.out
    assert _protected_acme(project)  # still there, still protected


def test_a_signed_plan_never_deletes_what_the_lock_protects(project: Path) -> None:
    """Protections come from the lock, whatever the plan says (a plan signed by a key holder
    who emptied `protected` is refused too)."""
    from reconciler.session import SANDBOX_KEY

    plan_file, data = _planned(project)
    forged = _forge(data, _protected_acme(project))
    forged["changes"][0]["writes"].pop("title")
    company = forged["account"]["company_id"]
    key = hmac.new(SANDBOX_KEY.encode(), b"reconciler saved plan v1\0" + str(company).encode(), hashlib.sha256).digest()
    refused = _apply_plan(project, plan_file, forged, content_digest(forged, key))
    assert refused.code == 1, refused.both
    assert "deletes what the lock protects" in refused.err and "'acme'" in refused.err, refused.err


def test_show_and_apply_print_exactly_what_apply_sends(project: Path) -> None:
    plan_file, data = _planned(project)
    change = data["changes"][0]
    shown = invoke(["show", str(plan_file)])
    assert shown.code == 0
    sends = shown.out.split("Apply will send:", 1)[1]
    body = json.dumps(change["writes"], sort_keys=True, ensure_ascii=False)
    assert f"update {change['kind']}.{change['key']} (id {change['id']}): {body}" in sends
    applied = _run(project, "apply", "--plan", str(plan_file), "--auto-approve")
    assert applied.code == 0, applied.both
    assert "Apply will send:" in applied.out and body in applied.out


def test_a_plan_whose_project_moved_is_refused_and_nothing_is_recreated(project: Path, tmp_path: Path) -> None:
    plan_file, _data = _planned(project)
    moved = tmp_path / "moved"
    shutil.move(str(project), moved)
    refused = _run(moved, "apply", "--plan", str(plan_file), "--auto-approve", db=tmp_path / "sandbox.db")
    assert refused.code == 1 and "not there any more" in refused.err, refused.both
    assert not project.exists(), "the old project directory was recreated"


def test_a_plan_applied_from_another_projects_directory_is_refused(project: Path, tmp_path: Path,
                                                                   monkeypatch) -> None:
    plan_file, _data = _planned(project)
    other = copy_examples(tmp_path / "other")
    (other / "reconciler.lock").write_text((project / "reconciler.lock").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    monkeypatch.chdir(other)
    refused = _run(project, "apply", "--plan", str(plan_file), "--auto-approve")
    assert refused.code == 1 and "apply it from its own project" in refused.err, refused.both
