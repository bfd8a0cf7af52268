"""A project of manifests on its own embedded sandbox, driven through the CLI as users run it.

Why the CLI in this process (`invoke`) on `--sandbox DB`: the shape tests are about what a
user sees and what ends up in Pipedrive, through the real planner, applier, client and
sandbox; checks of the live account go through the sandbox's API (`Project.api`), never
through reconciler's own reading, so a bug in reading cannot hide a bug in writing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import InProcess, Result, check_plan_json, invoke


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "crm"
        self.path.mkdir(parents=True, exist_ok=True)
        self.db = root / "sandbox.db"

    def write(self, name: str, data: dict | str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        target.write_text(text, encoding="utf-8")
        return target

    def run(self, *args: str, path: Path | None = None) -> Result:
        command, rest = args[0], list(args[1:])
        if command in ("plan", "apply", "validate") and "--plan" not in rest:
            rest = [str(path or self.path), *rest]
        if command not in ("validate", "show"):
            rest += ["--sandbox", str(self.db)]
        return invoke([command, *rest])

    def ok(self, *args: str, path: Path | None = None) -> Result:
        result = self.run(*args, path=path)
        assert result.code == 0, result.both
        return result

    def plan_json(self, *args: str, path: Path | None = None) -> dict:
        return check_plan_json(json.loads(self.ok("plan", "--format", "json", *args, path=path).out))

    def apply(self, *args: str, path: Path | None = None) -> Result:
        return self.ok("apply", "--auto-approve", *args, path=path)

    def lock(self, name: str = "reconciler.lock") -> dict:
        return json.loads((self.path / name).read_text(encoding="utf-8"))

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call to the sandbox's API (not through reconciler)."""
        sandbox = InProcess(str(self.db))
        try:
            return sandbox.call(method, path, **kwargs)
        finally:
            sandbox.close()

    def deal_field(self, name: str) -> dict:
        """A deal field of the live account by name, as v1 lists it (key, options with ids, in order)."""
        fields = self.api("GET", "/api/v1/dealFields", params={"limit": 500})
        return next(f for f in fields if f["name"] == name)

    def deals(self) -> dict[str, dict]:
        """Live deals by title (v2, custom fields by key)."""
        return {d["title"]: d for d in self.api("GET", "/api/v2/deals", params={"limit": 500})}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)
