"""Two applies at once on one project (issue 6): the file lock is held for the whole apply.

The lock is `reconciler.lock.lck` beside `reconciler.lock`, taken before apply reads
anything. A second apply waits (30 s), then fails with a message that says another
apply is running and names the file. Fast tests hold the lock from this process and
shorten the wait; the real 30 s wait is exercised by the slow test.
"""

from __future__ import annotations

import errno
import fcntl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import (
    KEY,
    cli_env,
    company_manifests,
    invoke,
    live_census,
    run_cli,
    start_cli,
    wait_for,
    write_manifests,
)


def _held_by_someone(path: Path) -> bool:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            assert exc.errno in (errno.EAGAIN, errno.EACCES)
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


class _Holder:
    """This process holds the project lock, as a running apply would."""

    def __init__(self, project: Path) -> None:
        self.handle = open(project / "reconciler.lock.lck", "a+")  # noqa: SIM115
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()


def test_second_apply_waits_then_fails_clearly(tmp_path: Path, http_sandbox, monkeypatch) -> None:
    project = write_manifests(tmp_path / "project", company_manifests(orgs=1, prefix="lk"))
    monkeypatch.setenv("RECONCILER_LOCK_WAIT", "1")  # wait 1 s, not 30
    holder = _Holder(project)
    try:
        http_sandbox.gateway.reset_stats()
        started = time.monotonic()
        result = invoke(["apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint],
                        env={"MATON_API_KEY": KEY})
        waited = time.monotonic() - started
    finally:
        holder.release()
    assert result.code == 1
    assert "another apply of this project is running" in result.err
    assert "reconciler.lock.lck" in result.err and "waited 1 s" in result.err
    assert waited >= 1.0
    assert "Traceback" not in result.err
    assert http_sandbox.gateway.stats()["requests"] == 0, "the lock is taken before anything is read"


def test_lock_is_held_for_the_whole_apply_and_the_second_runs_after(tmp_path: Path, http_sandbox) -> None:
    data = company_manifests(orgs=3, prefix="lw")
    project = write_manifests(tmp_path / "project", data)
    lck = project / "reconciler.lock.lck"
    args = ("apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint)
    # stdout goes to a file, read at each look at the lock: a reader thread that timestamps the
    # summary line can lag behind the release under load and make a correct apply look early
    out_path = tmp_path / "first.out"
    with open(out_path, "w", encoding="utf-8") as out_file:
        first = subprocess.Popen([sys.executable, "-m", "reconciler", *args], env=cli_env(RECONCILER_RATE_LIMIT="20"),
                                 stdout=out_file, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert wait_for(lambda: lck.exists() and _held_by_someone(lck), timeout=15)  # ~2 s of calls follow
    second = start_cli(*args)
    early = 0
    while first.poll() is None:
        if not _held_by_someone(lck) and "Apply complete!" not in out_path.read_text(encoding="utf-8"):
            early += 1  # free, and the summary (printed while the lock is held) not yet written
        time.sleep(0.03)
    err1 = first.stderr.read()
    out1 = out_path.read_text(encoding="utf-8")
    out2, err2 = second.communicate(timeout=60)
    assert first.returncode == 0, err1
    assert "Apply complete!" in out1, out1
    assert not early, "the lock was free while the first apply was still working"
    assert "30 created" in out1
    assert second.returncode == 0, err2
    assert "No changes" in out2 and "0 created" in out2, "the second apply planned after the first finished"
    assert live_census(http_sandbox.api, data) == {"duplicates": [], "missing": [], "extra": []}


@pytest.mark.slow
def test_second_apply_gives_up_after_30_seconds(tmp_path: Path, http_sandbox) -> None:
    project = write_manifests(tmp_path / "project", company_manifests(orgs=1, prefix="ls"))
    holder = _Holder(project)
    try:
        started = time.monotonic()
        result = run_cli("apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint)
        waited = time.monotonic() - started
    finally:
        holder.release()
    assert result.code == 1 and "another apply of this project is running" in result.err
    assert "waited 30 s" in result.err and 30 <= waited < 60
