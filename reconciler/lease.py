"""One apply that creates at a time per account, across machines: a fenced lease kept in the account.

The project lock (`reconciler.lock.lck`) keeps two applies of one checkout apart; it cannot
see a second checkout, a CI runner and a laptop. Two applies that plan the same creates at
once would both make them. So before its first create, apply takes a lease in the
Pipedrive account itself, where every machine looks, then checks what appeared since it
read live state (planning again if something did: the other apply's work is then adopted,
not repeated). CI concurrency groups stay the first guard (docs/ci.md): the lease is the
net under them, for the laptop beside the runner.

The lease is one lead label, named plainly, `reconciler apply in progress (lease <token>
until <time>)`: a random token, never a host name or a process id. Pipedrive has no
compare-and-set, so taking one is "list, create mine, list again": mine holds when every
other live lease was created strictly after it; an older one wins; one created in the same
second is a tie, and both step back and retry after a random pause. The label is deleted
when the apply ends: nothing is left in the label picker salespeople use.

Fencing: holding a lease once proves nothing a minute later (the laptop slept, the CI
container was paused, someone ran `lease break`). So every create is sent only while the
lease is proven: a proof is the label read back, ours and unexpired in the server's time,
at most PROOF_EVERY seconds of creating and PROOF_BATCH creates ago, and never older than
three quarters of the TTL by a clock that keeps counting while the machine sleeps. A
renewal that fails (a 404 included) or a proof that fails loses the lease for good: no
further create is sent, the apply stops with a message, and what it did is in the journal,
so the next run finishes the job.

Why these bounds are safe, and what each one bounds:
- No duplicate between two applies rests on time alone. A holder sends no create on a
  proof older than PROOF_EVERY seconds; `lease break --force` keeps every other apply
  waiting a grace of at least PROOF_EVERY plus the request timeout (commands/lease.py), so
  the holder has seen its lease gone, and its last request has ended, before anyone else
  may create; a lease can only expire under a holder that went unproven past three
  quarters of the TTL, which the awake clock refuses before the request is sent.
- The count bounds how much a holder whose lease was broken still does before it notices:
  at most PROOF_BATCH creates are sent after the last good proof (the guard counts each
  one before it goes). At a paced rate the time bound comes first: PROOF_EVERY seconds of
  creates are at most PROOF_EVERY x the rate limit (50 at the gateway's 10 requests a
  second, 250 at 50); PROOF_BATCH keeps the bound finite for a client paced faster
  (the sandbox, a raised --rate-limit).
- Earlier the count was 25, a proof per 25 creates: 4% of an apply's requests at any
  rate above 5 a second, and at 50 requests a second 40 of 1,050 (issue 28). Proving by time costs one
  request per PROOF_EVERY seconds of creating whatever the rate (4 for 1,000 creates at
  50 a second, 0.4%; 2% at the gateway's 10), and the guarantee against duplicates is
  the same, since it never rested on the count.

Time is the server's (its `Date` header, read on the lease's own requests): expiry is
compared on one clock by every holder. Without a server clock the lease refuses (it never
falls back to the local clock, which may be minutes off).

`reconciler lease break` removes an expired lease at once; a live one only with `--force`,
and then not by deleting it: it is replaced by a "broken" lease held by nobody for one
grace period, long enough for the old holder to notice at its next proof and for its last
request to end, so the next apply waits that out instead of racing a holder still writing.

A checkout remembers the lease it is about to take in `reconciler.lock.lease` (beside the
lock; removed once the lease is released). When an apply was killed, that file outlives
it, and the next apply of the same checkout removes that lease at once instead of waiting
out the TTL: it holds the project lock, so the apply that took it cannot still be running.

Cost: list, create, list and delete per apply that creates, one renewal per quarter TTL,
one proof per PROOF_EVERY seconds of creating (or PROOF_BATCH creates, when paced faster
than 50 a second), and the "created since" lists.
Applies that only update or delete take no lease (they cannot duplicate).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.lockcheck import LockError
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.errors import AmbiguousWriteError, NotFoundError, PipedriveError

PATH = "/api/v1/leadLabels"
TITLE = "reconciler apply in progress"
_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
NAME = re.compile(rf"^{TITLE} \(lease (?P<holder>\S+) until (?P<until>{_TIME})\)$")
# the names earlier versions used: still honoured as leases, their release markers removed
LEGACY_NAME = re.compile(rf"^reconciler lease (?P<holder>(?!released )\S+) until (?P<until>{_TIME})$")
LEGACY_RELEASED = re.compile(rf"^reconciler lease released {_TIME}(?: by \S+)?$")
BROKEN = "broken"  # the holder token prefix of a lease `lease break --force` left in place of a live one
DEFAULT_TTL = 120.0  # seconds; RECONCILER_LEASE_TTL
POLL = 2.0  # seconds between looks while another apply holds the lease
DEFAULT_WAIT = 300.0  # RECONCILER_LEASE_WAIT
PROOF_EVERY = 5.0  # seconds: a create is sent only on a proof at most this old (lease break's grace waits it out)
PROOF_BATCH = 250  # creates: and at most this many after it (PROOF_EVERY seconds at 50 a second; see above)
CREATE_ATTEMPTS = 5


class LeaseClockError(LockError):
    """The server gave no time (no `Date` header): the lease cannot compare expiries safely."""


class LeaseLostError(PipedriveError):
    """This apply can no longer prove it holds the account's lease: it sends no further create."""

    gave_up = True


