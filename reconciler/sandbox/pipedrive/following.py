"""Who follows a deal, person or organization: the sandbox's follower documents, and Pipedrive's rule
that a record's owner follows it. A module of its own so the model (which applies the rule on
create and on a new owner) and the followers' routes (followers.py) share it without a circle.
"""

from __future__ import annotations

from typing import Any

from ..store import now_iso

PARENT_COLUMN = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}


def following(company: Any, kind: str, parent_id: int) -> list[dict[str, Any]]:
    """The follower documents of one record, oldest first."""
    return company.store.select(company.id, "follower", where={"category": kind, PARENT_COLUMN[kind]: parent_id})


def follow(company: Any, kind: str, parent_id: int, user_id: int) -> dict[str, Any] | None:
    """Make a user follow a record; None when the user follows it already."""
    if any(f["user_id"] == user_id for f in following(company, kind, parent_id)):
        return None
    return company.store.insert(company.id, "follower", {
        "category": kind, PARENT_COLUMN[kind]: parent_id, "user_id": user_id, "add_time": now_iso()})


def owner_follows(company: Any, kind: str, record: dict[str, Any]) -> None:
    """Pipedrive's own rule: a record's owner follows it (called on create and on a new owner)."""
    if kind in PARENT_COLUMN and record.get("owner_id") is not None:
        follow(company, kind, record["id"], record["owner_id"])
