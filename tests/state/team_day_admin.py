"""The team day's administrators (tests/state/test_team_day.py): activity types and webhooks.

Why a mixin of its own: the account's configuration is where the model's other rules do not
reach, and where a rename, a deactivation or a webhook "edited" in the web UI (Pipedrive cannot
update one: the UI deletes it and creates another with the same URL and events) must neither
break a command nor make a duplicate. `TeamDay` inherits these rules (Hypothesis collects
`@rule`s and `@invariant`s through the MRO); they use the model's helpers through `self`.

The model's applied base declares what they need in one more manifest (`write_admin_manifest`):
two activity types, an activity naming each by name, and two webhooks, one sent as Carol (whose
email the team day changes in her profile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

ADMIN = {
    "activity_types": {
        "product-demo": {"name": "Product demo", "icon_key": "presentation", "color": "FFC107"},
        "site-visit": {"name": "Site visit", "icon_key": "car"},
    },
    "activities": {
        "acme-demo": {"subject": "Demo for Acme", "type": "Product demo", "due_date": "2027-03-01", "org": "acme"},
        "globex-visit": {"subject": "Visit Globex", "type": "Site visit", "due_date": "2027-03-02", "org": "globex"},
    },
    "webhooks": {
        "deal-events": {"name": "Deals to the warehouse", "url": "https://hooks.example.com/deals",
                        "event_action": "*", "event_object": "deal", "user": "carol@example.com", "version": "2.0"},
        "new-persons": {"name": "New persons", "url": "https://hooks.example.com/persons",
                        "event_action": "create", "event_object": "person", "version": "1.0"},
    },
}
EVENTS = ("subscription_url", "event_action", "event_object")  # what makes a webhook the same one (merges.py)


def write_admin_manifest(project: Path) -> None:
    """The administrators' part of the model's project (examples/ has no activity types or webhooks)."""
    (project / "accounts" / "admin.yaml").write_text(yaml.safe_dump(ADMIN, sort_keys=False), encoding="utf-8")


class AdminRules:
    """Rules for what administrators do in Settings and ops do in git to activity types and webhooks."""

    # -- activity types, in Settings > Activities -----------------------------------------

    def _active_types(self) -> dict[Any, dict]:
        return {t["id"]: t for t in self.api("GET", "/api/v1/activityTypes") if t["active_flag"]}

    def _type_keys(self) -> list[str]:
        """Declared types whose recorded id is an active type (a deactivated one is not in the UI's list)."""
        active = self._active_types()
        return [k for k in self.live_keys("activity_type", "activity_types")
                if self.ids("activity_type")[k] in active]

    @rule(data=st.data())
    def ui_rename_activity_type(self, data: st.DataObject) -> None:
        """An admin renames a declared type (PUT /v1/activityTypes/{id}, as the web UI does; its key stays)."""
        keys = self._type_keys()
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        type_id = self.ids("activity_type")[key]
        old = self._active_types()[type_id]
        new = self.name(old["name"])
        self.api("PUT", f"/api/v1/activityTypes/{type_id}", json={"name": new})
        self.touch("activity_type", key, "name")
        for activity_key, (_path, body) in self.declared("activities").items():  # the key is unchanged
            if body.get("type") in (old["name"], old["key_string"]):
                self.relabelled.add(("activity", activity_key, "type"))
        recorded = (self.lock().get("vocabulary") or {}).get("activity_type") or {}
        if recorded.get(old["name"]) == old["key_string"] and any(
                body.get("type") == old["name"] for _path, body in self.declared("activities").values()):
            said = self.cli("plan", "--no-color")  # docs/state.md: the plan says so, and plans no change to them
            self.expect_ok(said, "plan")  # a refusal the model allows (an archived deal) says nothing more
            if said.code == 0 and f"activity type renamed in Pipedrive from {old['name']!r} to {new!r}" not in said.both:
                raise AssertionError(f"6: a type renamed in Settings is not said to be:\n{said.both[-3000:]}")
        self.steps += 1

    @rule(data=st.data())
    def ui_deactivate_activity_type(self, data: st.DataObject) -> None:
        """An admin deletes a declared type in Settings: Pipedrive deactivates it (past activities keep it),
        which reads as deleted in Pipedrive (docs/reference.md, activity_type). Not one git renamed since
        the last apply: keep would leave its activities naming a type no apply makes (as ops_change_activity_type)."""
        keys = [k for k in self._type_keys() if ("activity_type", k, "name") not in self.git_edited]
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        self.api("DELETE", f"/api/v1/activityTypes/{self.ids('activity_type')[key]}")
        self._deleted_in_ui("activity_type", key)

    # -- webhooks, in Settings > Webhooks ---------------------------------------------------

    def _hooks(self) -> dict[Any, dict]:
        return {h["id"]: h for h in self.api("GET", "/api/v1/webhooks") or []}

    def _live_hook(self, key: str, hooks: dict[Any, dict]) -> dict | None:
        """The live webhook of a declared key: the one the UI made last, else the lock's."""
        made = getattr(self, "ui_hooks", {}).get(key)
        if made in hooks:
            return hooks[made]
        return hooks.get(self.ids("webhook").get(key))

    def _standing_hooks(self, hooks: dict) -> list[str]:
        """The declared webhooks Pipedrive still has (the UI's latest one for each), not deleted in the UI."""
        return sorted(k for k in self.declared("webhooks") if self._live_hook(k, hooks) is not None
                      and ("webhook", k) not in self.gone)

    @rule(data=st.data(), change=st.sampled_from([None, "name", "version", "url"]))
    def ui_recreate_webhook(self, data: st.DataObject, change: str | None) -> None:
        """The web UI's edit: delete the webhook, create one with the same URL and events (its new
        values, if any, are drift); a changed URL makes another webhook, so ours counts as deleted."""
        hooks = self._hooks()
        keys = self._standing_hooks(hooks)
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        old = self._live_hook(key, hooks)
        body = {name: old[name] for name in (*EVENTS, "name", "version", "user_id", "http_auth_user")
                if old.get(name) is not None}
        if change == "name":
            body["name"] = self.name(old["name"])
        elif change == "version":
            body["version"] = "1.0" if old["version"] == "2.0" else "2.0"
        elif change == "url":
            body["subscription_url"] = f"{old['subscription_url']}-{self.counter}"
            self.counter += 1
        self.api("DELETE", f"/api/v1/webhooks/{old['id']}")
        new = self.api("POST", "/api/v1/webhooks", json=body)["id"]
        if change == "url":  # not ours: another webhook (docs/state.md)
            self.gone[("webhook", key)] = "deleted"
            self.touch("webhook", key, None)
        else:
            self.__dict__.setdefault("ui_hooks", {})[key] = new
            if change:
                self.touch("webhook", key, change)
        self.steps += 1

    @rule(data=st.data())
    def ui_delete_webhook(self, data: st.DataObject) -> None:
        hooks = self._hooks()
        keys = self._standing_hooks(hooks)
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        self.api("DELETE", f"/api/v1/webhooks/{self._live_hook(key, hooks)['id']}")
        self._deleted_in_ui("webhook", key)

    def _deleted_in_ui(self, kind: str, key: str) -> None:
        """The model's record of a declared object deleted in the UI (never to be created again under keep)."""
        self.gone[(kind, key)] = "deleted"
        self.touch(kind, key, None)
        self.steps += 1

    # -- ops in git ----------------------------------------------------------------------------

    @rule(data=st.data(), what=st.sampled_from(["name", "color"]))
    def ops_change_activity_type(self, data: st.DataObject, what: str) -> None:
        """Ops rename a type in git (and the activities naming it, as they must) or change its colour.
        Not one deleted in Pipedrive that keep may leave so: its activities would name a type no
        apply makes (the plan says so, a refusal the model does not ask for)."""
        declared = {k: v for k, v in self.declared("activity_types").items() if ("activity_type", k) not in self.gone}
        if not declared:
            return
        key = data.draw(st.sampled_from(sorted(declared)))
        path, body = declared[key]
        files, changed = self.files(), {path}
        if what == "name":
            old, new = body["name"], self.name("Type")
            files[path]["activity_types"][key]["name"] = new
            for activity_key, (activity_path, activity) in self.declared("activities").items():
                if activity.get("type") == old:
                    files[activity_path]["activities"][activity_key]["type"] = new
                    changed.add(activity_path)
        else:
            files[path]["activity_types"][key]["color"] = f"{data.draw(st.integers(0, 0xFFFFFF)):06X}"
        for written in changed:
            self.write(written, files[written])
        self.git_edited.add(("activity_type", key, what))
        self.steps += 1

    @rule(data=st.data(), what=st.sampled_from(["name", "version", "event_action"]))
    def ops_change_webhook(self, data: st.DataObject, what: str) -> None:
        """A change in git: Pipedrive cannot update a webhook, so the plan replaces it."""
        drawn = self.draw_declared(data, "webhooks")
        if drawn is None:
            return
        key, path, content, body = drawn
        if what == "name":
            body["name"] = self.name("Hook")
        elif what == "version":
            body["version"] = "1.0" if body.get("version") == "2.0" else "2.0"
        else:
            body["event_action"] = data.draw(st.sampled_from([a for a in ("create", "change", "delete", "*")
                                                              if a != body.get("event_action")]))
        self.write(path, content)
        self.git_edited.add(("webhook", key, what))
        self.steps += 1

    # -- after every step ------------------------------------------------------------------------

    @invariant()
    def no_duplicate_webhook(self) -> None:
        """4, for webhooks: no two live webhooks send a declared one's events to its place."""
        counts: dict[tuple, int] = {}
        for hook in self._hooks().values():
            events = tuple(hook[name] for name in EVENTS)
            counts[events] = counts.get(events, 0) + 1
        for key, (_path, body) in self.declared("webhooks").items():
            events = (body.get("url"), body.get("event_action"), body.get("event_object"))
            if counts.get(events, 0) > 1:
                raise AssertionError(f"4: webhooks.{key} has {counts[events]} live webhooks ({events})")
