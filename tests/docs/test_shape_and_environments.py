"""docs/shape-and-environments.md works as written, as getting-started.md does (issue 17).

Its `sh` commands run in order in an empty directory, each with its documented exit code,
and the lines of each ```text block after a block appear in the output of that block's last
command (the parser and the rules are test_getting_started's: lines naming a company id or
elided with … are skipped).
"""

from __future__ import annotations

from pathlib import Path

from tests.docs.pages import ROOT, commands, run_page

PAGE = ROOT / "docs" / "shape-and-environments.md"


def test_page_has_the_whole_flow() -> None:
    texts = [c.text for c in commands(PAGE.read_text(encoding="utf-8"))]
    for needed in ("pipelines:", "custom_fields:", "was: Americas", "--env staging", "--env production",
                   "[environments.staging]", "overlay", "reconciler export --env staging", "--kind custom_fields",
                   "activity_types:", "--kind activity_types", "labels:", "--kind labels"):
        assert any(needed in t for t in texts), f"shape-and-environments.md no longer runs {needed!r}"


def test_shape_and_environments_commands_run_in_order(tmp_path: Path) -> None:
    run_page(PAGE, tmp_path)
    locks = sorted(p.name for p in (tmp_path / "crm").glob("reconciler*.lock"))
    assert locks == ["reconciler.lock", "reconciler.production.lock", "reconciler.staging.lock"]
