"""Run every benchmark in bench/ and rewrite bench/README.md with one table of their figures.

    python bench/run_all.py [--quick] [--only NAME ...] [--skip NAME ...] [--timeout SECONDS]
                            [--before DIR]

Every `bench/bench_*.py` is run in its own process. A bench that follows the `--json`
contract (see bench/common.py: it accepts `--json`, and with it the last line of its stdout
is one JSON object {"bench", "command", "results": [{figure, target, result, ok}], "notes"})
contributes its rows as they are. The bench written before the contract (bench_sandbox.py)
is read through a small adapter that parses its table, until it speaks `--json` itself;
any other bench without `--json` gets one row saying it ran and how it exited.
`--quick` passes `--quick` to every bench that accepts it (README then says so).

`--before DIR` measures side by side: each bench runs first against the code in DIR (a
checkout of an earlier commit, e.g. `git worktree add /tmp/before BASE`; the bench script
itself is this checkout's, pointed at DIR through RECONCILER_BENCH_CODE), then against this
checkout, and the table gets a "before" column.

With `--only`/`--skip`, the rows (and notes) of the benches not run are kept from the
README as it was, so a partial run never drops another bench's figures; each bench's note
says when and on which code it ran.
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


def _env(code: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["RECONCILER_BENCH_CODE"] = str(code)
    return env


# -- adapters for the benches that predate the --json contract ---------------------------


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


LEGACY: dict[str, tuple[Callable[[bool], list[str]], Callable[[str], list[dict]]]] = {
    "bench_sandbox.py": (lambda quick: ["--seconds", "2"] if quick else [], _sandbox_rows),
}


# -- running ----------------------------------------------------------------------------


def speaks_json(script: Path) -> bool:
    return "--json" in script.read_text(encoding="utf-8")


def run_bench(script: Path, quick: bool, timeout: float, code: Path = ROOT) -> dict:
    """Run one bench against the code in `code`; its rows, notes, exit status and duration."""
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
        proc = subprocess.run([sys.executable, str(script), *argv], cwd=code, env=_env(code), capture_output=True,
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


def with_before(after: dict, before: dict) -> dict:
    """Put each row's figure measured on the earlier code beside it (matched by figure text)."""
    earlier = {row.get("figure"): row for row in before["results"]}
    for row in after["results"]:
        old = earlier.get(row.get("figure"))
        row["before"] = old.get("result") if old else None
        row["before_ok"] = old.get("ok") if old else None
    after["before_seconds"] = before["seconds"]
    after["before_rc"] = before["rc"]
    return after


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


