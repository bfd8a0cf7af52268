"""The sandbox's SQLite store: several connections (accounts), each an isolated Pipedrive company.

Why one generic ``objects`` table rather than one table per kind: every Pipedrive object the
sandbox serves (deals, persons, users, stages, field definitions...) is a JSON document with
an id, timestamps and a deleted flag, and the API filters on a handful of reference columns.
Keeping the document as JSON and copying those few columns out into indexed columns gives
one code path for every kind and still keeps listing 500 objects or paging through 20,000
a matter of milliseconds.

Ids auto-increment per company and kind from 1, as a fresh Pipedrive company's do, so ids
repeat across connections (the reconciler must never trust a lock from another account).
Leads and lead labels have UUIDs instead (strings, chosen by the caller): the ``id`` column
holds either, since SQLite keeps a non-numeric text as text.
All timestamps are UTC, stored as RFC 3339 (``2026-11-28T07:30:00Z``) which sorts as text.

The store is thread-safe: one re-entrant lock around every operation, and the API layer
holds it (through :meth:`Store.transaction`) for a whole request so that a request's
checks and writes are atomic.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from reconciler import jsoncodec

from .checkpoint import BACKSTOP_PAGES, COMMITS_PER_CHECKPOINT, Checkpointer
from .company import COMPANY_NAME, install_default_company

# Columns copied out of each JSON document so that the API can filter and sort in SQL.
# ``category`` is a short per-kind discriminator: a deal's status, a field's entity, an
# activity's type, a stage's... nothing (None).
INDEXED_COLUMNS: tuple[str, ...] = (
    "name",
    "owner_id",
    "org_id",
    "person_id",
    "deal_id",
    "pipeline_id",
    "stage_id",
    "category",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL UNIQUE,
    company_id INTEGER NOT NULL UNIQUE,
    company_name TEXT NOT NULL,
    status TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counters (
    company_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    next_id INTEGER NOT NULL,
    PRIMARY KEY (company_id, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
    company_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    data TEXT NOT NULL,
    add_time TEXT NOT NULL,
    update_time TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    owner_id INTEGER,
    org_id INTEGER,
    person_id INTEGER,
    deal_id INTEGER,
    pipeline_id INTEGER,
    stage_id INTEGER,
    category TEXT,
    PRIMARY KEY (company_id, kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_update ON objects (company_id, kind, update_time, id);
CREATE INDEX IF NOT EXISTS objects_add ON objects (company_id, kind, add_time, id);
CREATE INDEX IF NOT EXISTS objects_owner ON objects (company_id, kind, owner_id);
CREATE INDEX IF NOT EXISTS objects_org ON objects (company_id, kind, org_id);
CREATE INDEX IF NOT EXISTS objects_person ON objects (company_id, kind, person_id);
CREATE INDEX IF NOT EXISTS objects_deal ON objects (company_id, kind, deal_id);
CREATE INDEX IF NOT EXISTS objects_stage ON objects (company_id, kind, stage_id);
CREATE INDEX IF NOT EXISTS objects_pipeline ON objects (company_id, kind, pipeline_id);
CREATE INDEX IF NOT EXISTS objects_category ON objects (company_id, kind, category);
CREATE INDEX IF NOT EXISTS objects_name ON objects (company_id, kind, name);
"""

_SORTABLE = frozenset({"id", "add_time", "update_time", *INDEXED_COLUMNS})
# A reference that names one record picks a handful of rows; SQLite, without statistics, walks
# every document of the kind in id order instead (to skip the sort): a follower lookup on each
# create read all of the company's followers, ~6 ms a create once there are 20,000 (issue 28).
# The first of these a query filters on by value names the index to use, most selective first.
_REFERENCE_INDEXES = (("deal_id", "objects_deal"), ("person_id", "objects_person"), ("org_id", "objects_org"))
# Sort keys kept only inside the JSON document, as SQL expressions (NULL sorts as the empty value,
# so keyset paging can compare them): v2 activities sort by due_date, stages by order_nr.
SORT_EXPRESSIONS = {
    "due_date": "COALESCE(json_extract(data, '$.due_date'), '')",
    "order_nr": "COALESCE(json_extract(data, '$.order_nr'), 0)",
    # UUID-keyed kinds (leads, lead labels) keep their creation order in ``seq``
    "seq": "COALESCE(json_extract(data, '$.seq'), 0)",
}


