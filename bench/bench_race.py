"""Two checkouts applying at once against one account, 5 times (issue 12, case 2).

Each round: a fresh `reconciler sandbox serve --rate-limit 40`, two clones of one manifest
repository (60 organizations, 60 persons, 60 deals, each clone with its own lock) applied
at the same moment. Reported per round and in all: the duplicates left (target 0), the
objects missing, the loser's outcome (it waits for the account's lease, then plans again
and adopts what the winner made), the calls both applies made against the calls of one
apply alone (the lease's cost and the loser's re-plan), and the wall time of the pair.

Then the fenced lease's scenarios (issue 25), 5 rounds each, on a server paced at 3 req/s
with a 20 s lease TTL (RECONCILER_LEASE_TTL) and 10 s request timeout, each reporting the
duplicates left once every clone has been applied to completion:
- break: `lease break --force` 8 s into one clone's apply, then a second clone applies;
- pause: the holder SIGSTOPped past the TTL (TTL + 5 s) while a second clone applies;
- nodate: one clone through a proxy that strips the `Date` header, the other direct.

    python bench/bench_race.py [--quick] [--json] [--only race|break|pause|nodate]
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


def _page(http, path: str) -> dict:
    """One page, waiting out the server's rate limit (a 429 read as empty would count all as missing)."""
    for _ in range(120):
        answer = http.get(path, params={"limit": 500})
        if answer.status_code != 429:
            return answer.json()
        time.sleep(float(answer.headers.get("retry-after") or 1))
    raise SystemExit(f"GET {path}: still rate limited after two minutes")


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
            for obj in _page(http, f"/api/v2/{section}").get("data") or []:
                seen[key(obj)] = seen.get(key(obj), 0) + 1
            wanted = [declared(r) for r in data[section].values()]
            duplicates += sum(max(0, seen.get(w, 0) - 1) for w in wanted)
            missing += sum(1 for w in wanted if not seen.get(w))
    finally:
        http.close()
    return duplicates, missing


def main() -> int:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["race", *FENCE_SCENARIOS], help="one scenario only")
    args = parser.parse_args()
    report = common.Report("race", common.command_line("bench_race.py", args.quick))
    ok = True
    if args.only in (None, "race"):
        ok = two_clones(args, report)
    for name in FENCE_SCENARIOS:
        if args.only in (None, name):
            ok = fence_scenario(name, args.quick, report) and ok
    report.emit(args.json)
    return 0 if ok else 1


def two_clones(args, report: common.Report) -> bool:
    n = 20 if args.quick else 60
    data = manifests(n)
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
    return all_dups == 0 and all_missing == 0


# -- the fenced lease's scenarios (issue 25) ------------------------------------------------

FENCE_SCENARIOS = ("break", "pause", "nodate")
FENCE_RATE = 3.0
FENCE_ENV = {"RECONCILER_LEASE_TTL": "20", "RECONCILER_TIMEOUT": "10", "RECONCILER_LEASE_WAIT": "600"}


