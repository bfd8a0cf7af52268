"""A managed object deleted in Pipedrive behind reconciler's back (issues 13.6 and 14.8): the
plan creates it again and says so, never updates a deleted object or fails on a 404, and its
children are shown moving to the new object, not from a key to the same key.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import InProcess, invoke, write_manifests

DATA = {
    "organizations": {"gone-org": {"name": "Gone Org"}},
    "deals": {"gone-deal": {"title": "Gone deal", "org": "gone-org", "value": 10}},
    "notes": {"gone-note": {"deal": "gone-deal", "content": "On the deal that will be deleted."}},
}


def test_a_deleted_deal_is_created_again_and_the_plan_says_so(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = write_manifests(tmp_path / "p", DATA)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    deal_id = json.loads((project / "reconciler.lock").read_text())["resources"]["deal"]["gone-deal"]
    sandbox = InProcess(db)
    try:
        sandbox.call("DELETE", f"/api/v2/deals/{deal_id}")
    finally:
        sandbox.close()
    text = invoke(["plan", str(project), "--sandbox", db])
    assert text.code == 0, text.both
    assert f"deleted in Pipedrive (it was id {deal_id}), will be created again" in text.out
    assert '"gone-deal" → "gone-deal"' not in text.out
    assert "gone-deal (deleted in Pipedrive)" in text.out
    plan = json.loads(invoke(["plan", str(project), "--sandbox", db, "--format", "json"]).out)
    actions = {(c["action"], c["kind"]) for c in plan["changes"]}
    assert actions == {("create", "deal"), ("update", "note")}
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0
