"""One page of a list answer: its own module so the client and its helpers (fieldsapi) share it
without importing each other."""

from __future__ import annotations

from collections.abc import Iterable


class Page(list):
    """One page of a list answer; `more` says whether another page follows."""

    def __init__(self, items: Iterable[dict] = (), *, more: bool = False) -> None:
        super().__init__(items)
        self.more = more
