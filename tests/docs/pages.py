"""Run a docs page as written: the commands of its ```sh blocks in order, checked against the page.

Why one module: every tutorial page (getting started, shape and environments, drift) is a
test of the same kind, and the rules (what is run, what is compared, what is skipped) must
not drift apart between them. Each command runs with bash in a temporary directory
(following `cd`), with the installed `reconciler` first on PATH and no Maton or
reconciler settings from the caller's environment; its exit code must be 0 or the one its
`# exits N` comment documents, and the lines of a ```text block right after a block must
appear in the output of that block's last command (lines naming a company id or elided
with … are skipped: they differ per sandbox). ```console blocks are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")


@dataclass
class Command:
    text: str
    expected: int
    shown: list[str] = field(default_factory=list)  # output lines the page shows after it


def commands(markdown: str) -> list[Command]:
    """Every command of the page's sh blocks, in order, with its expected exit code."""
    out: list[Command] = []
    last_block_end: Command | None = None
    for match in FENCE.finditer(markdown):
        lang, body = match.group(1), match.group(2)
        if lang == "text" and last_block_end is not None:
            last_block_end.shown.extend(body.splitlines())
            last_block_end = None
            continue
        last_block_end = None
        if lang != "sh":
            continue
        lines = body.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            text = line
            while text.endswith("\\") and i < len(lines):
                text += "\n" + lines[i]
                i += 1
            heredoc = HEREDOC.search(text)
            if heredoc:
                terminator = heredoc.group(2)
                while i < len(lines):
                    text += "\n" + lines[i]
                    i += 1
                    if lines[i - 1].strip() == terminator:
                        break
            first_line = text.split("\n", 1)[0]
            exits = EXITS.search(first_line)
            out.append(Command(text, int(exits.group(1)) if exits else 0))
        if out:
            last_block_end = out[-1]
    return out


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATON_", "RECONCILER_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    env["RECONCILER_RATE_LIMIT"] = "1000"  # the sandbox does not need the gateway's pacing; saves seconds
    return env


def _checkable(line: str) -> bool:
    return bool(line.strip()) and "…" not in line and "..." not in line and not re.search(r"company \d", line)



def run_page(page: Path, tmp_path: Path, *, stay_inside: bool = False) -> Path:
    """Run every command of `page` in order from `tmp_path`; return the directory it ends in."""
    cwd = tmp_path
    where = tmp_path / ".pwd-after"
    env = _env()
    name = f"docs/{page.name}"
    for number, command in enumerate(commands(page.read_text(encoding="utf-8")), 1):
        script = f"{command.text}\n__rc=$?\npwd > '{where}'\nexit $__rc\n"
        proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=120)
        output = proc.stdout + proc.stderr
        assert proc.returncode == command.expected, (
            f"command {number} of {name} exited {proc.returncode}, "
            f"the page says {command.expected}:\n$ {command.text}\n{output}"
        )
        for line in filter(_checkable, command.shown):
            assert line.strip() in output, (
                f"{name} shows {line.strip()!r} after command {number}, but it printed:\n{output}"
            )
        cwd = Path(where.read_text(encoding="utf-8").strip())
        if stay_inside:
            assert tmp_path in (cwd, *cwd.parents), f"command {number} left the working directory: {cwd}"
    return cwd
