"""Fixtures for the export tests: the embedded sandbox through the CLI, as users run export.

Why the embedded sandbox (`--sandbox FILE`): export, plan and apply then share one SQLite
file with no server to start, and each test gets a fresh account in its own tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Result, copy_examples, invoke


def rc(*args: str) -> Result:
    """`reconciler ARGS` in this process; fast rate limit so tests do not wait on the pacing.

    With ``--api-version v1`` the embedded sandbox serves Pipedrive's deprecated v1 routes
    (RECONCILER_SANDBOX_DEPRECATED_V1), as an old account would still answer them.
    """
    served = {"RECONCILER_SANDBOX_DEPRECATED_V1": "1"} if "v1" in args and "--api-version" in args else None
    return invoke(list(args), served)


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """A sandbox database holding examples/ applied once; returns the database path."""
    project = tmp_path / "project"
    copy_examples(project)
    db = tmp_path / "sandbox.db"
    result = rc("apply", str(project), "--sandbox", str(db), "--auto-approve")
    assert result.code == 0, result.both
    return db
