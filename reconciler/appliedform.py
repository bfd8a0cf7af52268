"""One resource's last-applied digests as the lock holds them in memory: one string, not a dict.

The lock's `applied` part records a digest for every declared field of every managed resource
(docs/state.md). An exported account of 55,000 objects holds about 600,000 of them: as a dict
of 8-character strings per resource that was 46 MB of objects (75 MB of the process's memory
once the lock was read), and most of it is never looked at: a plan reads a resource's last-applied digest only for a field
whose manifest and live values differ (reconciler/drift.py). So a resource's digests are kept
as `AppliedDigests`: the field names, shared by every resource with the same fields (a
`Layout`), and the digests joined into one string (bytes when they are hexadecimal, as reconciler
writes them), sliced when a field's digest is asked for.
It is a read-only Mapping equal to the dict it stands for, so every reader of `lock.applied`
works as before; what the lock writes (file and journal) is unchanged. Digests that are not all
of one length (a hand-edited lock) stay a dict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Layout:
    """The field names of a set of resources' digests, in order, with each one's position in the
    packed digests: a string, or bytes for hexadecimal digests (`hexed`: half the memory, and
    every digest reconciler writes is hexadecimal)."""

    __slots__ = ("hexed", "names", "position", "width")

    def __init__(self, names: tuple[str, ...], width: int, hexed: bool) -> None:
        self.names = names
        self.hexed = hexed
        self.width = width // 2 if hexed else width  # of one digest in the packed form
        self.position = {name: index * self.width for index, name in enumerate(names)}


class AppliedDigests(Mapping):
    """{field: digest} of one resource, held as a shared Layout and the digests packed together."""

    __slots__ = ("_layout", "_packed")

    def __init__(self, layout: Layout, packed: str | bytes) -> None:
        self._layout = layout
        self._packed = packed

    def __getitem__(self, name: str) -> str:
        layout = self._layout
        start = layout.position[name]
        digest = self._packed[start:start + layout.width]
        return digest.hex() if layout.hexed else digest  # type: ignore[union-attr,return-value]

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self._layout.position else default

    def __contains__(self, name: object) -> bool:
        return name in self._layout.position

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.names)

    def __len__(self) -> int:
        return len(self._layout.names)

    def items(self) -> Any:  # the lock writes every record (sorted items): one dict, not a call per field
        return self.as_dict().items()

    def values(self) -> Any:
        return self.as_dict().values()

    def as_dict(self) -> dict[str, str]:
        """The plain dict it stands for (what the lock file and the journal write)."""
        layout, packed = self._layout, self._packed
        width = layout.width
        if layout.hexed:
            text = packed.hex()  # type: ignore[union-attr]
            width *= 2
        else:
            text = packed  # type: ignore[assignment]
        return dict(zip(layout.names, [text[i:i + width] for i in range(0, len(text), width)], strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AppliedDigests):
            if other._layout is self._layout:
                return other._packed == self._packed
            return self.as_dict() == other.as_dict()
        if isinstance(other, dict):  # as the lock's records compare with a plan's: no dict made
            names = self._layout.names
            if len(other) != len(names):
                return False
            values = list(map(other.get, names))
            try:
                joined = "".join(values)
            except TypeError:  # a field it lacks (None), or a value that is no string
                return False
            packed = self._packed
            text = packed.hex() if self._layout.hexed else packed  # type: ignore[union-attr]
            return joined == text and len(set(map(len, values))) == 1
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a dict, which has none

    def __repr__(self) -> str:
        return repr(self.as_dict())

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled as the dict it stands for
        return (dict, (self.as_dict(),))


class Packer:
    """Makes the compact form of each resource's digests, sharing one Layout per set of field names."""

    def __init__(self) -> None:
        self._layouts: dict[tuple[tuple[str, ...], int], Layout] = {}

    def pack(self, fields: dict[str, str]) -> Mapping[str, str]:
        """`fields` compact, or a dict when its digests differ in length; TypeError when a
        value is not a string (the join checks it as it goes)."""
        values = fields.values()
        packed = "".join(values)
        if not fields:
            return {}
        width = len(packed) // len(fields)
        if width == 0 or len(set(map(len, values))) != 1:
            return dict(fields)
        packed_as: str | bytes = packed
        if width % 2 == 0:
            try:
                raw = bytes.fromhex(packed)
            except ValueError:  # not hexadecimal
                raw = None
            if raw is not None and raw.hex() == packed:  # lower case, no spaces: it reads back the same
                packed_as = raw
        shape = (tuple(fields), width, packed_as is not packed)
        layout = self._layouts.get(shape)
        if layout is None:
            layout = self._layouts[shape] = Layout(*shape)
        return AppliedDigests(layout, packed_as)


def plain(value: Any) -> Any:
    """json.dumps' `default`: an AppliedDigests written as its dict."""
    if isinstance(value, AppliedDigests):
        return value.as_dict()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
