"""Ctrl-C and SIGTERM during an apply: how fast it stops, and how much it does after the signal.

Each round: a fresh `reconciler sandbox serve --rate-limit 10`, one project of 300
organizations, `reconciler apply --rate-limit 10`, the signal sent once 30 creates are in.
Reported per round: the exit code (130 for SIGINT, 143 for SIGTERM), the seconds from the
signal to the process's exit, and the creates the server received after the signal (what
was already submitted). Targets (issue 25): at most 2 s and 20 creates. After each round
the apply is run again to completion and the account counted: 0 duplicates, 0 missing.

    python bench/bench_stop.py [--quick] [--json]
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
import httpx

RATE = 10.0
N = 300
SIGNAL_AFTER = 30


def write_project(root: Path, n: int) -> Path:
    import yaml

    root.mkdir(parents=True)
    data = {"organizations": {f"stop-{i}": {"name": f"Stop Org {i}"} for i in range(n)}}
    (root / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def creates(serve: common.Serve) -> int:
    return httpx.get(serve.url + "/_sandbox/stats", timeout=10).json()["by_route"].get("POST /api/v2/organizations", 0)


def names(serve: common.Serve) -> list[str]:
    http = httpx.Client(base_url=serve.endpoint, headers={"Authorization": f"Bearer {serve.key}"}, timeout=30)
    try:
        out, cursor = [], None
        while True:
            body = http.get("/api/v2/organizations", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
            if body.status_code == 429:  # right after a paced apply the window may be full: wait, ask again
                time.sleep(1.0)
                continue
            body.raise_for_status()  # a count from an error page would read as "all missing"
            out += [o["name"] for o in body.json().get("data") or [] if str(o.get("name", "")).startswith("Stop Org")]
            cursor = (body.json().get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return out
    finally:
        http.close()


def one_round(root: Path, name: str, sig: signal.Signals, n: int) -> tuple[int, float, int, int, int]:
    with common.Serve(root / f"{name}.db", rate=RATE) as serve:
        project = write_project(root / name, n)
        argv = common.reconciler_argv("apply", str(project), "--auto-approve", "--endpoint", serve.endpoint,
                                      "--rate-limit", str(RATE))
        proc = subprocess.Popen(argv, env=serve.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while creates(serve) < SIGNAL_AFTER:
            if proc.poll() is not None:
                raise SystemExit(f"apply ended before the signal: {proc.stderr.read()[-2000:]}")
            time.sleep(0.02)
        at_signal = creates(serve)
        proc.send_signal(sig)
        signalled = time.monotonic()
        proc.communicate(timeout=300)
        seconds = time.monotonic() - signalled
        after = creates(serve) - at_signal
        again = subprocess.run(argv, env=serve.env(), capture_output=True, text=True, timeout=600)
        if again.returncode != 0:
            raise SystemExit(f"the second apply failed: {again.stderr[-2000:]}")
        made = names(serve)
        duplicates = len(made) - len(set(made))
        missing = n - len(set(made))
        return proc.returncode, seconds, after, duplicates, missing


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    rounds = 1 if args.quick else 3
    report = common.Report("stop", common.command_line("bench_stop.py", args.quick))
    ok_all = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            for number in range(1, rounds + 1):
                exit_code, seconds, after, duplicates, missing = one_round(root, f"{sig.name}-{number}", sig, N)
                common.log(f"{sig.name} round {number}: exit {exit_code}, {seconds:.2f} s, {after} creates after, "
                           f"{duplicates} duplicates, {missing} missing")
                ok = exit_code == code and seconds <= 2.0 and after <= 20 and duplicates == 0 and missing == 0
                ok_all = ok_all and ok
                report.add(f"{sig.name} round {number} ({N} creates at {RATE:g} req/s, signal after {SIGNAL_AFTER}): "
                           "exit, signal to exit, creates after it",
                           f"{exit_code}, {seconds:.2f} s, {after}; rerun: {duplicates} duplicates, {missing} missing",
                           f"{code}, <= 2 s, <= 20", ok)
    report.emit(args.json)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
