"""No dead links (issue 26, item 4): every relative link in docs/, README.md and the CI files leads somewhere.

Reproduced before: both CI example files sent readers to docs/environments.md, which did
not exist. Here every relative markdown link (and its #anchor, by GitHub's heading rule) in
the pages, and every `docs/...` path a CI file or script comment names, must exist.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_examples

PAGE_GLOBS = ("README.md", "docs/*.md", "bench/*.md", "examples/ci/README.md", "examples/README.md")
CI_GLOBS = (".github/workflows/*.yml", ".ci/run", "examples/ci/**/*.yml", "examples/ci/**/*.yaml")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """What the pages link to, copied (tests never read the working tree; examples/ through copy_examples)."""
    root = tmp_path_factory.mktemp("links") / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(
        "examples", ".git", ".venv", ".ci-venv", "__pycache__", "*.db", ".reconciler", "*.egg-info", "tests"),
        symlinks=True)
    copy_examples(root / "examples")
    return root


def _files(root: Path, globs: tuple[str, ...]) -> list[Path]:
    return sorted({path for pattern in globs for path in root.glob(pattern) if path.is_file()})


LINK = re.compile(r"(?<!\!)\[(?:[^\]\n]|\][^(\n])*?\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
DOC_PATH = re.compile(r"\bdocs/[A-Za-z0-9_.-]+\.md(?:#[a-z0-9-]+)?")


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def _check(root: Path, source: Path, target: str) -> str | None:
    path, _, anchor = target.partition("#")
    resolved = (source.parent / path).resolve() if path else source
    if not resolved.exists():
        return f"{source.relative_to(root)}: {target} does not exist"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{source.relative_to(root)}: {target}: no heading #{anchor}"
    return None


def test_every_relative_link_of_a_page_exists(repo: Path) -> None:
    pages = _files(repo, PAGE_GLOBS)
    assert len(pages) > 10 and repo / "docs" / "ci.md" in pages
    dead = []
    for page in pages:
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        targets = [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]
        dead += [problem for target in targets if (problem := _check(repo, page, target))]
    assert not dead, "\n".join(dead)


def test_every_docs_page_a_ci_file_names_exists(repo: Path) -> None:
    files = _files(repo, CI_GLOBS)
    assert repo / "examples" / "ci" / ".gitlab-ci.yml" in files
    dead = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        dead += [f"{path.relative_to(repo)}: {problem}" for target in DOC_PATH.findall(text)
                 if (problem := _check(repo, repo / "README.md", target))]
    assert not dead, "\n".join(dead)


def test_the_checker_sees_a_dead_link(repo: Path) -> None:
    page = repo / "docs" / "ci.md"
    assert _check(repo, page, "environments.md") is None
    assert _check(repo, page, "no-such-page.md") is not None
    assert _check(repo, page, "ci.md#credentials") is None and _check(repo, page, "ci.md#no-such-heading") is not None
