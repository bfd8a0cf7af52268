"""Semantic checks: what JSON Schema cannot say about one resource or the whole set.

All rules come from the kinds table (parents, parent_count, required_on_create, ref
fields), so a new kind gets them without a line here. Messages say what is wrong and what
to do, and point at the line that has to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import kinds
from reconciler.fieldtypes import FieldType, article, suggest  # noqa: F401  (suggest: re-exported)
from reconciler.kinds import KindSpec
from reconciler.manifest.model import Manifest, Position, Problem, Reference, Resource


def _count_words(n: int) -> str:
    return {1: "one parent"}.get(n, f"{n} parents")


def resource_problems(kind: KindSpec, res: Resource, data: Mapping[str, Any]) -> list[Problem]:
    """Rules about one resource: parents, fields needed to create it, protect vs absent.

    `data` is every key the user wrote (even ones that failed the schema), so a field with a
    wrong value is not also reported as missing. Creating needs the required fields and the
    minimum of parents; a resource pinned by `id` or declared `absent` is never created, so
    only the maximum of parents applies to it (two parents are wrong whatever happens).
    """
    problems: list[Problem] = []
    creates = res.id is None and not res.absent and "id" not in data
    declared = [p for p in kind.parents if data.get(p) is not None]
    low, high = kind.parent_count
    if len(declared) > high:
        extra = declared[high]
        limit = "exactly one parent" if low == high == 1 else f"at most {_count_words(high)}"
        problems.append(
            Problem(
                res.field_pos.get(extra, res.pos),
                f"{article(kind.name)} has {limit}, but {kind.name} '{res.key}' declares "
                f"{len(declared)}: {', '.join(declared)}",
            )
        )
    if kind.exclusive_parents and all(p in declared for p in kind.exclusive_parents[0]):
        both = kind.exclusive_parents[0]
        problems.append(Problem(res.field_pos.get(both[-1], res.pos),
                                f"{kind.name} '{res.key}' declares both {' and '.join(both)}: "
                                f"{kind.exclusive_parents[1]}; keep one"))
    refused = kind.hooks.validate(data)  # what Pipedrive refuses whatever the account holds
    if refused is not None:
        problems.append(Problem(res.field_pos.get(refused[0], res.pos), f"{kind.name} '{res.key}' {refused[1]}"))
    if creates and len(declared) < low:
        options = ", ".join(kind.parents)
        need = "exactly one parent" if low == high == 1 else f"at least {_count_words(low)}"
        problems.append(
            Problem(res.pos, f"{kind.name} '{res.key}' needs {need}: declare one of {options}")
        )
    if creates:
        for name in kind.required_on_create:
            if name not in data:
                problems.append(
                    Problem(
                        res.pos,
                        f"{kind.name} '{res.key}' has no '{name}', which is needed to create it "
                        "(or pin an existing object with id: N)",
                    )
                )
    if data.get("protect") is True and data.get("absent") is True:
        problems.append(
            Problem(
                res.field_pos.get("absent", res.pos),
                "'protect: true' and 'absent: true' contradict each other: a protected object can "
                "never be deleted; remove one of them",
            )
        )
    return problems


def move_problems(manifest: Manifest) -> list[Problem]:
    """A `moved` entry carries a key's identity to a key the manifests declare, from one they do not."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Position] = {}
    for move in manifest.moves:
        if manifest.get(move.kind, move.new) is None:
            problems.append(Problem(move.pos, f"moved to {move.kind}.{move.new}, which no manifest declares"))
        if manifest.get(move.kind, move.old) is not None:
            problems.append(Problem(move.pos, f"moved from {move.kind}.{move.old}, which the manifests still declare: "
                                              "a key is either moved or declared"))
        first = seen.setdefault((move.kind, move.old), move.pos)
        if first is not move.pos:
            problems.append(Problem(move.pos, f"{move.kind}.{move.old} is moved twice (first at line {first.line})"))
    return problems


def removal_problems(manifest: Manifest) -> list[Problem]:
    """A `removed` entry lets go of a key the manifests no longer declare, once."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Position] = {}
    moved_from = {(move.kind, move.old) for move in manifest.moves}
    for removal in manifest.removals:
        address = f"{removal.kind}.{removal.key}"
        if manifest.get(removal.kind, removal.key) is not None:
            problems.append(Problem(removal.pos, f"removed {address}, which the manifests still declare: a key "
                                                 "is either removed or declared"))
        if (removal.kind, removal.key) in moved_from:
            problems.append(Problem(removal.pos, f"{address} is both moved and removed"))
        first = seen.setdefault((removal.kind, removal.key), removal.pos)
        if first is not removal.pos:
            problems.append(Problem(removal.pos, f"{address} is removed twice (first at line {first.line})"))
    return problems


def reference_problems(manifest: Manifest, maybe_declared: set[tuple[str, str]] | None = None) -> list[Problem]:
    """Every reference by key must name a declared, present resource of the right kind.

    `maybe_declared`: keys a file that could not be parsed seems to declare: not reported missing.
    """
    maybe_declared = maybe_declared or set()
    problems: list[Problem] = []
    keys_by_kind: dict[str, list[str]] = {k.name: [] for k in kinds.KINDS}
    for res in manifest.resources:
        keys_by_kind.setdefault(res.kind, []).append(res.key)
    for res in manifest.resources:
        spec_of = kinds.kind(res.kind)
        names = spec_of.reference_names  # the fields whose type can hold references
        for name, value in res.fields.items():
            if name not in names:
                continue  # a type that never holds references: no look-up, no call per field
            spec = spec_of.field(name)
            for ref in spec.type.references(spec, value):
                if ref.key is None or (ref.kind, ref.key) in maybe_declared:
                    continue
                problem = _reference_problem(manifest, res, spec.name, ref, keys_by_kind)
                if problem is not None:
                    problems.append(problem)
    return problems


def _reference_problem(
    manifest: Manifest, res: Resource, field: str, ref: Reference, keys_by_kind: dict[str, list[str]]
) -> Problem | None:
    key = ref.key or ""
    target = manifest.get(ref.kind, key)
    pos: Position = ref.pos
    if target is None:
        elsewhere = [k.name for k in kinds.KINDS if k.name != ref.kind and manifest.get(k.name, key)]
        if elsewhere:
            return Problem(
                pos, f"'{key}' is {article(elsewhere[0])}, but '{field}' must name {article(ref.kind)}"
            )
        hint = suggest(key, keys_by_kind.get(ref.kind, []))
        return Problem(pos, f"field '{field}' names {ref.kind} '{key}', which no manifest declares{hint}")
    if target.absent and not res.absent:
        return Problem(
            pos,
            f"field '{field}' names {ref.kind} '{key}', which is declared absent: true "
            f"(at {target.pos.file}:{target.pos.line}) and will be deleted",
        )
    return None
