"""`sandbox serve` stops on SIGTERM whenever it comes.

Once, in a loaded suite, a served sandbox ignored SIGTERM for minutes: its handler raised
SystemExit, and an exception raised from a signal handler is lost when the signal lands
while the main thread runs a finalizer (the serving loop drops the last reference to
finished handler threads, whose weak-reference callbacks are Python code). Now the handler
only records the stop and the loop acts on it after its next poll.

The timeouts below only keep a broken server from hanging the suite; nothing here is timed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import KEY, cli_env

GUARD = 30  # seconds: a failure guard, far above any stop


def _serve(db: Path, python: list[str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*(python or [sys.executable, "-m", "reconciler"]), "sandbox", "serve", "--port", "0",
                             "--db", str(db), "--api-key", KEY],
                            env=cli_env(None), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def _stopped(proc: subprocess.Popen) -> tuple[int | None, str]:
    """(exit code, stderr) once it ended; (None, ...) if it was still serving at the guard."""
    try:
        _out, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
        return None, err
    return proc.returncode, err


def test_sigterm_at_any_moment_of_start_up_or_serving_stops_it(tmp_path: Path) -> None:
    # Before the handler is in place the signal kills the process outright (-15) or ends the
    # command (143); from the banner on, serve stops by itself and exits 0.
    early = [_serve(tmp_path / f"early-{i}.db") for i in range(4)]
    for index, proc in enumerate(early):
        time.sleep(0.05 * index)  # spread over interpreter start, imports and the database's creation
        proc.send_signal(signal.SIGTERM)
    served = []
    for requests in (0, 1, 3):
        proc = _serve(tmp_path / f"served-{requests}.db")
        url = proc.stdout.readline().split("listening on ", 1)[-1].strip()  # type: ignore[union-attr]
        for _ in range(requests):
            urllib.request.urlopen(url + "/_sandbox/stats", timeout=GUARD).read()
        proc.send_signal(signal.SIGTERM)  # mid-banner, or while the last answer's thread ends
        served.append(proc)
    ends = [_stopped(proc) for proc in early + served]
    assert all(code is not None for code, _ in ends), [err[-300:] for code, err in ends if code is None]
    assert all(code in (0, -signal.SIGTERM, 143) for code, _ in ends), ends
    assert all(code == 0 for code, _ in ends[len(early):]), ends[len(early):]


def test_a_sigterm_handled_inside_a_finalizer_still_stops_it(tmp_path: Path) -> None:
    """The lost-signal case made certain: the SIGTERM's handler runs inside a finalizer in the
    serving loop (the standard library's poll is wrapped to drop such an object once)."""
    script = tmp_path / "serve_with_a_finalizer.py"
    script.write_text(
        "import os, selectors, signal\n"
        "from reconciler.cli import main\n"
        "class SignalInFinalizer:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        sum(range(1000))  # Python code: the handler runs here, inside the finalizer\n"
        "fired = []\n"
        "select = selectors.PollSelector.select\n"
        "def select_then_signal_once(self, timeout=None):\n"
        "    ready = select(self, timeout)\n"
        "    if not fired:\n"
        "        fired.append(1)\n"
        "        SignalInFinalizer()\n"
        "    return ready\n"
        "selectors.PollSelector.select = select_then_signal_once\n"
        "main()\n",
        encoding="utf-8",
    )
    code, err = _stopped(_serve(tmp_path / "s.db", [sys.executable, str(script)]))
    assert code == 0, f"serve did not stop on a SIGTERM handled in a finalizer (exit {code}): {err[-500:]}"
