"""Apply journals each object it writes once (issue #28, apply's CPU): the object's id and what was
applied to it go to the journal in one write and one fsync, not two. Counted, never timed."""

from __future__ import annotations

import json
import os

from tests.conftest import InProcess, write_manifests


def test_each_create_is_one_journal_write(tmp_path, monkeypatch):
    project = write_manifests(tmp_path / "p", {"organizations": {
        f"org-{i}": {"name": f"Journal Org {i}", "visible_to": "company"} for i in range(20)}})
    sandbox = InProcess()
    synced: list[int] = []
    real_fsync = os.fsync
    journal = project / "reconciler.lock.journal"
    seen: list[str] = []

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        if journal.exists():
            seen[:] = journal.read_text(encoding="utf-8").splitlines()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    try:
        plan, result = sandbox.apply(project)
    finally:
        sandbox.close()
    assert result.ok and plan.summary["create"] == 20
    entries = [json.loads(line) for line in seen[1:]]  # the first line names the account
    assert sum("set" in e for e in entries) == 20
    assert sum("applied" in e for e in entries) == 20  # what was applied, beside each id
    # one fsync per created object (not two), plus the few of the lock file itself
    assert len(synced) <= 20 + 5, len(synced)
