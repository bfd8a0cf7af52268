"""One apply that creates at a time per account, across machines: a lease kept in the account.

The project lock (`reconciler.lock.lck`) keeps two applies of one checkout apart; it cannot
see a second checkout, a CI runner and a laptop. Two applies that plan the same creates at
once would both make them (the race issue 12 measured: 179 duplicates). So before its
first create, apply takes a lease in the Pipedrive account itself, where every machine
looks, then checks that nothing it is about to create appeared since it read live state
(planning again if something did: the other apply's work is then adopted, not repeated).

The lease is a lead label named `reconciler lease <holder> until <time>` (lead labels exist
in every account, are cheap to list, and touch no record): Pipedrive has no compare-and-set,
so taking one is "list, create mine, list again": mine holds when every other live lease
was created strictly after it; an older one wins; one created in the same second is a tie,
and both step back and retry after a random pause. Whoever lists second sees both, so two
applies never both hold it. A lease expires (`until`, in the server's time) unless its
holder renews it, so a crashed apply blocks others for at most the TTL;
`reconciler lease break` removes one at once (Terraform's force-unlock).

A checkout remembers the lease it is about to take in `reconciler.lock.lease` (beside the
lock; removed once the lease is released). When an apply was killed, or gave up because
the account could not be reached, that file outlives it, and the next apply of the same
checkout removes that lease at once instead of waiting out the TTL: it holds the project
lock (`reconciler.lock.lck`), so the apply that took it cannot still be running. Another
checkout's or machine's lease is never judged this way (a process id means nothing
across machines or containers).

Releasing a lease renames it "reconciler lease released <time> by <holder>" (lead label
names are unique, and two applies may finish in the same second): the next apply compares
that time with its own read of live state, and checks what appeared since (one list per
created kind) only when another apply may have created something after it read: when it
waited, removed a crashed holder's lease, or the last release is later than its read.

Cost: 4 calls per apply that creates (list, create, list, rename), one more to remove the
previous release marker, one renewal per 30 s of a long apply, and the "created since"
lists only after contention; applies that only update or delete take no lease (they
cannot duplicate).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
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
from reconciler.pipedrive.errors import NotFoundError, PipedriveError

PATH = "/api/v1/leadLabels"
PREFIX = "reconciler lease"
_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
NAME = re.compile(rf"^{PREFIX} (?P<holder>\S+) until (?P<until>{_TIME})$")
RELEASED = re.compile(rf"^{PREFIX} released (?P<at>{_TIME})(?: by \S+)?$")
TTL = timedelta(minutes=2)
RENEW_EVERY = 30.0  # seconds
POLL = 2.0  # seconds between looks while another apply holds the lease
DEFAULT_WAIT = 300.0  # RECONCILER_LEASE_WAIT


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
    return f"{PREFIX} {holder} until {until.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def holder_name() -> str:
    """Who holds a lease: the machine, the process and a random part (never the key)."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def leases(client: PipedriveClient) -> list[Lease]:
    """Every reconciler lease in the account (live or expired)."""
    return _read(client)[0]


def _read(client: PipedriveClient) -> tuple[list[Lease], list[tuple[Any, datetime]]]:
    """The leases, and the release markers (id, when) the last applies left."""
    held, released = [], []
    for label in client.http.request("GET", PATH).get("data") or []:
        name = str(label.get("name", ""))
        found = NAME.match(name)
        if found:
            until = _when(found["until"])
            if until is not None:
                held.append(Lease(label["id"], found["holder"], until, _when(label.get("add_time"))))
            continue
        done = RELEASED.match(name)
        if done and _when(done["at"]) is not None:
            released.append((label["id"], _when(done["at"])))
    return held, released


def _now(client: PipedriveClient) -> datetime:
    """The server's time: every holder compares expiry with the same clock."""
    seen = client.http.server_now()
    if seen is None:
        client.http.request("GET", "/api/v1/users/me")
        seen = client.http.server_now()
    return (seen or datetime.now(UTC)).replace(microsecond=0)


