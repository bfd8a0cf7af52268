"""Fail well (issue 13): bounded retries, answers that are not Pipedrive's, interrupts.

Against `reconciler sandbox serve` in another process, as users run it:
- the endpoint killed mid-apply, and a 500 storm that never ends: apply gives up within a
  small multiple of its retry budget (a ratio, not a wall-clock figure on a loaded
  machine), says what failed and what was done, the lock stays consistent, and the next
  apply converges with no duplicate;
- two clients sharing the account's rate limit both finish;
- an HTML page or invalid JSON in place of Pipedrive's answer: one line saying who
  answered, with the body's first line, exit 1, no traceback;
- Ctrl-C and SIGTERM: exit 130/143 with what was done and what is left.
"""

from __future__ import annotations

import http.server
import signal
import threading
from pathlib import Path

import pytest

from reconciler.lock import LockFile
from tests.conftest import KEY, cli_env, live_census, run_cli, start_cli, wait_for, write_manifests

BUDGET = 2.0  # seconds: the tests' retry budget (the default is 30)


def _data(n: int = 40) -> dict:
    return {
        "organizations": {f"fw-org-{i}": {"name": f"Fail Well Org {i}"} for i in range(n)},
        "persons": {f"fw-p-{i}": {"name": f"Fail Well Person {i}", "org": f"fw-org-{i}",
                                  "emails": [f"p{i}@failwell.example.com"]} for i in range(n)},
    }


def _project(tmp_path: Path, data: dict) -> Path:
    project = write_manifests(tmp_path / "project", data)
    (project / "reconciler.toml").write_text(f"retry_budget = {BUDGET}\n", encoding="utf-8")
    return project


def test_a_killed_endpoint_is_given_up_on_quickly_and_the_next_apply_converges(tmp_path: Path,
                                                                               sandbox_process) -> None:
    data = _data()
    project = _project(tmp_path, data)
    server = sandbox_process("killed", rate_limit=20)
    proc = start_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint,
                     env=cli_env(RECONCILER_RATE_LIMIT="20"))
    assert wait_for(lambda: server.api.stats()["by_route"].get("POST /api/v2/organizations", 0) >= 3, 60), \
        "apply never started writing"
    server.proc.kill()
    out, err = proc.communicate(timeout=120)  # gives up by its budget (how soon: bench/bench_bounded.py)
    assert proc.returncode == 1, out + err
    assert "Traceback" not in err
    assert "Stopped: gave up after" in err and "running apply again finishes the job" in err
    assert "cannot connect" in err
    LockFile.read(project / "reconciler.lock")  # consistent: readable, no problem
    again = sandbox_process("killed")  # the same database, restarted
    final = run_cli("apply", str(project), "--auto-approve", "--endpoint", again.endpoint)
    assert final.code == 0, final.both[-2000:]
    census = live_census(again.api, data)
    assert census["duplicates"] == [] and census["missing"] == [], census


def test_a_500_storm_is_given_up_on_with_few_calls(tmp_path: Path, sandbox_process) -> None:
    data = _data(10)
    project = _project(tmp_path, data)
    ok = sandbox_process("storm")
    assert run_cli("apply", str(project), "--auto-approve", "--endpoint", ok.endpoint).code == 0
    ok.stop()
    data["organizations"]["fw-org-0"]["name"] = "Fail Well Org 0 renamed"
    data["persons"]["fw-p-0"]["name"] = "Renamed person"
    project = _project(tmp_path, data)
    storm = sandbox_process("storm", faults=("error-500:1",))
    result = run_cli("apply", str(project), "--auto-approve", "--endpoint", storm.endpoint)
    assert result.code == 1
    assert "Traceback" not in result.err  # how long giving up takes is bench_bounded's (bench/)
    assert "gave up after" in result.err and "answered 500" in result.err
    requests = storm.api.stats()["requests"]
    assert requests < 40, f"{requests} requests against a server that answers 500 to everything"


def test_two_clients_sharing_the_rate_limit_both_finish(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("shared", rate_limit=4)
    first = _project(tmp_path / "a", {"organizations": {f"a-{i}": {"name": f"Shared A {i}"} for i in range(12)}})
    second = _project(tmp_path / "b", {"organizations": {f"b-{i}": {"name": f"Shared B {i}"} for i in range(12)}})
    env = cli_env(RECONCILER_RATE_LIMIT="4")
    procs = [start_cli("apply", str(p), "--auto-approve", "--endpoint", server.endpoint, env=env)
             for p in (first, second)]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, out + err


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A proxy in front of the gateway that answers with its own page (or broken JSON)."""

    body = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    status = 502
    content_type = "text/html"

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("status, content_type, body, expected", [
    (502, "text/html", b"<html><head><title>502 Bad Gateway</title></head></html>",
     "a proxy (or the gateway) answered 502 on GET /api/v1/users/me"),
    (200, "text/html", b"<!DOCTYPE html>\n<html>Sign in to continue</html>",
     "a proxy (or the gateway) answered 200 on GET /api/v1/users/me with a text/html page, not Pipedrive's JSON"),
    (200, "application/json", b'{"success": true, "data": ',
     "answered 200 on GET /api/v1/users/me with a application/json, not Pipedrive's JSON"),
])
def test_answers_that_are_not_pipedrives_say_who_answered(tmp_path: Path, status, content_type, body,
                                                          expected) -> None:
    handler = type("Handler", (_Proxy,), {"status": status, "content_type": content_type, "body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        project = _project(tmp_path, {"organizations": {"x": {"name": "X"}}})
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/pipedrive"
        result = run_cli("plan", str(project), "--endpoint", endpoint)
    finally:
        server.shutdown()
    assert result.code == 1
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert expected in result.err, result.err
    assert KEY not in result.both
    if content_type == "text/html":
        assert "it began: '<" in result.err


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_apply_says_what_was_done_and_exits_by_the_signal(tmp_path: Path, sandbox_process,
                                                                         sig, code) -> None:
    data = _data(20)
    project = _project(tmp_path, data)
    server = sandbox_process("interrupted", rate_limit=10)
    proc = start_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint,
                     env=cli_env(RECONCILER_RATE_LIMIT="10"))
    assert wait_for(lambda: server.api.stats()["by_route"].get("POST /api/v2/organizations", 0) >= 3, 60), \
        "apply never started writing"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, out + err
    assert "Traceback" not in err
    assert "Stopped: " in err and "Done before it:" in err and "running apply again finishes the job" in err
    final = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint)
    assert final.code == 0, final.both[-2000:]
    census = live_census(server.api, data)
    assert census["duplicates"] == [] and census["missing"] == [], census
