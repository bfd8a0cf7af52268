"""Execute a Plan: dependency order, calls in flight up to the rate limit, a journal in the lock.

The promises, and how they are kept:
- nothing lost: every successful write is journalled at once (reconciler.lock.journal,
  compacted into the lock at the end), so a crash loses at most the knowledge of the one
  call in flight;
- never a duplicate: a create whose outcome is unknown (timeout, dropped connection, 5xx)
  is looked for by its natural keys among recently updated objects before it is tried
  again; and the next run's identity finds, by natural keys, anything created but not
  journalled;
- partial failure: independent resources go on; dependents of a failed create are skipped;
  running apply again finishes the job.
"""

from __future__ import annotations

import queue
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler import kinds
from reconciler.drift import settle
from reconciler.identity import live_keys
from reconciler.lock import LockError, LockFile
from reconciler.normalize import Placeholder
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.errors import AmbiguousWriteError, ApiValidationError, PipedriveError
from reconciler.plan import Change, Plan, fingerprint
from reconciler.renames import record_created
from reconciler.state import record_plan

CREATE_ATTEMPTS = 5
RECOVERY_WINDOW = timedelta(minutes=2)


class StalePlanError(Exception):
    """A saved plan whose live objects changed since it was made."""


@dataclass
class Outcome:
    address: str
    action: str
    status: str  # done | failed | skipped
    id: int | None = None
    error: str | None = None


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    # why apply stopped before the end: it gave up on an endpoint that kept failing (the
    # message says what failed), or it was interrupted; None when every change was tried
    stopped: str | None = None

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "done"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self, unchanged: int) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for outcome in self.outcomes:
            if outcome.status == "done":
                counts[outcome.action] += 1
        counts["unchanged"] = unchanged
        counts["failed"] = sum(1 for o in self.outcomes if o.status == "failed")
        counts["skipped"] = sum(1 for o in self.outcomes if o.status == "skipped")
        return counts


def check_fresh(client: PipedriveClient, plan: Plan) -> None:
    """Refuse a saved plan whose touched objects changed since it was made; name them.

    A create is stale once its object exists: either the lock beside the manifests records
    a live object for its key (the same plan applied twice, or a rerun after an
    interrupted apply), or one with its natural keys was updated since the plan read live
    state (found without the lock, see created_since). Creating it again would be a
    duplicate.
    """
    wanted: dict[str, set[int]] = {}
    created_by_lock: dict[tuple[str, Any], str] = {}
    for change in plan.changes:
        if change.id is not None:
            wanted.setdefault(change.kind, set()).add(change.id)
    lock = _plan_lock(plan)
    if lock is not None:
        for change in plan.changes:
            object_id = lock.id_for(change.kind, change.key) if change.action == "create" else None
            if object_id is not None:
                wanted.setdefault(change.kind, set()).add(object_id)
                created_by_lock[(change.kind, object_id)] = change.key
    changed: list[str] = []
    for kind_name, ids in wanted.items():
        current = {obj["id"]: obj for obj in client.get_many(kind_name, ids)}
        for object_id in sorted(ids):
            recorded = plan.fingerprints.get(f"{kind_name}:{object_id}")
            obj = current.get(object_id)
            created_key = created_by_lock.get((kind_name, object_id))
            if created_key is not None:
                if obj is not None:
                    changed.append(f"{kind_name} {object_id} ({created_key}: created since the plan was made)")
            elif obj is None:
                changed.append(f"{kind_name} {object_id} (deleted)")
            elif recorded is not None and fingerprint(obj, kind_name) != recorded:
                changed.append(f"{kind_name} {object_id}")
    changed += created_since(client, plan)
    if changed:
        raise StalePlanError(
            "the saved plan is stale: these live objects changed since it was made: "
            + ", ".join(changed) + ". Make a new plan."
        )


