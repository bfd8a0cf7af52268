"""Ctrl-C and SIGTERM during apply: stop starting changes, finish what is in flight, report.

A killed apply loses nothing (every write is journalled), but a user who presses Ctrl-C
deserves better than `Aborted.`: the calls in flight are let finish (so the lock records
them), nothing new is started, and the summary says what was done and what is left. A
second signal stops at once. Exit codes follow the shell's convention: 130 for SIGINT,
143 for SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

EXIT_CODES = {signal.SIGINT: 130, getattr(signal, "SIGTERM", signal.SIGINT): 143}
REASONS = {signal.SIGINT: "interrupted (Ctrl-C)", getattr(signal, "SIGTERM", signal.SIGINT): "terminated (SIGTERM)"}


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[str], None]) -> Iterator[dict]:
    """While inside, SIGINT/SIGTERM call `stop(reason)`; the yielded dict gets the signal's exit code."""
    received: dict[str, int] = {}
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame) -> None:
        if received:
            raise KeyboardInterrupt  # a second signal: stop now
        received["exit_code"] = EXIT_CODES.get(signum, 130)
        stop(REASONS.get(signum, "interrupted"))

    previous = {}
    for sig in {signal.SIGINT, getattr(signal, "SIGTERM", signal.SIGINT)}:
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield received
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)
