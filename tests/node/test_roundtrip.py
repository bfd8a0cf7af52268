"""Pipedrive's official Node.js client (npm ``pipedrive``, the version models_v2.json pins) against
`reconciler sandbox serve`: organizations, persons, deals, activities with participants, v1 notes,
archive and unarchive a deal, search, delete (tests/node/roundtrip.mjs), with no error.

Runs where ``node`` and ``npm`` are installed and the package can be installed into the user's
cache (``$XDG_CACHE_HOME`` or ``~/.cache``, ``reconciler/npm-pipedrive-<version>``), reused on
later runs; skips with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import KEY

HERE = Path(__file__).resolve().parent
VERSION = json.loads((HERE.parent / "conformance" / "models_v2.json").read_text(encoding="utf-8"))["version"]
INSTALL_TIMEOUT = 240


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reconciler" / f"npm-pipedrive-{VERSION}"


def _installed(directory: Path) -> bool:
    manifest = directory / "node_modules" / "pipedrive" / "package.json"
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))["version"] == VERSION
    except (OSError, ValueError, KeyError):
        return False


def _client_dir() -> Path:
    """The cached install of the official client, installing it once; skips when that cannot be done."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the official Node.js client cannot run here")
    directory = _cache_dir()
    if _installed(directory):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"name": "reconciler-roundtrip", "private": true}\n', encoding="utf-8")
    try:
        done = subprocess.run(
            ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--silent", f"pipedrive@{VERSION}"],
            cwd=directory, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install pipedrive@{VERSION} took over {INSTALL_TIMEOUT} s (no registry?)")
    if done.returncode != 0 or not _installed(directory):
        pytest.skip(f"npm install pipedrive@{VERSION} failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return directory


def test_official_node_client_round_trip(sandbox_process: Any) -> None:
    client = _client_dir()
    server = sandbox_process("node")
    env = {**os.environ, "PIPEDRIVE_NPM_DIR": str(client), "SANDBOX_URL": server.url, "SANDBOX_KEY": KEY}
    done = subprocess.run(["node", str(HERE / "roundtrip.mjs")], env=env, capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, f"roundtrip.mjs failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert result["ok"] is True and result["calls"] >= 20, result
    assert KEY not in done.stdout + done.stderr