def plan_read_at(plan: Plan) -> datetime | None:
    """When the plan read live state (its created_at, the server's time), or None if unknown."""
    if not plan.created_at:
        return None
    try:
        return datetime.strptime(plan.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def created_since(client: PipedriveClient, plan: Plan) -> list[str]:
    """Creates of the plan whose object exists now: found by natural key among objects
    updated since the plan read live state. One list call per kind (usually one page);
    the lock is not needed for this (CONTRACT §2).

    A key that holds a placeholder (the parent is created by the same plan) matches any
    id in that position: refusing a plan too eagerly is safe, a duplicate is not.
    """
    started = plan_read_at(plan)
    if started is None:
        return []
    since = started - RECOVERY_WINDOW
    found: list[str] = []
    creates_by_kind: dict[str, list[Change]] = {}
    for change in plan.changes:
        if change.action == "create" and change.recovery_keys:
            creates_by_kind.setdefault(change.kind, []).append(change)
    for kind_name, creates in creates_by_kind.items():
        recent = list(_recent_keys(client, kind_name, since))  # one listing serves every create
        for change in creates:
            object_id = _first_match(change.recovery_keys, recent)
            if object_id is not None:
                found.append(f"{kind_name} {object_id} ({change.key}: created since the plan was made)")
    return found


def _recent_keys(client: PipedriveClient, kind_name: str,
                 since: datetime | None) -> Iterator[tuple[Any, list[tuple]]]:
    """(id, natural keys) of the objects updated since `since` (server time), newest first, read lazily."""
    params = client.newest_first(kind_name)
    if since is not None:
        v2 = client.version_for(kind_name) == "v2"
        params["updated_since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ" if v2 else kinds.kind(kind_name).v1_time_format)
    for obj in client.list(kind_name, params):
        yield obj["id"], live_keys(kind_name, obj)


def _first_match(wanted: list, recent: Iterable[tuple[int, list[tuple]]]) -> int | None:
    """The first object having one of the `wanted` natural keys; a placeholder matches any id."""
    for object_id, keys in recent:
        if any(_key_matches(want, have) for want in wanted for have in keys):
            return object_id
    return None


def _key_matches(want: list, have: tuple) -> bool:
    if len(want) != len(have):
        return False
    return all(isinstance(w, Placeholder) or w == h for w, h in zip(want, have, strict=True))


def _plan_lock(plan: Plan) -> LockFile | None:
    """The lock the plan was made with, when it is there and belongs to the plan's account."""
    if not plan.lock_file:
        return None
    try:
        lock = LockFile.read(plan.lock_file)
    except LockError:
        return None
    planned = (plan.account or {}).get("company_id")
    if lock.account and planned is not None and lock.account.get("company_id") != planned:
        return None
    return lock


class Applier:
    def __init__(
        self,
        client: PipedriveClient,
        plan: Plan,
        lock: LockFile,
        *,
        workers: int = 8,
        progress: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.lock = lock
        self.workers = max(1, workers)
        self.progress = progress or (lambda outcome: None)
        self.ids: dict[str, Any] = {}  # address -> id, for placeholders
        # address -> what the create or update answered (canonical), for placeholders of a part
        # of it: a custom field's key, the id of an option it added
        self.objects: dict[str, dict] = {}
        self.failed: set[str] = set()
        self.result = ApplyResult()

    # -- orchestration -------------------------------------------------------------

    def run(self) -> ApplyResult:
        self.lock.update_protected(self.plan.protected, self.plan.scope)
        # The lock on disk must name this account before anything is journalled: a journal
        # whose account differs from its lock's is never replayed (an account change).
        self.lock.save()
        record_plan(self.lock, self.plan)  # moved keys, adoptions, what unchanged resources are now
        for change in self.plan.changes:
            if change.id is not None:
                self.ids[change.address] = change.id
        writes = [c for c in self.plan.changes if c.action != "delete"]
        deletes = [c for c in self.plan.changes if c.action == "delete"]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            # every create and update before any delete: a delete may only be safe once
            # the objects that pointed at its target have been moved elsewhere
            self._run_in_order(pool, writes, self._write_one)
            # what creates could not carry (reconciler/twophase.py), once every create is made
            self._run_in_order(pool, [c for c in writes if c.later], self._write_later)
            self._run_in_order(pool, deletes, self._delete_one)
        record_created(self.lock.vocabulary, self.lock.pending_vocabulary, self._known)  # names it created
        self.lock.save()  # compact the journal into the lock
        return self.result

    def _run_in_order(self, pool: ThreadPoolExecutor, changes: list[Change],
                      work: Callable[[Change], None]) -> None:
        """Run each change as soon as the changes it depends on (`depends_on`) have finished.

        The plan lists changes in a valid order and records what each one needs (a create's
        parent, a delete's children); independent changes run side by side, within the
        rate limit. A change whose dependency failed is skipped by `work` itself.

        At most `workers` changes are submitted at a time (the window): a stop (Ctrl-C,
        SIGTERM, a lost lease, a give-up) then leaves only those to finish, never a queue of
        hundreds already handed to the pool; whatever was not submitted is reported as not started.
        """
        by_address = {c.address: c for c in changes}
        waiting = {c.address: {d for d in c.depends_on if d in by_address and d != c.address} for c in changes}
        dependents: dict[str, list[str]] = {}
        for address, needs in waiting.items():
            for need in needs:
                dependents.setdefault(need, []).append(address)
        running: dict[Future, str] = {}
        started: set[str] = set()
        ready: deque[str] = deque()
        # finished futures in the order they finish: waiting on the whole running set after each
        # one (concurrent.futures.wait) costs a waiter per running future each time, O(n^2) in all
        completed: queue.SimpleQueue[Future] = queue.SimpleQueue()

        def start(address: str) -> None:
            started.add(address)
            ready.append(address)

        def submit() -> None:
            # at most `workers` in flight: a stop (Ctrl-C, SIGTERM, a lost lease) leaves the rest unsent
            while ready and len(running) < self.workers:
                address = ready.popleft()
                if self.result.stopped is not None:
                    self._not_started(by_address[address])
                    finished(address)
                    continue
                future = pool.submit(work, by_address[address])
                running[future] = address
                future.add_done_callback(completed.put)

        def finished(address: str) -> None:
            for dependent in dependents.get(address, []):
                waiting[dependent].discard(address)
                if not waiting[dependent] and dependent not in started:
                    start(dependent)

        for change in changes:
            if not waiting[change.address] and change.address not in started:
                start(change.address)
        submit()
        while running:
            try:  # a timeout, so that a signal's handler runs while nothing finishes
                future = completed.get(timeout=0.5)
            except queue.Empty:
                continue
            address = running.pop(future)
            future.result()
            finished(address)
            submit()
        for change in changes:  # a dependency cycle, which a plan never has: say so, do nothing
            if change.address not in started:
                self._record(Outcome(change.address, change.action, "skipped", change.id,
                                     "skipped: its dependencies form a cycle"))

    def _not_started(self, change: Change) -> None:
        assert self.result.stopped is not None
        self._record(Outcome(change.address, change.action, "skipped", change.id,
                             f"not started: apply stopped ({_first_sentence(self.result.stopped)})"))

    def _record(self, outcome: Outcome) -> None:
        self.result.outcomes.append(outcome)
        if outcome.status != "done":
            self.failed.add(outcome.address)
        self.progress(outcome)

    def _note_failure(self, exc: PipedriveError) -> None:
        """A failure the client gave up on stops apply: nothing more is started."""
        if getattr(exc, "gave_up", False) and self.result.stopped is None:
            self.result.stopped = str(exc)

    def stop(self, reason: str) -> None:
        """Start nothing more (Ctrl-C, SIGTERM); what is in flight finishes and is journalled."""
        if self.result.stopped is None:
            self.result.stopped = reason

    # -- creates and updates ---------------------------------------------------------

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, Placeholder):
            if value.address in self.failed or value.address not in self.ids:
                raise _Skip(value.address)
            if value.part:
                return self._part(value)
            return self.ids[value.address]
        if isinstance(value, dict):
            return {self._resolve(k): self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    def _known(self, value: Any) -> Any:
        """A placeholder's value once apply made its object, else None."""
        try:
            return self._resolve(value)
        except _Skip:
            return None

    def _part(self, placeholder: Placeholder) -> Any:
        """A part of what an object's create or update answered (read again if it was recovered)."""
        obj = self.objects.get(placeholder.address)
        if obj is None:
            kind_name = placeholder.address.split(".", 1)[0]
            obj = self.client.get(kind_name, self.ids[placeholder.address]) or {}
            self.objects[placeholder.address] = obj
        value: Any = obj
        for step in placeholder.part:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            raise _Skip(placeholder.address)
        return value

    def _write_one(self, change: Change) -> None:
        if self.result.stopped is not None:  # stopped while this waited for a thread
            self._not_started(change)
            return
        try:
            writes = self._resolve(change.writes)
        except _Skip as skip:
            self._record(Outcome(change.address, change.action, "skipped", change.id,
                                 f"skipped: depends on {skip.address}, which failed"))
            return
        try:
            if change.action == "create":
                object_id = self._create(change, writes)
            else:
                assert change.id is not None
                updated = self.client.update(change.kind, change.id, writes)
                if updated is not None:  # None: only attached fields were written (a deal's products)
                    self.objects[change.address] = updated
                object_id = change.id if updated is None else updated.get("id", change.id)  # a replace: new id
            self.ids[change.address] = object_id
            applied = None
            try:
                if change.applied and not change.later:  # else recorded once the second write is made
                    applied = settle(change.kind, change.applied, self._resolve, self.client.schema)
            finally:  # the id is journalled whatever happens, what was applied with it (one fsync)
                self.lock.record(change.kind, change.key, object_id, applied)
            self._record(Outcome(change.address, change.action, "done", object_id))
        except PipedriveError as exc:
            self._note_failure(exc)
            self._record(Outcome(change.address, change.action, "failed", change.id, _describe(change, exc)))

    def _write_later(self, change: Change) -> None:
        """The second write of a change (reconciler/twophase.py): an update of the object just
        written. Counted in the change's outcome: only a failure is reported, as its own line."""
        if change.address in self.failed or change.address not in self.ids:
            return  # the first write failed or was skipped: already reported
        try:
            writes = self._resolve(change.later)
            self.client.update(change.kind, self.ids[change.address], writes)
            if change.applied:
                self.lock.record_applied(change.kind, change.key,
                                         settle(change.kind, change.applied, self._resolve, self.client.schema))
        except _Skip as skip:
            self._record(Outcome(change.address, "update", "skipped", self.ids[change.address],
                                 f"second write skipped: depends on {skip.address}, which failed"))
        except PipedriveError as exc:
            self._note_failure(exc)
            self._record(Outcome(change.address, "update", "failed", self.ids[change.address],
                                 f"second write: {_describe(change, exc)}"))

    def _create(self, change: Change, writes: dict) -> Any:
        last: Exception | None = None
        for _attempt in range(CREATE_ATTEMPTS):
            started = self.client.http.server_now()
            try:
                created = self.client.create(change.kind, writes)
                self.objects[change.address] = created
                return created["id"]
            except AmbiguousWriteError as exc:
                last = exc
                found = self._find_created(change, started)
                if found is not None:
                    return found
                time.sleep(0.2)
        raise PipedriveError(f"create did not complete after {CREATE_ATTEMPTS} attempts: {last}")

    def _find_created(self, change: Change, started: datetime | None) -> Any:
        """Did an ambiguous create happen? Look for its natural keys among recent objects.

        "Recent" is in the server's time (its Date header before the attempt); when the
        server never said its time, the newest objects are read, newest first, without a window.
        """
        keys = self._resolve_keys(change.recovery_keys)
        if not keys:
            return None
        since = started - RECOVERY_WINDOW if started is not None else None
        for _attempt in range(3):
            try:
                return _first_match(keys, _recent_keys(self.client, change.kind, since))
            except PipedriveError:
                time.sleep(0.5)
        raise PipedriveError(f"cannot find out whether {change.address} was created; run apply again")

    def _resolve_keys(self, keys: list) -> list:
        try:
            return [self._resolve(list(k)) for k in keys]
        except _Skip:
            return []

    # -- deletes -----------------------------------------------------------------------

    def _delete_one(self, change: Change) -> None:
        if self.result.stopped is not None:
            self._not_started(change)
            return
        failed = next((d for d in change.depends_on if d in self.failed), None)
        if failed is not None:  # a stage waiting for its pipeline's delete: never half a pipeline
            self._record(Outcome(change.address, "delete", "skipped", change.id,
                                 f"skipped: depends on {failed}, which failed"))
            return
        try:
            assert change.id is not None
            self.client.delete(change.kind, change.id)
        except PipedriveError as exc:
            if getattr(exc, "status", None) == 404:
                pass  # already gone: the goal is reached
            else:
                self._note_failure(exc)
                self._record(Outcome(change.address, "delete", "failed", change.id, _describe(change, exc)))
                return
        self.lock.forget(change.kind, change.key)
        self._record(Outcome(change.address, "delete", "done", change.id))


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0]


class _Skip(Exception):
    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.address = address


def _describe(change: Change, exc: Exception) -> str:
    where = f"{change.source}: " if change.source else ""
    if isinstance(exc, ApiValidationError):
        names = ", ".join(sorted(change.fields)) or "(no fields)"
        return f"{where}{change.kind} {change.key!r}: Pipedrive refused the {change.action} ({exc}); fields sent: {names}"
    return f"{where}{change.kind} {change.key!r}: {exc}"


def apply_plan(
    client: PipedriveClient,
    plan: Plan,
    lock: LockFile,
    *,
    workers: int = 8,
    progress: Callable[[Outcome], None] | None = None,
) -> ApplyResult:
    return Applier(client, plan, lock, workers=workers, progress=progress).run()
