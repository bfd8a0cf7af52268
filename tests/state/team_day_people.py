"""The team day's people rules (tests/state/test_team_day.py): followers and user custom fields.

Two things users change every day that name users by email: a record's `followers:` (the whole set
besides its owner, read and written by their own calls, /api/v2/{deals,persons,organizations}/{id}/
followers) and a deal custom field of Pipedrive's `user` type ("Account manager"). Salespeople
change them in the UI (as Bob, the raw calls the web UI makes), ops in git; the model's invariants
then say whether a UI change is drift, pull brings it back, and nothing is a false drift or a silent
overwrite. With `ui_change_user_email` (Carol's new address) they also check that a followers list or
a user field naming Carol follows her by id (docs/state.md, "A user's email changed in Pipedrive").

`PeopleRules` is a mixin: its rules use the model's helpers through `self` (api, touch, declared,
files, write, live_keys, ids, ...), and Hypothesis collects them from the model's bases.
`extend_base` writes the small manifest the rules need into the model's applied base (examples/
itself declares no followers and no user field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import rule

MANAGER = "Account manager"  # a deal custom field of Pipedrive's user type
MANAGER_LABEL = f"fields.{MANAGER}"
SECTIONS = {"deal": "deals", "person": "persons", "organization": "organizations"}

# what the base declares besides examples/: (file, section, key) -> fields
EXTRA: dict[tuple[str, str, str], dict[str, Any]] = {
    ("acme.yaml", "deals", "acme-renewal-2027"): {"followers": ["bob@example.com", "carol@example.com"],
                                                  "fields": {MANAGER: "carol@example.com"}},
    ("globex.yaml", "deals", "globex-analytics-suite"): {"followers": ["carol@example.com"],
                                                         "fields": {MANAGER: "alice@example.com"}},
    ("globex.yaml", "persons", "mindy-park"): {"followers": ["alice@example.com"]},
    ("acme.yaml", "organizations", "acme"): {"followers": []},
}


def extend_base(project: Path) -> None:
    """Declare, in the model's copy of examples/ before its first apply, the user field (accounts/
    team.yaml) and followers and values of it on a few records of the copied files."""
    accounts = project / "accounts"
    (accounts / "team.yaml").write_text(yaml.safe_dump({"custom_fields": {"deal-account-manager": {
        "kind": "deal", "name": MANAGER, "type": "user"}}}), encoding="utf-8")
    for (name, section, key), extra in EXTRA.items():
        path = accounts / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        body = data[section][key]
        for field, value in extra.items():
            body[field] = {**(body.get(field) or {}), **value} if isinstance(value, dict) else value
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


class PeopleRules:
    """Followers and the user custom field, changed in the UI and in git (a mixin of TeamDay)."""

    # the model's helpers, for the type checker
    api: Any
    touch: Any
    declared: Any
    files: Any
    write: Any
    live_keys: Any
    ids: Any
    lock: Any
    git_edited: set
    unrecorded: set
    steps: int

    def _users(self) -> dict[int, str]:
        """The account's active users now, id -> email (Carol's may have changed)."""
        return {u["id"]: u["email"] for u in self.api("GET", "/api/v1/users") if u.get("active_flag", True)}

    def _emails(self) -> list[str]:
        """The emails ops may name users by: the one the lock recorded for a user, else the current
        one of a user who never changes it. A user's email changed in Pipedrive is followed by the id
        the lock recorded (docs/state.md); an address ops wrote that no apply recorded yet has no id to
        be followed by, so Carol changing hers again before the apply is a race the plan rightly
        reports as an unknown user (as an option renamed in Settings before its apply)."""
        by_id: dict[int, str] = {}
        for email, user_id in sorted((self.lock().get("vocabulary", {}).get("user") or {}).items()):
            by_id.setdefault(user_id, email)
        emails = [by_id.get(i, email) for i, email in self._users().items()]
        return sorted(e for e in emails if e in by_id.values() or not e.startswith("carol"))

    def _editable(self, kind: str, key: str) -> dict | None:
        """The live record the UI can edit (not an archived deal), or None."""
        live = self.api("GET", f"/api/v2/{SECTIONS[kind]}/{self.ids(kind)[key]}")
        if live is None or live.get("is_archived"):
            return None
        return live

    def followers_unlike_record(self, kind: str, key: str) -> bool:
        """Whether a UI action that changes followers as a side effect changed them as the record's
        manifests count them (the set besides the owner they give). An owner changed in the UI:
        Pipedrive makes the new owner follow (a change, unless they followed already or are that
        owner), the previous one keeps following; a merge into the record: the merged one's followers
        follow it. Which of these happened no answer tells, so the live set is compared with the one
        the lock says was last synced (its digest of the followers, as reconciler/drift.py makes it)."""
        section = SECTIONS.get(kind)
        recorded = (self.lock().get("applied", {}).get(kind, {}).get(key) or {}).get("followers")
        if section is None or recorded is None or key not in self.declared(section):
            return False
        from reconciler.drift import digest
        from reconciler.kinds import kind as kind_spec

        object_id = self.ids(kind)[key]
        live = self.api("GET", f"/api/v2/{section}/{object_id}") or {}
        owner = self.declared(section)[key][1].get("owner")
        vocabulary = {e.lower(): i for e, i in (self.lock().get("vocabulary", {}).get("user") or {}).items()}
        vocabulary.update({e.lower(): i for i, e in self._users().items()})
        owner_id = vocabulary.get(owner.lower()) if isinstance(owner, str) else live.get("owner_id")
        users = [f["user_id"] for f in self.api("GET", f"/api/v2/{section}/{object_id}/followers",
                                                 params={"limit": 500}) or []]
        spec = kind_spec(kind).field("followers")
        return digest(spec, {"owner": owner_id, "users": sorted(users)}) != recorded

    # -- salespeople in the UI -------------------------------------------------------------

    @rule(data=st.data(), kind=st.sampled_from(sorted(SECTIONS)), add=st.booleans())
    def ui_follow(self, data: st.DataObject, kind: str, add: bool) -> None:
        """Bob adds a follower to, or removes one from, a managed record whose manifests declare them."""
        section = SECTIONS[kind]
        declared = self.declared(section)
        keys = [k for k in self.live_keys(kind, section) if "followers" in declared[k][1]]
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        live = self._editable(kind, key)
        if live is None:
            return
        path = f"/api/v2/{section}/{live['id']}/followers"
        following = {f["user_id"] for f in self.api("GET", path, params={"limit": 500}) or []}
        if add:
            choices = sorted(set(self._users()) - following)
            if not choices:
                return
            user = data.draw(st.sampled_from(choices))
            self.api("POST", path, json={"user_id": user})
        else:
            if not following:
                return
            user = data.draw(st.sampled_from(sorted(following)))
            self.api("DELETE", f"{path}/{user}")
        if user != live.get("owner_id"):  # the owner is never a managed follower: no drift
            self.touch(kind, key, "followers")
        self.steps += 1

    @rule(data=st.data(), clear=st.booleans())
    def ui_set_manager(self, data: st.DataObject, clear: bool) -> None:
        """Bob sets or clears the deal's Account manager (a user field) in the deal's detail view."""
        keys = self.live_keys("deal", "deals")
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        live = self._editable("deal", key)
        if live is None:
            return
        code = self._manager_code()
        current = (live.get("custom_fields") or {}).get(code)
        if clear:
            if current is None:
                return
            value = None
        else:
            choices = sorted(u for u in self._users() if u != current)
            value = data.draw(st.sampled_from(choices))
        self.api("PATCH", f"/api/v2/deals/{live['id']}", json={"custom_fields": {code: value}})
        self.touch("deal", key, MANAGER_LABEL)
        self.steps += 1

    def _manager_code(self) -> str:
        return next(f["field_code"] for f in self.api("GET", "/api/v2/dealFields", params={"limit": 500})
                    if f["field_name"] == MANAGER)

    # -- ops in git ------------------------------------------------------------------------

    @rule(data=st.data(), kind=st.sampled_from(sorted(SECTIONS)))
    def ops_change_followers(self, data: st.DataObject, kind: str) -> None:
        """Ops set a record's followers in git: a few of the account's users, by their emails now."""
        drawn = self.draw_declared(data, SECTIONS[kind])
        if drawn is None:
            return
        key, path, content, body = drawn
        emails = self._emails()
        followers = data.draw(st.lists(st.sampled_from(emails), unique=True, max_size=len(emails)))
        if followers == body.get("followers"):
            return
        if "followers" not in body:
            self.unrecorded.add((kind, key, "followers"))
        body["followers"] = followers
        self.write(path, content)
        self.git_edited.add((kind, key, "followers"))
        self.steps += 1

    @rule(data=st.data())
    def ops_set_manager(self, data: st.DataObject) -> None:
        """Ops set or clear a deal's Account manager in git (a user's email now, or null)."""
        drawn = self.draw_declared(data, "deals")
        if drawn is None:
            return
        key, path, content, body = drawn
        value = data.draw(st.sampled_from([None, *self._emails()]))
        fields = body.get("fields") or {}
        if MANAGER in fields and fields[MANAGER] == value:
            return
        if MANAGER not in fields:
            self.unrecorded.add(("deal", key, MANAGER_LABEL))
        body.setdefault("fields", {})[MANAGER] = value
        self.write(path, content)
        self.git_edited.add(("deal", key, MANAGER_LABEL))
        self.steps += 1
