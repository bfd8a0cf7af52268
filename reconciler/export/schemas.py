"""Editor support in the user's project: the JSON Schemas beside the manifests, and a modeline in each.

Why: the schemas shipped inside the package are at a path only this repository knows, so a
modeline pointing there gave "Unable to load schema" in a user's project. `export` therefore
writes the schemas of the version that exported (manifest.schema.json and one per kind) into
the project's `schemas/` directory, and starts every manifest with
`# yaml-language-server: $schema=<relative path>`, which the YAML language server (VS Code's
YAML extension, Neovim, Helix, ...) resolves from the file itself: no network, and the schemas
stay in step with the manifests in git. Each schema's $id names its version.
"""

from __future__ import annotations

from importlib import resources

from reconciler.manifest.schema import MANIFEST_FILE

SCHEMA_DIR = "schemas"  # under the export's output directory
_NOT_FOR_MANIFESTS = ("plan.schema.json",)  # the plan JSON's schema: not for editing manifests


def modeline(relative: str) -> str:
    """The first line of a manifest at `relative` (a POSIX path under the output directory)."""
    up = "../" * relative.count("/")
    return f"# yaml-language-server: $schema={up}{SCHEMA_DIR}/{MANIFEST_FILE}\n"


def packaged_schemas() -> dict[str, str]:
    """File name -> text of the manifest schemas this version ships."""
    folder = resources.files("reconciler") / "schemas"
    return {entry.name: entry.read_text(encoding="utf-8") for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".schema.json") and entry.name not in _NOT_FOR_MANIFESTS}
