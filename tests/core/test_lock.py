"""reconciler.lock: atomic journal, account binding, the project file lock."""

import json
import threading

import pytest

from reconciler.lock import LockError, LockFile, project_lock


def test_record_is_written_at_once(tmp_path):
    lock = LockFile(path=tmp_path / "reconciler.lock", account={"company_id": 7, "company_name": "X"})
    lock.record("deal", "a", 12)
    data = json.loads((tmp_path / "reconciler.lock").read_text())
    assert data["resources"] == {"deal": {"a": 12}}
    assert data["account"]["company_id"] == 7
    again = LockFile.read(tmp_path / "reconciler.lock")
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
