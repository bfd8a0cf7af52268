"""Archived deals (issue 14, case 2): Pipedrive's v2 lists leave them out, yet a managed deal
someone archived in the UI is found, never created again; `archived: true|false` manages it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import InProcess, invoke, write_manifests

DATA = {
    "organizations": {"arc-org": {"name": "Archive Org"}},
    "deals": {"arc-deal": {"title": "Archive deal", "org": "arc-org", "value": 100}},
}


def _plan(project: Path, db: str) -> dict:
    result = invoke(["plan", str(project), "--sandbox", db, "--format", "json"])
    assert result.code == 0, result.both
    return json.loads(result.out)


def _archive(db: str, title: str) -> int:
    sandbox = InProcess(db)
    try:
        deal = next(d for d in sandbox.call("GET", "/api/v2/deals") if d["title"] == title)
        sandbox.call("PATCH", f"/api/v2/deals/{deal['id']}", json={"is_archived": True})
        assert not [d for d in sandbox.call("GET", "/api/v2/deals") if d["id"] == deal["id"]]
        return deal["id"]
    finally:
        sandbox.close()


def test_a_locked_deal_archived_in_the_ui_is_found_not_created(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", DATA)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    _archive(db, "Archive deal")
    plan = _plan(project, db)
    assert plan["changes"] == []
    assert any("deal.arc-deal is archived in Pipedrive" in w for w in plan["warnings"])


def test_a_natural_key_match_among_archived_deals_is_adopted(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", DATA)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    deal_id = _archive(db, "Archive deal")
    (project / "reconciler.lock").unlink()  # the lock is never needed to avoid duplicates
    plan = _plan(project, db)
    assert not [c for c in plan["changes"] if c["action"] == "create"], plan["changes"]
    assert {"kind": "deal", "key": "arc-deal", "id": deal_id} in plan["adopt"]


def test_archived_false_unarchives_and_changes_in_one_update(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", DATA)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    deal_id = _archive(db, "Archive deal")
    changed = {**DATA, "deals": {"arc-deal": {**DATA["deals"]["arc-deal"], "value": 150}}}
    project = write_manifests(tmp_path / "p", changed)
    refused = invoke(["plan", str(project), "--sandbox", db])
    assert refused.code == 1 and "refuses changes to archived deals" in refused.err
    changed["deals"]["arc-deal"]["archived"] = False
    project = write_manifests(tmp_path / "p", changed)
    plan = _plan(project, db)
    assert [(c["action"], c["id"], sorted(c["fields"])) for c in plan["changes"]] == [
        ("update", deal_id, ["archived", "value"])]
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    again = invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"])
    assert again.code == 0, again.both


def test_archived_true_archives_and_export_keeps_it(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    data = {**DATA, "deals": {"arc-deal": {**DATA["deals"]["arc-deal"], "archived": True}}}
    project = write_manifests(tmp_path / "p", data)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0
    out = tmp_path / "export"
    assert invoke(["export", "--out", str(out), "--sandbox", db]).code == 0
    assert "archived: true" in "".join(f.read_text() for f in out.rglob("*.yaml"))
    assert invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"]).code == 0
