"""Two checkouts applying at once against one account, 5 times (issue 12, case 2).

Each round: a fresh `reconciler sandbox serve --rate-limit 40`, two clones of one manifest
repository (60 organizations, 60 persons, 60 deals, each clone with its own lock) applied
at the same moment. Reported per round and in all: the duplicates left (target 0), the
objects missing, the loser's outcome (it waits for the account's lease, then plans again
and adopts what the winner made), the calls both applies made against the calls of one
apply alone (the lease's cost and the loser's re-plan), and the wall time of the pair.

    python bench/bench_race.py [--quick] [--json]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

ROUNDS = 5
RATE = 40.0


def manifests(n: int) -> dict:
    return {
        "organizations": {f"race-org-{i}": {"name": f"Race Org {i}"} for i in range(n)},
        "persons": {f"race-person-{i}": {"name": f"Race Person {i}", "org": f"race-org-{i}",
                                         "emails": [f"p{i}@race.example.com"]} for i in range(n)},
        "deals": {f"race-deal-{i}": {"title": f"Race deal {i}", "org": f"race-org-{i}", "value": i}
                  for i in range(n)},
    }


def write_clone(root: Path, data: dict) -> Path:
    import yaml

    root.mkdir(parents=True)
    (root / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def apply(directory: Path, serve: common.Serve) -> subprocess.Popen:
    argv = common.reconciler_argv("apply", str(directory), "--auto-approve", "--endpoint", serve.endpoint,
                                  "--rate-limit", str(RATE), "--format", "json")
    return subprocess.Popen(argv, env=serve.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def calls_of(stdout: str) -> int:
    return json.loads(stdout[stdout.rindex('{\n  "ok"'):])["stats"]["api_calls"]


def census(serve: common.Serve, data: dict) -> tuple[int, int]:
    """(duplicates, missing) by natural key: names, primary emails, titles."""
    import httpx

    http = httpx.Client(base_url=serve.endpoint, headers={"Authorization": f"Bearer {serve.key}"}, timeout=30)
    duplicates = missing = 0
    try:
        for section, key, declared in (("organizations", lambda o: o["name"], lambda r: r["name"]),
                                       ("persons", lambda o: o["emails"][0]["value"], lambda r: r["emails"][0]),
                                       ("deals", lambda o: o["title"], lambda r: r["title"])):
            seen: dict[str, int] = {}
            for obj in http.get(f"/api/v2/{section}", params={"limit": 500}).json().get("data") or []:
                seen[key(obj)] = seen.get(key(obj), 0) + 1
            wanted = [declared(r) for r in data[section].values()]
            duplicates += sum(max(0, seen.get(w, 0) - 1) for w in wanted)
            missing += sum(1 for w in wanted if not seen.get(w))
    finally:
        http.close()
    return duplicates, missing


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    n = 20 if args.quick else 60
    data = manifests(n)
    report = common.Report("race", common.command_line("bench_race.py", args.quick))
    rows, all_dups, all_missing, walls, extra = [], 0, 0, [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with common.Serve(root / "alone.db", rate=RATE) as serve:  # one apply alone: the baseline of calls
            alone_dir = write_clone(root / "alone", data)
            proc = apply(alone_dir, serve)
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"the baseline apply failed: {err[-2000:]}")
            alone_calls = calls_of(out)
        for round_number in range(1, ROUNDS + 1):
            with common.Serve(root / f"race-{round_number}.db", rate=RATE) as serve:
                clones = [write_clone(root / f"r{round_number}-{name}", data) for name in ("laptop", "ci")]
                started = time.monotonic()
                procs = [apply(c, serve) for c in clones]
                outputs = [p.communicate(timeout=600) for p in procs]
                wall = time.monotonic() - started
                codes = [p.returncode for p in procs]
                dups, missing = census(serve, data)
                calls = [calls_of(o) if code == 0 else 0 for (o, _e), code in zip(outputs, codes, strict=True)]
                waited = sum("waiting for another apply" in e or "planning again" in e for _o, e in outputs)
                common.log(f"round {round_number}: exit {codes}, {dups} duplicates, {missing} missing, "
                           f"calls {calls}, {wall:.1f} s")
                rows.append((round_number, codes, dups, missing, calls, wall, waited))
                all_dups += dups
                all_missing += missing
                walls.append(wall)
                extra.append(sum(calls) - alone_calls)
    for round_number, codes, dups, missing, calls, wall, waited in rows:
        report.add(f"round {round_number}: exit codes, duplicates, missing",
                   f"{codes}, {dups}, {missing}; calls {calls[0]} + {calls[1]}; {wall:.1f} s"
                   + ("; one waited for the other's lease" if waited else ""), "0 duplicates, 0 missing",
                   dups == 0 and missing == 0 and codes == [0, 0])
    report.add(f"{ROUNDS} rounds: duplicates left", str(all_dups), "0", all_dups == 0)
    report.add("calls of one apply alone (baseline)", str(alone_calls))
    report.add("extra calls of the pair over one apply (the loser's plans and the leases)",
               f"median {sorted(extra)[len(extra) // 2]}, max {max(extra)}")
    best, median = common.best_median(walls)
    report.add(f"wall time of the pair ({3 * n} creates at {RATE:g} req/s)", f"best {best:.1f} s, median {median:.1f} s")
    report.emit(args.json)
    return 0 if all_dups == 0 and all_missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
