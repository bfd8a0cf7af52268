"""Where export may write: the output directory's checks, and paths that cannot leave it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from reconciler.export.errors import ExportError


def _visible_entries(directory: Path) -> list[str]:
    """Entries a user would call content: hidden ones (.git, .reconciler) do not count.

    Why: `git init` then `export --out .` is the natural way to start a repository, and the
    embedded sandbox keeps its database in `.reconciler/`.
    """
    return sorted(name for name in os.listdir(directory) if not name.startswith("."))


def check_out_dir(out_dir: Path, force: bool) -> Path:
    """The resolved output directory; refuse a file, or a non-empty directory without force.

    Called before any network call, so a mistake costs nothing.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and not force:
        entries = _visible_entries(out_dir)
        if entries:
            shown = ", ".join(entries[:5]) + (" …" if len(entries) > 5 else "")
            raise ExportError(
                f"{out_dir} is not empty ({shown}); choose an empty directory, or pass --force to "
                "replace the manifests and the lock in it"
            )
    return out_dir.resolve()


# Names Windows reserves for devices, whatever the extension (`con.yaml` is the console): Git for
# Windows refuses to check them out, so a repository holding one cannot be cloned there.
RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$",
                            *(f"{device}{n}" for device in ("com", "lpt") for n in (*"123456789", "¹", "²", "³"))})
_NOT_PORTABLE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def portable_name(stem: str) -> str:
    """A file name stem every OS accepts: no reserved device name (con, aux, nul, com1..9,
    lpt1..9), no character Windows refuses, no trailing dot or space (Windows drops them)."""
    name = _NOT_PORTABLE.sub("_", stem)
    name = re.sub(r"[. ]+$", lambda m: "_" * len(m.group(0)), name) or "_"
    first, dot, rest = name.partition(".")
    if first.rstrip(" ").lower() in RESERVED_NAMES:  # `con.x.yaml` is the console too
        name = f"{first}_{dot}{rest}"
    return name


def safe_path(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that could land outside root.

    A relative path of plain names only (no absolute path, no `..`, no empty part), and no
    existing component below root that is a symlink: following one could write anywhere.
    """
    parts = relative.split("/")
    if not relative or relative.startswith("/") or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise ExportError(f"refusing to write {relative!r}: not a plain relative path")
    path = root
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise ExportError(f"refusing to write {path}: it is a symbolic link, which could lead outside {root}")
    return path


def old_manifests(root: Path) -> list[str]:
    """Manifest files already under root, as the loader would read them (hidden paths skipped).

    With --force they are removed first: a leftover manifest would be read by the next
    plan and break the round trip. Symlinked directories are not entered.
    """
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            found.append(str((Path(dirpath) / name).relative_to(root)).replace(os.sep, "/"))
    return sorted(found)
