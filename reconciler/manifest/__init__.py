"""Manifests: YAML files → positioned resources, with schema and reference checks.

`load_manifests` is the single entry point; it never raises for a user's mistake and
returns every problem at once, sorted by position, so `reconciler validate` can show them all.
The loader is imported on first use: the model is needed by modules the loader itself
imports (the kinds table and the field types).
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.model import Manifest, Position, Problem, Reference, Resource

__all__ = ["Manifest", "Position", "Problem", "Reference", "Resource", "load_manifests"]


def __getattr__(name: str) -> Any:
    if name == "load_manifests":
        from reconciler.manifest.loader import load_manifests

        return load_manifests
    raise AttributeError(name)
