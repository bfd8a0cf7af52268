"""`pull` never overwrites an edit made to a manifest while it runs (issue 25, item 9).

Edits made before pull starts were already refused; one made while pull reads Pipedrive was
overwritten. A loopback proxy in front of a served sandbox makes the edit at a known moment:
when pull's plan lists deals, a comment is appended to the file pull will write. Pull must
then refuse in one line naming the file, and leave the file as the user left it.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import httpx

from tests.conftest import HttpSandbox, invoke, write_manifests


def _proxy(upstream: str, on_request) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            on_request(self.command, self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = httpx.request(self.command, upstream + self.path, content=body, headers=headers, timeout=30)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward  # noqa: N815 (the standard library's names)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_pull_refuses_a_file_edited_while_it_ran(tmp_path: Path, http_sandbox: HttpSandbox) -> None:
    from tests.conftest import KEY

    env = {"MATON_API_KEY": KEY}
    project = write_manifests(tmp_path / "project", {"deals": {"big": {"title": "Big one", "value": 100}}},
                              split=False)
    manifest = next(project.glob("*.yaml"))
    assert invoke(["apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint], env=env).code == 0
    deal = next(d for d in http_sandbox.api.list_all("deal") if d["title"] == "Big one")
    http_sandbox.api.call("PATCH", f"/api/v2/deals/{deal['id']}", json={"value": 250})  # drift to pull

    edited: list[str] = []

    def edit_once(method: str, path: str) -> None:
        if method == "GET" and "/api/v2/deals" in path and not edited:
            edited.append(path)
            with manifest.open("a", encoding="utf-8") as handle:
                handle.write("# a colleague's note, written while pull ran\n")

    proxy = _proxy(http_sandbox.url, edit_once)
    try:
        endpoint = f"http://127.0.0.1:{proxy.server_address[1]}/pipedrive"
        before_pull = manifest.read_text(encoding="utf-8")
        result = invoke(["pull", str(project), "--endpoint", endpoint], env=env)
    finally:
        proxy.shutdown()
    assert edited, "the proxy never saw pull list deals"
    assert result.code == 1, result.both
    errors = [line for line in result.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and str(manifest) in errors[0] and "changed while pull ran" in errors[0], result.err
    after = manifest.read_text(encoding="utf-8")
    assert after == before_pull + "# a colleague's note, written while pull ran\n"  # the edit kept, nothing pulled
    assert "value: 100" in after
