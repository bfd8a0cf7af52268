"""reconciler.lock: key → id for every object this project created or adopted.

During an apply every successful write is appended to a journal beside it
(`reconciler.lock.journal`, one JSON line, fsynced) — constant cost per write, however
large the lock — and at the end the lock is rewritten atomically (temp file, fsync,
rename, fsync of the directory) and the journal removed. Reading replays a journal left
by a crash (a torn last line is ignored), so a crash at any moment loses nothing. It records the account (company id)
it belongs to: ids repeat across accounts, so a lock from another account is ignored.
Also here: the project file lock that keeps two applies of one project apart.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.appliedform import plain
from reconciler.lockcheck import FORMAT_VERSION, LockContent, LockError, parse_lock, replay_journal

LOCK_NAME = "reconciler.lock"
# json.dumps' own settings, and digests the lock read (held compact: appliedform.py) written as the
# dict they are; one encoder, as json.dumps keeps one: a new one per line cost an export's 55,000
_JOURNAL_JSON = json.JSONEncoder(default=plain)


def lock_name(environment: str | None = None) -> str:
    """`reconciler.lock`, or `reconciler.NAME.lock` for environment NAME (`--env NAME`): each
    environment is an account of its own, and a lock belongs to one account."""
    return f"reconciler.{environment}.lock" if environment else LOCK_NAME


def lock_path_for(first_path: str | os.PathLike, environment: str | None = None) -> Path:
    """The lock beside the first PATH (inside it when it is a directory)."""
    base = Path(first_path)
    directory = base if base.is_dir() else base.parent
    return directory / lock_name(environment)


@dataclass
class LockFile:
    path: Path
    account: dict | None = None  # {"company_id": int, "company_name": str}
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> key -> id
    protected: dict[str, set[str]] = field(default_factory=dict)  # kind -> keys declared protect: true
    # kind -> key -> {field: digest of the value last applied}: what the manifests said at the
    # last apply, so a plan can tell Pipedrive's changes (drift) from the manifests'
    applied: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # the names the manifests were applied with, by id (reconciler/vocabulary.py)
    vocabulary: dict[str, Any] = field(default_factory=dict)
    # names the manifests use whose id this plan's creates answer: apply records them (reconciler/renames.py)
    pending_vocabulary: list = field(default_factory=list, repr=False, compare=False)
    warnings: list[str] = field(default_factory=list)  # what reading found and skipped
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # kind -> [its entries dict, their count, id -> keys]: who else holds an id, for record()
    _keys_by_id: dict[str, list] = field(default_factory=dict, repr=False, compare=False)
    _journal_held: Any = field(default=None, repr=False, compare=False)  # the journal kept open (_journal_file)

    @classmethod
    def read(cls, path: str | os.PathLike) -> LockFile:
        """The lock at path, with a journal left by an interrupted apply replayed; validated
        as it is read (reconciler/lockcheck.py): LockError lists every problem."""
        path = Path(path)
        content = LockContent()
        if path.exists():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise LockError(f"{path}:1: error: cannot read the lock file ({exc}); fix or remove it") from None
            content = parse_lock(path, text)
        lock = cls(path=path)
        try:
            journal = lock.journal_path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            journal = []
        replay_journal(lock.journal_path, journal, content)
        lock.account = content.account
        lock.resources = content.resources
        lock.protected = content.protected
        lock.applied = content.applied
        lock.vocabulary = content.vocabulary
        lock.warnings = content.warnings
        return lock

    def id_for(self, kind: str, key: str) -> Any:
        return self.resources.get(kind, {}).get(key)

    def entries(self) -> Iterator[tuple[str, str, Any]]:
        for kind_name in sorted(self.resources):
            for key, object_id in sorted(self.resources[kind_name].items()):
                yield kind_name, key, object_id

    def belongs_to(self, company_id: int | None) -> bool:
        return self.account is None or company_id is None or self.account.get("company_id") == company_id

    @property
    def journal_path(self) -> Path:
        return Path(str(self.path) + ".journal")

    def record(self, kind: str, key: str, object_id: Any, applied: dict[str, str] | None = None) -> None:
        """Journal one object at once (durable before this returns).

        A key maps to one id and an id to one key: recording an object under a new key (a
        rename, an adoption) drops the old key, which would otherwise be an alias that a
        later removal deletes twice and a reuse of the old key fights over. `applied`: what
        was applied to it (as record_applied), journalled in the same write: one fsync per
        object written, not two (apply's CPU, issue #28).
        """
        with self._mutex:
            entries = self.resources.setdefault(kind, {})
            carried = None
            lines: list[dict] = []
            keys_by_id = self._ids_of(kind, entries)
            aliases = [k for k in keys_by_id.get(object_id, ()) if k != key and entries.get(k) == object_id]
            for alias in aliases:
                del entries[alias]
                carried = self.applied.get(kind, {}).pop(alias, None) or carried
                lines.append({"del": [kind, alias]})
            before = entries.get(key)
            if before is not None and before != object_id and key in keys_by_id.get(before, ()):
                keys_by_id[before].remove(key)
            entries[key] = object_id
            held = keys_by_id.setdefault(object_id, [])
            held[:] = [k for k in held if k not in aliases]
            if key not in held:
                held.append(key)
            self._keys_by_id[kind][1] = len(entries)
            lines.append({"set": [kind, key, object_id]})
            if carried and key not in self.applied.get(kind, {}):  # a renamed key keeps what was applied
                self.applied.setdefault(kind, {})[key] = carried
                lines.append({"applied": [kind, key, carried]})
            if applied is not None and self.applied.get(kind, {}).get(key) != applied:
                self.applied.setdefault(kind, {})[key] = dict(applied)
                lines.append({"applied": [kind, key, applied]})
            self._journal(*lines)

    def _ids_of(self, kind: str, entries: dict[str, Any]) -> dict[Any, list[str]]:
        """id -> the keys that hold it, for one kind, kept by record() and built again whenever
        the entries changed otherwise (another dict, or another count: forget, a lock read).
        A scan of every entry for each object recorded made an apply's journal O(n^2): the scans
        of 10,000 records took 0.9 s of CPU, of 1,000 records 0.01 s (issue 28)."""
        index = self._keys_by_id.get(kind)
        if index is None or index[0] is not entries or index[1] != len(entries):
            keys_by_id: dict[Any, list[str]] = {}
            for held_key, held_id in entries.items():
                keys_by_id.setdefault(held_id, []).append(held_key)
            index = self._keys_by_id[kind] = [entries, len(entries), keys_by_id]
        return index[2]

    def record_applied(self, kind: str, key: str, digests: dict[str, str]) -> None:
        """Journal what was last applied to one resource (its declared fields' digests), at once."""
        self.record_applied_many([(kind, key, digests)])

    def record_applied_many(self, entries: Iterable[tuple[str, str, dict[str, str]]]) -> None:
        """Journal what was last applied to many resources in one write (one fsync).

        What a plan saw of unchanged resources is recorded together, before any write: an
        fsync per resource made `export` of 55,000 objects spend two minutes in the journal,
        and the journal's replay takes the lines as they are, however they were grouped.
        """
        with self._mutex:
            lines = []
            for kind, key, digests in entries:
                if self.applied.get(kind, {}).get(key) == digests:
                    continue
                self.applied.setdefault(kind, {})[key] = dict(digests)
                lines.append({"applied": [kind, key, digests]})
            if lines:
                self._journal(*lines)

    def forget(self, kind: str, key: str) -> None:
        with self._mutex:
            removed = self.resources.get(kind, {}).pop(key, None) is not None
            self.applied.get(kind, {}).pop(key, None)
            if key in self.protected.get(kind, set()):
                self.protected[kind].discard(key)
                removed = True
            if removed:
                self._journal({"del": [kind, key]})

    def _journal(self, *entries: dict) -> None:
        handle = self._journal_file()
        handle.write("".join(_JOURNAL_JSON.encode(entry) + "\n" for entry in entries))
        handle.flush()
        os.fsync(handle.fileno())

    def _journal_file(self) -> Any:
        """The journal, open for appending, its account line first when it is new.

        Kept open from one record to the next: opening and closing it for each object
        written cost more CPU than the write and its fsync together (~0.1 ms of 0.35 ms per
        create, apply's CPU, issue 28). Opened again whenever the file on disk is not the
        one held: compacted by save(), or removed.
        """
        path = self.journal_path
        try:
            on_disk = os.stat(path)
        except FileNotFoundError:
            on_disk = None
        held = self._journal_held
        if held is not None:
            if on_disk is not None and os.path.samestat(on_disk, os.fstat(held.fileno())):
                return held
            self._journal_closed()
        if on_disk is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a", encoding="utf-8", newline="\n")  # LF on Windows too
        if on_disk is None:
            handle.write(json.dumps({"account": self.account}) + "\n")
        self._journal_held = handle
        return handle

    def _journal_closed(self) -> None:
        """Let go of the journal held open (before it is removed: Windows cannot remove an open file)."""
        held, self._journal_held = self._journal_held, None
        if held is not None:
            with contextlib.suppress(OSError):
                held.close()

    def update_protected(self, protected: dict[str, list[str]], scope: list[str] | None) -> None:
        """Remember which keys are protected, so deleting one after it leaves the manifests fails.

        A plan only knows the resources it covers: a targeted plan (`scope`, addresses
        `kind.key`) changes the protection of those alone, and every other key keeps its
        protection. Only a resource in scope that no longer declares `protect` loses it.
        """
        with self._mutex:
            if scope is None:
                self.protected = {k: set(v) for k, v in protected.items() if v}
                return
            for address in scope:
                kind_name, _, key = address.partition(".")
                keys = self.protected.setdefault(kind_name, set())
                if key in protected.get(kind_name, ()):
                    keys.add(key)
                else:
                    keys.discard(key)
            self.protected = {k: v for k, v in self.protected.items() if v}

    def save(self) -> None:
        with self._mutex:
            self._write()

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "account": self.account,
            "resources": {k: dict(sorted(v.items())) for k, v in sorted(self.resources.items()) if v},
            "protected": {k: sorted(v) for k, v in sorted(self.protected.items()) if v},
            **({"vocabulary": _sorted_deep(self.vocabulary)} if self.vocabulary else {}),
            **({"applied": self._applied_sorted()} if any(self.applied.values()) else {}),
        }

    def _applied_sorted(self) -> dict[str, dict[str, dict[str, str]]]:
        """Digests of resources the lock still knows, sorted (a forgotten key's go with it)."""
        return {kind: {key: dict(sorted(fields.items())) for key, fields in sorted(entries.items())
                       if key in self.resources.get(kind, {})}
                for kind, entries in sorted(self.applied.items()) if entries}

    def to_text(self) -> str:
        """The file's text: JSON, with `applied` one line per resource so that git merges of
        two branches' applies touch different lines (json.dumps would spread each over many)."""
        data = self.to_json()
        applied = data.pop("applied", None)
        text = json.dumps(data, indent=2, sort_keys=False)
        applied = {kind: entries for kind, entries in (applied or {}).items() if entries}
        if not applied:
            return text + "\n"
        blocks = []
        for kind, entries in applied.items():
            lines = [f"      {json.dumps(key)}: {json.dumps(fields, separators=(',', ':'))}"
                     for key, fields in entries.items()]
            blocks.append(f"    {json.dumps(kind)}: {{\n" + ",\n".join(lines) + "\n    }")
        return text[:-2] + ',\n  "applied": {\n' + ",\n".join(blocks) + "\n  }\n}\n"

    def _write(self) -> None:
        """Compact: the whole lock atomically, then the journal it now contains goes."""
        atomic_write(self.path, self.to_text())
        self._journal_closed()
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()


def _sorted_deep(value: Any) -> Any:
    return {k: _sorted_deep(v) for k, v in sorted(value.items())} if isinstance(value, dict) else value


def atomic_write(path: Path, text: str) -> None:
    """Write a file so that readers and crashes see the old or the new content, nothing between."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes 0600 files; a lock meant to be committed and shared keeps the mode it had
        # (0644 when new), as a file written the ordinary way would
        try:
            mode = os.lstat(path).st_mode & 0o777 if not path.is_symlink() else 0o644
        except FileNotFoundError:
            mode = 0o644
        if hasattr(os, "fchmod"):  # not on Windows (before 3.13), where the mode bits mean little
            os.fchmod(fd, mode)
        # newline="\n": a committed lock must not turn into CRLF (and a diff of every line) on Windows
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def project_lock(lock_file: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold `reconciler.lock.lck` exclusively; a second apply waits, then fails clearly.

    The wait is RECONCILER_LOCK_WAIT seconds (default 30): long enough for a CI job queued
    behind another to go on, short enough that a stuck one is reported. The lock is the
    `filelock` library's: flock(2) on Unix, LockFileEx on Windows, so no platform module
    (fcntl, msvcrt) is imported here and every command also runs on Windows.
    """
    import filelock  # here, not at import time: only apply takes the project lock

    if wait_seconds is None:
        try:
            wait_seconds = float(os.environ.get("RECONCILER_LOCK_WAIT", "30"))
        except ValueError:
            raise LockError("RECONCILER_LOCK_WAIT must be a number of seconds") from None
    path = Path(str(lock_file) + ".lck")
    path.parent.mkdir(parents=True, exist_ok=True)
    symlink = LockError(f"{path} is a symbolic link; the project lock is never taken through one: remove it")
    # never through a symbolic link: a planted one would make apply create a file elsewhere.
    # Checked here for every platform; filelock also opens with O_NOFOLLOW where there is one.
    if path.is_symlink():
        raise symlink
    lock = filelock.FileLock(str(path), timeout=max(0.0, wait_seconds))
    try:
        lock.acquire(poll_interval=0.1)
    except filelock.Timeout:
        raise LockError(
            f"another apply of this project is running (it holds {path}); waited "
            f"{wait_seconds:.0f} s. Try again when it has finished."
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink from None
        raise LockError(f"{path}: cannot take the project lock ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.release()
