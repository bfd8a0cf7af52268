"""Fixed costs of a paced plan: start-up, the first request, the tail after the last answer (issue 28).

A plan at the gateway's 10 requests a second cannot beat its pacing: N calls in a sliding
one-second window of 10 take floor((N - 1) / 10) s from the first start to the last. What
it adds on top is fixed, paid once per plan whatever its size: the start-up before the first
request (Python, imports, config, manifests), the time lost between requests of the first
window (the shape of the first window repeats in every window), the last answer and what
comes after it (decoding, diff, rendering, exit). For a small plan those dwarf the pacing.

Two plans, each a fresh `reconciler plan DIR --rate-limit 10 --format json` process against
`sandbox serve --rate-limit 10` in another process, RUNS times, interleaved:
- small: examples/ (applied first, so the plan finds them in place);
- medium: 1,000 resources of a seeded account (500 organizations, 1,000 persons, 2,000 deals,
  2,000 notes), with a complete lock.
The plan runs through a wrapper (`--child`) that notes, on the system's monotonic clock,
when each request started and ended; the bench notes when it spawned the process and when
the process ended. Then:
- wall against calls/10 (the issue's floor) and against the pacing floor floor((N-1)/10);
- start-up: spawn to the first request's start;
- pacing: first start to last start, against floor((N-1)/10);
- tail: the last answer to the process's end;
- imports: one more process with `python -X importtime` (the sum of the modules' own times,
  and the slowest top-level imports).

    python bench/bench_fixed.py [--quick] [--json]
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__" and sys.argv[1:2] != ["--child"]:  # the child's start-up is measured: no bench imports
    import common

PACE = 10.0
MEDIUM = {"organization": 150, "person": 300, "deal": 350, "note": 200}
ACCOUNT = {"organizations": 500, "persons": 1000, "deals": 2000, "notes": 2000}


def child(timeline: str, argv: list[str]) -> None:
    """Run the real command in this process, noting each request's start and end (monotonic)."""
    import atexit

    from reconciler.pipedrive import http

    times: list[tuple[float, float]] = []
    original = http.HttpClient._attempt

    def attempt(self, *args, **kwargs):
        started = time.monotonic()
        try:
            return original(self, *args, **kwargs)
        finally:
            times.append((started, time.monotonic()))

    http.HttpClient._attempt = attempt

    def dump() -> None:
        Path(timeline).write_text(json.dumps({"requests": times, "exit": time.monotonic()}), encoding="utf-8")

    atexit.register(dump)
    from reconciler.cli import main as cli_main

    cli_main(argv)


def plan_once(directory: Path, serve: common.Serve, tmp: Path) -> dict:
    timeline = tmp / "timeline.json"
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(timeline), "plan", str(directory),
            "--endpoint", serve.endpoint, "--rate-limit", str(PACE), "--format", "json"]
    spawned = time.monotonic()
    run = common.measure(argv, env=serve.env())
    ended = time.monotonic()
    if run.rc not in (0, 2):
        raise SystemExit(f"plan failed ({run.rc}): {run.stderr[-2000:]}")
    data = json.loads(timeline.read_text(encoding="utf-8"))
    starts = sorted(s for s, _ in data["requests"])
    last_answer = max(e for _, e in data["requests"])
    try:
        calls = json.loads(run.stdout[run.stdout.index("{"):])["stats"]["api_calls"]
    except ValueError:
        raise SystemExit(f"plan printed no JSON ({run.rc}): {run.stdout[-500:]} {run.stderr[-2000:]}") from None
    return {"wall": ended - spawned, "cpu": run.cpu, "calls": calls, "startup": starts[0] - spawned,
            "pacing": starts[-1] - starts[0], "tail": ended - last_answer, "teardown": ended - data["exit"],
            "requests": len(starts)}


