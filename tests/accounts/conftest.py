"""Fixtures for the accounts tests: a sandbox served over HTTP and the CLI run as users run it.

Why a real server and a subprocess: whoami and connections are about what a user sees
(the lines, the exit code, that the key never shows), and the control API must be
reached over the wire exactly as ``--endpoint``/``--control-endpoint`` route it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.server import RunningServer, start_server
from tests.conftest import Result, cli_env

# distinctive, so that a leak anywhere in any output is found by a plain substring search
KEY = "acct-test-key-7f3a9c51e2"
ROOT = Path(__file__).resolve().parents[2]


class Cli:
    """Runs `python -m reconciler ...` against one served sandbox and remembers every output."""

    def __init__(self, server: RunningServer, cwd: Path) -> None:
        self.server = server
        self.cwd = cwd
        self.endpoint = f"{server.url}/pipedrive"
        self.outputs: list[str] = []

    def __call__(
        self, *args: str, key: str = KEY, endpoint: bool = True, stdin: int | None = subprocess.DEVNULL,
        input_text: str | None = None, env: dict[str, str] | None = None,
    ) -> Result:
        argv = [sys.executable, "-m", "reconciler", *args]
        if endpoint:
            argv += ["--endpoint", self.endpoint]
        full_env = cli_env(key, **(env or {}))
        proc = subprocess.run(
            argv, cwd=self.cwd, env=full_env, capture_output=True, text=True, timeout=120,
            stdin=None if input_text is not None else stdin, input=input_text,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        self.outputs.append(result.both)
        return result


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    gateway = SandboxGateway(str(tmp_path / "sandbox.db"), api_key=KEY)
    running = start_server(gateway)
    try:
        yield running
    finally:
        running.stop()
        gateway.close()


@pytest.fixture
def cli(server: RunningServer, tmp_path: Path) -> Iterator[Cli]:
    """The CLI against `server`; after the test, no output of any run may contain the key."""
    runner = Cli(server, tmp_path)
    yield runner
    for text in runner.outputs:
        assert KEY not in text
