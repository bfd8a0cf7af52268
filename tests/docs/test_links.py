"""No dead links (issue 26, item 4): every relative link in docs/, README.md and the CI files leads somewhere.

Reproduced before: both CI example files sent readers to docs/environments.md, which did
not exist. Here every relative markdown link (and its #anchor, by GitHub's heading rule) in
the pages, and every `docs/...` path a CI file or script comment names, must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "bench").glob("*.md"),
                ROOT / "examples" / "ci" / "README.md", ROOT / "examples" / "README.md"])
CI_FILES = sorted([*(ROOT / ".github" / "workflows").glob("*.yml"), ROOT / ".ci" / "run",
                   *(p for p in (ROOT / "examples" / "ci").rglob("*") if p.suffix in (".yml", ".yaml"))])
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


def _check(source: Path, target: str) -> str | None:
    path, _, anchor = target.partition("#")
    resolved = (source.parent / path).resolve() if path else source
    if not resolved.exists():
        return f"{source.relative_to(ROOT)}: {target} does not exist"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{source.relative_to(ROOT)}: {target}: no heading #{anchor}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_of_a_page_exists(page: Path) -> None:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    targets = [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]
    dead = [problem for target in targets if (problem := _check(page, target))]
    assert not dead, "\n".join(dead)


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_docs_page_a_ci_file_names_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    dead = [problem for target in DOC_PATH.findall(text) if (problem := _check(ROOT / "README.md", target))]
    assert not dead, "\n".join(dead)


def test_the_checker_sees_a_dead_link(tmp_path: Path) -> None:
    page = ROOT / "docs" / "ci.md"
    assert _check(page, "environments.md") is None
    assert _check(page, "no-such-page.md") is not None
    assert _check(page, "ci.md#credentials") is None and _check(page, "ci.md#no-such-heading") is not None