def import_time(directory: Path, serve: common.Serve) -> tuple[float, list[tuple[str, float]]]:
    argv = [sys.executable, "-X", "importtime", "-m", "reconciler", "plan", str(directory), "--endpoint",
            serve.endpoint, "--rate-limit", str(PACE), "--format", "json"]
    run = subprocess.run(argv, env=serve.env(), capture_output=True, text=True, check=False)
    own, top = 0, []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.split(":", 1)[1].split("|")
        own += int(self_us)
        if not name.startswith("  "):  # imported by the program itself, not by another module
            top.append((name.strip(), int(cumulative) / 1e6))
    top.sort(key=lambda item: -item[1])
    return own / 1e6, top[:6]


def rows_for(report: common.Report, name: str, runs: list[dict]) -> None:
    calls = runs[0]["calls"]
    floor = calls / PACE
    pacing_floor = math.floor((runs[0]["requests"] - 1) / PACE)
    walls = [r["wall"] for r in runs]
    _, median = common.best_median(walls)
    report.add(f"{name}: wall at {PACE:g} req/s vs calls/10", f"{common.runs_text(walls)}; {calls} calls = "
               f"{floor:.1f} s; median {median / floor:.2f}x")
    report.add(f"{name}: start-up (spawn to first request)", common.runs_text([r["startup"] for r in runs]))
    report.add(f"{name}: pacing (first to last request start) vs floor((N-1)/10)",
               common.runs_text([r["pacing"] for r in runs]) + f"; floor {pacing_floor} s")
    report.add(f"{name}: tail (last answer to exit) | of which the interpreter's exit (after atexit)",
               common.runs_text([r["tail"] for r in runs]) + " | " + common.runs_text([r["teardown"] for r in runs]))
    report.add(f"{name}: CPU of the plan process", common.runs_text([r["cpu"] for r in runs]))


def main() -> int:
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return 0
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    runs = 2 if args.quick else common.RUNS
    report = common.Report("fixed", common.command_line("bench_fixed.py", args.quick))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        examples = tmp / "examples"
        shutil.copytree(common.CODE / "examples", examples)
        small_db = tmp / "small.db"
        with common.Serve(small_db) as serve:
            run = common.measure(common.reconciler_argv("apply", str(examples), "--auto-approve", "--endpoint",
                                                        serve.endpoint, "--rate-limit", "1000"), env=serve.env())
            if run.rc != 0:
                raise SystemExit(f"apply of examples/ failed ({run.rc}): {run.stderr[-2000:]}")
        medium_db = tmp / "medium.db"
        common.seed(medium_db, **ACCOUNT)
        ms = common.generate_managed_set(medium_db, tmp / "medium", MEDIUM, with_lock=True)
        results: dict[str, list[dict]] = {"small": [], "medium": []}
        with common.Serve(small_db, rate=PACE) as small, common.Serve(medium_db, rate=PACE) as medium:
            for _ in range(runs):
                for name, directory, serve in (("small", examples, small), ("medium", ms.directory, medium)):
                    time.sleep(1.2)  # the gateway's window forgets the previous run's requests
                    results[name].append(plan_once(directory, serve, tmp))
            time.sleep(1.2)
            imports_s, top = import_time(examples, small)
    print(json.dumps(results, indent=1), file=sys.stderr)
    rows_for(report, f"small (examples/, {results['small'][0]['calls']} calls)", results["small"])
    rows_for(report, f"medium ({ms.resources} resources, {results['medium'][0]['calls']} calls)", results["medium"])
    report.add("imports of a plan process (sum of the modules' own times, -X importtime, one run)",
               f"{imports_s:.3f} s; slowest: " + ", ".join(f"{n} {s:.3f} s" for n, s in top))
    report.notes.append(f"{runs} runs of each plan, interleaved, each a fresh process against `sandbox serve "
                        "--rate-limit 10` in another process; times from the system's monotonic clock (the child "
                        "notes its requests' starts and ends); the machine (2 cores) is shared")
    report.emit(args.json)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONSAFEPATH", "1")
    raise SystemExit(main())