def ttl() -> timedelta:
    """How long a lease lasts without renewal (RECONCILER_LEASE_TTL seconds, default 120)."""
    raw = os.environ.get("RECONCILER_LEASE_TTL", str(DEFAULT_TTL))
    try:
        seconds = float(raw)
    except ValueError:
        raise LockError("RECONCILER_LEASE_TTL must be a number of seconds") from None
    if seconds < 10:
        raise LockError("RECONCILER_LEASE_TTL must be at least 10 seconds")
    return timedelta(seconds=seconds)


def awake_clock() -> float:
    """Seconds on a clock that keeps counting while the machine sleeps (CLOCK_BOOTTIME on Linux):
    a laptop that slept past the TTL must not believe its lease is still young."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        with contextlib.suppress(OSError):
            return time.clock_gettime(boottime)
    return time.monotonic()


@dataclass(frozen=True)
class Lease:
    id: Any
    holder: str
    until: datetime
    added: datetime | None

    @property
    def name(self) -> str:
        return lease_name(self.holder, self.until)


def lease_name(holder: str, until: datetime) -> str:
    return f"{TITLE} (lease {holder} until {until.strftime('%Y-%m-%dT%H:%M:%SZ')})"


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def holder_name() -> str:
    """Who holds a lease: a random token (never the host, the process or the key)."""
    return uuid.uuid4().hex[:12]


def leases(client: PipedriveClient) -> list[Lease]:
    """Every reconciler lease in the account (live or expired)."""
    return _read(client)[0]


def _labels(client: PipedriveClient) -> list[dict]:
    return [label for label in client.http.request("GET", PATH).get("data") or [] if isinstance(label, dict)]


def _read(client: PipedriveClient) -> tuple[list[Lease], list[Any]]:
    """The leases, and the ids of the release markers earlier versions left (to be removed)."""
    held, markers = [], []
    for label in _labels(client):
        name = str(label.get("name", ""))
        found = NAME.match(name) or LEGACY_NAME.match(name)
        if found:
            until = _when(found["until"])
            if until is not None:
                held.append(Lease(label["id"], found["holder"], until, _when(label.get("add_time"))))
            continue
        if LEGACY_RELEASED.match(name):
            markers.append(label["id"])
    return held, markers


def _server_time(client: PipedriveClient, since: float) -> datetime:
    """The server's time as its answers since `since` (monotonic) said it; LeaseClockError if none did."""
    seen = client.http.server_now(fresh_since=since)
    if seen is None:
        raise LeaseClockError(
            "the account's answers carry no Date header (a proxy in between strips it?): the apply lease "
            "compares expiries on the server's clock only, never this machine's, so it refuses to go on")
    return seen.replace(microsecond=0)


