"""The client-side limiter keeps to N starts in any one-second window."""

from reconciler.pipedrive.ratelimit import RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_window_is_respected():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(35):
        limiter.acquire()
        starts.append(clock.now)
    for i in range(len(starts) - 10):
        assert starts[i + 10] - starts[i] >= 1.0 - 1e-9
    assert starts[-1] < 3.5


def test_pause_holds_everyone():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.pause(2.0)
    limiter.acquire()
    assert clock.now >= 2.0


def test_headers_pause_when_exhausted():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.observe_headers({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    limiter.acquire()
    assert clock.now >= 1.0
