"""The sandbox's WAL checkpoints run in a pause between requests, not in a request (issue 28).

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