def _now(client: PipedriveClient) -> datetime:
    """The server's time, read now (one call when no answer told it just before)."""
    started = time.monotonic()
    seen = client.http.server_now(fresh_since=started - 1.0)
    if seen is None:
        client.http.request("GET", "/api/v1/users/me")
    return _server_time(client, started - 1.0)


def _delete(client: PipedriveClient, lease_id: Any) -> None:
    try:
        client.http.request("DELETE", f"{PATH}/{lease_id}", what=f"lease {lease_id}")
    except NotFoundError:
        pass


def _create(client: PipedriveClient, name: str, sleep: Callable[[float], None]) -> dict:
    """Create the lease's label like any other create: an ambiguous answer is looked up by its
    (unique) name before trying again, so a 5xx neither fails the apply nor leaves two labels."""
    last: Exception | None = None
    for _attempt in range(CREATE_ATTEMPTS):
        try:
            return client.http.request("POST", PATH, json_body={"name": name, "color": "gray"},
                                       what="the apply lease")["data"]
        except AmbiguousWriteError as exc:
            last = exc
            found = [label for label in _labels(client) if label.get("name") == name]
            if found:
                return found[0]
            sleep(random.uniform(0.2, 1.0))
    raise LockError(f"could not take the account's apply lease: {last}")


