"""Reading the account's vocabulary from Pipedrive: users, pipelines, stages, labels, custom fields.

The vocabulary itself (names <-> ids, and the errors for unknown names) is
reconciler/vocabulary.py, at the bottom of the layers so the field types can use it; this
module adds the reads that fill it, once per run (a handful of calls). `AccountSchema` here
is that vocabulary with its `load`; `CustomField` and `UnknownName` are re-exported so
`from reconciler.pipedrive.schema import ...` keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler import kinds, vocabulary
from reconciler.fieldtypes import custom_field, is_hash_key
from reconciler.vocabulary import CustomField, UnknownName

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

__all__ = ["AccountSchema", "CustomField", "UnknownName"]


class AccountSchema(vocabulary.AccountSchema):
    """The account's vocabulary, read from Pipedrive by `load`."""

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
        if vocabularies & {"activity_types", "fields"}:  # one call: checked at plan time (filters' Type too)
            every = client.activity_types()
            active = [t for t in every if t.get("active_flag", True) is not False]
            for t in (t for t in every if t.get("active_flag", True) is False):
                for name in (str(t.get("name")), str(t.get("key_string"))):
                    schema.inactive_activity_types.setdefault(name, set()).add(str(t.get("key_string")))
            schema.activity_types = {str(t.get("key_string")) for t in active}
            schema.activity_type_keys = {str(t.get("name")): str(t.get("key_string")) for t in active}
        if "teams" in vocabularies:  # goals' team assignees: one call (v1 legacyTeams, the only list of teams)
            from reconciler.pipedrive.goalsapi import read_teams

            for team in read_teams(client):
                schema.team_names[int(team["id"])] = str(team.get("name"))
                if team.get("active_flag", 1) and not team.get("deleted_flag"):
                    schema.teams.setdefault(str(team.get("name")), []).append(int(team["id"]))
        if kinds_needed is not None and "fields" in vocabularies:  # filters name every entity's fields
            kinds_needed = set(kinds_needed) | {"deal", "person", "organization", "product"}
        if "fields" in vocabularies:  # and activities' (no custom fields, no kind's field schema: one v1 list)
            from reconciler.pipedrive.filters import activity_fields

            schema.standard_fields["activity"] = {str(raw.get("key")): {
                "name": raw.get("name"), "field_type": raw.get("field_type"),
                "options": {str(o["label"]): o["id"] for o in raw.get("options") or []}}
                for raw in activity_fields(client)}
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
                    schema.standard_fields.setdefault(spec.name, {})[key] = {
                        "name": raw.get("name"), "field_type": raw.get("field_type"), "options": options}
                    continue
                custom = custom_field(key, raw["name"], raw.get("field_type", "varchar"), options)
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
