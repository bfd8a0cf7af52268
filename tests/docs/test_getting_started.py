"""docs/getting-started.md works as written: its `sh` commands run in order in an empty directory.

Why: a getting-started page that drifts from the program is the first thing a new user
meets and the last thing anyone re-reads. This test is that new user: it extracts every
command of the page's ```sh blocks (heredocs and `\\` continuations kept whole), runs each
with bash in a fresh temporary directory (following `cd`), with the installed `reconciler`
first on PATH and no Maton settings from the caller's environment, and checks each exit
code: 0, or the one the command's `# exits N` comment documents. Lines of a ```text block
right after a block must appear in the output of that block's last command (lines naming a
company id or elided with … are skipped: they differ per sandbox).

Install commands are in a ```console block, which is not run: the test uses the
`reconciler` already installed with this checkout.
"""

from __future__ import annotations

from pathlib import Path

from tests.docs.pages import ROOT, commands, run_page

PAGE = ROOT / "docs" / "getting-started.md"


def test_page_has_the_whole_journey() -> None:
    texts = [c.text for c in commands(PAGE.read_text(encoding="utf-8"))]
    for needed in ("reconciler validate", "reconciler plan", "reconciler apply", "reconciler export",
                   "--detailed-exitcode"):
        assert any(needed in t for t in texts), f"getting-started.md no longer runs {needed!r}"
    assert any("# exits 2" in t for t in texts)  # the changed field shows as a change


def test_getting_started_commands_run_in_order(tmp_path: Path) -> None:
    cwd = run_page(PAGE, tmp_path, stay_inside=True)
    assert (cwd / "exported" / "reconciler.lock").exists()


def test_parser_keeps_heredocs_and_continuations_whole() -> None:
    page = (
        "```sh\nrun one  # exits 3\ncat > f <<'EOF'\na: 1\n# not a comment\nEOF\nlong \\\n  arg\n```\n"
        "```text\nshown\n```\n```console\n$ skipped\n```\n"
    )
    found = commands(page)
    assert [c.text for c in found] == ["run one  # exits 3", "cat > f <<'EOF'\na: 1\n# not a comment\nEOF",
                                        "long \\\n  arg"]
    assert [c.expected for c in found] == [3, 0, 0]
    assert found[-1].shown == ["shown"]
