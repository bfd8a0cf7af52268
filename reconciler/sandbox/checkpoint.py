"""WAL checkpoints of the sandbox's SQLite file, in a pause between requests instead of in one.

Why: with SQLite's automatic checkpoint (at 1,000 pages of log), the commit that takes the
write-ahead log past it copies the log back into the database file and syncs it to disk, inside
that request, under the store's lock. On loopback that was one request in forty answering 5 to
7 ms late (about 25 times in a 1,000-create apply), and the requests queued behind it waited
too: at a rate limit, a late answer frees its place in the window late, and the lateness adds
up window after window (issue 28).

So the store asks for a checkpoint every :data:`COMMITS_PER_CHECKPOINT` commits and a thread
runs it once no commit came for :data:`QUIET` seconds (a client paced by a rate limit leaves
such pauses between its bursts): first on a connection of its own, which copies the log and
syncs the file without taking the store's lock (4 to 14 ms here), then on the store's
connection under its lock, which finds the log already copied (~0.1 ms) and lets the next
write start the log over, so that it stays short. One that never pauses still has
SQLite checkpoint in its commit at :data:`BACKSTOP_PAGES` (the log stays bounded whatever the
load). What is durable is unchanged (``synchronous = NORMAL`` in WAL mode: a commit survives a
crash of the process, a checkpoint syncs the database file).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# SQLite's automatic checkpoint runs at 1,000 pages of log; a create writes ~25 pages (the
# document, its indexes, the id counter, the owner's follower), so about as often as it did.
COMMITS_PER_CHECKPOINT = 40
QUIET = 0.02  # no commit for this long: a pause between a client's requests
# SQLite's own checkpoint in a commit, past this many pages of log (16 MB): only a writer
# that never pauses for QUIET reaches it (a burst of 50 creates writes ~1,250 pages).
BACKSTOP_PAGES = 4_000


class Checkpointer:
    """Runs ``checkpoint`` (a callable that checkpoints the store under its lock) in the first
    pause after a request for one, on a daemon thread started at the first request (most stores
    in tests never need one)."""

    def __init__(self, checkpoint: Callable[[], None], last_commit: Callable[[], float],
                 clock: Callable[[], float] = time.monotonic, path: str | None = None) -> None:
        """``checkpoint`` runs under the store's lock; ``path`` (None: no copy beforehand) is the
        database file the thread copies the log into first, on a connection of its own."""
        self._checkpoint = checkpoint
        self._path = path
        self._last_commit = last_commit
        self._clock = clock
        self.runs = 0  # checkpoints done (for tests)
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def request(self) -> None:
        """Ask for a checkpoint in the next pause (returns at once)."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(target=self._run, name="sandbox-wal-checkpoint", daemon=True)
                    self._thread.start()
        self._wanted.set()

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running)."""
        with self._start_lock:
            self._stopping = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        own = None if self._path is None else sqlite3.connect(self._path, check_same_thread=False,
                                                               isolation_level=None)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                while not self._stopping and (idle := self._clock() - self._last_commit()) < QUIET:
                    time.sleep(QUIET - idle)
                if self._stopping:
                    return
                try:
                    if own is not None:
                        own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self._checkpoint()
                    self.runs += 1
                except sqlite3.Error:  # the next request retries; SQLite's backstop and close() checkpoint too
                    log.exception("sandbox: WAL checkpoint failed")
        finally:
            if own is not None:
                own.close()
