"""The state tests' project: examples/ applied once per module to the embedded sandbox, then a
fresh copy (files, lock and sandbox database) for each test, so tests never share state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.examples_project import ExamplesProject, apply_examples_once, copy_applied


@pytest.fixture(scope="module")
def applied_examples(tmp_path_factory) -> Path:
    return apply_examples_once(tmp_path_factory)[0]


@pytest.fixture
def project(applied_examples: Path, tmp_path: Path) -> Iterator[ExamplesProject]:
    yield ExamplesProject(*copy_applied(applied_examples, tmp_path))
