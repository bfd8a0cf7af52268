"""A circuit breaker for one run: stop retrying once retrying has stopped making sense.

Retries ride out a blip (a 500, a dropped connection, a busy rate limit). When the gateway
is down or Pipedrive answers 500 to everything, retrying every remaining request with
backoff only burns minutes and calls: one apply took 249 s and 1,246 calls to give up
after its endpoint was killed. The breaker watches the whole client: once failures have
followed one another, with no success between them, for longer than the budget, every
further request fails at once with one message saying what failed.

Waiting out a rate limit is not failing: a streak made only of 429s (another client
shares the account's budget) gets a longer budget, so a second client still finishes.

Streaks are counted per kind of operation (reads; writes by method and route): when only
creates fail (a 500 storm), the reads apply makes to find out whether each create happened
succeed, and so do the apply lease's renewals; neither may reset the creates' streak.
Before, they did, and 300 creates took 154 s and 1,535 calls to give up. A success ends the
streak of its own kind only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from reconciler.pipedrive.costs import route_template
from reconciler.pipedrive.errors import PipedriveError

DEFAULT_BUDGET = 30.0  # seconds of failures in a row before giving up
RATE_LIMITED_FACTOR = 4  # a streak of 429s only may last this many budgets


class _Streak:
    """Failures in a row of one kind of operation, with no success of that kind between them."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.attempts = 0
        self.only_rate_limited = True


def kind_of(method: str, path: str | None = None) -> str:
    """The kind of operation a request is, for the breaker: a read, or a write of one route
    (`POST /api/v2/organizations`): the lease's own writes, which succeed every few seconds,
    must not end the streak of creates that all fail, any more than the reads do."""
    if method.upper() in ("GET", "HEAD"):
        return "read"
    return f"{method.upper()} {route_template(path)}" if path else "write"


class Breaker:
    """Shared by every thread of one run's client."""

    def __init__(self, budget: float = DEFAULT_BUDGET, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = max(0.0, float(budget))
        self._clock = clock
        self._lock = threading.Lock()
        self._streaks: dict[str, _Streak] = {}
        self._open: PipedriveError | None = None

    def success(self, kind: str = "read") -> None:
        """An answer that was not a failure: the streak of its kind of operation is over."""
        with self._lock:
            self._streaks.pop(kind, None)

    def failure(self, error: PipedriveError, *, rate_limited: bool = False, kind: str = "read") -> None:
        """One failed attempt (`error` says how, without the key); may open the breaker."""
        with self._lock:
            now = self._clock()
            streak = self._streaks.setdefault(kind, _Streak())
            if streak.start is None:
                streak.start = now
            streak.attempts += 1
            streak.only_rate_limited = streak.only_rate_limited and rate_limited
            budget = self.budget * (RATE_LIMITED_FACTOR if streak.only_rate_limited else 1)
            if self._open is None and streak.attempts >= 2 and now - streak.start > budget:
                self._open = give_up(error, now - streak.start, streak.attempts)

    def check(self) -> None:
        """Raise at once when the breaker is open (before sending another request)."""
        if self._open is not None:
            raise self._open

    @property
    def opened(self) -> PipedriveError | None:
        """The failure the run gave up on, once the breaker is open (what its tests hold it to)."""
        return self._open


def give_up(error: PipedriveError, seconds: float, attempts: int) -> PipedriveError:
    """The last failure, said as the reason the run gave up: same class, `gave_up` set."""
    message = (f"gave up after {seconds:.0f} s of failures with no success between them ({attempts} attempts "
               f"in a row; retry_budget in reconciler.toml sets how long to keep trying). The last: {error}")
    final = type(error)(message, status=error.status, path=error.path)
    final.gave_up = True  # type: ignore[attr-defined]
    return final
