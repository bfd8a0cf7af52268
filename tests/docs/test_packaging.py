"""The package tells the truth about itself (issue 26, item 3).

Reproduced before: no LICENSE file shipped though the metadata said MIT, and there were no
classifiers or project URLs. Here the wheel is built from a copy of the project (as the
release workflow's `python -m build` does) and its metadata read back.
"""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def _build_wheel(tmp_path: Path) -> zipfile.ZipFile:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "reconciler", source / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_the_wheel_ships_its_license_classifiers_and_urls(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = wheel.namelist()
    metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = email.message_from_string(wheel.read(metadata_name).decode("utf-8"))
    assert metadata["Name"] == "pipedrive-reconciler"
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in metadata.get_all("License-File")
    license_text = wheel.read(next(n for n in names if n.endswith("licenses/LICENSE"))).decode("utf-8")
    assert license_text.startswith("MIT License") and "WITHOUT WARRANTY" in license_text
    classifiers = metadata.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers and "Environment :: Console" in classifiers
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert any(n.endswith("reconciler/schemas/manifest.schema.json") for n in names)
