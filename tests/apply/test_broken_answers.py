"""Answers that are not what they should be (issue 25, item 7), through the real client and applier.

- `/users/me` answering `{"data": null}`: one clear line, exit 1, no internal error;
- an HTML page with status 200 in place of a create's answer, the create having gone through
  (a proxy's page): recovered like a dropped answer, by looking the object up; no duplicate.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.config import Settings
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.http import HttpClient
from reconciler.session import SANDBOX_ENDPOINT, plan_run
from tests.conftest import KEY, InProcess, run_cli, write_manifests


class _NoUser(http.server.BaseHTTPRequestHandler):
    body = b'{"success": true, "data": null}'

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


def test_users_me_without_a_user_is_one_clear_line(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoUser)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        project = write_manifests(tmp_path / "project", {"organizations": {"x": {"name": "X"}}})
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/pipedrive"
        result = run_cli("plan", str(project), "--endpoint", endpoint)
    finally:
        server.shutdown()
    assert result.code == 1
    assert "Traceback" not in result.both and "internal error" not in result.both, result.both
    errors = [line for line in result.err.splitlines() if line.strip()]
    assert len(errors) == 1 and "GET /api/v1/users/me answered no user (data: null)" in errors[0], errors
    assert KEY not in result.both


class HtmlAfterCommit(httpx.BaseTransport):
    """The sandbox's transport; the first organization create goes through, and its answer is
    replaced by a proxy's HTML page with status 200 (or another body)."""

    def __init__(self, inner: httpx.BaseTransport, content_type: str = "text/html",
                 body: bytes = b"<!DOCTYPE html><html>Sign in to continue</html>") -> None:
        self.inner = inner
        self.replaced = 0
        self.content_type = content_type
        self.body = body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/api/v2/organizations") and not self.replaced:
            self.replaced += 1
            response.read()
            return httpx.Response(200, headers={"Content-Type": self.content_type,
                                                "Date": response.headers.get("date", "")}, content=self.body)
        return response


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/html", b"<!DOCTYPE html><html>Sign in to continue</html>"),
    ("application/json", b'{"success": true, "data": null}'),
])
def test_an_html_200_after_a_committed_create_is_looked_up_not_repeated(tmp_path: Path, content_type: str,
                                                                         body: bytes) -> None:
    sandbox = InProcess()
    try:
        transport = HtmlAfterCommit(sandbox.transport, content_type, body)
        project = write_manifests(tmp_path / "project", {"organizations": {"acme": {"name": "Acme Html"}}})
        http_client = HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6, transport=transport)
        try:
            client = PipedriveClient(http_client)
            run = plan_run(client, Settings(), [str(project)])
            result = apply_plan(run.client, run.plan, run.lock, workers=2)
        finally:
            http_client.close()
        assert transport.replaced == 1
        assert result.ok, result.failed
        named = [o for o in sandbox.call("GET", "/api/v2/organizations", params={"limit": 500})
                 if o["name"] == "Acme Html"]
        assert len(named) == 1
        assert run.lock.id_for("organization", "acme") == named[0]["id"]
    finally:
        sandbox.close()
