"""Run every benchmark in bench/ and rewrite bench/README.md with one table of their figures.

    python bench/run_all.py [--quick] [--only NAME ...] [--skip NAME ...] [--timeout SECONDS]

Every `bench/bench_*.py` is run in its own process. A bench that follows the `--json`
contract (see bench/common.py: it accepts `--json`, and with it the last line of its stdout
is one JSON object {"bench", "command", "results": [{figure, target, result, ok}], "notes"})
contributes its rows as they are. The benches written before the contract
(bench_validate.py, bench_sandbox.py, bench_export.py) are read through small adapters that
parse their tables, until they speak `--json` themselves; any other bench without `--json` gets one row saying it ran and how it exited.
`--quick` passes `--quick` to every bench that accepts it (README then says so).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- adapters for the benches that predate the --json contract ---------------------------


def _validate_rows(stdout: str) -> list[dict]:
    # "  resources      bytes  seconds   target" / "      5000     812345    1.234    < 2.0  ok"
    rows = []
    for line in stdout.splitlines():
        m = re.match(r"\s*(\d+)\s+(\d+)\s+([\d.]+)\s+<\s*([\d.]+)\s+(\w+)", line)
        if m:
            resources, size, seconds, target, verdict = m.groups()
            rows.append({"figure": f"validate: load_manifests of {int(resources):,} resources "
                                   f"({int(size) / 1e6:.1f} MB), best of 3",
                         "target": f"< {float(target):g} s", "result": f"{float(seconds):.3f} s",
                         "ok": verdict == "ok"})
    return rows


def _sandbox_rows(stdout: str) -> list[dict]:
    # "GET /api/v2/deals?limit=500         1      1234      0    246.8     3.90     5.10"
    rows = []
    for line in stdout.splitlines():
        m = re.match(r"((?:GET|POST|PUT|PATCH|DELETE) \S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)",
                     line)
        if m:
            name, threads, requests, errors, rps, p50, p95 = m.groups()
            rows.append({"figure": f"sandbox serve: {name}, {threads} thread(s)", "target": None,
                         "result": f"{float(rps):.0f} req/s, p50 {float(p50):.1f} ms, p95 {float(p95):.1f} ms"
                                   + (f", {errors} errors" if int(errors) else ""),
                         "ok": None if int(errors) == 0 else False})
    return rows


def _table_rows(stdout: str) -> list[dict]:
    # a markdown table "| step | result |": every data row becomes a figure without a target
    rows = []
    for line in stdout.splitlines():
        m = re.match(r"\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*$", line)
        if m and not set(m.group(1)) <= set("-: ") and m.group(1) != "step":
            rows.append({"figure": f"export: {m.group(1)}", "target": None, "result": m.group(2), "ok": None})
    return rows


LEGACY: dict[str, tuple[Callable[[bool], list[str]], Callable[[str], list[dict]]]] = {
    "bench_validate.py": (lambda quick: ["1000"] if quick else [], _validate_rows),
    "bench_sandbox.py": (lambda quick: ["--seconds", "2"] if quick else [], _sandbox_rows),
    "bench_export.py": (lambda quick: ["--organizations", "1000", "--persons", "2000", "--deals", "4000",
                                       "--notes", "4000"] if quick else [], _table_rows),
}


# -- running ----------------------------------------------------------------------------


def speaks_json(script: Path) -> bool:
    return "--json" in script.read_text(encoding="utf-8")


def run_bench(script: Path, quick: bool, timeout: float) -> dict:
    name = script.name
    if speaks_json(script):
        argv = ["--json"] + (["--quick"] if quick and "--quick" in script.read_text(encoding="utf-8") else [])
    elif name in LEGACY:
        argv = LEGACY[name][0](quick)
    else:
        argv = []
    command = " ".join(["python", f"bench/{name}", *argv]).replace(" --json", "")
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), *argv], cwd=ROOT, env=_env(), capture_output=True,
                              text=True, timeout=timeout, check=False)
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr, rc = f"timed out after {timeout:.0f} s", None
    elapsed = time.perf_counter() - started
    result = {"bench": name, "command": command, "seconds": elapsed, "rc": rc, "results": [], "notes": []}
    if speaks_json(script):
        last = next((line for line in reversed(stdout.splitlines()) if line.startswith("{")), None)
        try:
            data = json.loads(last) if last else None
        except ValueError:
            data = None
        if data:
            result["command"] = data.get("command") or command
            result["results"] = list(data.get("results") or [])
            result["notes"] = list(data.get("notes") or [])
    elif name in LEGACY:
        result["results"] = LEGACY[name][1](stdout)
    if not result["results"]:
        tail = (stderr or stdout).strip().splitlines()[-1:] or [""]
        result["results"] = [{"figure": "ran", "target": None, "ok": False if rc else None,
                              "result": f"exit {rc}; no figures ({tail[0][:160]})"}]
    return result


# -- README -------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()}"


def commit() -> str:
    """HEAD, and whether the code measured differed from it (uncommitted changes under reconciler/)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reconciler"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes to {len(dirty)} file(s) under reconciler/" if dirty else head


