"""Filters as a kind: Pipedrive's v1 `filters` (the saved views), through the calls of the official client.

Why a module of its own: the official client (npm `pipedrive` 33.x, v1 `FiltersApi`) lists filters
without their conditions (`GET /api/v1/filters`, `GetFiltersResponse`), so each one's conditions
take a get (`GET /api/v1/filters/{id}?include_field_code=true`, `GetFiltersResponse1`, whose
conditions then carry each field's `field_code`); a create (`POST`, `AddFilterRequest`: name,
conditions, type) and an update (`PUT .../{id}`, `UpdateFilterRequest`: conditions, required, and
name) name fields by their numeric `field_id`, which this module looks up in the entities' v1
field lists at write time (a custom field the same apply created has one only then). Activity
fields' ids come from v1 `GET /api/v1/activityFields` (ActivityFieldsApi, current: not among the
deprecated v1 endpoints; it takes no parameters and answers every field at once): v2's
`GET /api/v2/activityFields` names fields by `field_code` only. Neither
request model has `visible_to` nor (for an update) `type`: a filter's visibility is Pipedrive's
to set, and its type cannot change.

Which filters the engine sees: the ones the API user can edit and that are neither temporary
nor Pipedrive's own (`filter_code` set), of the types reconciler supports (not leads or projects:
reconciler/filter_rules.py says why). Others are never read further, adopted, exported or
changed; managed filters are deleted only when declared absent or left out of the manifests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.filter_rules import UNSUPPORTED_TYPES
from reconciler.pipedrive import adapters
from reconciler.pipedrive.pages import Page

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

KIND = "filter"
PATH = "/api/v1/filters"
# each condition object's v1 field list (its numeric field ids)
FIELD_LISTS = {"deal": "dealFields", "person": "personFields", "organization": "organizationFields",
               "product": "productFields"}
ACTIVITY_FIELDS = "/api/v1/activityFields"
WITH_CODES = {"include_field_code": "true"}


def _managed(record: Mapping[str, Any]) -> bool:
    """A filter the engine may read further: editable by the API user, saved, and not Pipedrive's own."""
    return (record.get("is_editable", True) is not False and not record.get("temporary_flag")
            and not record.get("filter_code") and record.get("active_flag", True) is not False
            and record.get("type") not in UNSUPPORTED_TYPES)  # refused at validate: never adopted


def _canon(record: Mapping[str, Any]) -> dict:
    return adapters.from_api(KIND, record, "v1")


def read_all(client: PipedriveClient) -> list[dict]:
    """Every filter the engine may manage, with its conditions: one list and one get per filter."""
    listed = client.http.request("GET", PATH, what="filters").get("data") or []
    out = []
    for record in listed:
        if not _managed(record):
            continue
        answer = client.http.request("GET", f"{PATH}/{record['id']}", params=WITH_CODES,
                                     what=f"filter {record['id']}")
        out.append(_canon(answer["data"]))
    return out


def activity_fields(client: PipedriveClient) -> list[dict]:
    """Every activity field (v1 `Field`s: key, name, field_type, options, numeric id), one call."""
    return list(client.http.request("GET", ACTIVITY_FIELDS, what="activity fields").get("data") or [])


def field_ids(client: PipedriveClient, entities: set[str]) -> dict[tuple[str, str], Any]:
    """(object, field key) -> numeric field id, from the entities' v1 field lists (one call each)."""
    out: dict[tuple[str, str], Any] = {}
    for entity in sorted(entities):
        listed = (activity_fields(client) if entity == "activity"
                  else client.paged(f"/api/v1/{FIELD_LISTS[entity]}", {}, version="v1"))
        for raw in listed:
            out[(entity, str(raw.get("key")))] = raw.get("id")
    return out


def wire_conditions(client: PipedriveClient, conditions: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical {all, any} → Pipedrive's conditions object (AddFilterRequest.conditions): the "and"
    glue over an "and" group and an "or" group, fields by id, every value a string."""
    from reconciler.pipedrive.errors import PipedriveError

    groups = {name: list(conditions.get(name) or []) for name in ("all", "any")}
    ids = field_ids(client, {c["object"] for items in groups.values() for c in items})

    def one(c: Mapping[str, Any]) -> dict[str, Any]:
        field_id = ids.get((c["object"], str(c["field"])))
        if field_id is None:
            raise PipedriveError(f"filter condition: {c['object']} field {c['field']!r} is not in Pipedrive's "
                                 "field list; plan again")
        return {"object": c["object"], "field_id": str(field_id), "operator": c["operator"],
                "value": None if c.get("value") is None else str(c["value"]),
                "extra_value": None if c.get("extra_value") is None else str(c["extra_value"])}

    return {"glue": "and", "conditions": [{"glue": "and", "conditions": [one(c) for c in groups["all"]]},
                                          {"glue": "or", "conditions": [one(c) for c in groups["any"]]}]}


class FilterCalls:
    """The client's calls for filters (client.OWN_CALLS)."""

    def list_pages(self, client: PipedriveClient, params: dict[str, Any] | None = None,
                   archived: bool = False) -> Iterator[Page]:
        if not archived:
            yield Page(read_all(client))

    def get_many(self, client: PipedriveClient, ids: set[Any]) -> list[dict]:
        out = []
        for object_id in sorted(ids):
            from reconciler.pipedrive.errors import NotFoundError

            try:
                answer = client.http.request("GET", f"{PATH}/{object_id}", params=WITH_CODES,
                                             what=f"filter {object_id}")
            except NotFoundError:
                continue
            if _managed(answer["data"]):
                out.append(_canon(answer["data"]))
        return out

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        body = {"name": changes["name"], "type": changes["type"],
                "conditions": wire_conditions(client, changes.get("conditions") or {})}
        answer = client.http.request("POST", PATH, params=WITH_CODES, json_body=body,
                                     what=f"new filter {changes['name']!r}")
        return _canon(answer["data"])

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        body: dict[str, Any] = {"conditions": wire_conditions(client, changes.get("conditions") or {})}
        if "name" in changes:
            body["name"] = changes["name"]
        answer = client.http.request("PUT", f"{PATH}/{object_id}", params=WITH_CODES, json_body=body,
                                     what=f"filter {object_id}")
        return _canon(answer["data"])

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        client.http.request("DELETE", f"{PATH}/{object_id}", what=f"filter {object_id}")


API = FilterCalls()
