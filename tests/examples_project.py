"""examples/ applied once per test module to its own sandbox database, and a copy per test.

The CLI tests of plan, apply, drift and pull all start from the same state: the example
manifests applied to an empty embedded sandbox. Applying is the slow part, so a module
applies once (`apply_examples_once`) and each test works on a copy (`copy_applied`), with
the helpers those tests share on `ExamplesProject`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import InProcess, Result, check_plan_json, copy_examples, invoke

BOB = {"X-Sandbox-User": "bob@example.com"}  # a change "made in Pipedrive" by another user
_TAKE_PATHS = ("plan", "apply", "pull")


class ExamplesProject:
    """A copy of examples/ and the sandbox database it was applied to."""

    def __init__(self, path: Path, db: Path) -> None:
        self.path = path
        self.db = db

    def run(self, *args: str) -> Result:
        """A command on this project's sandbox; plan, apply and pull get the project's path
        (apply --plan FILE does not: it applies the saved plan)."""
        command, rest = args[0], list(args[1:])
        if command in _TAKE_PATHS and "--plan" not in rest:
            rest = [str(self.path), *rest]
        return invoke([command, *rest, "--sandbox", str(self.db)])

    def plan_json(self, *args: str, code: int = 0) -> dict:
        result = self.run("plan", "--format", "json", *args)
        assert result.code == code, result.err
        return check_plan_json(json.loads(result.out))

    def edit(self, file: str, old: str, new: str, count: int = 1) -> None:
        target = self.path / "accounts" / file
        text = target.read_text(encoding="utf-8")
        assert text.count(old) >= count, f"{old!r} not in {file}"
        target.write_text(text.replace(old, new, count), encoding="utf-8")

    def lock(self) -> dict:
        return json.loads((self.path / "reconciler.lock").read_text())

    def id(self, kind: str, key: str) -> Any:
        return self.lock()["resources"][kind][key]

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call to this project's sandbox, as Pipedrive's API (`headers=BOB` to act as Bob)."""
        sandbox = InProcess(str(self.db))
        try:
            return sandbox.call(method, path, **kwargs)
        finally:
            sandbox.close()

    def stage_id(self, deal_id: int, name: str) -> int:
        """The id of the stage called `name` in the deal's pipeline."""
        deal = self.api("GET", f"/api/v2/deals/{deal_id}")
        stages = self.api("GET", "/api/v2/stages", params={"limit": 500})
        return next(s["id"] for s in stages if s["pipeline_id"] == deal["pipeline_id"] and s["name"] == name)


def apply_examples_once(tmp_path_factory: Any) -> tuple[Path, Result]:
    """examples/ copied and applied to a new sandbox database; the directory holding both."""
    base = tmp_path_factory.mktemp("examples")
    copy_examples(base / "project")
    result = invoke(["apply", str(base / "project"), "--auto-approve", "--sandbox", str(base / "sandbox.db")])
    assert result.code == 0, result.err
    return base, result


def copy_applied(base: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A test's own copy of an applied project and its database: (project, database)."""
    shutil.copytree(base / "project", tmp_path / "project")
    for db in base.glob("sandbox.db*"):
        shutil.copy(db, tmp_path / db.name)
    return tmp_path / "project", tmp_path / "sandbox.db"


def examples_fixtures(project_class: type[ExamplesProject] = ExamplesProject) -> tuple[Any, Any]:
    """The fixtures `applied_examples` (once per module) and `project` (a copy per test, as
    `project_class`): `applied_examples, project = examples_fixtures(MyProject)` in a test module."""

    @pytest.fixture(scope="module")
    def applied_examples(tmp_path_factory) -> Path:
        return apply_examples_once(tmp_path_factory)[0]

    @pytest.fixture
    def project(applied_examples: Path, tmp_path: Path) -> Iterator[ExamplesProject]:
        yield project_class(*copy_applied(applied_examples, tmp_path))

    return applied_examples, project
