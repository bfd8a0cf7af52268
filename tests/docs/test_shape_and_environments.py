"""docs/shape-and-environments.md works as written, as getting-started.md does (issue 17).

Its `sh` commands run in order in an empty directory, each with its documented exit code,
and the lines of each ```text block after a block appear in the output of that block's last
command (the parser and the rules are test_getting_started's: lines naming a company id or
elided with … are skipped).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.docs.test_getting_started import ROOT, _checkable, _env, commands

PAGE = ROOT / "docs" / "shape-and-environments.md"


def test_page_has_the_whole_flow() -> None:
    texts = [c.text for c in commands(PAGE.read_text(encoding="utf-8"))]
    for needed in ("pipelines:", "custom_fields:", "was: Americas", "--env staging", "--env production",
                   "[environments.staging]", "overlay", "reconciler export --env staging", "--kind custom_fields"):
        assert any(needed in t for t in texts), f"shape-and-environments.md no longer runs {needed!r}"


def test_shape_and_environments_commands_run_in_order(tmp_path: Path) -> None:
    cwd = tmp_path
    where = tmp_path / ".pwd-after"
    env = _env()
    for number, command in enumerate(commands(PAGE.read_text(encoding="utf-8")), 1):
        script = f"{command.text}\n__rc=$?\npwd > '{where}'\nexit $__rc\n"
        proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=120)
        output = proc.stdout + proc.stderr
        assert proc.returncode == command.expected, (
            f"command {number} of docs/shape-and-environments.md exited {proc.returncode}, "
            f"the page says {command.expected}:\n$ {command.text}\n{output}"
        )
        for line in filter(_checkable, command.shown):
            assert line.strip() in output, (
                f"docs/shape-and-environments.md shows {line.strip()!r} after command {number}, but it printed:\n"
                f"{output}"
            )
        cwd = Path(where.read_text(encoding="utf-8").strip())
    locks = sorted(p.name for p in (tmp_path / "crm").glob("reconciler*.lock"))
    assert locks == ["reconciler.lock", "reconciler.production.lock", "reconciler.staging.lock"]
