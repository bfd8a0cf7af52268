"""Followers of a deal, person or organization: users by email, attached through calls of their own.

Why a value of its own (issue 27): Pipedrive keeps followers as a list beside the record
(`/api/v2/{deals,persons,organizations}/{id}/followers`: list, add one, delete one), so, like a
deal's products, they are written after the record by one call per follower added or removed,
and read only for the records whose manifests declare them (one list call per record).

What the list means: the whole set of the record's followers **besides its owner**. A follower
the manifests do not list is removed; the owner is never added nor removed by reconciler,
because Pipedrive makes a record's owner follow it by itself (on create, and when the owner
changes). Declaring the owner in the list is allowed and changes nothing. So the canonical value
carries the owner it is seen with: live `{owner, users}` (the client fills the owner from the
record), desired `{owner, users}` with the owner the manifests give (or the live one), and every
comparison leaves that owner out. A previous owner, who stays a follower in Pipedrive when the
owner changes, is an ordinary follower: removed unless listed.
"""

from __future__ import annotations

from typing import Any

from reconciler.fieldtypes.base import EMAIL_PATTERN, Drop, FieldType, ValueProblem
from reconciler.normalize import NormalizeError
from reconciler.vocabulary import UnknownName


def _parts(value: Any) -> tuple[Any, list[Any]]:
    """(owner, follower user ids) of a canonical value; a bare list is followers with no owner known."""
    if isinstance(value, dict):
        return value.get("owner"), list(value.get("users") or [])
    return None, list(value or [])


class Followers(FieldType):
    """A record's followers besides its owner: [anna@example.com, bob@example.com]."""

    name = "followers"
    attached = True
    # the answer's field that counts followers (`include_fields=followers_count`); the owner is one
    count_field = "followers_count"
    count_implied = 1  # a record whose only follower is its owner has none to export

    def schema(self, spec):
        item = {"type": "string", "pattern": EMAIL_PATTERN, "format": "email"}
        return ({"type": "array", "items": item},
                "Users following the record, by email: the whole set besides the owner (Pipedrive makes the "
                "owner follow by itself); a follower not listed is removed.")

    def expectation(self, spec):
        return "a list of user emails"

    def convert(self, spec, value, pos):
        lowered = [str(item).lower() for item in value]
        if len(set(lowered)) != len(lowered):
            raise ValueProblem(f"field '{spec.name}' lists a user twice")
        return list(value)

    def to_api(self, spec, value, ctx, declared, live):
        owner = None
        if isinstance(declared.get("owner"), str):
            try:
                owner = ctx.schema.user_id(declared["owner"])
            except UnknownName:
                owner = None  # the owner field reports its own error
        if owner is None and live is not None:
            owner = live.get("owner_id")
        users = []
        for email in value:
            if not isinstance(email, str):
                raise NormalizeError(f"expected a user's email address, got {email!r}")
            users.append(ctx.schema.user_id(email))
        return {"owner": owner, "users": sorted(set(users))}

    def from_api(self, spec, value, ctx):
        owner, users = _parts(value)
        shown = [ctx.schema.emails_by_user.get(u, {"id": u}) for u in users if u != owner]
        return sorted(shown, key=lambda item: (isinstance(item, dict), str(item)))

    @staticmethod
    def in_live_names(value: Any, ctx: Any) -> Any:
        """The declared emails as the live list shows the same users, for the plan's added/removed
        detail: a user whose email changed in Pipedrive (named by the old one, which the lock's
        vocabulary still resolves) is neither added nor removed (reconciler/renames.py)."""
        if not isinstance(value, list):
            return value
        schema = ctx.schema
        return [schema.emails_by_user.get(schema.users_by_email.get(item.lower()), item)
                if isinstance(item, str) else item for item in value]

    @staticmethod
    def _managed(value: Any, owner: Any) -> list[Any]:
        return sorted({u for u in _parts(value)[1] if u != owner}, key=str)

    def _owner(self, desired: Any, live: Any) -> Any:
        """The owner a comparison leaves out: the one the manifests give, else the live one."""
        owner = _parts(desired)[0]
        return owner if owner is not None else _parts(live)[0]

    def live_as_compared(self, desired: Any, live: Any) -> Any:
        """The live value with the owner a comparison leaves out, for the plan's `before`: when the
        owner changed in Pipedrive, the followers shown (and the one shown removed) are those beside
        the owner the manifests give, as the writes are, not beside the live owner."""
        if live is None:
            return None
        return {"owner": self._owner(desired, live), "users": _parts(live)[1]}

    def same(self, spec, desired, live):
        owner = self._owner(desired, live)
        return self._managed(desired, owner) == self._managed(live, owner)

    def comparable(self, spec, value, like=None):
        owner = self._owner(like, value) if like is not None else _parts(value)[0]
        return self._managed(value, owner)

    def attached_ops(self, spec, desired, live):
        owner = self._owner(desired, live)
        want, have = set(self._managed(desired, owner)), set(self._managed(live, owner))
        return {"add": sorted(want - have, key=str), "delete": sorted(have - want, key=str)}

    def match_value(self, spec, value):
        return None

    match_live = match_value

    def export(self, spec, value, ctx, obj):
        if any(isinstance(item, dict) for item in value):
            raise Drop("a follower is not an active user")
        return value


FOLLOWERS = Followers()
