"""The account's vocabulary: users by email, pipelines and stages by name, custom fields.

Manifests speak in names (alice@example.com, "Sales"/"Negotiation", "Lead source":
"Referral"); the API speaks in ids and 40-character hashes. This module holds both sides
of that dictionary for one account, read once per run (a handful of calls), and turns an
unknown or ambiguous name into an error that lists the choices.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.fieldtypes import FieldSpec, custom_spec, is_hash_key
from reconciler.normalize import UnknownName

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

__all__ = ["AccountSchema", "CustomField", "UnknownName"]


@dataclass
class CustomField:
    key: str  # the 40-character hash
    name: str
    field_type: str  # varchar, text, double, monetary, enum, set, date, ...
    options: dict[str, int] = field(default_factory=dict)  # label -> id

    @property
    def option_labels(self) -> dict[int, str]:
        return {v: k for k, v in self.options.items()}

    @cached_property
    def spec(self) -> FieldSpec:
        """This field as a FieldSpec: its field type does the converting and comparing."""
        return custom_spec(self.key, self.name, self.field_type, self.options)


def _choices(names) -> str:
    names = sorted(set(names))
    return ", ".join(repr(n) for n in names[:20]) + (" …" if len(names) > 20 else "")


def _unknown(what: str, name: str, names) -> UnknownName:
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UnknownName(f"unknown {what} {name!r}{hint} (choices: {_choices(names)})")


@dataclass
class AccountSchema:
    users_by_email: dict[str, int] = field(default_factory=dict)
    emails_by_user: dict[int, str] = field(default_factory=dict)
    inactive_users: dict[str, int] = field(default_factory=dict)  # email -> id of deactivated users
    pipelines: dict[str, list[int]] = field(default_factory=dict)  # name -> ids
    pipeline_names: dict[int, str] = field(default_factory=dict)
    stages: dict[int, dict[str, list[int]]] = field(default_factory=dict)  # pipeline id -> name -> ids
    stage_info: dict[int, tuple[int, str]] = field(default_factory=dict)  # stage id -> (pipeline id, name)
    custom: dict[str, dict[str, list[CustomField]]] = field(default_factory=dict)  # kind -> name -> fields
    custom_by_key: dict[str, dict[str, CustomField]] = field(default_factory=dict)  # kind -> hash -> field
    names_by_user: dict[int, str] = field(default_factory=dict)  # every user, deactivated too: who changed what
    label_names: dict[str, dict[Any, str]] = field(default_factory=dict)  # kind -> label id -> name
    activity_types: set[str] = field(default_factory=set)  # active activity types' keys, when loaded
    activity_type_keys: dict[str, Any] = field(default_factory=dict)  # active type's name -> its key
    label_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> old name -> id (renamed since)
    # custom field key -> option label the lock recorded -> the id it still is (renamed in Pipedrive since)
    option_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, client: PipedriveClient, kinds_needed: set[str] | None = None) -> AccountSchema:
        """Read users, pipelines, stages and the custom field schemas the manifests need."""
        schema = cls()
        for user in client.users():
            email = str(user.get("email", "")).lower()
            schema.names_by_user[int(user["id"])] = f"{user.get('name') or email} <{email}>"
            if user.get("active_flag") is False:
                schema.inactive_users[email] = int(user["id"])
                continue
            schema.users_by_email[email] = int(user["id"])
            schema.emails_by_user[int(user["id"])] = email
        for pipeline in client.pipelines():
            if pipeline.get("is_deleted") or pipeline.get("active") is False:
                continue
            schema.pipelines.setdefault(pipeline["name"], []).append(int(pipeline["id"]))
            schema.pipeline_names[int(pipeline["id"])] = pipeline["name"]
        for stage in client.stages():
            if stage.get("is_deleted") or stage.get("active_flag") is False:
                continue
            pipeline_id = int(stage["pipeline_id"])
            schema.stages.setdefault(pipeline_id, {}).setdefault(stage["name"], []).append(int(stage["id"]))
            schema.stage_info[int(stage["id"])] = (pipeline_id, stage["name"])
        vocabularies = {getattr(f.type, "vocabulary", None) for spec in kinds.KINDS for f in spec.fields
                        if kinds_needed is None or spec.name in kinds_needed}
        if "activity_types" in vocabularies:  # one call: checked at plan time, not refused at apply
            active = [t for t in client.activity_types() if t.get("active_flag", True) is not False]
            schema.activity_types = {str(t.get("key_string")) for t in active}
            schema.activity_type_keys = {str(t.get("name")): str(t.get("key_string")) for t in active}
        if kinds_needed is not None:  # a kind that shares another's custom fields needs that one's
            kinds_needed = set(kinds_needed) | {kinds.kind(k).custom_fields_of for k in kinds_needed
                                                if k in kinds.BY_NAME and kinds.kind(k).custom_fields_of}
        for spec in kinds.KINDS:
            if not spec.field_schema_path or (kinds_needed is not None and spec.name not in kinds_needed):
                continue
            by_name: dict[str, list[CustomField]] = {}
            by_key: dict[str, CustomField] = {}
            for raw in client.field_schema(spec.name):
                key = str(raw.get("key", ""))
                options = {str(o["label"]): o["id"] for o in raw.get("options") or []}
                if key == "label" and spec.labels_path is None:  # the standard field of a kind's labels
                    schema.label_names[spec.name] = {option_id: label for label, option_id in options.items()}
                if not is_hash_key(key):
                    continue
                custom = CustomField(key, raw["name"], raw.get("field_type", "varchar"), options)
                by_name.setdefault(custom.name, []).append(custom)
                by_key[custom.key] = custom
            if spec.custom_fields_of is None:
                schema.custom[spec.name] = by_name
                schema.custom_by_key[spec.name] = by_key
        for spec in kinds.KINDS:
            if kinds_needed is not None and spec.name not in kinds_needed:
                continue
            if spec.custom_fields_of is not None:  # leads have the deals' custom fields
                schema.custom[spec.name] = schema.custom.get(spec.custom_fields_of, {})
                schema.custom_by_key[spec.name] = schema.custom_by_key.get(spec.custom_fields_of, {})
            if spec.labels_path is not None:
                schema.label_names[spec.name] = {item["id"]: item["name"] for item in client.labels(spec.name)}
        return schema

    # -- names -> ids --------------------------------------------------------------

    def user_id(self, email: str) -> int:
        found = self.users_by_email.get(email.lower())
        if found is None:
            if email.lower() in self.inactive_users:
                raise UnknownName(f"user {email!r} is deactivated in this Pipedrive account; choose an active "
                                  "user (or reactivate it in Pipedrive)")
            raise _unknown("user", email, self.users_by_email)
        return found

    def pipeline_id(self, name: str) -> int:
        ids = self.pipelines.get(name)
        if not ids:
            raise _unknown("pipeline", name, self.pipelines)
        if len(ids) > 1:
            raise UnknownName(f"pipeline name {name!r} is ambiguous: ids {', '.join(map(str, ids))}")
        return ids[0]

    def stage_id(self, name: str, pipeline_id: int | None) -> int:
        if pipeline_id is None:
            matches = [i for per in self.stages.values() for i in per.get(name, [])]
            if len(matches) == 1:
                return matches[0]
            if not matches:
                names = {n for per in self.stages.values() for n in per}
                raise _unknown("stage", name, names)
            raise UnknownName(f"stage {name!r} exists in several pipelines; declare `pipeline` to choose")
        per = self.stages.get(pipeline_id, {})
        ids = per.get(name)
        if not ids:
            raise _unknown(f"stage in pipeline {self.pipeline_names.get(pipeline_id, pipeline_id)!r}", name, per)
        if len(ids) > 1:
            raise UnknownName(f"stage name {name!r} is ambiguous: ids {', '.join(map(str, ids))}")
        return ids[0]

    def label_id(self, kind: str, name: str) -> Any:
        """A label of a kind (deal, person, organization, lead) by its name."""
        ids = [i for i, label in self.label_names.get(kind, {}).items() if label == name]
        if not ids and name in self.label_aliases.get(kind, {}):  # renamed in Pipedrive (reconciler/vocabulary.py)
            ids = [self.label_aliases[kind][name]]
        if not ids:
            raise _unknown(f"{kind} label", name, self.label_names.get(kind, {}).values())
        if len(ids) > 1:
            raise UnknownName(f"{kind} label {name!r} is ambiguous: ids {', '.join(map(str, ids))}")
        return ids[0]

    def custom_specs(self, kind: str) -> dict[str, FieldSpec]:
        """A kind's custom fields by key, as the adapters read and write them."""
        return {key: custom.spec for key, custom in self.custom_by_key.get(kind, {}).items()}

    def custom_field(self, kind: str, name: str) -> CustomField:
        by_name = self.custom.get(kind, {})
        found = by_name.get(name)
        if not found:
            raise _unknown(f"{kind} custom field", name, by_name)
        if len(found) > 1:
            raise UnknownName(
                f"{kind} custom field name {name!r} is ambiguous: keys {', '.join(f.key for f in found)}"
            )
        return found[0]
