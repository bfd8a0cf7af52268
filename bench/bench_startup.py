"""Start-up: how long `reconciler --version` takes, against the interpreter's own floor (issue 19).

Every command pays Python's start-up plus the imports of the CLI before it does anything;
`--version` is nothing else, so it measures exactly that. Each figure is the wall time of a
fresh process, RUNS_STARTUP times, interleaved with the others (the machine is shared):
- `python -c pass`: the floor no command can go under;
- `reconciler --version` (the console script, as users run it): target median <= 0.12 s;
- `reconciler --help`, which lists every command (and so imports each command's module);
- `python -c "import reconciler.cli"`, the import alone.

    python bench/bench_startup.py [--quick] [--json]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import common

TARGET_VERSION = 0.12
RUNS_STARTUP = 11  # start-up times are short and noisy: more runs than the other benches


def console_script() -> list[str]:
    """The `reconciler` console script beside this interpreter, else `python -m reconciler`."""
    script = Path(sys.executable).parent / "reconciler"
    if script.exists() or shutil.which("reconciler"):
        return [str(script) if script.exists() else str(shutil.which("reconciler"))]
    return common.reconciler_argv()


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    runs = 5 if args.quick else RUNS_STARTUP
    script = console_script()
    cases = {
        "python -c pass (the floor)": [sys.executable, "-c", "pass"],
        "reconciler --version": [*script, "--version"],
        "reconciler --help": [*script, "--help"],
        'python -c "import reconciler.cli"': [sys.executable, "-c", "import reconciler.cli"],
    }
    walls: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            run = common.measure(argv)
            if run.rc != 0:
                raise SystemExit(f"{name} failed ({run.rc}): {run.stderr[-2000:]}")
            walls[name].append(run.wall)
    report = common.Report("startup", common.command_line("bench_startup.py", args.quick))
    for name, values in walls.items():
        target = ok = None
        if name == "reconciler --version":
            target, ok = f"<= {TARGET_VERSION} s", common.best_median(values)[1] <= TARGET_VERSION
        report.add(f"wall time: {name}", common.runs_text(values, digits=3), target, ok)
    report.notes.append(f"{runs} runs of each, interleaved, each a fresh process (wall time); the machine (2 cores) "
                        "is shared, so the target is judged on the median")
    report.emit(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
