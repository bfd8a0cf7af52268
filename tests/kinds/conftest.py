"""The shape tests' project (manifests on an embedded sandbox, driven through the CLI)."""

from tests.shape.conftest import Project, project  # noqa: F401
