"""Where export writes: never over a user's work unless told, never outside DIR.

Why so careful: export writes thousands of files into a directory the user names, and the
next `plan` reads every manifest there. A leftover file would break the round trip; a
symlink followed out of DIR could overwrite anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.export import ExportError, check_out_dir, old_manifests, safe_path
from tests.conftest import run_cli

from .conftest import rc


def test_refuses_a_non_empty_directory_before_connecting(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    db = tmp_path / "never.db"
    result = rc("export", "--out", str(out), "--sandbox", str(db))
    assert result.code == 1
    assert "not empty" in result.err and "--force" in result.err
    assert not db.exists()  # refused before any connection was opened
    assert sorted(os.listdir(out)) == ["notes.txt"]


def test_hidden_entries_do_not_count(applied: Path, tmp_path: Path) -> None:
    """`git init && reconciler export --out .` is the natural start of a repository."""
    out = tmp_path / "repo"
    (out / ".git").mkdir(parents=True)
    result = rc("export", "--out", str(out), "--sandbox", str(applied))
    assert result.code == 0, result.both
    assert (out / "reconciler.lock").exists()


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = run_cli("export", "--out", str(target), "--sandbox", str(tmp_path / "db.db"))
    assert result.code == 1  # as the installed program exits: usage errors are 1, never 2
    assert "is a file" in result.err


def test_force_replaces_manifests_and_removes_leftovers(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "old").mkdir(parents=True)
    (out / "old" / "ghost.yaml").write_text("organizations:\n  ghost:\n    name: Ghost Ltd\n", encoding="utf-8")
    (out / "README.md").write_text("keep me\n", encoding="utf-8")
    (out / ".github").mkdir()
    (out / ".github" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    result = rc("export", "--out", str(out), "--sandbox", str(applied), "--force")
    assert result.code == 0, result.both
    assert not (out / "old" / "ghost.yaml").exists()
    assert "ghost.yaml" in result.err  # said so
    assert (out / "README.md").read_text(encoding="utf-8") == "keep me\n"
    assert (out / ".github" / "ci.yml").exists()  # hidden: not a manifest, never touched
    assert rc("plan", str(out), "--sandbox", str(applied), "--detailed-exitcode").code == 0


def test_never_follows_a_symlink_out_of_dir(applied: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "accounts").symlink_to(outside, target_is_directory=True)
    result = rc("export", "--out", str(out), "--sandbox", str(applied), "--force")
    assert result.code == 1
    assert "symbolic link" in result.err
    assert os.listdir(outside) == []
    assert not (out / "reconciler.lock").exists()  # refused before writing anything


def test_never_writes_through_a_symlinked_file(applied: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "reconciler.lock").symlink_to(victim)
    result = rc("export", "--out", str(out), "--sandbox", str(applied), "--force")
    assert result.code == 1
    assert victim.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("bad", ["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", "a//b.yaml", "./x.yaml", ""])
def test_safe_path_refuses_anything_but_plain_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ExportError):
        safe_path(tmp_path, bad)


def test_safe_path_accepts_nested_plain_names(tmp_path: Path) -> None:
    assert safe_path(tmp_path, "accounts/acme.yaml") == tmp_path / "accounts" / "acme.yaml"


def test_check_out_dir_creates_nothing(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new", force=False)
    assert not (tmp_path / "new").exists()


def test_old_manifests_skips_hidden_and_symlinked_dirs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.yaml").write_text("", encoding="utf-8")
    (tmp_path / "b.yml").write_text("", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.yaml").write_text("", encoding="utf-8")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "z.yaml").write_text("", encoding="utf-8")
    (tmp_path / "link").symlink_to(elsewhere, target_is_directory=True)
    assert old_manifests(tmp_path) == ["a/x.yaml", "b.yml"]
