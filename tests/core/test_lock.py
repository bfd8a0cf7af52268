"""reconciler.lock: atomic journal, account binding, the project file lock."""

import json
import threading

import pytest

from reconciler.lock import LockError, LockFile, project_lock


def test_record_is_written_at_once(tmp_path):
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 7, "company_name": "X"})
    lock.record("deal", "a", 12)
    # durable at once: a reader (or the next run after a crash) sees it through the journal
    again = LockFile.read(tmp_path / "reconciler.lock")
    assert again.account["company_id"] == 7
    lock.save()
    data = json.loads((tmp_path / "reconciler.lock").read_text())
    assert data["resources"] == {"deal": {"a": 12}}
    assert data["account"]["company_id"] == 7
    assert again.id_for("deal", "a") == 12
    again.forget("deal", "a")
    assert LockFile.read(tmp_path / "reconciler.lock").id_for("deal", "a") is None
    assert not list(tmp_path.glob(".*.tmp"))


def test_belongs_to(tmp_path):
    lock = LockFile(path=tmp_path / "l", account={"company_id": 1})
    assert lock.belongs_to(1) and not lock.belongs_to(2)


def test_corrupt_lock_is_a_clear_error(tmp_path):
    (tmp_path / "reconciler.lock").write_text("{not json")
    with pytest.raises(LockError, match="reconciler.lock"):
        LockFile.read(tmp_path / "reconciler.lock")


def test_second_holder_waits_then_fails(tmp_path):
    target = tmp_path / "reconciler.lock"
    held = threading.Event()
    release = threading.Event()

    def hold():
        with project_lock(target):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    with pytest.raises(LockError, match="another apply"):
        with project_lock(target, wait_seconds=0.3):
            pass
    release.set()
    thread.join()
    with project_lock(target, wait_seconds=1):
        pass


def test_journal_survives_a_crash_and_is_compacted(tmp_path):
    path = tmp_path / "reconciler.lock"
    lock = LockFile(path=path, account={"company_id": 7, "company_name": "X"})
    lock.save()
    lock.record("deal", "a", 1)
    lock.record("deal", "b", 2)
    lock.forget("deal", "a")
    # the process dies here: the lock file itself was not rewritten
    assert json.loads(path.read_text())["resources"] == {}
    with open(str(path) + ".journal", "a") as handle:
        handle.write('{"set": ["deal", "c", 3')  # torn by the crash
    again = LockFile.read(path)
    assert again.resources == {"deal": {"b": 2}}
    again.save()
    assert json.loads(path.read_text())["resources"] == {"deal": {"b": 2}}
    assert not (tmp_path / "reconciler.lock.journal").exists()


def test_a_journal_of_another_account_is_not_replayed(tmp_path):
    path = tmp_path / "reconciler.lock"
    LockFile(path=path, account={"company_id": 1}).save()
    other = LockFile(path=path, account={"company_id": 2})
    other.record("deal", "x", 99)
    assert LockFile.read(path).resources == {}


def test_record_cost_does_not_grow_with_the_lock(tmp_path):
    """A journalled write appends the same bytes with 100 entries as with 20,000: the lock itself
    is not rewritten until save (what is written is counted; speed is bench/'s, not a test's)."""
    appended = []
    for entries in (100, 20000):
        where = tmp_path / str(entries)
        where.mkdir()
        lock = LockFile(path=where / "reconciler.lock", account={"company_id": 1})
        for i in range(entries):
            lock.resources.setdefault("deal", {})[f"d{i}"] = i
        lock.save()
        saved = (where / "reconciler.lock").read_bytes()
        journals = sorted(where.glob("*journal*"))
        before = sum(p.stat().st_size for p in journals)
        for i in range(40):
            lock.record("person", f"p{i}", i)
        assert (where / "reconciler.lock").read_bytes() == saved  # untouched by the 40 writes
        appended.append(sum(p.stat().st_size for p in where.glob("*journal*")) - before)
    assert appended[0] == appended[1] > 0, appended


def test_an_id_recorded_under_a_new_key_drops_the_old_key_however_the_lock_changed(tmp_path):
    """A key maps to one id and an id to one key, with record() keeping an index of who holds
    which id (issue 28: the scan of every entry per record was O(n^2)): the index follows
    records, forgets, a key moved to another id, and entries added behind its back."""
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 1})
    lock.record("deal", "a", 1)
    lock.record("deal", "b", 2)
    lock.record("deal", "c", 1)  # a rename: c takes a's object
    assert lock.resources["deal"] == {"b": 2, "c": 1}
    lock.forget("deal", "b")
    lock.record("deal", "d", 2)
    assert lock.resources["deal"] == {"c": 1, "d": 2}
    lock.record("deal", "c", 3)  # c now names another object: 1 is held by no key
    lock.record("deal", "e", 1)
    assert lock.resources["deal"] == {"c": 3, "d": 2, "e": 1}
    lock.resources["deal"]["f"] = 9  # written directly (as a lock read or a test does)
    lock.record("deal", "g", 9)
    assert lock.resources["deal"] == {"c": 3, "d": 2, "e": 1, "g": 9}
    assert LockFile.read(tmp_path / "reconciler.lock").resources["deal"] == {"c": 3, "d": 2, "e": 1, "g": 9}


def test_what_a_plan_saw_of_unchanged_resources_is_journalled_in_one_write(tmp_path, monkeypatch):
    """`export` and `pull` record every object's last-applied digests from one plan: one fsync for
    them all, not one per object (55,000 fsyncs were two minutes of an export's time); the
    journal's lines are the same, and its replay gives the same lock."""
    import os

    from reconciler import lock as lock_module
    from reconciler.state import record_plan

    path = tmp_path / "reconciler.lock"
    lock = LockFile(path=path, account={"company_id": 1})
    for i in range(300):
        lock.resources.setdefault("deal", {})[f"d{i}"] = i + 1
    lock.save()
    syncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(lock_module.os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd)))

    class SeenPlan:  # what record_plan reads of a plan: nothing moved, adopted, released or followed
        moved = adopt = released = followed = ()
        applied = {"deal": {f"d{i}": {"value": f"digest-{i}"} for i in range(300)}}

    record_plan(lock, SeenPlan())
    assert len(syncs) == 1
    journal = lock.journal_path.read_text(encoding="utf-8").splitlines()
    assert sum('"applied"' in line for line in journal) == 300
    assert LockFile.read(path).applied["deal"]["d299"] == {"value": "digest-299"}
