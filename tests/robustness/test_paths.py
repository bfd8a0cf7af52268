"""Files the tool writes stay where the user pointed (issue 8).

What the tool writes: `reconciler.lock` beside the first PATH, `reconciler.lock.lck` next
to it (apply's project lock), the plan of `plan --out FILE`, and the temporary files of
its atomic writes (in the same directory, removed after the rename).

The policy these tests pin down (decided here, reported to the lead):
- a path is used as given: relative to the working directory, `..` included, directories
  in it followed even when they are symbolic links, because that is where the user
  pointed;
- the last component is never written through a symbolic link: the lock and `--out` are
  written by an atomic rename, which replaces a link with a regular file and leaves the
  link's target untouched; the project lock (`.lck`) refuses a link (O_NOFOLLOW) rather
  than create or open a file elsewhere;
- a symlinked `reconciler.lock` is still *read* through the link (its ids are trusted only
  if it belongs to the same account), then replaced by a regular file on the first write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import run_cli


def _project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "m.yaml").write_text("organizations:\n  o: {name: Paths Org}\n")
    return root


def _leftovers(*dirs: Path) -> list[str]:
    return [str(p) for d in dirs for p in d.glob(".*.tmp")]


def test_lock_and_plan_land_exactly_where_pointed(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    db = str(tmp_path / "s.db")
    result = run_cli("apply", "../proj/m.yaml", "--auto-approve", "--sandbox", db, cwd=cwd)
    assert result.code == 0, result.err
    assert json.loads((project / "reconciler.lock").read_text())["resources"]["organization"] == {"o": 1}
    planned = run_cli("plan", "../proj", "--out", "../plans/2027/plan.json", "--sandbox", db, cwd=cwd)
    assert planned.code == 0, planned.err
    assert json.loads((tmp_path / "plans" / "2027" / "plan.json").read_text())["format_version"] == 1
    assert list(cwd.iterdir()) == [], "nothing is written in the working directory"
    assert sorted(p.name for p in project.iterdir()) == ["m.yaml", "reconciler.lock", "reconciler.lock.lck"]
    assert not _leftovers(project, tmp_path / "plans" / "2027")


def test_a_symlinked_lock_is_replaced_never_written_through(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.lock"
    victim.write_text('{"format_version": 1, "resources": {}}\n')
    (project / "reconciler.lock").symlink_to(victim)
    result = run_cli("apply", str(project), "--auto-approve", "--sandbox", str(tmp_path / "s.db"))
    assert result.code == 0, result.err
    assert victim.read_text() == '{"format_version": 1, "resources": {}}\n', "the link's target is untouched"
    lock = project / "reconciler.lock"
    assert not lock.is_symlink() and json.loads(lock.read_text())["resources"]["organization"] == {"o": 1}


def test_a_symlinked_out_file_is_replaced_never_written_through(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "plan.json"
    out.symlink_to(victim)
    result = run_cli("plan", str(project), "--out", str(out), "--sandbox", str(tmp_path / "s.db"))
    assert result.code == 0, result.err
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink() and json.loads(out.read_text())["summary"]["create"] == 1


def test_a_symlinked_project_lock_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    target = tmp_path / "outside" / "created.lck"
    target.parent.mkdir()
    (project / "reconciler.lock.lck").symlink_to(target)
    result = run_cli("apply", str(project), "--auto-approve", "--sandbox", str(tmp_path / "s.db"))
    assert result.code == 1
    assert "reconciler.lock.lck is a symbolic link" in result.err and "Traceback" not in result.err
    assert not target.exists(), "no file is created through the link"
    assert not (project / "reconciler.lock").exists(), "nothing was applied"


def test_an_out_directory_that_is_a_symlink_is_followed(tmp_path: Path) -> None:
    """A link among the directories is where the user pointed: followed, by design."""
    project = _project(tmp_path / "proj")
    real = tmp_path / "real-plans"
    real.mkdir()
    (tmp_path / "plans").symlink_to(real, target_is_directory=True)
    result = run_cli("plan", str(project), "--out", "plans/p.json", "--sandbox", str(tmp_path / "s.db"),
                     cwd=tmp_path)
    assert result.code == 0, result.err
    assert (real / "p.json").is_file() and not _leftovers(real)


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    """Atomic writes go through mkstemp (0600); the lock is meant to be committed and shared."""
    project = _project(tmp_path / "proj")
    db = str(tmp_path / "s.db")
    assert run_cli("apply", str(project), "--auto-approve", "--sandbox", db).code == 0
    lock = project / "reconciler.lock"
    assert os.stat(lock).st_mode & 0o777 == 0o644
    os.chmod(lock, 0o664)
    (project / "m.yaml").write_text("organizations:\n  o: {name: Paths Org}\n  p: {name: Other Org}\n")
    assert run_cli("apply", str(project), "--auto-approve", "--sandbox", db).code == 0
    assert os.stat(lock).st_mode & 0o777 == 0o664, "an existing lock keeps its mode"
    assert run_cli("plan", str(project), "--out", str(tmp_path / "p.json"), "--sandbox", db).code == 0
    assert os.stat(tmp_path / "p.json").st_mode & 0o777 == 0o644
