"""What a deletion leaves behind: live objects outside the manifests that point at a deleted one.

Deleting an organization in Pipedrive does not delete its persons, deals, notes and
activities; those made in the UI (not in the manifests) are left pointing at a deleted
parent. A reviewer must see that before approving, so the plan names them ("orphans 2
objects not in the manifests: person 12, note 40"). They are found by listing each child
kind filtered by the deleted object (one call each, pages of 100, never more than
CHECK_MAX deleted objects): a cost paid only by plans that delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler import kinds
from reconciler.pipedrive.client import PipedriveClient

CHECK_MAX = 20  # deleted objects whose children are looked for; beyond, the plan says it did not look
SHOWN = 100  # children listed per deleted object and child kind (one page)


def children_of(client: PipedriveClient, doomed: Iterable[tuple[str, Any]],
                known: set[tuple[str, Any]]) -> tuple[dict[tuple[str, Any], list[str]], int]:
    """(kind, id) of each deleted object -> 'kind id' of the live objects outside `known` that point
    at it; and how many deleted objects were not looked at (past CHECK_MAX)."""
    doomed = list(doomed)
    found: dict[tuple[str, Any], list[str]] = {}
    for kind_name, object_id in doomed[:CHECK_MAX]:
        names: list[str] = []
        for child in kinds.KINDS:
            if child.shape:
                continue
            for ref in child.ref_fields:
                if ref.ref_kind != kind_name:
                    continue
                page = next(iter(client.list_pages(child.name, {ref.api: object_id, "limit": SHOWN})), [])
                for obj in page:
                    if (child.name, obj["id"]) not in known and obj.get(ref.api) == object_id:
                        name = f"{child.name} {obj['id']}"
                        if name not in names:
                            names.append(name)
        if names:
            found[(kind_name, object_id)] = names
    return found, max(0, len(doomed) - CHECK_MAX)
