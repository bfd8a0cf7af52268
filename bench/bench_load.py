"""Load: the seeded large account through plan and apply under --rate-limit 10 (issue 8).

The account: 5,000 organizations, 10,000 persons, 20,000 deals, 20,000 notes, served by
`reconciler sandbox serve --rate-limit 10` (a subprocess, as users run it). Two manifest sets,
both generated from the account with a complete reconciler.lock, then edited:
- team: the issue 4 set (300 organizations, 600 persons, 1,000 deals, 1,000 notes), with 50
  deal values edited, 10 persons added and 20 notes removed (so 80 writes);
- account: the whole account (55,000 resources), with 200 deal values edited, 50 persons
  added and 50 notes removed (300 writes).
Each set runs `reconciler plan`, `reconciler apply --auto-approve`, then `reconciler plan`
again (which must be empty), every command with `--rate-limit 10 --endpoint ...` in its own
process. Reported per command: wall time, CPU time and peak RSS (wait4), the calls and tokens
the command reports; per set: the server's requests, 429s, writes by route and its own peak
RSS; and whether the live account ends with exactly the objects the manifests declare.

    python bench/bench_load.py [--quick] [--json] [--only team|account]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_apply_throughput as throughput
import common
import httpx

RATE = 10
CHANGES = {"team": {"deal": 50, "person": 10, "note": 20}, "account": {"deal": 200, "person": 50, "note": 50}}


def editor(changes: dict[str, int]):
    """Edit deal values, add persons (in managed organizations), remove notes: in the manifests."""
    def edit(sections: dict[str, dict[str, dict]]) -> None:
        deals = sections["deal"]
        for key in list(deals)[:: max(1, len(deals) // changes["deal"])][: changes["deal"]]:
            deals[key]["value"] = (deals[key].get("value") or 0) + 1
        orgs = list(sections["organization"])
        for i in range(changes["person"]):
            sections["person"][f"new-person-{i}"] = {
                "name": f"New Person {i}", "org": orgs[i % len(orgs)], "emails": [f"new.person.{i}@load.example"],
                "owner": "alice@example.com",
            }
        notes = sections["note"]
        for key in list(notes)[:: max(1, len(notes) // changes["note"])][: changes["note"]]:
            del notes[key]
    return edit


def command(argv: list[str], url: str) -> dict:
    """One reconciler command in a child process: wall, CPU and peak RSS from wait4, its JSON answer."""
    env = {**common.env_with_root(), "MATON_API_KEY": throughput.KEY}
    full = [sys.executable, "-m", "reconciler", "--quiet", *argv, "--rate-limit", str(RATE),
            "--endpoint", f"{url}/pipedrive", "--format", "json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    try:
        answer = json.loads(text[text.index("{"):])
    except ValueError:
        answer = {}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "rc": proc.returncode, "answer": answer, "stderr": errors[-1500:]}


def server_peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_set(name: str, db: Path, tmp: Path, counts: dict[str, int], changes: dict[str, int]) -> dict:
    directory = tmp / name
    ms = common.generate_managed_set(db, directory, counts, with_lock=True, unique_only=False, edit=editor(changes))
    expected = {"organizations": None, "persons": None, "deals": None, "notes": None}
    proc, url = throughput.start_server(db, RATE)
    steps: dict[str, dict] = {}
    try:
        before = throughput.live_counts(url)
        httpx.post(f"{url}/_sandbox/reset-stats", timeout=10)
        for step, argv in (("plan", ["plan", str(directory)]),
                           ("apply", ["apply", str(directory), "--auto-approve", "--max-deletes", "1000"]),
                           ("plan again", ["plan", str(directory)])):
            common.log(f"{name}: {step} ({ms.resources} resources) ...")
            steps[step] = command(argv, url)
            if steps[step]["rc"] not in (0, 2):
                common.log(f"{name}: {step} exited {steps[step]['rc']}: {steps[step]['stderr']}")
        stats = httpx.get(f"{url}/_sandbox/stats", timeout=10).json()
        after = throughput.live_counts(url)
        server_mb = server_peak_mb(proc.pid)
    finally:
        throughput.stop_server(proc)
    expected = {"organizations": before["organizations"], "persons": before["persons"] + changes["person"],
                "deals": before["deals"], "notes": before["notes"] - changes["note"]}
    all_writes = {route: n for route, n in stats.get("by_route", {}).items() if not route.startswith("GET")}
    # the account's apply lease (lead labels, reconciler/lease.py) is not a change to the records
    writes = {route: n for route, n in all_writes.items() if "/leadLabels" not in route}
    lease = sum(n for route, n in all_writes.items() if "/leadLabels" in route)
    return {"name": name, "resources": ms.resources, "steps": steps, "stats": stats, "writes": writes, "lease": lease,
            "expected_writes": sum(changes.values()), "server_mb": server_mb, "before": before, "after": after,
            "expected": expected}


def main() -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--only", choices=("team", "account"), help="run one manifest set")
    args = p.parse_args()
    scale = 5 if args.quick else 1
    sizes = {k: v // scale for k, v in common.LARGE.items()}
    sets = {"team": {k: v // scale for k, v in common.MANAGED.items()},
            "account": {"organization": sizes["organizations"], "person": sizes["persons"], "deal": sizes["deals"],
                        "note": sizes["notes"]}}
    report = common.Report("load", common.command_line("bench_load.py", args.quick))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, counts in sets.items():
            if args.only and name != args.only:
                continue
            db = Path(tmp) / f"{name}.db"
            common.seed(db, **sizes)
            # person adds are not scaled: 1-5 unknown persons take the reader's search path instead of a scan
            changes = {k: v if k == "person" else max(1, v // scale) for k, v in CHANGES[name].items()}
            results.append(run_set(name, db, Path(tmp), counts, changes))

    print(f"account: {sizes}; --rate-limit {RATE} on the client and on `sandbox serve`")
    rows = []
    for r in results:
        for step, s in r["steps"].items():
            answer = s["answer"]
            stats = answer.get("stats") or {}
            summary = answer.get("summary") or {}
            rows.append([r["name"], r["resources"], step, f"{s['wall']:.1f}", f"{s['cpu']:.1f}", f"{s['rss_mb']:.0f}",
                         stats.get("api_calls", "?"), stats.get("tokens", "?"),
                         " ".join(f"{k}={v}" for k, v in summary.items() if v), s["rc"]])
    common.print_table(["set", "resources", "command", "wall s", "cpu s", "max RSS MB", "calls", "tokens",
                        "summary", "exit"], rows)
    for r in results:
        steps = r["steps"]
        again = (steps["plan again"]["answer"].get("summary") or {})
        converged = steps["apply"]["rc"] == 0 and not any(again.get(k) for k in ("create", "update", "delete"))
        exact = r["after"] == r["expected"]
        n_writes = sum(r["writes"].values())
        print(f"{r['name']}: server {r['stats'].get('requests')} requests, {r['stats'].get('rate_limited', 0)} 429s, "
              f"writes {r['writes']}, server peak RSS {r['server_mb'] or 0:.0f} MB; live before {r['before']}, "
              f"after {r['after']}")
        report.add(f"{r['name']} ({r['resources']} resources): plan wall | CPU | max RSS",
                   f"{steps['plan']['wall']:.1f} s | {steps['plan']['cpu']:.1f} s | {steps['plan']['rss_mb']:.0f} MB "
                   f"({steps['plan']['answer'].get('stats', {}).get('api_calls', '?')} calls)")
        report.add(f"{r['name']}: apply wall | CPU | max RSS",
                   f"{steps['apply']['wall']:.1f} s | {steps['apply']['cpu']:.1f} s | "
                   f"{steps['apply']['rss_mb']:.0f} MB ({steps['apply']['answer'].get('stats', {}).get('api_calls', '?')}"
                   f" calls)")
        report.add(f"{r['name']}: writes (edits + creates + deletes)",
                   f"{n_writes} (and {r['lease']} to take and release the apply lease)", f"{r['expected_writes']}",
                   n_writes == r["expected_writes"])
        report.add(f"{r['name']}: converged (apply ok, next plan empty, live counts exact)",
                   f"{'yes' if converged and exact else 'NO'}; 429s met: {r['stats'].get('rate_limited', 0)}",
                   "yes", converged and exact)
    if args.quick:
        report.notes.append("--quick: account and sets at 1/5 size")
    report.notes.append("each command is its own process (wait4 for CPU and RSS), against sandbox serve --rate-limit 10")
    report.emit(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
