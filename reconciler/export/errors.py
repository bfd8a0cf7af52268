"""What export reports: its error and its progress callbacks."""

from __future__ import annotations

from reconciler.kinds import KindSpec


class ExportError(Exception):
    """Export cannot proceed (non-empty directory, unsafe path); nothing was written."""


class ExportProgress:
    """What export reports while it works; the default reports nothing (quiet, no terminal)."""

    def reading(self, spec: KindSpec) -> None:
        """A kind's scan starts."""

    def advance(self, spec: KindSpec, count: int) -> None:
        """`count` more objects of the kind were read."""

    def reading_each(self, calls: dict[str, int]) -> None:
        """Reads of one call per object start: "organization relationships" -> calls (said before any is made)."""

    def advance_each(self, label: str, count: int) -> None:
        """`count` more objects had that read."""

    def writing(self, files: int) -> None:
        """Writing starts: this many files."""

    def wrote(self, count: int) -> None:
        """`count` more files were written."""

    def done(self) -> None:
        """Everything is written."""
