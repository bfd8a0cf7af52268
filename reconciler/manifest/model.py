"""The public data model of loaded manifests.

Every later stage (references, identity, plan, apply, render) works on these values, never
on YAML nodes, so the loader is the only module that knows about pyyaml. Each value keeps
the source position it came from: every error anywhere in the pipeline can then point the
user at FILE:LINE:COL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Position(NamedTuple):
    """A place in a manifest file; line and column are 1-based, as editors show them.

    A named tuple, not a dataclass: a plan of 10,000 resources keeps ~100,000 of them, and
    a tuple is made about three times faster than a frozen dataclass and holds no __dict__.
    """

    file: str
    line: int
    col: int


@dataclass(frozen=True)
class Problem:
    """One error found in the manifests, printed as one `FILE:LINE:COL: error: MESSAGE` line."""

    pos: Position
    message: str

    def __str__(self) -> str:
        return f"{self.pos.file}:{self.pos.line}:{self.pos.col}: error: {_one_line(self.message)}"


def _one_line(message: str) -> str:
    """Messages quote users' values; a line break or control character in one (\\n, NEL, U+2028)
    must not split the problem's line, so such characters are shown escaped."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


@dataclass(frozen=True, slots=True)
class Reference:
    """The value of a REF field: another resource by manifest key, or a live object by id."""

    kind: str  # the referenced kind, singular ("organization")
    key: str | None  # a manifest key, or None when given as {id: N}
    id: int | None  # the {id: N} form
    pos: Position


@dataclass(slots=True)
class Resource:
    """One declared resource.

    `fields` holds only the kind fields the manifest declares (the meta keys id, absent,
    protect and ignore_changes are attributes), in the order the manifest declares them: a field left out is
    never managed, and `None` declares "empty". Value shapes per kinds type:
    STRING/TEXT/STAGE/PIPELINE/USER/VISIBILITY/ENUM → str; NUMBER → int | float; BOOL → bool;
    DATE → "YYYY-MM-DD"; TIME → "HH:MM"; EMAILS/PHONES → list[str]; REF → Reference;
    CUSTOM → dict name → scalar | list of labels | {"value": n, "currency": "USD"}.
    """

    kind: str  # singular: organization | person | deal | note | activity
    key: str
    fields: dict[str, Any]
    id: int | None
    absent: bool
    protect: bool
    pos: Position  # position of the resource's key
    field_pos: dict[str, Position]  # each declared field's value; custom fields as "fields.<Name>"
    # ignore_changes: None (not declared: the kind's default applies), "all", or field labels
    # (custom fields as "fields.<Name>"): set on create, never compared or written afterwards
    ignore_changes: tuple[str, ...] | str | None = None

    @property
    def address(self) -> str:
        """The `kind.key` form used by plans and `--target`."""
        return f"{self.kind}.{self.key}"


@dataclass(frozen=True)
class Move:
    """`moved: [{from: organization.acme, to: organization.acme-corp}]`: a key renamed.

    The object the old key named is the new key's: its identity carries over (the lock's
    entry moves), nothing is deleted or created (Terraform's `moved` blocks).
    """

    kind: str
    old: str
    new: str
    pos: Position


@dataclass(frozen=True)
class Removal:
    """`removed: [{from: deal.acme-old, destroy: false}]`: stop managing a key the lock holds.

    The key has left the manifests; with `destroy: false` its object stays in Pipedrive and
    only the lock's entry goes (Terraform's `removed` block), reviewed in git like any change.
    `destroy: true` deletes it, as removing the key alone does.
    """

    kind: str
    key: str
    destroy: bool
    pos: Position


@dataclass(frozen=True, slots=True)
class FileRead:
    """What one file gave the loader: kept (FileReads) so that a later load of the same bytes
    (pull's load of the files it just rewrote, beside the ones it did not touch) takes it instead
    of parsing the file again. Resources are never changed after loading (a plan's completed
    copies are new objects), so the same objects serve both loads."""

    digest: bytes  # sha256 of the bytes read
    resources: tuple[Resource, ...]
    complete: bool  # the whole file could be read
    problems: tuple[Problem, ...]
    moves: tuple[Move | Removal, ...]
    unreadable: frozenset[tuple[str, str]]  # the keys a file YAML could not parse seems to declare


# each file's reading, by (displayed path, real path, read as an overlay), kept across the loads
# of one run by the caller that asks for it (load_manifests(reads=...)): a plan alone keeps none
FileReads = dict[tuple[str, str, bool], FileRead]


@dataclass
class Manifest:
    """All resources read together, in file order with files sorted."""

    resources: list[Resource]
    files: list[str]  # the files read, as displayed in errors
    moves: list[Move] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    # sha256 of each file's bytes as read (real path -> digest): the plan's digest of its
    # manifests (files.manifests_digest) is of what was read, without reading it again
    hashes: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    # A lookup index so that resolving thousands of references stays linear; rebuilt when
    # the resources list is replaced or changes length.
    _index: dict[tuple[str, str], Resource] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: tuple[int, int] = field(default=(0, -1), init=False, repr=False, compare=False)

    def get(self, kind: str, key: str) -> Resource | None:
        """The resource of this kind (singular name) and key, if declared."""
        stamp = (id(self.resources), len(self.resources))
        if self._indexed != stamp:
            self._index = {}
            for res in self.resources:
                self._index.setdefault((res.kind, res.key), res)
            self._indexed = stamp
        found = self._index.get((kind, key))
        if found is not None and (found.kind, found.key) == (kind, key):
            return found
        for res in self.resources:  # the index went stale by an in-place edit: be correct
            if res.kind == kind and res.key == key:
                return res
        return None

    def by_kind(self, kind: str) -> list[Resource]:
        """The resources of one kind (singular name), in manifest order."""
        return [res for res in self.resources if res.kind == kind]