def now_iso() -> str:
    """The current UTC time as Pipedrive v2 writes it: second precision, ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _index_values(kind: str, record: dict[str, Any]) -> tuple[Any, ...]:
    """The indexed column values of one document (why: one place decides what is filterable)."""
    name = record.get("name")
    if name is None:
        name = record.get("title", record.get("subject"))
    if kind == "deal":
        category = record.get("status")
    elif kind == "field":
        category = record.get("entity")
    elif kind == "activity":
        category = record.get("type")
    else:
        category = record.get("category")
    owner = record.get("owner_id", record.get("user_id"))
    return (
        name.lower() if isinstance(name, str) else None,
        owner,
        record.get("org_id"),
        record.get("person_id"),
        record.get("deal_id"),
        record.get("pipeline_id"),
        record.get("stage_id"),
        category,
    )


class Store:
    """SQLite (stdlib) store: one file per sandbox holding several connections (accounts).

    Each connection is an isolated Pipedrive company. Thread-safe: one RLock around every
    operation (and ``check_same_thread=False``). ``path`` None or ``':memory:'`` keeps the
    data in memory. A new database gets one connection holding the default company.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        target = ":memory:" if path is None or str(path) == ":memory:" else os.fspath(path)
        if target != ":memory:":
            parent = os.path.dirname(os.path.abspath(target))
            os.makedirs(parent, exist_ok=True)
        self.path = target
        self.lock = threading.RLock()
        self._depth = 0
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so a whole API request is one
        # transaction, however many statements it runs.
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = OFF")
        self._checkpointer: Checkpointer | None = None
        self._commits = 0
        self._last_commit = 0.0
        if target != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")  # in a pause instead: checkpoint.py
            self._checkpointer = Checkpointer(self._checkpoint, lambda: self._last_commit, path=target)
        with self.lock:
            self._db.executescript(_SCHEMA)
            empty = self._db.execute("SELECT COUNT(*) FROM connections").fetchone()[0] == 0
        if empty:
            self.create_connection()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock and one SQLite transaction; nested uses join the outer one.

        Why: an API request checks references and then writes; both must see one state, and
        a failed request must leave nothing behind.
        """
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE" if self.path != ":memory:" else "BEGIN")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._db.execute("COMMIT")
                    self._commits += 1
                    self._last_commit = time.monotonic()
                    if self._checkpointer is not None and self._commits % COMMITS_PER_CHECKPOINT == 0:
                        self._checkpointer.request()

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database file (checkpoint.py says when and why). Never waits
        long for the lock: a store closed by a thread that holds it must not wait on this one."""
        if not self.lock.acquire(timeout=1.0):
            return  # busy: the next request for a checkpoint tries again
        try:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            self.lock.release()

    # ------------------------------------------------------------------ connections
    def _connection_row(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            "connection_id": row[0],
            "status": row[1],
            "creation_time": row[2],
            "last_updated_time": row[3],
            "app": "pipedrive",
            "company_id": row[4],
            "company_name": row[5],
            "metadata": {},
        }

    _CONN_COLS = "connection_id, status, creation_time, last_updated_time, company_id, company_name"

    def list_connections(self) -> list[dict[str, Any]]:
        """Every live connection, oldest first (the gateway's default is the first)."""
        with self.lock:
            rows = self._db.execute(
                f"SELECT {self._CONN_COLS} FROM connections WHERE deleted = 0 ORDER BY seq"
            ).fetchall()
        return [self._connection_row(r) for r in rows]

    def create_connection(self) -> dict[str, Any]:
        """A new connection holding a fresh default company with its own company id.

        Custom-field hashes are generated per company, as Pipedrive does, so code that
        hard-codes one account's hashes fails against another.
        """
        with self.transaction():
            while True:
                company_id = 1_000_000 + secrets.randbelow(9_000_000)
                taken = self._db.execute(
                    "SELECT 1 FROM connections WHERE company_id = ?", (company_id,)
                ).fetchone()
                if not taken:
                    break
            connection_id = str(uuid.uuid4())
            stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
            self._db.execute(
                "INSERT INTO connections (connection_id, company_id, company_name, status, creation_time,"
                " last_updated_time) VALUES (?, ?, ?, 'ACTIVE', ?, ?)",
                (connection_id, company_id, COMPANY_NAME, stamp, stamp),
            )
            install_default_company(self, company_id)
        conn = self.get_connection(connection_id)
        assert conn is not None
        return conn

    def get_connection(self, connection_id: str) -> dict[str, Any] | None:
        """One live connection, or None if it never existed or was deleted."""
        with self.lock:
            row = self._db.execute(
                f"SELECT {self._CONN_COLS} FROM connections WHERE connection_id = ? AND deleted = 0",
                (connection_id,),
            ).fetchone()
        return self._connection_row(row) if row else None

    def delete_connection(self, connection_id: str) -> bool:
        """Delete a connection and its company's data; False if there was none."""
        with self.transaction():
            row = self._db.execute(
                "SELECT company_id FROM connections WHERE connection_id = ? AND deleted = 0", (connection_id,)
            ).fetchone()
            if not row:
                return False
            self._db.execute(
                "UPDATE connections SET deleted = 1, status = 'DELETED', last_updated_time = ?"
                " WHERE connection_id = ?",
                (now_iso(), connection_id),
            )
            self._db.execute("DELETE FROM objects WHERE company_id = ?", (row[0],))
            self._db.execute("DELETE FROM counters WHERE company_id = ?", (row[0],))
        return True

    def company_id(self, connection_id: str) -> int | None:
        """The company id behind a live connection (None if unknown or deleted)."""
        conn = self.get_connection(connection_id)
        return conn["company_id"] if conn else None

    def company_name(self, company_id: int) -> str:
        """The company's display name, as /users/me reports it."""
        with self.lock:
            row = self._db.execute(
                "SELECT company_name FROM connections WHERE company_id = ?", (company_id,)
            ).fetchone()
        return row[0] if row else ""

    def close(self) -> None:
        """Close the SQLite connection (why: release the file, flush the WAL), once the checkpoint
        thread (if any) stopped."""
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self.lock:
            self._db.close()

    # ------------------------------------------------------------------ objects
    def next_ids(self, company_id: int, kind: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive ids for a kind; returns the first."""
        with self.transaction():
            row = self._db.execute(
                "SELECT next_id FROM counters WHERE company_id = ? AND kind = ?", (company_id, kind)
            ).fetchone()
            first = row[0] if row else 1
            self._db.execute(
                "INSERT INTO counters (company_id, kind, next_id) VALUES (?, ?, ?)"
                " ON CONFLICT (company_id, kind) DO UPDATE SET next_id = excluded.next_id",
                (company_id, kind, first + count),
            )
        return first

    def _row(self, company_id: int, kind: str, record: dict[str, Any]) -> tuple[Any, ...]:
        return (
            company_id,
            kind,
            record["id"],
            jsoncodec.dumps(record).decode("utf-8"),
            record["add_time"],
            record["update_time"],
            1 if record.get("is_deleted") else 0,
            *_index_values(kind, record),
        )

    _INSERT = (
        "INSERT OR REPLACE INTO objects (company_id, kind, id, data, add_time, update_time, is_deleted, "
        + ", ".join(INDEXED_COLUMNS)
        + ") VALUES ("
        + ", ".join("?" * (7 + len(INDEXED_COLUMNS)))
        + ")"
    )

    def insert(self, company_id: int, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """Store a new document, giving it the next id and timestamps if it has none."""
        with self.transaction():
            if record.get("id") is None:
                record["id"] = self.next_ids(company_id, kind)
            stamp = now_iso()
            record.setdefault("add_time", stamp)
            record.setdefault("update_time", record["add_time"])
            record.setdefault("is_deleted", False)
            self._db.execute(self._INSERT, self._row(company_id, kind, record))
        return record

    def insert_many(self, company_id: int, kind: str, records: Iterable[dict[str, Any]]) -> int:
        """Bulk insert documents that already carry id and timestamps (the seeder's path)."""
        rows = [self._row(company_id, kind, r) for r in records]
        with self.transaction():
            self._db.executemany(self._INSERT, rows)
            numbered = [r[2] for r in rows if isinstance(r[2], int)]
            if numbered:  # UUID-keyed kinds (leads) have no counter
                top = max(numbered)
                self._db.execute(
                    "INSERT INTO counters (company_id, kind, next_id) VALUES (?, ?, ?)"
                    " ON CONFLICT (company_id, kind) DO UPDATE SET next_id = MAX(next_id, excluded.next_id)",
                    (company_id, kind, top + 1),
                )
        return len(rows)

    def put(
        self, company_id: int, kind: str, record: dict[str, Any], *, touch: bool = True
    ) -> dict[str, Any]:
        """Replace an existing document; ``touch`` bumps its update_time (why: updated_since)."""
        if touch:
            record["update_time"] = now_iso()
        with self.transaction():
            self._db.execute(self._INSERT, self._row(company_id, kind, record))
        return record

    def get(self, company_id: int, kind: str, object_id: int | str) -> dict[str, Any] | None:
        """One document by id, deleted or not (callers decide what a deleted one means)."""
        with self.lock:
            row = self._db.execute(
                "SELECT data FROM objects WHERE company_id = ? AND kind = ? AND id = ?",
                (company_id, kind, object_id),
            ).fetchone()
        return jsoncodec.loads(row[0]) if row else None

    def get_many(self, company_id: int, kind: str, ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """Documents by id (deleted included), keyed by id; unknown ids are simply absent.

        Ids are integers, or UUID strings for leads and lead labels (a digit string is read as
        an integer).
        """
        wanted = sorted({int(i) if isinstance(i, str) and i.isdigit() else i for i in ids if i is not None},
                        key=lambda i: (isinstance(i, str), str(i).zfill(20)))
        out: dict[Any, dict[str, Any]] = {}
        with self.lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for (data,) in self._db.execute(
                    f"SELECT data FROM objects WHERE company_id = ? AND kind = ? AND id IN ({marks})",
                    (company_id, kind, *chunk),
                ):
                    doc = jsoncodec.loads(data)
                    out[doc["id"]] = doc
        return out

    def select(
        self,
        company_id: int,
        kind: str,
        *,
        where: dict[str, Any] | None = None,
        deleted: bool | None = False,
        sql: Sequence[tuple[str, Sequence[Any]]] = (),
        order: Sequence[tuple[str, str]] = (("id", "ASC"),),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Documents of one kind matching column filters, in order.

        ``where`` maps an indexed column (or id/add_time/update_time) to a value or a list of
        values; ``deleted`` False hides deleted documents, True shows only them, None shows
        both; ``sql`` adds raw conditions with their parameters (callers only pass fixed SQL).
        """
        clauses = ["company_id = ?", "kind = ?"]
        params: list[Any] = [company_id, kind]
        if deleted is not None:
            clauses.append("is_deleted = ?")
            params.append(1 if deleted else 0)
        for column, value in (where or {}).items():
            if column not in _SORTABLE:
                raise ValueError(f"not a filterable column: {column}")
            if isinstance(value, list | tuple | set | frozenset):
                values = list(value)
                if not values:
                    return []
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
            elif value is None:
                clauses.append(f"{column} IS NULL")
            else:
                clauses.append(f"{column} = ?")
                params.append(value)
        for text, extra in sql:
            clauses.append(text)
            params.extend(extra)
        order_sql = []
        for column, direction in order:
            if (column not in _SORTABLE and column not in SORT_EXPRESSIONS) or direction.upper() not in (
                "ASC",
                "DESC",
            ):
                raise ValueError(f"bad sort: {column} {direction}")
            order_sql.append(f"{SORT_EXPRESSIONS.get(column, column)} {direction.upper()}")
        index = next((f" INDEXED BY {name}" for column, name in _REFERENCE_INDEXES
                      if (where or {}).get(column) is not None), "")
        query = f"SELECT data FROM objects{index} WHERE {' AND '.join(clauses)} ORDER BY {', '.join(order_sql)}"
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        with self.lock:
            rows = self._db.execute(query, params).fetchall()
        return [jsoncodec.loads(r[0]) for r in rows]

    def count(self, company_id: int, kind: str, *, deleted: bool | None = False) -> int:
        """How many documents of a kind a company holds (why: tests and seed reports)."""
        clause = "" if deleted is None else f" AND is_deleted = {1 if deleted else 0}"
        with self.lock:
            return self._db.execute(
                f"SELECT COUNT(*) FROM objects WHERE company_id = ? AND kind = ?{clause}", (company_id, kind)
            ).fetchone()[0]
