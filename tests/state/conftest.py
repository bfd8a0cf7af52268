"""The state tests' project: examples/ applied once per module to the embedded sandbox, then a
fresh copy (files, lock and sandbox database) for each test, so tests never share state."""

from __future__ import annotations

from tests.examples_project import examples_fixtures

applied_examples, project = examples_fixtures()
