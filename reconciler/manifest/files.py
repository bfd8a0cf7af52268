"""Which files a set of PATHs names, and a digest of their content.

Shared by the loader (what to read) and by saved plans (were the manifests changed since
the plan was made?), so both always agree on what "the manifests" are.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence

from reconciler.manifest.model import Position, Problem


def project_excludes(paths: Sequence[str | os.PathLike[str]]) -> frozenset[str]:
    """The directories a read of these PATHs leaves out: the environments' overlays declared in
    the first PATH's reconciler.toml (each is read only for its own `--env`, over the rest)."""
    if not paths:
        return frozenset()
    from reconciler.config import overlay_dirs

    return frozenset(str(d) for d in overlay_dirs(os.fspath(paths[0])))


def collect_files(paths: Sequence[str | os.PathLike[str]], problems: list[Problem],
                  exclude: frozenset[str] | None = None, *, allow_empty: bool = False) -> list[tuple[str, str]]:
    """(display path, real path) of every manifest, sorted by display path, each once.

    Directories are read recursively for *.yaml and *.yml; hidden files and directories
    (.git, .github, .reconciler) are skipped, as they hold tooling, never manifests, and so
    are the directories in `exclude` (real paths; default: the project's overlays) found
    below a PATH (a PATH given itself is always read).
    """
    if exclude is None:
        exclude = project_excludes(paths)
    found: dict[str, str] = {}
    for raw in paths:
        given = os.fspath(raw)
        if os.path.isdir(given):
            count = 0
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                     and not (exclude and os.path.realpath(os.path.join(dirpath, d)) in exclude))
                real_dir = os.path.realpath(dirpath)  # once per directory: an export writes thousands of files
                for name in sorted(filenames):
                    if name.startswith(".") or not name.lower().endswith((".yaml", ".yml")):
                        continue
                    full = os.path.join(dirpath, name)
                    real = os.path.realpath(full) if os.path.islink(full) else os.path.join(real_dir, name)
                    found.setdefault(real, full)
                    count += 1
            if count == 0 and not allow_empty:  # an overlay may override nothing (yet)
                problems.append(
                    Problem(Position(given, 1, 1), "no manifests (*.yaml, *.yml) in this directory")
                )
        elif os.path.exists(given):
            found.setdefault(os.path.realpath(given), given)
        else:
            problems.append(Problem(Position(given, 1, 1), "no such file or directory"))
    return sorted(((display, real) for real, display in found.items()), key=lambda pair: pair[0])


def manifests_digest(paths: Sequence[str | os.PathLike[str]], read: Mapping[str, bytes] | None = None) -> str | None:
    """A digest of the manifest files under PATHs (names relative to their PATH, and contents).

    An environment's overlay is one of the PATHs when it was read (session.plan_run); the
    others' overlays are left out, as when reading. None when a PATH is missing or
    unreadable: the digest is then unknown, not different. `read` holds the sha256 of the
    files a load read (Manifest.hashes, by real path): their content is not read again,
    and the digest is of what the plan was made from.
    """
    problems: list[Problem] = []
    files = collect_files(paths, problems)
    if problems:
        return None
    digest = hashlib.sha256()
    roots = [os.path.realpath(os.fspath(p)) for p in paths]
    for _display, real in sorted(files, key=lambda pair: pair[1]):
        root = next((r for r in roots if real == r or real.startswith(r + os.sep)), os.path.dirname(real))
        # relative to the PATH it was found under (the file's name when the PATH is the file)
        name = real[len(root) + 1:] if real.startswith(root + os.sep) else os.path.basename(real)
        content_hash = (read or {}).get(real)
        if content_hash is None:
            try:
                with open(real, "rb") as handle:
                    content_hash = hashlib.sha256(handle.read()).digest()
            except OSError:
                return None
        digest.update(name.replace(os.sep, "/").encode() + b"\0" + content_hash)
    return "sha256:" + digest.hexdigest()
