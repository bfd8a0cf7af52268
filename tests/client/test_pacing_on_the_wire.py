"""The client's pace as the server counts it: no one-second window of arrivals holds more than the rate.

The limiter's own tests (tests/core/test_ratelimit.py) check when it lets requests start; what
matters is when they reach the server, over a real socket, from many threads at once, with the
cap on requests in flight (issue 28) in play. The served sandbox records each arrival where its
own rate limiter counts it, and the sandbox refuses what goes past the rate (a 429), so a
window that held one request too many shows twice: in the arrival times and in the 429 count.
These are counts of requests per window, not timings: the test holds on a slow machine.
"""

from __future__ import annotations

import threading
import time

from reconciler.pipedrive.http import HttpClient
from reconciler.sandbox.gateway import RateLimiter as ServerLimiter
from tests.conftest import KEY

RATE = 20
THREADS = 8
REQUESTS = 3 * RATE + 5  # more than three windows' worth: places are reused at least three times


class RecordingLimiter(ServerLimiter):
    """The sandbox's own limiter, which also notes when each request arrived."""

    def __init__(self, rps: float) -> None:
        super().__init__(rps)
        self.arrivals: list[float] = []

    def acquire(self):
        admitted, headers = super().acquire()
        self.arrivals.append(time.monotonic())
        return admitted, headers


def test_no_window_of_arrivals_holds_more_than_the_rate(http_sandbox) -> None:
    recorder = RecordingLimiter(RATE)
    http_sandbox.gateway.rate_limiter = recorder
    client = HttpClient(http_sandbox.endpoint, api_key=KEY, rate_limit=RATE)
    todo = list(range(REQUESTS))
    guard = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with guard:
                if not todo:
                    return
                todo.pop()
            try:
                client.request("GET", "/api/v1/users/me")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert not errors, errors
    arrivals = sorted(recorder.arrivals)
    assert len(arrivals) == REQUESTS  # no retry: nothing was refused
    crowded = [i for i in range(len(arrivals) - RATE) if arrivals[i + RATE] - arrivals[i] < recorder.window]
    assert not crowded, f"{len(crowded)} windows held more than {RATE} arrivals"
    assert http_sandbox.gateway.stats()["rate_limited"] == 0
