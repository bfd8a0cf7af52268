"""Drift detection on the seeded large account (issue 15): what it costs in calls, tokens, CPU and lock size.

The account is the large seeded one (`reconciler sandbox seed`: 5,000 organizations, 10,000
persons, 20,000 deals, 20,000 notes); the manifests manage 10,000 of its objects with a lock
that records ids only (as every lock before issue 15). Then, each against `sandbox serve` in
another process, each plan a fresh process:

1. the lock's size with ids only, then after one `apply` of the unchanged manifests, which
   records what was applied (a digest per declared field): bytes per resource, before/after;
2. the plan file (`plan --out`) before that apply (every resource's digests are new to the lock)
   and after it (nothing new): what `applied` adds to a plan file;
3. 100 managed deals changed in Pipedrive by another user (Bob, through the API), then plans:
   with the ids-only lock (no drift detection possible), with digests and --no-drift-details
   (drift marked, nobody named), and with --drift-details (who and when: one changelog call per
   drifted deal): calls, tokens and CPU of each;
4. the CPU of a plan (shown, not saved) of the unchanged account with digests against one with
   the ids-only lock (RUNS runs each, interleaved): what comparing three ways costs when
   nothing drifted;
5. `reconciler pull` of the 100 drifted values (issue 28), each run on a fresh copy of the
   manifests, against `plan --on-drift keep` of the same state (the plan pull makes first):
   calls, tokens, CPU and peak memory, and that the next plan is empty.

    python bench/bench_drift.py [--quick] [--json]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import common

FULL = {"organization": 1500, "person": 3000, "deal": 3500, "note": 2000}
DRIFTED = 100


def plan(directory: Path, serve: common.Serve, *extra: str) -> common.Measured:
    run = common.measure(common.reconciler_argv("plan", str(directory), "--endpoint", serve.endpoint, "--format",
                                                "json", "--rate-limit", "1000000", *extra), env=serve.env())
    if run.rc not in (0, 2):
        raise SystemExit(f"plan failed ({run.rc}): {run.stderr[-2000:]}")
    return run


def as_json(run: common.Measured) -> dict:
    return json.loads(run.stdout[run.stdout.index("{"):])


def apply(directory: Path, serve: common.Serve) -> common.Measured:
    run = common.measure(common.reconciler_argv("apply", str(directory), "--auto-approve", "--endpoint",
                                                serve.endpoint, "--rate-limit", "1000000", "--format", "json"),
                         env=serve.env())
    if run.rc != 0:
        raise SystemExit(f"apply failed ({run.rc}): {run.stderr[-2000:]}")
    return run


def pull(directory: Path, serve: common.Serve) -> common.Measured:
    run = common.measure(common.reconciler_argv("pull", str(directory), "--endpoint", serve.endpoint,
                                                "--rate-limit", "1000000"), env=serve.env())
    if run.rc != 0:
        raise SystemExit(f"pull failed ({run.rc}): {run.stderr[-2000:]}")
    return run


def pull_calls(run: common.Measured) -> tuple[int, int]:
    import re

    found = re.search(r"API calls: (\d+), tokens: (\d+)", run.stdout)
    if not found:
        raise SystemExit(f"pull said no calls: {run.stdout[-500:]}")
    return int(found.group(1)), int(found.group(2))


def drift_deals(db: Path, ids: list[int], count: int) -> int:
    """Change `count` managed deals as Bob (X-Sandbox-User), straight through the sandbox gateway."""
    from reconciler.sandbox.gateway import SandboxGateway

    gateway = SandboxGateway(str(db), api_key="bench")
    try:
        step = max(1, len(ids) // count)
        changed = 0
        for deal_id in ids[::step][:count]:
            result = gateway.handle("PATCH", f"/pipedrive/api/v2/deals/{deal_id}", [],
                                    {"Authorization": "Bearer bench", "Content-Type": "application/json",
                                     "X-Sandbox-User": "bob@example.com"},
                                    json.dumps({"value": 123456 + deal_id}).encode())
            if result.status != 200:
                raise SystemExit(f"cannot change deal {deal_id}: {result.status} {result.body[:200]!r}")
            changed += 1
        return changed
    finally:
        gateway.close()


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    scale = 5 if args.quick else 1
    runs = common.RUNS
    sizes = {k: v // scale for k, v in common.LARGE.items()}
    counts = {k: v // scale for k, v in FULL.items()}
    drifted = max(1, DRIFTED // scale)
    report = common.Report("drift", common.command_line("bench_drift.py", args.quick))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "account.db"
        common.seed(db, **sizes)
        ms = common.generate_managed_set(db, Path(tmp) / "manifests", counts, with_lock=True)
        n = ms.resources
        ids_only = Path(tmp) / "ids-only"  # the same manifests, with the lock as it was before digests
        shutil.copytree(ms.directory, ids_only)
        lock_before = (ms.directory / "reconciler.lock").stat().st_size
        with common.Serve(db) as serve:
            common.log("apply of the unchanged manifests (records what is applied) ...")
            first_file, steady_file = Path(tmp) / "first.json", Path(tmp) / "steady.json"
            plan(ms.directory, serve, "--out", str(first_file))  # made to be applied: carries the digests
            applied = apply(ms.directory, serve)
            lock_after = (ms.directory / "reconciler.lock").stat().st_size
            plan(ms.directory, serve, "--out", str(steady_file))
            first_plan, steady_plan = first_file.stat().st_size, steady_file.stat().st_size
            common.log(f"{runs} x (plan with digests, plan with the ids-only lock), nothing drifted ...")
            with_digests: list[float] = []
            without: list[float] = []
            for _ in range(runs):
                with_digests.append(plan(ms.directory, serve).cpu)
                without.append(plan(ids_only, serve).cpu)
        changed = drift_deals(db, ms.ids["deal"], drifted)
        with common.Serve(db) as serve:
            common.log(f"{changed} deals changed by Bob; plans without and with drift detection ...")
            blind = plan(ids_only, serve)
            marked = plan(ms.directory, serve, "--no-drift-details")
            detailed = plan(ms.directory, serve, "--drift-details")
            common.log(f"{runs} x (plan --on-drift keep, pull), each pull on a fresh copy ...")
            keeps: list[common.Measured] = []
            pulls: list[common.Measured] = []
            for i in range(runs):
                copy = Path(tmp) / f"pull-{i}"
                shutil.copytree(ms.directory, copy)
                keeps.append(plan(copy, serve, "--on-drift", "keep"))
                pulls.append(pull(copy, serve))
            after_pull = as_json(plan(copy, serve))["summary"]
            deals_file = max(copy.glob("*.yaml"), key=lambda f: f.stat().st_size)
            deals_size = deals_file.stat().st_size
    report.add(f"lock size, {n} resources: ids only", f"{lock_before:,} bytes ({lock_before / n:.0f} bytes per resource)")
    report.add(f"lock size, {n} resources: with what was applied (a digest per declared field)",
               f"{lock_after:,} bytes ({lock_after / n:.0f} bytes per resource, {lock_after / lock_before:.1f}x)")
    report.add("plan --out file when the lock has no digests yet (all recorded by the next apply)",
               f"{first_plan / 1e6:.2f} MB")
    report.add("plan --out file once they are recorded (nothing changed)", f"{steady_plan / 1e6:.3f} MB")
    report.add("apply of the unchanged manifests (records the digests): calls, tokens",
               f"{json.loads(applied.stdout)['stats']['api_calls']}, {json.loads(applied.stdout)['stats']['tokens']:,}")
    rows = []
    for name, run in (("ids-only lock (no drift detection)", blind), ("digests, --no-drift-details", marked),
                      ("digests, --drift-details", detailed)):
        data = as_json(run)
        summary = data["summary"]
        rows.append((name, data["stats"], summary, run.cpu))
        report.add(f"plan with {changed} deals changed by Bob, {name}: calls, tokens, CPU",
                   f"{data['stats']['api_calls']} calls, {data['stats']['tokens']:,} tokens, {run.cpu:.2f} s CPU; "
                   f"{summary.get('update')} updates, {summary.get('drift', 0)} drift")
    extra_calls = rows[2][1]["api_calls"] - rows[1][1]["api_calls"]
    extra_tokens = rows[2][1]["tokens"] - rows[1][1]["tokens"]
    report.add("drift details (who and when): extra calls, tokens",
               f"{extra_calls} calls, {extra_tokens:,} tokens ({extra_tokens / max(1, rows[1][1]['tokens']):.0%} "
               "of the plan's tokens)", f"{changed} calls (one per drifted deal)", extra_calls == changed)
    report.add("drift marked on exactly the changed deals", f"{rows[1][2].get('drift', 0)} of {changed}",
               f"{changed}", rows[1][2].get("drift", 0) == changed)
    report.add(f"plan CPU, {n} resources, nothing drifted: with digests", common.runs_text(with_digests))
    report.add(f"plan CPU, {n} resources, nothing drifted: ids-only lock", common.runs_text(without))
    keep_calls = as_json(keeps[0])["stats"]["api_calls"]
    calls, tokens = pull_calls(pulls[0])
    keep_cpu = common.best_median([run.cpu for run in keeps])[1]
    pull_cpu = common.best_median([run.cpu for run in pulls])[1]
    report.add(f"pull of {changed} changed deal values, {n} resources: calls, tokens",
               f"{calls} calls, {tokens:,} tokens; plan --on-drift keep of the same state: {keep_calls} calls "
               f"({calls / keep_calls:.2f}x)", "<= 1.15x the plan's calls", calls <= 1.15 * keep_calls)
    report.add(f"pull of {changed} changed deal values: CPU (largest file {deals_file.name}, "
               f"{deals_size / 1e6:.1f} MB)",
               f"{common.runs_text([run.cpu for run in pulls])}; plan --on-drift keep "
               f"{common.runs_text([run.cpu for run in keeps])}; medians {pull_cpu / keep_cpu:.2f}x",
               "<= 2x the plan's CPU", pull_cpu <= 2 * keep_cpu)
    report.add("pull: peak memory (max RSS, worst run) | plan --on-drift keep",
               f"{max(run.rss_mb for run in pulls):.0f} MB | {max(run.rss_mb for run in keeps):.0f} MB")
    report.add("plan after pull", f"{after_pull.get('update', 0)} updates, {after_pull.get('drift', 0)} drift",
               "0 updates", after_pull.get("update", 0) == 0)
    if args.quick:
        report.notes.append("--quick: 1/5 size (2,000 resources, 20 drifted deals)")
    report.notes.append("each plan a fresh process against `sandbox serve` in another process; CPU from wait4")
    report.emit(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
