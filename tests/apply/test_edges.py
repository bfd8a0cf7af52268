"""Safety at the edges (issue 12): targeted, saved and renamed applies keep every promise.

Each test reproduces a case of the issue with the CLI run in this process against the
embedded sandbox, on a copy of examples/ (never the working tree's).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import copy_examples, invoke


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    return copy_examples(target)


def _run(project: Path, *args: str, input_text: str | None = None):
    return invoke([*args, "--sandbox", str(project.parent / "sandbox.db")], input_text=input_text)


def _apply(project: Path, *extra: str):
    result = _run(project, "apply", str(project), "--auto-approve", *extra)
    assert result.code == 0, result.both
    return result


def _lock(project: Path) -> dict:
    return json.loads((project / "reconciler.lock").read_text(encoding="utf-8"))


def test_a_targeted_apply_keeps_the_protections_of_everything_else(project: Path) -> None:
    _apply(project)
    assert _lock(project)["protected"] == {"organization": ["acme"]}
    globex = project / "accounts" / "globex.yaml"
    globex.write_text(globex.read_text(encoding="utf-8").replace("name: Globex Software", "name: Globex Software Group", 1),
                      encoding="utf-8")
    _apply(project, "--target", "organization.globex")
    assert _lock(project)["protected"] == {"organization": ["acme"]}, "a targeted apply wiped protections"
    (project / "accounts" / "acme.yaml").unlink()
    result = _run(project, "apply", str(project), "--auto-approve", "--max-deletes", "50")
    assert result.code == 1
    assert "organization 'acme'" in result.err and "protected" in result.err
    assert "Apply complete" not in result.out


def test_a_targeted_apply_drops_protection_only_for_its_target(project: Path) -> None:
    _apply(project)
    acme = project / "accounts" / "acme.yaml"
    acme.write_text(acme.read_text(encoding="utf-8").replace("    protect: true", "    protect: false", 1),
                    encoding="utf-8")
    _apply(project, "--target", "organization.acme")
    assert _lock(project)["protected"] == {}


def test_target_reaches_a_key_that_is_only_in_the_lock(project: Path) -> None:
    _apply(project)
    (project / "accounts" / "initech.yaml").unlink()
    plan = _run(project, "plan", str(project), "--target", "organization.initech", "--format", "json")
    assert plan.code == 0, plan.both
    changes = json.loads(plan.out)["changes"]
    assert [(c["action"], c["kind"], c["key"]) for c in changes] == [("delete", "organization", "initech")]
    missing = _run(project, "plan", str(project), "--target", "organization.nowhere")
    assert missing.code == 1 and "no such resource in the manifests or the lock" in missing.err


def test_an_edited_plan_file_is_refused(project: Path) -> None:
    _apply(project)
    deal = project / "accounts" / "acme.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("value: 50000", "value: 51000", 1), encoding="utf-8")
    plan_file = project.parent / "plan.json"
    made = _run(project, "plan", str(project), "--out", str(plan_file))
    assert made.code == 0, made.both
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    data["changes"][0]["writes"]["value"] = 1  # a hand edit that the freshness check cannot see
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    refused = _run(project, "apply", "--plan", str(plan_file), "--auto-approve")
    assert refused.code == 1
    assert "changed after it was written" in refused.err and str(plan_file) in refused.err


def test_a_plan_whose_manifests_changed_is_refused(project: Path) -> None:
    _apply(project)
    deal = project / "accounts" / "acme.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("value: 50000", "value: 51000", 1), encoding="utf-8")
    plan_file = project.parent / "plan.json"
    assert _run(project, "plan", str(project), "--out", str(plan_file)).code == 0
    deal.write_text(deal.read_text(encoding="utf-8").replace("value: 51000", "value: 52000", 1), encoding="utf-8")
    refused = _run(project, "apply", "--plan", str(plan_file), "--auto-approve")
    assert refused.code == 1
    assert "manifests the plan was made from have changed" in refused.err


def test_apply_plan_from_another_directory_writes_the_projects_lock(project: Path, monkeypatch) -> None:
    _apply(project)
    deal = project / "accounts" / "acme.yaml"
    deal.write_text(deal.read_text(encoding="utf-8").replace("value: 50000", "value: 51000", 1), encoding="utf-8")
    plan_file = project.parent / "plan.json"
    monkeypatch.chdir(project)
    assert _run(project, "plan", ".", "--out", str(plan_file)).code == 0
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    applied = _run(project, "apply", "--plan", str(plan_file), "--auto-approve")
    assert applied.code == 0, applied.both
    assert not (elsewhere / "reconciler.lock").exists()
    assert _lock(project)["resources"]["deal"]


def test_two_resources_with_one_natural_key_are_an_error_naming_both(project: Path) -> None:
    (project / "twins.yaml").write_text(
        "organizations:\n  acme-twin:\n    name: Acme Corporation\n", encoding="utf-8")
    result = _run(project, "plan", str(project))
    assert result.code == 1
    assert "twins.yaml:2:3: error: organization 'acme-twin' has the same natural key as organization 'acme'" in result.err
    assert "acme.yaml:" in result.err
    # pinning one of them by id settles it
    (project / "twins.yaml").write_text(
        "organizations:\n  acme-twin:\n    id: 999999\n    name: Acme Corporation\n", encoding="utf-8")
    pinned = _run(project, "plan", str(project))
    assert "same natural key" not in pinned.err


def test_an_absent_resource_matching_a_declared_one_is_an_error(project: Path) -> None:
    (project / "gone.yaml").write_text(
        "organizations:\n  old-acme:\n    name: Acme Corporation\n    absent: true\n", encoding="utf-8")
    result = _run(project, "plan", str(project))
    assert result.code == 1
    assert "organization 'old-acme' matches the same live object as organization 'acme'" in result.err