def commit(root: Path = ROOT) -> str:
    """HEAD, and whether the code measured differed from it (uncommitted changes under reconciler/)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "reconciler"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes to {len(dirty)} file(s) under reconciler/" if dirty else head


def _cell(value: object) -> str:
    return str(value if value is not None else "-").replace("|", "\\|").replace("\n", " ")


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "**MISSED**")


def _split_row(line: str) -> list[str]:
    r"""The cells of a markdown table row, `\|` kept inside its cell."""
    cells, current, i = [], "", 1
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            current += "\\|"
            i += 2
            continue
        if line[i] == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += line[i]
        i += 1
    return cells


def kept_from_readme(text: str) -> dict[str, dict]:
    """Per bench script: its table rows (as cells of the current layout) and note lines, as written."""
    kept: dict[str, dict] = {}
    header: list[str] = []
    for line in text.splitlines():
        if line.startswith("| bench |"):
            header = _split_row(line)
            continue
        if not line.startswith("| ") or not header or line.startswith("|---"):
            continue
        cells = dict(zip(header, _split_row(line), strict=False))
        name = f"bench_{cells.get('bench', '')}.py"
        row = [cells.get(c, "-") for c in ("bench", "command", "figure", "target", "before", "result", "verdict")]
        kept.setdefault(name, {"rows": [], "notes": []})["rows"].append(row)
    # a README from before per-bench provenance names the run in its first line only
    whole = re.search(r" on ([^,(]+?)(?: \(|, code at `([^`]+)`)", text)
    notes = text.split("## Notes", 1)[1].split("\n## ", 1)[0] if "## Notes" in text else ""
    current = None
    for line in notes.splitlines():
        found = re.match(r"- `(bench_\w+\.py)`", line)
        if found:
            current = found.group(1)
            if " code at " not in line and whole and whole.group(2):
                tail = ":" if line.endswith(":") else "."
                line = f"{line.rstrip(':.')} on {whole.group(1)}, code at `{whole.group(2)}`{tail}"
        if current and line.strip():
            kept.setdefault(current, {"rows": [], "notes": []})["notes"].append(line)
    return kept


def _row_cells(run: dict, row: dict) -> list[str]:
    before = _cell(row.get("before")) if "before" in row else "-"
    return [run["bench"].removeprefix("bench_").removesuffix(".py"), f"`{run['command']}`", _cell(row.get("figure")),
            _cell(row.get("target")), before, _cell(row.get("result")), verdict(row.get("ok"))]


def _note_lines(run: dict) -> list[str]:
    head = f"- `{run['bench']}` ran in {run['seconds']:.0f} s on {run['when']}, code at `{run['code']}`"
    if run["rc"] not in (0, None):
        head += f", exit {run['rc']}"
    elif run["rc"] is None:
        head += ", timed out"
    if run.get("before_code"):
        head += f"; the before column: code at `{run['before_code']}` ({run['before_seconds']:.0f} s)"
    lines = [head + ("." if not run["notes"] else ":")]
    lines += [f"  - {note}" for note in run["notes"]]
    return lines


def render(runs: list[dict], kept: dict[str, dict], order: list[str], quick: bool, ran: list[str],
           machine_note: str = "", remarks: list[str] | None = None) -> str:
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    by_name = {run["bench"]: run for run in runs}
    which = "every bench" if not kept or set(ran) >= set(order) else "no bench: only the remarks were written " \
        "again; every row is kept from earlier runs, each bench's note says when and on which code it ran" \
        if not ran else (
        "benches " + ", ".join(f"`{name}`" for name in ran) + "; the other rows are kept from earlier runs, "
        "each bench's note says when and on which code it ran")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python bench/run_all.py`" + (" --quick" if quick else "") + f" on {when} ({which}); "
        f"machine: {machine()}. Do not edit by hand: run it again.",
        "",
        "Each bench is a script (not a test) that prints its own table; `--quick` gives a smaller run. "
        "Figures are what was measured on this machine in that run, with the other work on the machine at the "
        "time; a missed target is reported, never hidden. A figure with a target is the best and the median of "
        "repeated fresh runs (the 2-core machine is shared), and the target is judged on the median. "
        "\"before\" is the same bench run against the code of an earlier commit in the same session "
        "(`run_all.py --before DIR`), side by side." + (f" {machine_note}" if machine_note else ""),
        "",
    ]
    if quick:
        lines += ["**This is a `--quick` run: sizes are reduced, so the targets (set for the full sizes) are "
                  "indicative only.**", ""]
    lines += ["| bench | command | figure | target | before | result | verdict |", "|---|---|---|---|---|---|---|"]
    for name in order:
        if name in by_name:
            run = by_name[name]
            lines += ["| " + " | ".join(_row_cells(run, row)) + " |" for row in run["results"]]
        elif name in kept:
            lines += ["| " + " | ".join(cells) + " |" for cells in kept[name]["rows"]]
    if remarks:
        lines += ["", "## Remarks on this run", ""] + [f"- {remark}" for remark in remarks]
    lines += ["", "## Notes", ""]
    for name in order:
        if name in by_name:
            lines += _note_lines(by_name[name])
        elif name in kept:
            lines += kept[name]["notes"]
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
    parser.add_argument("--before", type=Path, default=None,
                        help="a checkout of earlier code: run each bench against it too, for a 'before' column")
    parser.add_argument("--machine-note", default="",
                        help="a sentence on the machine's state during the run (e.g. shared with other work)")
    parser.add_argument("--remarks", type=Path, default=None,
                        help="a file of remarks, one a line (why a figure is worse than before, say)")
    args = parser.parse_args()

    def short(path: Path) -> str:
        return path.stem.removeprefix("bench_")

    everything = sorted(HERE.glob("bench_*.py"))
    scripts = [s for s in everything if (not args.only or short(s) in args.only) and short(s) not in args.skip]
    before_code = commit(args.before.resolve()) if args.before else None
    runs = []
    for script in scripts:
        code_before = commit()
        earlier = None
        if args.before:
            print(f"running {script.name} against {args.before} (before) ...", file=sys.stderr, flush=True)
            earlier = run_bench(script, args.quick, args.timeout, args.before.resolve())
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        run = run_bench(script, args.quick, args.timeout)
        code_after = commit()
        run["code"] = code_before if code_after == code_before else f"{code_before}, then {code_after} (changed during the run)"
        run["when"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        if earlier is not None:
            run = with_before(run, earlier)
            run["before_code"] = before_code
        print(f"  {script.name}: {len(run['results'])} figure(s) in {run['seconds']:.0f} s (exit {run['rc']})",
              file=sys.stderr, flush=True)
        runs.append(run)
    partial = len(scripts) < len(everything)
    kept = kept_from_readme(README.read_text(encoding="utf-8")) if partial and README.exists() else {}
    remarks = [line.strip() for line in args.remarks.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if args.remarks else None
    text = render(runs, kept, [s.name for s in everything], args.quick, [s.name for s in scripts],
                  args.machine_note, remarks)
    if args.no_write:
        print(text)
    else:
        README.write_text(text, encoding="utf-8")
        print(f"wrote {README.relative_to(ROOT)} ({sum(len(r['results']) for r in runs)} figures measured)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