class Holder:
    """A lease held: renewed in the background, proven before creates, deleted when released.

    `guard` is installed on the client's HTTP layer for as long as the lease is held: every
    POST (a create) other than the lease's own goes through it, so a create is never sent
    on a lease that cannot be proven (`LeaseLostError` instead, which stops the apply).
    """

    quiet_since: datetime | None = None  # kept for callers: every apply checks what appeared since

    def __init__(self, client: PipedriveClient, lease: Lease, record: Path | None = None,
                 valid_from: float | None = None) -> None:
        self.client = client
        self.lease = lease
        self.record = record
        self.ttl = ttl()
        self.lost: str | None = None
        self._lock = threading.Lock()
        self._proved_at = awake_clock() if valid_from is None else valid_from
        self._valid_until = self._proved_at + self.ttl.total_seconds() * 0.75
        self._creates_since_proof = 0
        self._stop = threading.Event()
        client.http.write_guard = self.guard
        self._thread = threading.Thread(target=self._renew, name="reconciler-lease", daemon=True)
        self._thread.start()

    # -- fencing -----------------------------------------------------------------------

    def _lose(self, why: str) -> None:
        if self.lost is None:
            self.lost = why

    def _proved(self, started: float, until: datetime, now: datetime) -> None:
        left = min((until - now).total_seconds(), self.ttl.total_seconds()) - self.ttl.total_seconds() * 0.25
        self._proved_at = started
        self._valid_until = started + max(0.0, left)
        self._creates_since_proof = 0

    def prove(self) -> None:
        """Read the lease back: still ours, unexpired in the server's time; else it is lost."""
        started = awake_clock()
        mono = time.monotonic()
        try:
            labels = _labels(self.client)
            now = _server_time(self.client, mono)
        except (PipedriveError, LockError) as exc:
            self._lose(f"its lease could not be checked ({exc})")
            if getattr(exc, "gave_up", False):
                raise  # the account cannot be reached at all: that is the reason to give
            return
        mine = next((label for label in labels if label.get("id") == self.lease.id), None)
        found = NAME.match(str((mine or {}).get("name", "")))
        if mine is None or found is None or found["holder"] != self.lease.holder:
            self._lose("its lease was removed (`reconciler lease break`, or it expired and another apply took it)")
            return
        until = _when(found["until"])
        if until is None or until <= now:
            self._lose("its lease expired (this machine was paused or asleep past the TTL)")
            return
        self._proved(started, until, now)

    def guard(self, path: str, may_prove: bool) -> None:
        """Called before every POST attempt while the lease is held: raise unless it is proven.

        Before the request waits for its place in the rate limit (`may_prove`), a stale proof is
        renewed by reading the lease back; once it has its place, only the clock is looked at
        (a proof then would wait for a place this request holds), and one too old refuses.
        """
        if path.startswith(PATH):
            return
        if not may_prove:
            self._placed_guard(path)
            return
        with self._lock:
            if self.lost is None:
                clock = awake_clock()
                if may_prove and (clock >= self._valid_until or clock - self._proved_at >= PROOF_EVERY
                                  or self._creates_since_proof >= PROOF_BATCH):
                    self.prove()
            if self.lost is not None:
                raise LeaseLostError(
                    f"lost the account's apply lease: {self.lost}. No further create was sent; what was done is "
                    "in the lock, and running apply again finishes the job", path=path)
            if may_prove:
                self._creates_since_proof += 1

    def _placed_guard(self, path: str) -> None:
        """The check once a create has its place: the clock alone, without the lock.

        A proof in progress holds the lock while its read waits for a place in the rate limit,
        and places were held by creates waiting here for that lock: every create then went in
        only as the limiter gave up waiting for their answers, one per 20 ms, a stall of up to
        300 ms per proof with 16 workers (issue 28). The proof in progress changes nothing
        this check looks at until it ends, so it need not be waited for.
        """
        if self.lost is None and awake_clock() >= self._valid_until:
            self._lose("its lease could not be proven in time (this machine was paused or asleep)")
        if self.lost is not None:
            raise LeaseLostError(
                f"lost the account's apply lease: {self.lost}. No further create was sent; what was done is "
                "in the lock, and running apply again finishes the job", path=path)

    # -- renewal and release -------------------------------------------------------------

    def _renew(self) -> None:
        every = self.ttl.total_seconds() / 4
        while not self._stop.wait(every):
            if not self.renew_once():
                return

    def renew_once(self) -> bool:
        """Push the lease's expiry one TTL on (server time); any failure, a 404 included, loses it."""
        if self.lost is not None:
            return False
        started = awake_clock()
        mono = time.monotonic()
        try:
            until = _now(self.client) + self.ttl
            self.client.http.request("PATCH", f"{PATH}/{self.lease.id}",
                                     json_body={"name": lease_name(self.lease.holder, until)},
                                     what="the apply lease")
            now = _server_time(self.client, mono)
        except (PipedriveError, LockError) as exc:
            with self._lock:
                self._lose(f"renewing its lease failed ({exc})")
            return False
        with self._lock:
            if self.lost is None:
                self._proved(started, until, now)
        return self.lost is None

    def release(self) -> None:
        """Delete the lease's label (nothing stays in the account); a failure leaves it to expire."""
        self._stop.set()
        self._thread.join(timeout=5)
        if self.client.http.write_guard == self.guard:
            self.client.http.write_guard = None
        try:
            _delete(self.client, self.lease.id)
        except PipedriveError:
            return  # it expires on its own, or this checkout's next apply removes it (`record`)
        if self.record is not None:
            with contextlib.suppress(OSError):
                self.record.unlink()

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def wait_seconds() -> float:
    raw = os.environ.get("RECONCILER_LEASE_WAIT", str(DEFAULT_WAIT))
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise LockError("RECONCILER_LEASE_WAIT must be a number of seconds") from None


def left_behind(record: Path | None) -> str | None:
    """The holder a previous apply of this checkout recorded and never released, if any."""
    if record is None:
        return None
    try:
        text = record.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if re.fullmatch(r"\S+", text) else None


def _remember(record: Path | None, holder: str) -> None:
    """Write the holder this checkout is about to take the lease as (before the lease exists)."""
    if record is None:
        return
    temp = record.with_name(record.name + ".tmp")
    try:
        temp.write_bytes(f"{holder}\n".encode())
        os.replace(temp, record)
    except OSError:
        pass  # only a convenience: without it a crashed apply's lease expires on its own


