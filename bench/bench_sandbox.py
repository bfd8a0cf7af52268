"""How many requests per second `sandbox serve` sustains, for list calls and for writes.

Why: the reconciler's tests, examples and benchmarks all run against the sandbox, so its
throughput bounds how large an account they can exercise in reasonable time, and it is
the figure behind the choice of the standard library's HTTP server (docs/sandbox.md).

The server runs as a separate process (as users run it), on a seeded database; a few
client threads with keep-alive connections hammer it for a bounded time per scenario.

    python bench/bench_sandbox.py [--seconds 5] [--threads 4] [--deals 2000]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

KEY = "bench-key"


def start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `sandbox serve --port 0` and read the bound URL from its first line."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler.sandbox.cli",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            "--api-key",
            KEY,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(0)


def run(
    name: str,
    url: str,
    threads: int,
    seconds: float,
    make_request: Callable[[httpx.Client, int], httpx.Response],
) -> dict:
    """Run ``make_request`` from ``threads`` threads for ``seconds``; collect counts and latencies."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    stop = threading.Event()

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as client:
            n = 0
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    response = make_request(client, index * 1_000_000 + n)
                    ok = response.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies[index].append(time.perf_counter() - started)
                if not ok:
                    errors[index] += 1
                n += 1

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    all_latencies = sorted(x for per in latencies for x in per)
    count = len(all_latencies)
    return {
        "scenario": name,
        "threads": threads,
        "requests": count,
        "errors": sum(errors),
        "rps": count / elapsed if elapsed else 0.0,
        "p50_ms": 1000 * statistics.median(all_latencies) if all_latencies else 0.0,
        "p95_ms": 1000 * all_latencies[int(0.95 * (count - 1))] if all_latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each scenario (at most 10)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--deals", type=int, default=2000, help="deals in the seeded database")
    args = parser.parse_args()
    seconds = min(args.seconds, 10.0)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        from reconciler.sandbox.seed import seed_database

        started = time.perf_counter()
        seed_database(
            str(db),
            organizations=args.deals // 5,
            persons=args.deals // 2,
            deals=args.deals,
            notes=args.deals // 4,
            activities=args.deals // 4,
            seed=1,
        )
        print(
            f"seeded {args.deals} deals (+ orgs, persons, notes, activities) in {time.perf_counter() - started:.2f} s"
        )

        proc, url = start_server(db)
        try:
            scenarios = [
                (
                    "GET /api/v2/deals?limit=500",
                    lambda c, n: c.get("/pipedrive/api/v2/deals", params={"limit": 500}),
                ),
                (
                    "GET /api/v2/deals/{id}",
                    lambda c, n: c.get(f"/pipedrive/api/v2/deals/{1 + n % args.deals}"),
                ),
                (
                    "POST /api/v2/deals",
                    lambda c, n: c.post(
                        "/pipedrive/api/v2/deals", json={"title": f"Bench deal {n}", "value": n % 997}
                    ),
                ),
            ]
            results = []
            for threads in sorted({1, args.threads}):
                for name, request in scenarios:
                    results.append(run(name, url, threads, seconds, request))
            stats = httpx.get(f"{url}/_sandbox/stats").json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    header = f"{'scenario':<30} {'threads':>7} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['scenario']:<30} {r['threads']:>7} {r['requests']:>9} {r['errors']:>6} "
            f"{r['rps']:>8.1f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f}"
        )
    print(f"server stats: {stats['requests']} requests, {stats['tokens']} tokens")


if __name__ == "__main__":
    main()
