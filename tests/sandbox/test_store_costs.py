"""The sandbox store's costs per request: WAL checkpoints in a pause, not in a request; lookups by index (issue 28).

reconciler/sandbox/checkpoint.py: SQLite's own checkpoint, in the commit that crosses 1,000
pages of log, made one request in forty answer 5 to 7 ms late under the store's lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from reconciler.sandbox.checkpoint import BACKSTOP_PAGES, COMMITS_PER_CHECKPOINT, Checkpointer
from reconciler.sandbox.store import Store
from tests.conftest import wait_for


def _company(store: Store) -> int:
    return store.list_connections()[0]["company_id"]


def test_commits_leave_the_checkpoint_to_the_pause_and_the_log_stays_short(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
        company = _company(store)
        sizes = []
        for burst in range(6):
            done = store._checkpointer.runs
            for i in range(COMMITS_PER_CHECKPOINT):
                store.insert(company, "deal", {"title": f"d{burst}-{i}", "owner_id": 1})
            assert wait_for(lambda done=done: store._checkpointer.runs > done)
            sizes.append(os.path.getsize(f"{store.path}-wal"))
        # each checkpoint copied the whole log back, so the next burst started it over: the file
        # holds one burst's pages, not six
        assert max(sizes) == sizes[0]
        probe = sqlite3.connect(store.path)
        assert probe.execute("SELECT COUNT(*) FROM objects WHERE kind = 'deal'").fetchone()[0] == 6 * 40
        probe.close()
    finally:
        store.close()
    assert not any(t.name == "sandbox-wal-checkpoint" and t.is_alive() for t in threading.enumerate())
    assert not os.path.exists(f"{tmp_path / 's.db'}-wal")  # the last connection folded the log in


def test_no_checkpoint_while_requests_keep_coming() -> None:
    calls = []
    busy = threading.Event()
    busy.set()
    checkpointer = Checkpointer(lambda: calls.append(1),
                                lambda: time.monotonic() if busy.is_set() else 0.0)
    try:
        checkpointer.request()
        time.sleep(0.2)
        assert calls == []  # a commit "just now", every time it looks: it never runs
        busy.clear()
        assert wait_for(lambda: calls == [1])
    finally:
        checkpointer.close()


def test_a_store_in_memory_has_no_checkpoints() -> None:
    store = Store(None)
    try:
        assert store._checkpointer is None
        store.insert(_company(store), "deal", {"title": "x", "owner_id": 1})
    finally:
        store.close()


def _steps_of_follower_lookup(store: Store, company: int, deal_id: int) -> int:
    """SQLite virtual-machine steps (in hundreds) one follower lookup takes: grows with the rows it reads."""
    from reconciler.sandbox.pipedrive.following import following

    class Company:
        id = company

    Company.store = store
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store._db.set_progress_handler(count, 100)
    try:
        assert following(Company, "deal", deal_id) != []
    finally:
        store._db.set_progress_handler(None, 100)
    return steps[0]


def test_a_follower_lookup_reads_that_record_s_followers_not_the_company_s() -> None:
    """Pipedrive's owner-follows rule looks up a record's followers on every create: SQLite used to
    walk every follower of the company in id order (~6 ms a create at 20,000 followers)."""
    store = Store(None)
    try:
        company = _company(store)
        stamp = "2026-01-01T00:00:00Z"

        def followers(first: int, last: int) -> list[dict]:
            return [{"id": i, "category": "deal", "deal_id": i, "user_id": 1, "add_time": stamp,
                     "update_time": stamp} for i in range(first, last)]

        store.insert_many(company, "follower", followers(1, 201))
        few = _steps_of_follower_lookup(store, company, 100)
        store.insert_many(company, "follower", followers(201, 5001))
        many = _steps_of_follower_lookup(store, company, 100)
        assert many <= few + 1  # 25 times the followers, not 25 times the work
    finally:
        store.close()


def test_a_store_closed_inside_its_own_transaction_does_not_wait_on_the_checkpoint(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    company = _company(store)
    for i in range(COMMITS_PER_CHECKPOINT - 1):
        store.insert(company, "deal", {"title": f"d{i}", "owner_id": 1})
    closed = threading.Event()

    def close_inside() -> None:
        with store.transaction():
            store.insert(company, "deal", {"title": "last", "owner_id": 1})
        with store.lock:  # the checkpoint was asked for; the thread now waits for this lock
            time.sleep(0.1)
            store.close()
        closed.set()

    worker = threading.Thread(target=close_inside, daemon=True)
    worker.start()
    assert wait_for(closed.is_set, timeout=20)
