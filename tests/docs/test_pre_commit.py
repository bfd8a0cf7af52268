"""The pre-commit hook validates manifest directories only, never other YAML (issue 18).

Its default `args: ["."]` validated the whole repository, so any other YAML file there
(mkdocs.yml, a CI file) failed every commit. Now the hook runs on the manifest
directories (`args`, default `crm`, the layout docs/ci.md uses) when a file under them
changes (`files`, default `^crm/.*\\.ya?ml$`), and users set both.

pre-commit itself needs a network install per hook, too slow for this suite; these tests
apply its rules as it documents them (a hook runs when a staged path matches `files` by
`re.search`; it runs `entry` plus `args`, and the file names only with pass_filenames)
and run the real command line. The same checks were made once by hand with pre-commit
4.7.0 (`pre-commit try-repo`), as docs/ci.md says.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, copy_examples, invoke
from tests.docs.test_ci_files import check_argv

HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_DOC = ROOT / "docs" / "ci.md"
MKDOCS = "site_name: Team docs\nnav:\n  - Home: index.md\ntheme:\n  name: material\n"
WORKFLOW = "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"


def _hook() -> dict[str, Any]:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    return hooks["reconciler-validate"]


def _repository(tmp_path: Path, manifests: str = "crm") -> Path:
    """A team's repository: manifests, and other YAML that is not a manifest."""
    repo = tmp_path / "repo"
    copy_examples(repo / manifests, "accounts")
    (repo / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW, encoding="utf-8")
    (repo / "docs").mkdir()
    (repo / "docs" / "index.md").write_text("# Docs\n", encoding="utf-8")
    return repo


def _run_hook(repo: Path, staged: list[str], overrides: dict[str, Any] | None = None) -> int | None:
    """What `pre-commit run` does with these staged files: None when the hook is skipped."""
    hook = {**_hook(), **(overrides or {})}
    selected = [path for path in staged if re.search(hook["files"], path)]
    if not selected:
        return None
    argv = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    if hook.get("pass_filenames", True):
        argv += selected
    assert argv[0] == "reconciler"
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        return invoke(argv[1:]).code
    finally:
        os.chdir(cwd)


def _all_files(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())


def test_the_hook_is_limited_to_manifest_directories() -> None:
    hook = _hook()
    assert hook["language"] == "python" and hook["pass_filenames"] is False and hook["require_serial"] is True
    assert hook["args"] == ["crm"] and hook["args"] != ["."]
    assert re.search(hook["files"], "crm/accounts/acme.yaml") and re.search(hook["files"], "crm/x.yml")
    for other in ("mkdocs.yml", ".github/workflows/ci.yml", ".gitlab-ci.yml", "docs/crm/x.yaml", "crm/readme.md"):
        assert not re.search(hook["files"], other), other
    check_argv([*shlex.split(hook["entry"]), *hook["args"]])


def test_a_repository_with_an_unrelated_mkdocs_yml_passes(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    assert _run_hook(repo, _all_files(repo)) == 0  # pre-commit run --all-files
    assert _run_hook(repo, ["mkdocs.yml", ".github/workflows/ci.yml"]) is None, "not run for other YAML"
    assert _run_hook(repo, ["crm/acme.yaml", "mkdocs.yml"]) == 0


def test_the_old_default_failed_on_that_repository(tmp_path: Path) -> None:
    """Why the default changed: validating the repository root reads mkdocs.yml as a manifest."""
    repo = _repository(tmp_path)
    assert _run_hook(repo, _all_files(repo), {"args": ["."], "files": r"\.ya?ml$"}) == 1


def test_a_broken_manifest_still_fails_the_commit(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    (repo / "crm" / "bad.yaml").write_text("organizations:\n  Bad Key: {name: x}\n", encoding="utf-8")
    assert _run_hook(repo, ["crm/bad.yaml"]) == 1


def _sample_config() -> list[dict[str, Any]]:
    """The .pre-commit-config.yaml blocks docs/ci.md shows (kept out of examples/, which is all manifests)."""
    blocks = re.findall(r"```yaml\n(repos:.*?)```", CI_DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/ci.md no longer shows a .pre-commit-config.yaml"
    return [hook for block in blocks for repo in yaml.safe_load(block)["repos"] for hook in repo["hooks"]]


def test_the_configs_docs_show_use_the_hook() -> None:
    used = _sample_config()
    assert {hook["id"] for hook in used} == {"reconciler-validate"}
    for hook in used:
        check_argv([*shlex.split(_hook()["entry"]), *hook.get("args", _hook()["args"])])


def test_the_docs_configs_work_on_their_layout(tmp_path: Path) -> None:
    for number, hook in enumerate(_sample_config()):
        overrides = {k: v for k, v in hook.items() if k in ("files", "args")}
        directories = overrides.get("args", _hook()["args"])
        assert len(directories) == 1, "one manifest directory per example"
        repo = _repository(tmp_path / str(number), directories[0])
        assert _run_hook(repo, _all_files(repo), overrides) == 0
        assert _run_hook(repo, ["mkdocs.yml", ".github/workflows/ci.yml"], overrides) is None
