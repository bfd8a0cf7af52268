"""Export round trip at scale (not a test; run it by hand): seed, export, plan, report.

Seeds a sandbox database with `reconciler sandbox seed` (default 5,000 organizations,
10,000 persons, 20,000 deals and 20,000 notes), runs `reconciler export` into an empty
directory, then `reconciler plan --detailed-exitcode --format json` of what it wrote
against the same account, and prints a table: time, API calls and tokens of each step,
objects and files written, and the plan's result (which must be "no changes").

Everything runs as a user runs it: the installed `reconciler` in subprocesses, at the
default client rate limit of 10 requests a second unless `--rate-limit` says otherwise.

Run: `python bench/bench_export.py [--organizations N --persons N --deals N --notes N
--activities N] [--rate-limit RPS] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def reconciler(*args: str, cwd: Path) -> tuple[int, str, str, float]:
    """Run the installed CLI; return exit code, stdout, stderr and wall time in seconds."""
    exe = shutil.which("reconciler") or str(Path(sys.executable).parent / "reconciler")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATON_", "RECONCILER_"))}
    env["NO_COLOR"] = "1"
    started = time.perf_counter()
    proc = subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Seed, export, plan; print the table; exit 1 if anything failed or the plan is not empty."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organizations", type=int, default=5000)
    parser.add_argument("--persons", type=int, default=10000)
    parser.add_argument("--deals", type=int, default=20000)
    parser.add_argument("--notes", type=int, default=20000)
    parser.add_argument("--activities", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate-limit", type=float, default=None, help="client requests/second (default 10)")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    db, out = work / "seeded.db", work / "exported"
    if db.exists() or out.exists():
        print(f"{work} already holds seeded.db or exported/; use an empty --keep directory", file=sys.stderr)
        return 1
    rate = ["--rate-limit", str(args.rate_limit)] if args.rate_limit else []
    rows: list[tuple[str, str]] = []
    try:
        code, stdout, stderr, seconds = reconciler(
            "sandbox", "seed", "--db", str(db), "--organizations", str(args.organizations),
            "--persons", str(args.persons), "--deals", str(args.deals), "--notes", str(args.notes),
            "--activities", str(args.activities), "--seed", str(args.seed), cwd=work)
        if code:
            print(stdout + stderr, file=sys.stderr)
            return 1
        rows.append(("seed", f"{seconds:.1f} s"))

        code, stdout, stderr, seconds = reconciler("export", "--out", str(out), "--sandbox", str(db), *rate,
                                                   cwd=work)
        if code:
            print(stdout + stderr, file=sys.stderr)
            return 1
        found = re.search(r"Exported ([\d,]+) objects .* into ([\d,]+) files .* API calls: ([\d,]+), tokens: ([\d,]+)",
                          stdout)
        if not found:
            print(f"unexpected export output: {stdout}", file=sys.stderr)
            return 1
        objects, files, calls, tokens = (int(g.replace(",", "")) for g in found.groups())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        rows += [
            ("export time", f"{seconds:.1f} s"),
            ("export API calls", f"{calls:,}"),
            ("export tokens", f"{tokens:,}"),
            ("objects exported", f"{objects:,}"),
            ("files written", f"{files:,} manifests + reconciler.lock ({size / 1e6:.1f} MB)"),
        ]

        code, stdout, stderr, seconds = reconciler("plan", str(out), "--sandbox", str(db), "--format", "json",
                                                   "--detailed-exitcode", *rate, cwd=work)
        if code not in (0, 2):
            print(stdout + stderr, file=sys.stderr)
            return 1
        plan = json.loads(stdout)
        summary, stats = plan["summary"], plan["stats"]
        result = "no changes" if code == 0 else (
            f"CHANGES: {summary['create']} create, {summary['update']} update, {summary['delete']} delete")
        rows += [
            ("plan time", f"{seconds:.1f} s"),
            ("plan API calls", f"{stats['api_calls']:,}"),
            ("plan tokens", f"{stats['tokens']:,}"),
            ("plan result", f"{result} ({summary['unchanged']:,} unchanged)"),
        ]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    sizes = (f"{args.organizations:,} organizations, {args.persons:,} persons, {args.deals:,} deals, "
             f"{args.notes:,} notes, {args.activities:,} activities")
    print(f"Export round trip on a seeded sandbox account ({sizes}; "
          f"client rate limit {args.rate_limit or 10:g}/s)")
    width = max(len(name) for name, _ in rows)
    print(f"| {'step'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