def _cell(value: object) -> str:
    return str(value if value is not None else "-").replace("|", "\\|").replace("\n", " ")


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "**missed**")


def render(runs: list[dict], quick: bool, code: str) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python bench/run_all.py`" + (" --quick" if quick else "") + f" on {when}, code at "
        f"`{code}`; machine: {machine()}. Do not edit by hand: run it again.",
        "",
        "Each bench is a script (not a test) that prints its own table; `--quick` gives a smaller run. "
        "Figures are what was measured on this machine in that run, with the other work on the machine at the "
        "time; a missed target is reported, never hidden.",
        "",
    ]
    if quick:
        lines += ["**This is a `--quick` run: sizes are reduced, so the targets (set for the full sizes) are "
                  "indicative only.**", ""]
    lines += ["| bench | command | figure | target | result | verdict |", "|---|---|---|---|---|---|"]
    for run in runs:
        for row in run["results"]:
            lines.append(f"| {run['bench'].removeprefix('bench_').removesuffix('.py')} | `{run['command']}` | "
                         f"{_cell(row.get('figure'))} | {_cell(row.get('target'))} | {_cell(row.get('result'))} | "
                         f"{verdict(row.get('ok'))} |")
    lines += ["", "## Notes", ""]
    for run in runs:
        head = f"- `{run['bench']}` ran in {run['seconds']:.0f} s"
        if run["rc"] not in (0, None):
            head += f", exit {run['rc']}"
        elif run["rc"] is None:
            head += ", timed out"
        lines.append(head + ("." if not run["notes"] else ":"))
        for note in run["notes"]:
            lines.append(f"  - {note}")
    lines += [
        "",
        "## Adding a bench",
        "",
        "Name it `bench/bench_NAME.py`. To appear in this table with its own figures it must follow the "
        "`--json` contract of `bench/common.py`: accept `--json` (and `--quick` for a smaller run) and, with "
        "`--json`, print as the last line of stdout one JSON object "
        '`{"bench": "NAME", "command": "python bench/bench_NAME.py", "results": [{"figure": "...", '
        '"target": "< 5 s" or null, "result": "...", "ok": true/false/null}], "notes": ["..."]}`; '
        "`common.Report` does this for you. Exit 0 whenever the bench ran, even if a target was missed.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every bench that accepts it")
    parser.add_argument("--only", nargs="*", default=[], help="bench names to run (e.g. read plan)")
    parser.add_argument("--skip", nargs="*", default=[], help="bench names to leave out")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds one bench may take")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave README.md alone")
    args = parser.parse_args()

    def short(path: Path) -> str:
        return path.stem.removeprefix("bench_")

    scripts = sorted(HERE.glob("bench_*.py"))
    scripts = [s for s in scripts if (not args.only or short(s) in args.only) and short(s) not in args.skip]
    code_before = commit()
    runs = []
    for script in scripts:
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        run = run_bench(script, args.quick, args.timeout)
        print(f"  {script.name}: {len(run['results'])} figure(s) in {run['seconds']:.0f} s (exit {run['rc']})",
              file=sys.stderr, flush=True)
        runs.append(run)
    code_after = commit()
    code = code_before if code_after == code_before else f"{code_before}, then {code_after} (changed during the run)"
    text = render(runs, args.quick, code)
    if args.no_write:
        print(text)
    else:
        README.write_text(text, encoding="utf-8")
        print(f"wrote {README.relative_to(ROOT)} ({sum(len(r['results']) for r in runs)} figures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
