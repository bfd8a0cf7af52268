"""Crash safety and fault tolerance of apply, end to end (issue 6, "Must show").

`reconciler apply` runs as a subprocess against `reconciler sandbox serve` (HTTP, temp
database). It is killed with SIGKILL at random moments, or the server injects faults
(CONTRACT §7); apply is then run again until it succeeds. Whatever happened, each
resource must have exactly one live object, no live object may lack a resource, and a
following plan must be empty. The census and the final plan go through a fault-free
server on the same database, so what they see is the data, not the faults.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import (
    ServeProcess,
    cli_env,
    company_manifests,
    count_resources,
    live_census,
    run_cli,
    start_cli,
    write_manifests,
)

MAX_RUNS = 8


def _seed() -> int:
    return int(os.environ.get("RECONCILER_TEST_SEED") or random.randrange(1 << 30))


def _check_converged(db: Path, project: Path, data: dict, context: str) -> None:
    """A clean server on the same database: census, then an empty plan with --detailed-exitcode."""
    clean = ServeProcess(db)
    try:
        census = live_census(clean.api, data)
        assert census == {"duplicates": [], "missing": [], "extra": []}, f"{context}: {census}"
        result = run_cli("plan", str(project), "--detailed-exitcode", "--endpoint", clean.endpoint)
        assert result.code == 0, f"{context}: plan after convergence:\n{result.out}\n{result.err}"
        assert "No changes" in result.out
    finally:
        clean.stop()


def _lock_is_whole(project: Path) -> None:
    lock = project / "reconciler.lock"
    if lock.exists():
        data = json.loads(lock.read_text(encoding="utf-8"))  # never half a file
        assert data["format_version"] == 1


def test_kill_9_at_random_moments_then_apply_converges(tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    data = company_manifests(orgs=6, prefix="k")
    assert count_resources(data) == 60
    project = write_manifests(tmp_path / "project", data)
    db = tmp_path / "kill.db"
    server = ServeProcess(db)
    # a slower client so that the kills land inside reads, creates and lock writes alike
    env = cli_env(RECONCILER_RATE_LIMIT="40")
    args = ("apply", str(project), "--auto-approve", "--endpoint", server.endpoint)
    kills = []
    try:
        for _ in range(4):
            proc = start_cli(*args, env=env)
            delay = rng.uniform(0.5, 2.6)
            time.sleep(delay)
            finished = proc.poll() is not None
            if not finished:
                proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            kills.append((round(delay, 2), "finished" if finished else "killed"))
            _lock_is_whole(project)
        final = None
        for _ in range(3):
            final = run_cli(*args, env=env)
            if final.code == 0:
                break
        assert final is not None and final.code == 0, f"seed {seed}, kills {kills}:\n{final.out}\n{final.err}"
        assert "Apply complete!" in final.out
    finally:
        server.stop()
    _check_converged(db, project, data, f"seed {seed}, kills {kills}")


FAULTS = ["drop-after-commit:0.2", "timeout:0.1", "error-500:0.2", "rate-429:0.2"]


def converge_under(fault: str, workdir: Path, seed: int, orgs: int = 4) -> dict:
    """Apply under one fault until exit 0 (at most MAX_RUNS runs); return what happened."""
    data = company_manifests(orgs=orgs, prefix=fault.split("-")[0][:4])
    project = write_manifests(workdir / "project", data)
    db = workdir / "faults.db"
    server = ServeProcess(db, faults=(fault,), fault_seed=seed, timeout_hold=5)
    env = cli_env(RECONCILER_TIMEOUT="1")
    codes: list[int] = []
    last = None
    try:
        for _ in range(MAX_RUNS):
            last = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint, env=env)
            codes.append(last.code)
            _lock_is_whole(project)
            assert "Traceback" not in last.err, f"{fault}: {last.err}"
            if last.code == 0:
                break
        met = server.api.stats()["faults"]
    finally:
        server.stop()
    return {"fault": fault, "seed": seed, "codes": codes, "faults_met": met, "data": data, "db": db,
            "project": project, "last": last}


def test_apply_converges_under_each_fault(tmp_path: Path) -> None:
    """The four fault kinds, each against its own server, run side by side to keep the suite short."""
    seed = _seed()
    with ThreadPoolExecutor(max_workers=len(FAULTS)) as pool:
        futures = [pool.submit(converge_under, fault, tmp_path / f"f{i}", seed + i)
                   for i, fault in enumerate(FAULTS)]
        reports = [f.result() for f in futures]
    for report in reports:
        context = (f"{report['fault']}, seed {report['seed']}, exit codes {report['codes']}, "
                   f"faults met {report['faults_met']}")
        print(context)
        last = report["last"]
        assert report["codes"][-1] == 0, f"{context}: never converged:\n{last.out}\n{last.err}"
        assert report["faults_met"], f"{context}: no fault was injected, the test proves nothing"
        _check_converged(report["db"], report["project"], report["data"], context)
