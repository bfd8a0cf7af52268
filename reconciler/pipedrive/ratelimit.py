"""Client-side rate limiting shared by every thread of one run.

The gateway allows 10 requests a second per account; going over it only buys 429s and
retries, which cost time and still count against Pipedrive's budget. A sliding one-second
window is what the gateway enforces, so we pace to it, and we also obey what the server
says: `Retry-After` and `x-ratelimit-remaining`/`x-ratelimit-reset` pause everyone.
"""

from __future__ import annotations

import collections
import threading
import time


class RateLimiter:
    """At most `rate` request starts in any one-second window, across threads."""

    # Pace a little under the limit: the server counts arrivals, which jitter after our
    # departures; without a margin every busy window ends in a 429 or a one-second pause.
    MARGIN = 0.98

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.rate = max(rate, 0.1)
        self.capacity = max(1, int(self.rate))
        self.window = self.capacity / self.rate / self.MARGIN  # ~1.02 s for integer rates
        self._starts: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Block until one more request may start."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._blocked_until - now
                if wait <= 0:
                    while self._starts and now - self._starts[0] >= self.window:
                        self._starts.popleft()
                    if len(self._starts) < self.capacity:
                        self._starts.append(now)
                        return
                    wait = self.window - (now - self._starts[0])
            self._sleep(max(wait, 0.001))

    def pause(self, seconds: float) -> None:
        """Hold every thread back for `seconds` (Retry-After, or an exhausted window)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def observe_headers(self, headers) -> None:
        """Follow the server's own view of the window when someone else is spending it.

        When our own window is full, "0 remaining" only says what we already know, and
        pausing for the whole (whole-second) reset would waste most of a window each time.
        When it is not full, another client shares the account's budget: then we wait.
        """
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            exhausted = int(float(remaining)) <= 0
            seconds = min(float(reset), 60.0)
        except ValueError:
            return
        if not exhausted:
            return
        with self._lock:
            now = self._clock()
            ours = sum(1 for t in self._starts if now - t < self.window)
        if ours < self.capacity:
            self.pause(seconds)
