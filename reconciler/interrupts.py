"""Ctrl-C and SIGTERM: apply stops starting changes, finishes what is in flight, reports; other
commands (plan, export) stop at once, say so, and exit by the signal too.

A killed apply loses nothing (every write is journalled), but a user who presses Ctrl-C
deserves better than `Aborted.`: the calls in flight are let finish (so the lock records
them), nothing new is started, and the summary says what was done and what is left. A
second signal stops at once. Exit codes follow the shell's convention: 130 for SIGINT,
143 for SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
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


class Terminated(KeyboardInterrupt):
    """SIGTERM outside apply's handler: stop like Ctrl-C, but exit 143."""


def terminate_like_interrupt() -> None:
    """Make SIGTERM raise `Terminated` in the main thread (the process entry point calls this):
    a CI runner cancelling `plan` or `export` then gets exit 143 and a line saying so, not a
    silent death. Apply puts its own handler in place while it writes (stop_on_signals)."""
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        return

    def handler(_signum: int, _frame) -> None:
        raise Terminated

    with contextlib.suppress(ValueError, OSError):
        signal.signal(sigterm, handler)
        redeliver_lost_stops()


REDELIVERY_DELAY = 0.05  # seconds: long enough for the main thread to leave the finalizer


def redeliver_lost_stops() -> None:
    """Send a signal again when the exception its handler raised was swallowed by a finalizer.

    A handler's exception (Ctrl-C's KeyboardInterrupt, SIGTERM's `Terminated`) raised while
    the main thread runs a `__del__` or a weak-reference callback cannot leave it: Python
    hands it to `sys.unraisablehook` ("Exception ignored in ...") and the command carries
    on as if nothing had been asked, a CI cancel included. The hook here recognises such a
    stop and sends the same signal again a moment later, from a short-lived thread, when the
    main thread is back in ordinary code: the command then stops as it would have. Any other
    unraisable exception goes to the hook that was there before.
    """
    previous = sys.unraisablehook
    if getattr(previous, "redelivers_stops", False):
        return

    def hook(unraisable: object) -> None:
        exc_type = getattr(unraisable, "exc_type", None)
        if isinstance(exc_type, type) and issubclass(exc_type, KeyboardInterrupt):
            signum = getattr(signal, "SIGTERM", signal.SIGINT) if issubclass(exc_type, Terminated) \
                else signal.SIGINT
            resend = threading.Timer(REDELIVERY_DELAY, os.kill, (os.getpid(), signum))
            resend.daemon = True
            resend.start()
            return
        previous(unraisable)

    hook.redelivers_stops = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def stop_inside(exc: BaseException) -> KeyboardInterrupt | None:
    """The stop (Ctrl-C, SIGTERM) another exception carries as its cause or context, if any.

    A stop raised where Python wraps exceptions reaches the CLI as another one: on Python 3.11,
    a signal landing while a class is made (a dataclass's `__set_name__`, as a module imported
    late is loaded) comes out as `RuntimeError: Error calling __set_name__`. That is still the
    user's stop, not a bug of ours: the command must exit as a stop does, not as an internal error.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def interrupted(exc: BaseException | None, argv: list[str]) -> tuple[int, str]:
    """The exit code and the line to print when a command was interrupted by `exc`."""
    terminated = isinstance(exc, Terminated)
    code = 143 if terminated else 130
    reason = "Terminated (SIGTERM)" if terminated else "Interrupted (Ctrl-C)"
    command = next((arg for arg in argv if not arg.startswith("-")), "")
    if command == "plan":
        return code, f"{reason}: the plan was not finished. Nothing was changed (plan only reads the account)."
    if command == "export":
        return code, (f"{reason}: the export was not finished. Nothing was changed in the account; run it "
                      "again (with --force if it had begun writing into its directory).")
    return code, f"{reason}."


class StopRequest:
    """A stop asked for by a signal handler, acted on by the serving loop.

    Installed as the handler itself, it only records the signal: an exception raised from a
    handler is lost when the signal lands while the main thread runs a finalizer (`sandbox
    serve`'s loop drops the last reference to finished handler threads, whose weak-reference
    callbacks are Python code), and a server that lost its SIGTERM that way served on until
    killed. A plain attribute, not an Event: a second signal arriving inside the first handler
    must not wait on a lock.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: object = None) -> None:
        self.signum = signum

    def __bool__(self) -> bool:
        return self.signum is not None
