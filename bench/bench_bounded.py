"""Bounded failure: how long an apply takes to give up on a write-only 500 storm, and a plan on
an answer that trickles in (issue 25).

- storm: 300 organization creates at 10 req/s through a loopback proxy that answers 500 to
  every create and passes everything else (the reads that look for each failed create
  succeed). Reported: seconds to give up, calls, exit code. Target: under 60 s.
- trickle: `plan` through a proxy that sends an answer's headers at once and then one byte
  of body every 2 s, with the default timeout (30 s) and retry budget (30 s). Reported:
  seconds to give up, exit code.

    python bench/bench_bounded.py [--quick] [--json]
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common
import httpx


def _proxy(upstream: str, mode: str) -> http.server.ThreadingHTTPServer:
    client = httpx.Client(timeout=60)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if mode == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(2)
                except OSError:
                    return
                return
            if self.command == "POST" and self.path.endswith("/organizations"):
                payload = b'{"success": false, "error": "internal server error"}'
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            common.relay(self, client, upstream, body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _project(root: Path, n: int) -> Path:
    import yaml

    root.mkdir(parents=True)
    data = {"organizations": {f"storm-{i}": {"name": f"Storm Org {i}"} for i in range(n)}}
    (root / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def _run(serve: common.Serve, proxy: http.server.ThreadingHTTPServer, *args: str) -> tuple[int, float, str, str]:
    endpoint = f"http://127.0.0.1:{proxy.server_address[1]}/pipedrive"
    argv = common.reconciler_argv(*args, "--endpoint", endpoint, "--rate-limit", "10")
    started = time.monotonic()
    done = subprocess.run(argv, env=serve.env(), capture_output=True, text=True, timeout=900)
    return done.returncode, time.monotonic() - started, done.stdout, done.stderr


def main() -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args()
    n = 60 if args.quick else 300
    report = common.Report("bounded", common.command_line("bench_bounded.py", args.quick))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with common.Serve(root / "storm.db", rate=10) as serve:
            proxy = _proxy(serve.url, "storm")
            try:
                code, seconds, out, err = _run(serve, proxy, "apply", str(_project(root / "storm", n)),
                                               "--auto-approve", "--format", "json")
            finally:
                proxy.shutdown()
            calls = json.loads(out[out.index("{"):])["stats"]["api_calls"] if "{" in out else "?"
            common.log(f"storm: exit {code}, {seconds:.1f} s, {calls} calls")
            good = code == 1 and seconds < 60 and "gave up after" in err
            ok = ok and good
            report.add(f"write-only 500 storm, {n} creates at 10 req/s: exit, seconds to give up, calls",
                       f"{code}, {seconds:.1f} s, {calls}", "1, < 60 s", good)
        with common.Serve(root / "trickle.db", rate=10) as serve:
            proxy = _proxy(serve.url, "trickle")
            try:
                code, seconds, _out, err = _run(serve, proxy, "plan", str(_project(root / "trickle", 3)))
            finally:
                proxy.shutdown()
            common.log(f"trickle: exit {code}, {seconds:.1f} s; {err.strip().splitlines()[-1][:200] if err else ''}")
            good = code == 1 and seconds < 120
            ok = ok and good
            report.add("plan on an answer trickling 1 byte every 2 s (timeout 30 s): exit, seconds to give up",
                       f"{code}, {seconds:.1f} s", "1, < 120 s", good)
    report.emit(args.json)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
