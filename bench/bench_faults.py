"""Apply under faults and under kill -9 until it converges: runs, faults met, duplicates, losses.

    python bench/bench_faults.py [--quick] [--json] [--resources N] [--seed N]

The long form of tests/apply/test_convergence.py (issue 8). For each scenario a fresh
`reconciler sandbox serve` (HTTP, temp database) is started with the scenario's faults, and
`reconciler apply DIR --auto-approve` is run as a subprocess again and again until it exits
0 (at most 15 runs). The kill -9 scenario instead SIGKILLs each run after a random delay,
12 times, then one run is left to finish on its own. Then a fault-free server on the same database
counts the live objects per declared resource:

- duplicates: resources with more than one live object (must be 0);
- lost: resources with no live object after convergence (must be 0);
- stray: live objects no resource declares (must be 0: the account started empty);
- unjournalled: resources whose object is live but whose key the lock does not map to it
  (the lock is the journal; must be 0);
- and a final `plan --detailed-exitcode` must exit 0 (no changes).

Scenarios run side by side (each has its own server), so the wall time is the slowest.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, Report, command_line, log, parser, print_table

sys.path.insert(0, str(ROOT))
from tests.conftest import (  # noqa: E402  (the tests' helpers: one way to serve, run and count)
    DECLARED,
    KIND_OF,
    NATURAL,
    SECTIONS,
    ServeProcess,
    cli_env,
    company_manifests,
    count_resources,
    run_cli,
    start_cli,
    write_manifests,
)

MAX_RUNS = 15
KILLS = 12  # SIGKILLs at random moments before the run that is left to finish
SCENARIOS = {
    "drop-after-commit": ("drop-after-commit:0.2",),
    "timeout": ("timeout:0.1",),
    "error-500": ("error-500:0.2",),
    "rate-429": ("rate-429:0.2",),
    "mix": ("drop-after-commit:0.05", "timeout:0.03", "error-500:0.05", "rate-429:0.05"),
    "kill -9": (),
}


def census(api, data: dict, lock: dict) -> dict[str, int]:
    from reconciler.normalize import text_key

    out = {"duplicates": 0, "lost": 0, "stray": 0, "unjournalled": 0}
    for section in SECTIONS:
        kind = KIND_OF[section]
        norm = text_key if kind == "note" else (lambda v: v)
        live: dict = {}
        for obj in api.list_all(kind):
            live.setdefault(norm(NATURAL[kind](obj)), []).append(obj["id"])
        declared = {norm(DECLARED[kind](r)): key for key, r in data[section].items()}
        journal = lock.get("resources", {}).get(kind, {})
        for value, key in declared.items():
            ids = live.get(value, [])
            out["duplicates"] += len(ids) > 1
            out["lost"] += not ids
            out["unjournalled"] += bool(ids) and journal.get(key) not in ids
        out["stray"] += sum(len(ids) for value, ids in live.items() if value not in declared)
    return out


def scenario(name: str, faults: tuple[str, ...], orgs: int, seed: int, workdir: Path) -> dict:
    rng = random.Random(seed)
    data = company_manifests(orgs=orgs, prefix=name.replace(" ", "").replace("-", "")[:6])
    project = write_manifests(workdir / "project", data)
    db = workdir / "bench.db"
    server = ServeProcess(db, faults=faults, fault_seed=seed, timeout_hold=5)
    env = cli_env(RECONCILER_TIMEOUT="1")
    args = ("apply", str(project), "--auto-approve", "--quiet", "--endpoint", server.endpoint)
    codes: list[str] = []
    started = time.monotonic()
    try:
        if name == "kill -9":
            kill_env = cli_env(RECONCILER_RATE_LIMIT="40")
            longest = 1.0 + count_resources(data) * 1.2 / 40  # about one uninterrupted run at 40 calls/s
            for _ in range(KILLS):
                proc = start_cli(*args, env=kill_env)
                time.sleep(rng.uniform(0.3, longest))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.communicate()
                    codes.append("K")
                    continue
                proc.communicate()
                codes.append(str(proc.returncode))
                if proc.returncode == 0:
                    break
            else:
                codes.append(str(run_cli(*args, env=kill_env).code))
        else:
            for _ in range(MAX_RUNS):
                result = run_cli(*args, env=env)
                codes.append(str(result.code))
                if "Traceback" in result.err:
                    codes.append("TRACEBACK")
                    break
                if result.code == 0:
                    break
        faults_met = server.api.stats()["faults"]
    finally:
        server.stop()
    seconds = time.monotonic() - started
    clean = ServeProcess(db)
    try:
        lock = json.loads((project / "reconciler.lock").read_text())
        counts = census(clean.api, data, lock)
        final = run_cli("plan", str(project), "--detailed-exitcode", "--endpoint", clean.endpoint)
    finally:
        clean.stop()
    return {"scenario": name, "resources": count_resources(data), "runs": codes, "faults": faults_met,
            "seconds": seconds, "final_plan": final.code, **counts}


def _codes(codes: list[str]) -> str:
    """'K K K 0' as 'K×3 0'."""
    out: list[str] = []
    for code in codes:
        if out and out[-1].split("×")[0] == code:
            head, _, n = out[-1].partition("×")
            out[-1] = f"{head}×{int(n or 1) + 1}"
        else:
            out.append(code)
    return " ".join(out)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--resources", type=int, default=None, help="resources per scenario (10 per organization)")
    p.add_argument("--seed", type=int, default=int(os.environ.get("RECONCILER_TEST_SEED") or 0) or None)
    args = p.parse_args()
    resources = args.resources or (60 if args.quick else 300)
    orgs = max(1, resources // 10)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    log(f"bench_faults: {orgs * 10} resources per scenario, seed {seed}")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = [pool.submit(scenario, name, faults, orgs, seed + i, Path(tmp) / f"s{i}")
                   for i, (name, faults) in enumerate(SCENARIOS.items())]
        rows = [f.result() for f in futures]
    print_table(
        ["scenario", "resources", "runs", "exit codes (K = killed)", "faults met", "duplicates", "lost",
         "stray", "unjournalled", "final plan", "seconds"],
        [[r["scenario"], r["resources"], len(r["runs"]), _codes(r["runs"]),
          ", ".join(f"{k} {v}" for k, v in r["faults"].items()) or "-", r["duplicates"], r["lost"], r["stray"],
          r["unjournalled"], "no changes" if r["final_plan"] == 0 else f"exit {r['final_plan']}",
          f"{r['seconds']:.1f}"] for r in rows],
    )
    report = Report("faults", command_line("bench_faults.py", args.quick))
    for r in rows:
        converged = r["runs"][-1] == "0" and r["final_plan"] == 0
        bad = r["duplicates"] + r["lost"] + r["stray"] + r["unjournalled"]
        faults = sum(r["faults"].values()) if r["faults"] else sum(1 for c in r["runs"] if c == "K")
        report.add(f"faults: apply of {r['resources']} resources under {r['scenario']}",
                   f"converged in {len(r['runs'])} run{'s' if len(r['runs']) != 1 else ''} ({faults} {'kills' if r['scenario'] == 'kill -9' else 'faults'} "
                   f"met), {r['duplicates']} duplicates, {r['lost']} lost, {r['stray']} stray, "
                   f"{r['unjournalled']} unjournalled, {r['seconds']:.0f} s"
                   if converged else f"did not converge: runs {' '.join(r['runs'])}, {bad} anomalies",
                   "0 duplicates, 0 lost", converged and bad == 0)
    report.notes.append(f"seed {seed}; RECONCILER_TIMEOUT=1; each scenario on its own `sandbox serve`")
    report.emit(args.json)


if __name__ == "__main__":
    main()
