"""The account's vocabulary: users by email, pipelines and stages by name, labels, teams, custom fields.

Manifests speak in names (alice@example.com, "Sales"/"Negotiation", "Lead source":
"Referral"); the API speaks in ids and 40-character hashes. An `AccountSchema` holds both
sides of that dictionary for one account and turns an unknown or ambiguous name into an
error that lists the choices.

Why a module at the bottom: the field types convert names to ids through it (`ctx.schema`),
so it must import nothing above it (no field types, no kinds table, no client). Reading it
from Pipedrive is the client layer's job (reconciler/pipedrive/schema.py, `AccountSchema.load`);
entering what a plan declares into a planned copy is the shape rules' (reconciler/shape_rules.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.fieldtypes import FieldSpec

__all__ = ["AccountSchema", "CustomField", "UnknownName"]


class UnknownName(Exception):
    """A name the account does not know, or knows twice; the message lists the choices."""


@dataclass
class CustomField:
    """One custom field of the account: its key, name, Pipedrive type and options.

    `spec` is the field as the value layer sees it (a FieldSpec whose field type converts and
    compares its values); whoever builds a CustomField gives it, through
    `reconciler.fieldtypes.custom_field`, so this module needs nothing from the value layer.
    """

    key: Any  # the 40-character hash (a Placeholder for a field this plan creates)
    name: str
    field_type: str  # varchar, text, double, monetary, enum, set, date, ...
    options: dict[str, Any] = field(default_factory=dict)  # label -> id
    spec: FieldSpec = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    @property
    def option_labels(self) -> dict[int, str]:
        return {v: k for k, v in self.options.items()}


def _choices(names) -> str:
    names = sorted(set(names))
    return ", ".join(repr(n) for n in names[:20]) + (" …" if len(names) > 20 else "")


def _unknown(what: str, name: str, names) -> UnknownName:
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UnknownName(f"unknown {what} {name!r}{hint} (choices: {_choices(names)})")


def _only_id(ids_by_name: dict[str, list[int]], name: str, kind: str, *, unknown_as: str | None = None) -> int:
    """The one id a name has in `ids_by_name`: none is unknown (`unknown_as` says where), two ambiguous."""
    ids = ids_by_name.get(name)
    if not ids:
        raise _unknown(unknown_as or kind, name, ids_by_name)
    if len(ids) > 1:
        raise UnknownName(f"{kind} name {name!r} is ambiguous: ids {', '.join(map(str, ids))}")
    return ids[0]


@dataclass
class AccountSchema:
    """One account's names and ids (see the module's docstring); filled by `AccountSchema.load`
    in reconciler/pipedrive/schema.py."""

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
    # a deactivated type's name, key (and name the lock recorded) -> its keys: what its past activities keep
    inactive_activity_types: dict[str, set[str]] = field(default_factory=dict)
    # custom field key -> option label the lock recorded -> the id it still is (renamed in Pipedrive since)
    option_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    # kind -> label name the lock recorded -> the id it still is (renamed in Pipedrive since)
    label_aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    # kind -> standard field key -> {name, field_type, options: label -> id}: what filters' conditions name
    standard_fields: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    teams: dict[str, list[int]] = field(default_factory=dict)  # active team's name -> ids (goals' assignees)
    team_names: dict[int, str] = field(default_factory=dict)  # every team, inactive too: id -> name

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
        return _only_id(self.pipelines, name, "pipeline")

    def stage_id(self, name: str, pipeline_id: int | None) -> int:
        if pipeline_id is None:
            matches = [i for per in self.stages.values() for i in per.get(name, [])]
            if len(matches) == 1:
                return matches[0]
            if not matches:
                names = {n for per in self.stages.values() for n in per}
                raise _unknown("stage", name, names)
            raise UnknownName(f"stage {name!r} exists in several pipelines; declare `pipeline` to choose")
        return _only_id(self.stages.get(pipeline_id, {}), name, "stage",
                        unknown_as=f"stage in pipeline {self.pipeline_names.get(pipeline_id, pipeline_id)!r}")

    def team_id(self, name: str) -> int:
        """An active team by its name (a goal's assignee)."""
        return _only_id(self.teams, name, "team")

    def label_id(self, kind: str, name: str) -> Any:
        """A label of a kind (deal, person, organization, lead) by its name."""
        ids = [i for i, label in self.label_names.get(kind, {}).items() if label == name]
        if not ids and name in self.label_aliases.get(kind, {}):  # renamed in Pipedrive since it was applied
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
