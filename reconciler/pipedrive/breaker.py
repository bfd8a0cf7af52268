"""A circuit breaker for one run: stop retrying once retrying has stopped making sense.

Retries ride out a blip (a 500, a dropped connection, a busy rate limit). When the gateway
is down or Pipedrive answers 500 to everything, retrying every remaining request with
backoff only burns minutes and calls: one apply took 249 s and 1,246 calls to give up
after its endpoint was killed. The breaker watches the whole client: once failures have
followed one another, with no success between them, for longer than the budget, every
further request fails at once with one message saying what failed.

Waiting out a rate limit is not failing: a streak made only of 429s (another client
shares the account's budget) gets a longer budget, so a second client still finishes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from reconciler.pipedrive.errors import PipedriveError

DEFAULT_BUDGET = 30.0  # seconds of failures in a row before giving up
RATE_LIMITED_FACTOR = 4  # a streak of 429s only may last this many budgets


class Breaker:
    """Shared by every thread of one run's client."""

    def __init__(self, budget: float = DEFAULT_BUDGET, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = max(0.0, float(budget))
        self._clock = clock
        self._lock = threading.Lock()
        self._streak_start: float | None = None
        self._attempts = 0
        self._only_rate_limited = True
        self._open: PipedriveError | None = None

    def success(self) -> None:
        """An answer that was not a failure: the streak is over."""
        with self._lock:
            self._streak_start = None
            self._attempts = 0
            self._only_rate_limited = True

    def failure(self, error: PipedriveError, *, rate_limited: bool = False) -> None:
        """One failed attempt (`error` says how, without the key); may open the breaker."""
        with self._lock:
            now = self._clock()
            if self._streak_start is None:
                self._streak_start = now
            self._attempts += 1
            self._only_rate_limited = self._only_rate_limited and rate_limited
            budget = self.budget * (RATE_LIMITED_FACTOR if self._only_rate_limited else 1)
            if self._open is None and self._attempts >= 2 and now - self._streak_start > budget:
                self._open = give_up(error, now - self._streak_start, self._attempts)

    def check(self) -> None:
        """Raise at once when the breaker is open (before sending another request)."""
        if self._open is not None:
            raise self._open


def give_up(error: PipedriveError, seconds: float, attempts: int) -> PipedriveError:
    """The last failure, said as the reason the run gave up: same class, `gave_up` set."""
    message = (f"gave up after {seconds:.0f} s of failures with no success between them ({attempts} attempts "
               f"in a row; retry_budget in reconciler.toml sets how long to keep trying). The last: {error}")
    final = type(error)(message, status=error.status, path=error.path)
    final.gave_up = True  # type: ignore[attr-defined]
    return final