def _start(directory: Path, endpoint: str, serve: common.Serve) -> subprocess.Popen:
    argv = common.reconciler_argv("apply", str(directory), "--auto-approve", "--endpoint", endpoint,
                                  "--rate-limit", str(FENCE_RATE))
    return subprocess.Popen(argv, env={**serve.env(), **FENCE_ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _creates(serve: common.Serve) -> int:
    import httpx

    routes = httpx.get(serve.url + "/_sandbox/stats", timeout=10).json()["by_route"]
    return sum(count for route, count in routes.items() if route.startswith("POST /api/v2/"))


def _lease_held(serve: common.Serve) -> bool:
    import httpx

    answer = httpx.get(serve.endpoint + "/api/v1/leadLabels", headers={"Authorization": f"Bearer {serve.key}"},
                       timeout=10)
    if answer.status_code != 200:
        return False
    return any(str(label.get("name", "")).startswith("reconciler apply in progress (lease ")
               and "broken" not in str(label.get("name")) for label in answer.json().get("data") or [])


class _NoDateProxy:
    """A loopback proxy in front of the server that strips the `Date` header from every answer."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading

        import httpx

        client = httpx.Client(timeout=60)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                common.relay(self, client, upstream, body, drop=("date",))

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._client = client

    def close(self) -> None:
        self.server.shutdown()
        self._client.close()


def _finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    """(exit code, stderr) of each process, once all have ended."""
    errs = [proc.communicate(timeout=900)[1] for proc in procs]
    return [(proc.returncode, err) for proc, err in zip(procs, errs, strict=True)]


def _one_fence_round(name: str, root: Path, data: dict) -> tuple[list[int], int, int, str]:
    """One round of a scenario: (exit codes of the racing applies, duplicates, missing, what happened)."""
    import signal

    with common.Serve(root / f"{name}.db", rate=FENCE_RATE) as serve:
        clones = [write_clone(root / f"{name}-{which}", data) for which in ("laptop", "ci")]
        what = ""
        if name == "break":
            first = _start(clones[0], serve.endpoint, serve)
            started = time.monotonic()
            while not _lease_held(serve) and time.monotonic() - started < 300:  # it holds the lease, and creates
                time.sleep(0.2)
            time.sleep(max(0.0, 8 - (time.monotonic() - started)))
            broke = subprocess.run(common.reconciler_argv("lease", "break", "--force", "--endpoint", serve.endpoint),
                                   env={**serve.env(), **FENCE_ENV}, capture_output=True, text=True, timeout=120)
            what = ("broken after %.0f s" % (time.monotonic() - started) if "Broke the live lease" in broke.stdout
                    else f"break: {(broke.stdout + broke.stderr)[-200:]}")
            second = _start(clones[1], serve.endpoint, serve)
            results = _finish([first, second])
        elif name == "pause":
            first = _start(clones[0], serve.endpoint, serve)
            deadline = time.monotonic() + 120
            while _creates(serve) < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            first.send_signal(signal.SIGSTOP)
            second = _start(clones[1], serve.endpoint, serve)
            time.sleep(float(FENCE_ENV["RECONCILER_LEASE_TTL"]) + 5)
            first.send_signal(signal.SIGCONT)
            results = _finish([first, second])
            what = "paused past the TTL"
        else:
            proxy = _NoDateProxy(serve.url)
            try:
                first = _start(clones[0], proxy.url + "/pipedrive", serve)
                second = _start(clones[1], serve.endpoint, serve)
                results = _finish([first, second])
            finally:
                proxy.close()
            what = "no Date: " + ("refused" if "no Date header" in results[0][1] else f"exit {results[0][0]}")
        codes = [code for code, _err in results]
        lost = sum("lost the account's apply lease" in err for _code, err in results)
        if lost:
            what += f"; {lost} stopped on a lost lease"
        for clone in clones:  # every clone applied to completion (a stopped one finishes the job)
            again = _start(clone, serve.endpoint, serve)
            out, err = again.communicate(timeout=900)
            if again.returncode != 0:
                what += f"; a final apply failed: {err[-300:]}"
        dups, missing = census(serve, data)
    return codes, dups, missing, what


def fence_scenario(name: str, quick: bool, report: common.Report) -> bool:
    n = 10 if quick else 20
    data = manifests(n)
    total_dups = total_missing = 0
    with tempfile.TemporaryDirectory() as tmp:
        for round_number in range(1, ROUNDS + 1):
            codes, dups, missing, what = _one_fence_round(name, Path(tmp) / f"r{round_number}", data)
            common.log(f"{name} round {round_number}: exit {codes}, {dups} duplicates, {missing} missing; {what}")
            report.add(f"{name} round {round_number}: exit codes, duplicates, missing",
                       f"{codes}, {dups}, {missing}; {what}", "0 duplicates, 0 missing", dups == 0 and missing == 0)
            total_dups += dups
            total_missing += missing
    report.add(f"{name}: duplicates over {ROUNDS} rounds ({3 * n} creates, {FENCE_RATE:g} req/s)", str(total_dups),
               "0", total_dups == 0)
    return total_dups == 0 and total_missing == 0


if __name__ == "__main__":
    sys.exit(main())
