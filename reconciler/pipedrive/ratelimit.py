"""Client-side rate limiting shared by every thread of one run.

The gateway allows 10 requests a second per account; going over it only buys 429s and
retries, which cost time (a 429 pauses every thread for a second) and still count against
Pipedrive's budget. A sliding one-second window is what the gateway enforces, so we pace
to it, and we also obey what the server says: `Retry-After` and
`x-ratelimit-remaining`/`x-ratelimit-reset` pause everyone.

The server counts a request when it arrives, some time after we sent it: how long varies
with the network and with how busy the server is (tens of milliseconds on loopback under
load). Counting a request from its start, as the server cannot, made about one window in
two hundred end in a 429 despite a 2% margin. So a request holds its place in the window
from the moment it starts until one window after its answer came back, the latest moment
the server can have counted it: no 429 from our own pace, whatever the delays, at the cost
of one answer's latency per window (a few ms on loopback; when latency is large, a
sequential reader is held back by it anyway, not by the limit).

That latency is paid once per window and place, so it must not be of our own making: when
every freed place is taken at once (16 workers), the server answers them one after another
and each answer waits behind ours; the queue never drains, since each answer frees a place
a window later at the same pace (bench_apply: 11 ms a request on loopback, where one alone
takes 2 to 4 ms). So, once answers have been timed, no more requests are in flight than the
rate needs at the recent median latency, twice over (Little's law: in flight = rate x
latency), and never fewer than MIN_IN_FLIGHT; a request waits for an answer at most
MAX_QUEUE_WAITS polls (20 ms). It only ever delays a request: the window
rule above is what keeps the rate.

Waiting costs CPU too: with every waiting thread polling, each freed place woke all of them
(16 workers) for one to take it: 30 to 40 thousand context switches for 1,000 creates, 13
thousand since (issue 28). So one waiter at a time, the first in line, polls and sleeps for
the next place; the others wait their turn without waking, and the first in line hands its
turn on the moment it has its place, a whole place's interval before the next one frees.
Waking the next waiter only when a place frees puts that wake-up's delay (milliseconds on a
loaded machine) in every place's chain of requests; handing the turn on early keeps it out.
"""

from __future__ import annotations

import collections
import heapq
import math
import statistics
import threading
import time

IN_FLIGHT_POLL = 0.005  # every place is held by a request still waiting for its answer: look again soon
MIN_IN_FLIGHT = 2  # requests in flight at once, whatever the latency: one answering, one on its way
LATENCY_SAMPLES = 16  # recent answers whose median latency sets how many may be in flight
MAX_QUEUE_WAITS = 4  # IN_FLIGHT_POLL each: past that, a request goes even if none came back


class RateLimiter:
    """At most `rate` requests in any one-second window as the server counts them, across threads.

    `acquire()` before a request is sent and `release()` once its answer came back (or it
    failed): every acquire is paired with one release.
    """

    def __init__(self, rate: float, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.rate = max(rate, 0.1)
        self.capacity = max(1, int(self.rate))
        self.window = self.capacity / self.rate  # 1 s for integer rates
        self._frees: list[float] = []  # heap: when each place held by an answered request frees
        self._in_flight = 0  # places held by requests not answered yet
        # when recent answers came back, in order: which of ours the server may still count (observe_headers);
        # twice the capacity is enough, since a count that reaches the capacity says all it needs to
        self._answers: collections.deque[float] = collections.deque(maxlen=2 * self.capacity)
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # an answer came back: a request in flight ended
        self._turn = threading.Condition(self._lock)  # the waiter first in line got its place: the next one's turn
        self._first_in_line = False  # a thread is looking for a place (the others wait on _turn)
        self._latencies: collections.deque[float] = collections.deque(maxlen=LATENCY_SAMPLES)
        self._max_in_flight = math.inf  # until answers have been timed
        self._started = threading.local()  # this thread's request's start (acquire and release share a thread)
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Block until one more request may start; it holds a place until `release()` plus a window.

        Threads take places one after another, the others waiting their turn (see the module's docstring).
        """
        with self._lock:
            while self._first_in_line:
                self._turn.wait()
            self._first_in_line = True
        try:
            self._take_place()
        finally:
            with self._lock:
                self._first_in_line = False
                self._turn.notify()

    def _take_place(self) -> None:
        """Wait for a place as the first in line: the only thread that polls or sleeps for one."""
        waits = 0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._blocked_until - now
                if wait <= 0:
                    while self._frees and self._frees[0] <= now:
                        heapq.heappop(self._frees)
                    if self._in_flight >= self._max_in_flight and waits < MAX_QUEUE_WAITS:
                        waits += 1  # our own queue: wait for an answer (bounded: a hung one holds no one)
                        self._answered.wait(IN_FLIGHT_POLL)
                        continue
                    if len(self._frees) + self._in_flight < self.capacity:
                        self._in_flight += 1
                        self._started.at = now
                        return
                    wait = self._frees[0] - now if self._frees else IN_FLIGHT_POLL
            self._sleep(max(wait, 0.001))

    def release(self) -> None:
        """The request's answer came back (or it failed): its place frees one window from now."""
        with self._lock:
            now = self._clock()
            self._in_flight = max(0, self._in_flight - 1)
            heapq.heappush(self._frees, now + self.window)
            self._answers.append(now)
            started = getattr(self._started, "at", None)
            self._started.answered = started  # for observe_headers, which reads this answer next
            if started is not None:
                self._started.at = None
                self._latencies.append(now - started)
                needed = self.rate * statistics.median(self._latencies) * 2
                self._max_in_flight = max(MIN_IN_FLIGHT, math.ceil(needed))
            self._answered.notify()

    def pause(self, seconds: float) -> None:
        """Hold every thread back for `seconds` (Retry-After, or an exhausted window)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def observe_headers(self, headers) -> None:
        """Follow the server's own view of the window when someone else is spending it.

        When our own window is full, "0 remaining" only says what we already know, and
        pausing for the whole (whole-second) reset would waste most of a window each time.
        When it is not full, another client shares the account's budget: then we wait.

        Ours are the requests the server may have counted when it answered: it answered after
        this request started, and counted back one window from then; each of ours reached it
        before its answer came back to us. So any of ours answered less than a window before
        this request started, or not answered yet, may be in its count. Counting by our own
        starts instead (within a window and 0.1 s) missed the requests a busy server took in
        late: a whole second's pause in about one 1,000-create apply in two (issue 28).
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
        started = getattr(self._started, "answered", None)
        with self._lock:
            since = (self._clock() if started is None else started) - self.window
            ours = self._in_flight
            for answered in reversed(self._answers):
                if answered < since:
                    break
                ours += 1
        if ours < self.capacity:
            self.pause(seconds)
