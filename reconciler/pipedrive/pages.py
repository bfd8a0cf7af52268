"""One page of a list answer, and what the client's helpers use of the client.

Its own module so the client and its helpers (fieldsapi, attached) share both without
importing each other: the client dispatches to the helpers, and the helpers are typed with
`Calls`, the part of a PipedriveClient they use, not with the client itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from reconciler.pipedrive.http import HttpClient
    from reconciler.vocabulary import AccountSchema


class Page(list):
    """One page of a list answer; `more` says whether another page follows."""

    def __init__(self, items: Iterable[dict] = (), *, more: bool = False) -> None:
        super().__init__(items)
        self.more = more


class Calls(Protocol):
    """The part of a PipedriveClient (reconciler/pipedrive/client.py) its helpers call."""

    http: HttpClient
    schema: AccountSchema | None

    def pages(self, path: str, params: dict[str, Any] | None = None, *, version: str) -> Iterator[Page]: ...

    def paged(self, path: str, params: dict[str, Any] | None = None, *, version: str) -> Iterator[dict]: ...


class WholeListCalls:
    """The reads of a kind Pipedrive lists whole in one answer and has no cheaper get by id for
    (activity types, labels, goals, webhooks): the plan's one page is that list, and the ids it
    asks for are looked up in it. A subclass says how the list is read (`read_all`)."""

    def read_all(self, client: Any) -> list[dict]:
        raise NotImplementedError

    def list_pages(self, client: Any, params: dict[str, Any] | None = None,
                   archived: bool = False) -> Iterator[Page]:
        if not archived:  # none of these kinds has an archive
            yield Page(self.read_all(client))

    def get_many(self, client: Any, ids: set[Any]) -> list[dict]:
        return [obj for obj in self.read_all(client) if obj["id"] in ids]
