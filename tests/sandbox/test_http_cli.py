"""The must-show: a client that is not ours (curl) does CRUD on every family against `sandbox serve`.

The server runs as a separate process started the way a user starts it, with ``--port 0``
so parallel test runs never collide; the test reads the bound URL from the first line
of output. If curl is not installed, urllib stands in: still not our client code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

KEY = "curl-test-key"
CURL = shutil.which("curl")


def serve_command() -> list[str]:
    """`python -m reconciler sandbox serve` once the main CLI mounts the group, else the group alone."""
    try:
        from reconciler.cli import cli

        if "sandbox" in cli.commands:
            return [sys.executable, "-m", "reconciler", "sandbox", "serve"]
    except Exception:  # the main CLI is optional here: the group runs alone too
        pass
    return [sys.executable, "-m", "reconciler.sandbox.cli", "serve"]


class Served:
    """A `sandbox serve` subprocess and the URL it printed first."""

    def __init__(self, db: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*serve_command(), "--port", "0", "--db", str(db), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout=20)
        line = first[0] if first else ""
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not match:
            self.proc.kill()
            errors = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"no URL on the first line: {line!r}; stderr: {errors}")
        self.url = match.group(0)
        self.first_line = line
        self.rest: str | None = None

    def stop(self) -> str:
        """Stop the server (once) and return everything it printed after the first line."""
        if self.rest is not None:
            return self.rest
        self.proc.terminate()
        try:  # wait first (what it prints is far below a pipe's buffer), so a stop never hangs the suite
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # Read through the same buffered file the first line came from (communicate()
        # would read the raw pipe and miss what that buffer already holds).
        out = self.proc.stdout.read() if self.proc.stdout else ""  # type: ignore[union-attr]
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        self.rest = out or ""
        return self.rest


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "sandbox.db", "--api-key", KEY)
    yield server
    server.stop()


def call(base: str, method: str, path: str, body: dict | None = None, key: str = KEY) -> tuple[int, Any]:
    """One request with curl (or urllib when curl is missing): returns status and decoded JSON."""
    url = base + path
    data = json.dumps(body) if body is not None else None
    if CURL:
        cmd = [CURL, "-sS", "-X", method, url, "-H", f"Authorization: Bearer {key}", "-w", "\n%{http_code}"]
        if data is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", data]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True).stdout
        text, _, status = out.rpartition("\n")
        return int(status), json.loads(text) if text.strip() else None
    req = urllib.request.Request(url, data=data.encode() if data else None, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


# family: (create path, create body, update method, update body, field to check, list path)
FAMILIES: dict[str, tuple[str, dict, str, dict, str]] = {
    "organizations": (
        "/api/v2/organizations",
        {"name": "Curl Org"},
        "PATCH",
        {"name": "Curl Org Renamed"},
        "name",
    ),
    "persons": ("/api/v2/persons", {"name": "Curl Person"}, "PATCH", {"name": "Curl Person Renamed"}, "name"),
    "deals": ("/api/v2/deals", {"title": "Curl Deal", "value": 100}, "PATCH", {"value": 250}, "value"),
    "activities": (
        "/api/v2/activities",
        {"subject": "Curl call", "type": "call", "due_date": "2027-01-05"},
        "PATCH",
        {"subject": "Curl call, moved"},
        "subject",
    ),
    "notes": ("/api/v1/notes", {"content": "Curl note"}, "PUT", {"content": "Curl note, edited"}, "content"),
    "products": ("/api/v2/products", {"name": "Curl Product"}, "PATCH", {"name": "Curl Product, renamed"}, "name"),
    "leads": ("/api/v1/leads", {"title": "Curl Lead"}, "PATCH", {"title": "Curl Lead, edited"}, "title"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_curl_crud_on_every_family(served: Served, family: str) -> None:
    base = served.url + "/pipedrive"
    path, create_body, update_method, update_body, field = FAMILIES[family]
    create_body = dict(create_body)
    if family in ("notes", "leads"):  # a note or a lead needs a parent
        status, org = call(base, "POST", "/api/v2/organizations", {"name": "Parent"})
        assert status in (200, 201), org
        create_body["org_id" if family == "notes" else "organization_id"] = org["data"]["id"]

    status, created = call(base, "POST", path, create_body)
    assert status in (200, 201), created
    assert created["success"] is True
    object_id = created["data"]["id"]

    status, got = call(base, "GET", f"{path}/{object_id}")
    assert status == 200, got
    assert got["data"]["id"] == object_id

    status, updated = call(base, update_method, f"{path}/{object_id}", update_body)
    assert status == 200, updated
    status, got = call(base, "GET", f"{path}/{object_id}")
    assert got["data"][field] == update_body[field]

    status, listed = call(base, "GET", path + "?limit=500")
    assert status == 200, listed
    assert object_id in {item["id"] for item in listed["data"] or []}

    status, deleted = call(base, "DELETE", f"{path}/{object_id}")
    assert status == 200, deleted
    status, listed = call(base, "GET", path + "?limit=500")
    assert object_id not in {item["id"] for item in listed["data"] or []}  # v1 answers null when empty

    status, stats = call(served.url, "GET", "/_sandbox/stats", key="")
    assert status == 200
    assert stats["requests"] >= 6 and stats["tokens"] > 0
    assert stats["by_route"][f"POST {path}"] >= 1


def test_curl_sees_gateway_errors_and_the_control_api(served: Served) -> None:
    base = served.url + "/pipedrive"
    status, body = call(base, "GET", "/api/v1/users/me", key="wrong")
    assert status == 401 and body["error"] == "invalid_api_key"
    status, body = call(served.url, "GET", "/connections")
    assert status == 200 and len(body["connections"]) == 1
    assert body["connections"][0]["connection_id"] in served.first_line + served.stop()


def test_output_never_shows_the_key_and_data_persists(tmp_path: Path) -> None:
    db = tmp_path / "persist.db"
    first = Served(db, env={"MATON_API_KEY": "env-secret-key"})
    try:
        status, created = call(
            first.url + "/pipedrive",
            "POST",
            "/api/v2/deals",
            {"title": "Survives restart"},
            key="env-secret-key",
        )
        assert status in (200, 201), created
    finally:
        out = first.first_line + first.stop()
    assert "env-secret-key" not in out
    assert "MATON_API_KEY" in out
    second = Served(db, env={"MATON_API_KEY": "env-secret-key"})
    try:
        status, got = call(
            second.url + "/pipedrive", "GET", f"/api/v2/deals/{created['data']['id']}", key="env-secret-key"
        )
        assert status == 200 and got["data"]["title"] == "Survives restart"
    finally:
        second.stop()


def test_bad_fault_spec_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [*serve_command(), "--port", "0", "--db", str(tmp_path / "x.db"), "--fault", "boom:2"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode in (1, 2)  # click's usage error, or the main CLI's CONTRACT §5 error code
    assert "unknown kind 'boom'" in result.stderr


def test_seed_prints_counts_and_fills_the_database(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.sandbox.cli import sandbox
    from reconciler.sandbox.gateway import SandboxGateway

    db = tmp_path / "seeded.db"
    args = ["seed", "--db", str(db), "--organizations", "5", "--persons", "8", "--deals", "12", "--seed", "4"]
    result = CliRunner().invoke(sandbox, args)
    assert result.exit_code == 0, result.output
    assert "deals: 12" in result.output and " s:" in result.output
    gw = SandboxGateway(str(db), api_key=KEY)
    try:
        body = gw.handle(
            "GET", "/pipedrive/api/v2/deals", [("limit", "500")], {"Authorization": f"Bearer {KEY}"}, None
        )
        assert len(body.json()["data"]) == 12
    finally:
        gw.close()
