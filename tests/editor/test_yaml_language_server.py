"""Editors check manifests in the user's own project (issue 26, item 6).

Reproduced before: the schemas resolved only inside this repository (examples/ point at
../../schemas/), a user's project got "Unable to load schema", the schemas had no $id and
`export` wrote no modeline. Now export writes the schemas into the project and a modeline
into every manifest. Checked with a real YAML language server (npm `yaml-language-server`,
the server behind VS Code's YAML extension), speaking LSP over stdio to a project copied
away from the export: the exported files are clean, and a planted typo is reported on its
line. Skipped, saying why, where node or npm is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler import __version__
from tests.conftest import copy_examples, invoke
from tests.npm_tools import npm_package

HERE = Path(__file__).parent
SERVER_VERSION = "1.25.0"


def _diagnostics(server: Path, manifest: Path) -> list[dict]:
    done = subprocess.run(["node", str(HERE / "yamlls.cjs"), str(server), str(manifest)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server() -> Path:
    return npm_package("yaml-language-server", SERVER_VERSION) / "node_modules" / "yaml-language-server" / "bin" / \
        "yaml-language-server"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The examples applied to a sandbox, exported, and the export moved to another place (a user's project)."""
    root = tmp_path_factory.mktemp("editor")
    db = str(root / "s.db")
    assert invoke(["apply", str(copy_examples(root / "examples")), "--sandbox", db, "--auto-approve"]).code == 0
    exported = invoke(["export", "--out", str(root / "export"), "--sandbox", db])
    assert exported.code == 0, exported.both
    return Path(shutil.copytree(root / "export", root / "elsewhere" / "crm"))


def test_export_writes_the_schemas_and_a_modeline(project: Path) -> None:
    manifests = sorted(project.rglob("*.yaml"))
    assert manifests
    for manifest in manifests:
        first = manifest.read_text(encoding="utf-8").splitlines()[0]
        depth = len(manifest.relative_to(project).parts) - 1
        assert first == f"# yaml-language-server: $schema={'../' * depth}schemas/manifest.schema.json", manifest
    schema = json.loads((project / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
    assert schema["$id"] == f"https://reconciler.dev/schemas/{__version__}/manifest.schema.json"
    assert (project / "schemas" / "deal.schema.json").is_file()
    assert invoke(["validate", str(project)]).code == 0  # the schemas directory is not read as manifests


def test_the_language_server_checks_an_exported_project(project: Path, server: Path) -> None:
    manifest = project / "accounts" / "acme-corporation.yaml"
    if not manifest.exists():
        manifest = next(project.glob("accounts/*.yaml"))
    assert _diagnostics(server, manifest) == [], "the exported file is clean and its schema loads"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if re.match(r"^    name: ", line))
    lines.insert(at + 1, "    nmae: a typo\n")
    manifest.write_text("".join(lines), encoding="utf-8")
    found = _diagnostics(server, manifest)
    assert [(d["range"]["start"]["line"], d["message"]) for d in found] == [(at + 1, "Property nmae is not allowed.")]
