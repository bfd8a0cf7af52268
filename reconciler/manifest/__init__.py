"""Manifests: YAML files → positioned resources, with schema and reference checks.

`load_manifests` is the single entry point; it never raises for a user's mistake and
returns every problem at once, sorted by position, so `reconciler validate` can show them all.
"""

from __future__ import annotations

from reconciler.manifest.loader import load_manifests
from reconciler.manifest.model import Manifest, Position, Problem, Reference, Resource

__all__ = ["Manifest", "Position", "Problem", "Reference", "Resource", "load_manifests"]
