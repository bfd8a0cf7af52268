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


def test_the_journal_is_opened_once_for_many_records_and_again_when_it_goes(tmp_path, monkeypatch):
    """Issue 28: an open and a close per object written cost more CPU than the write and its fsync.
    The journal stays open; once compacted (save) or removed, the next record starts a new one,
    account line first, and a read replays every line."""
    import builtins

    from reconciler import lock as lock_module
    from reconciler.lock import LockFile

    opened: list[str] = []

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(lock_module, "open", counting_open, raising=False)
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 7, "company_name": "Acme"})
    journal = lock.journal_path
    for i in range(20):
        lock.record("organization", f"org-{i}", 100 + i, {"name": f"sha256:{i}"})
    assert [p for p in opened if p.endswith(".journal")] == [str(journal)]
    assert len(LockFile.read(lock.path).resources["organization"]) == 20

    journal.unlink()  # removed by hand: a new journal, account line first
    lock.record("organization", "org-20", 120)
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"account": {"company_id": 7, "company_name": "Acme"}}
    assert lines[1:] == [{"set": ["organization", "org-20", 120]}]

    lock.save()  # compacted: the journal goes, and the next record starts another
    assert not journal.exists()
    lock.record("organization", "org-21", 121)
    again = LockFile.read(lock.path)
    assert again.resources["organization"]["org-21"] == 121 and len(again.resources["organization"]) == 22
    lock.save()
    assert not journal.exists()