def _delete(client: PipedriveClient, lease_id: Any) -> None:
    try:
        client.http.request("DELETE", f"{PATH}/{lease_id}", what=f"lease {lease_id}")
    except NotFoundError:
        pass


class Holder:
    """A lease held, renewed in the background until released.

    `quiet_since`: when no apply can have created anything since (the last release it saw,
    in server time), or None when one may have (it waited for another, or removed a crashed
    one's lease): the caller then checks what appeared since it read live state.
    """

    def __init__(self, client: PipedriveClient, lease: Lease, quiet_since: datetime | None = None,
                 record: Path | None = None) -> None:
        self.client = client
        self.lease = lease
        self.quiet_since = quiet_since
        self.record = record
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="reconciler-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            try:
                until = _now(self.client) + TTL
                self.client.http.request("PATCH", f"{PATH}/{self.lease.id}", json_body={"name": lease_name(
                    self.lease.holder, until)}, what="the apply lease")
            except PipedriveError:
                pass  # the next renewal tries again; the lease's TTL covers a few misses

    def release(self) -> None:
        """Leave a release marker (when this apply finished, for the next one to compare with
        its own read of live state) in place of the lease; a failure leaves the lease to expire."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            at = _now(self.client).strftime("%Y-%m-%dT%H:%M:%SZ")
            marker = f"{PREFIX} released {at} by {self.lease.holder}"
            self.client.http.request("PATCH", f"{PATH}/{self.lease.id}", json_body={"name": marker},
                                     what="the apply lease")
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
    deadline = time.monotonic() + wait
    holder = holder_name()
    ours = left_behind(record)
    said = False
    contended = False  # another apply held it, or crashed holding it: it may have created since we read
    while True:
        now = _now(client)
        current, released = _read(client)
        for stale in (lease for lease in current if lease.until <= now or lease.holder == ours):
            _delete(client, stale.id)  # a crashed apply's: its TTL is over, or it was this checkout's
            contended = True
        others = [lease for lease in current if lease.until > now and lease.holder != ours]
        for marker_id, _at in sorted(released, key=lambda item: item[1])[:-1]:
            _delete(client, marker_id)  # only the newest release marker is kept
        last_release = max((at for _id, at in released), default=None)
        if not others:
            _remember(record, holder)
            created = client.http.request("POST", PATH, json_body={"name": lease_name(holder, now + TTL),
                                                                   "color": "gray"}, what="the apply lease")["data"]
            mine = Lease(created["id"], holder, now + TTL, _when(created.get("add_time")))
            rivals = [lease for lease in leases(client) if lease.id != mine.id and lease.until > now]
            if all(_after(rival, mine) for rival in rivals):
                quiet = None if contended else (last_release or datetime.min.replace(tzinfo=UTC))
                return Holder(client, mine, quiet, record)
            _delete(client, mine.id)
            others = rivals
            if any(rival.added == mine.added for rival in rivals):  # a tie: both step back, randomly
                sleep(random.uniform(0.2, 1.5))
                continue
        if time.monotonic() >= deadline:
            oldest = min(others, key=lambda lease: (lease.added or lease.until))
            raise LockError(
                f"another apply of this account is running ({oldest.holder}, lease until "
                f"{oldest.until:%Y-%m-%d %H:%M:%S} UTC); waited {wait:.0f} s (RECONCILER_LEASE_WAIT). If it "
                "crashed, its lease expires on its own; `reconciler lease break` removes it now")
        contended = True
        if say is not None and not said:
            say(f"waiting for another apply of this account to finish ({others[0].holder})")
            said = True
        sleep(POLL)


def _after(rival: Lease, mine: Lease) -> bool:
    """Whether a rival's lease was created strictly after mine (mine then holds)."""
    if rival.added is None or mine.added is None:
        return False
    return rival.added > mine.added