def acquire(client: PipedriveClient, *, wait: float | None = None, say: Callable[[str], None] | None = None,
            sleep: Callable[[float], None] = time.sleep, record: Path | None = None) -> Holder:
    """Take the account's apply lease, waiting up to `wait` seconds for another holder; LockError past it.

    `record` is this checkout's `reconciler.lock.lease`, read and written only while the
    caller holds the project lock: a lease it names was left by an apply of this checkout
    that can no longer be running, and is removed at once.
    """
    wait = wait_seconds() if wait is None else wait
    length = ttl()
    deadline = time.monotonic() + wait
    holder = holder_name()
    ours = left_behind(record)
    said = False
    while True:
        started = awake_clock()
        mono = time.monotonic()
        current, markers = _read(client)
        now = _server_time(client, mono)
        for stale in (lease for lease in current if lease.until <= now or lease.holder == ours):
            _delete(client, stale.id)  # a crashed apply's: its TTL is over, or it was this checkout's
        for marker_id in markers:
            _delete(client, marker_id)  # an earlier version's release marker: nothing may stay in the account
        others = [lease for lease in current if lease.until > now and lease.holder != ours]
        if not others:
            _remember(record, holder)
            until = now + length
            created = _create(client, lease_name(holder, until), sleep)
            mine = Lease(created["id"], holder, until, _when(created.get("add_time")))
            rivals = [lease for lease in leases(client) if lease.id != mine.id and lease.until > now]
            if all(_after(rival, mine) for rival in rivals):
                return Holder(client, mine, record, valid_from=started)
            _delete(client, mine.id)
            others = rivals
            if any(rival.added == mine.added for rival in rivals):  # a tie: both step back, randomly
                sleep(random.uniform(0.2, 1.5))
                continue
        if time.monotonic() >= deadline:
            oldest = min(others, key=lambda lease: (lease.added or lease.until))
            who = ("a lease broken by `lease break --force` (its holder may still be finishing)"
                   if oldest.holder.startswith(BROKEN) else oldest.holder)
            raise LockError(
                f"another apply of this account is running ({who}, lease until "
                f"{oldest.until:%Y-%m-%d %H:%M:%S} UTC); waited {wait:.0f} s (RECONCILER_LEASE_WAIT). If it "
                "crashed, its lease expires on its own; `reconciler lease break` removes an expired one")
        if say is not None and not said:
            say(f"waiting for another apply of this account to finish ({others[0].holder})")
            said = True
        sleep(POLL)


def _after(rival: Lease, mine: Lease) -> bool:
    """Whether a rival's lease was created strictly after mine (mine then holds)."""
    if rival.added is None or mine.added is None:
        return False
    return rival.added > mine.added


def break_lease(client: PipedriveClient, lease: Lease, *, force: bool, grace: timedelta) -> str:
    """Remove a lease. An expired one goes at once; a live one (only with `force`) is replaced by a
    "broken" lease lasting `grace`: its holder stops at its next proof, and no apply starts before
    the requests it already sent have ended. Returns what was done, in words."""
    now = _now(client)
    if lease.until <= now:
        _delete(client, lease.id)
        return f"Removed the expired lease {lease.holder} ({lease.id})."
    if not force:
        raise LockError(
            f"the lease {lease.holder} ({lease.id}) is live until {lease.until:%Y-%m-%d %H:%M:%S} UTC: its "
            "apply may still be writing. Breaking it is safe only if that apply is surely gone; pass --force "
            "to break it anyway (the holder stops creating at its next check)")
    if lease.holder.startswith(BROKEN):
        _delete(client, lease.id)
        return f"Removed the broken lease {lease.holder} ({lease.id}) before its grace period ended."
    _create(client, lease_name(f"{BROKEN}-{holder_name()[:6]}", now + grace), time.sleep)
    _delete(client, lease.id)
    return (f"Broke the live lease {lease.holder} ({lease.id}). Its holder may still be writing: it sends no "
            f"further create once it sees the lease gone, and other applies wait until "
            f"{now + grace:%H:%M:%S} UTC before they start.")
