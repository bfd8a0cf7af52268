"""README set-up command 1 works on a Python that refuses system installs (issue 26, item 3).

Debian 12's and Ubuntu 24.04's system Python carry an EXTERNALLY-MANAGED marker (PEP 668):
`pip install` into them fails with `externally-managed-environment`, which is what README
command 1 did before it made a virtual environment first. Here the command is taken from the
README verbatim and run in a copy of the project with such an interpreter first on PATH.
Skipped where the machine has no externally managed Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3")


def _externally_managed() -> str | None:
    """An interpreter whose standard library holds the PEP 668 marker, if the machine has one."""
    for path in CANDIDATES:
        if not os.access(path, os.X_OK):
            continue
        proc = subprocess.run([path, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode == 0 and (Path(proc.stdout.strip()) / "EXTERNALLY-MANAGED").is_file():
            return path
    return None


def _command_1() -> str:
    """README set-up command 1, as the README writes it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert lines and re.match(r"python3 -m venv \.venv && ", lines[0]), lines
    return lines[0]


def test_readme_command_1_works_where_the_system_python_refuses_installs(tmp_path: Path) -> None:
    python = _externally_managed()
    if python is None:
        pytest.skip("no externally managed (PEP 668) Python on this machine")
    project = tmp_path / "clone"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, project / name)
    for name in ("reconciler", "examples"):
        shutil.copytree(ROOT / name, project / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".reconciler", "reconciler.lock*"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "MATON_", "RECONCILER_"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    refused = subprocess.run([python, "-m", "pip", "install", "--dry-run", "-e", "."], cwd=project, env=env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stdout + refused.stderr
    done = subprocess.run(["bash", "-c", _command_1()], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "Apply complete!" in done.stdout
