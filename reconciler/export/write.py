"""Writing an export: the manifests and the lock, never outside the output directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reconciler.export.convert import ExportFiles
from reconciler.export.emit import render_file
from reconciler.export.errors import ExportError, ExportProgress
from reconciler.export.paths import _visible_entries, old_manifests, safe_path
from reconciler.export.schemas import SCHEMA_DIR, modeline, packaged_schemas
from reconciler.lock import LOCK_NAME, LockError, LockFile


def _write_text(path: Path, text: str) -> None:
    """Write a file without following a symlink at its place (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_export(
    root: Path,
    built: ExportFiles,
    account: dict[str, Any],
    *,
    force: bool,
    progress: ExportProgress,
    lock_name: str = LOCK_NAME,
) -> tuple[list[str], list[str]]:
    """Write the manifests and the lock (`lock_name`: an environment's is reconciler.NAME.lock)
    under root; return (written, removed) relative paths."""
    root.mkdir(parents=True, exist_ok=True)
    if not force and _visible_entries(root):  # it filled up while we were reading
        raise ExportError(f"{root} is no longer empty; pass --force to replace its manifests")
    targets = {rel: safe_path(root, rel) for rel in sorted(built.files)}
    lock_path = safe_path(root, lock_name)
    removed = []
    if force:
        for rel in old_manifests(root):
            if rel not in targets:
                os.unlink(safe_path(root, rel))
                removed.append(rel)
    name = " ".join(str(account.get("company_name")).split())  # one comment line, whatever the name
    header = (f"# Exported by `reconciler export` from {name} (company {account.get('company_id')}).\n"
              "# Keys are derived from names; reconciler.lock maps each key to its Pipedrive id.\n")
    progress.writing(len(targets))
    for rel, path in targets.items():
        parent = path.parent
        if parent != root:
            parent.mkdir(parents=True, exist_ok=True)
            safe_path(root, str(parent.relative_to(root)).replace(os.sep, "/"))  # not swapped for a link
        _write_text(path, render_file(built.files[rel], modeline(rel) + header))
        progress.wrote(1)
    schemas = safe_path(root, SCHEMA_DIR)  # what the modelines point at: editors check the manifests offline
    schemas.mkdir(exist_ok=True)
    for name, text in packaged_schemas().items():
        _write_text(safe_path(root, f"{SCHEMA_DIR}/{name}"), text)
    lock = LockFile(path=lock_path,
                    account={"company_id": account.get("company_id"), "company_name": account.get("company_name")})
    lock.resources = {kind_name: dict(entries) for kind_name, entries in built.lock.items()}
    try:
        lock.save()
    except OSError as exc:
        raise LockError(f"{lock_path}: cannot write the lock file ({exc})") from None
    progress.done()
    return list(targets), removed


def previous_keys(root: Path, company_id: int | None, lock_name: str = LOCK_NAME) -> dict[str, dict[str, int]]:
    """Key → id from a lock already in root, when it belongs to this account, so keys stay put."""
    path = root / lock_name
    if not path.is_file() or path.is_symlink():
        return {}
    try:
        lock = LockFile.read(path)
    except LockError:
        return {}
    if lock.account is None or lock.account.get("company_id") != company_id:
        return {}
    return lock.resources
