"""Custom fields as a kind: one field schema per entity, several calls per change.

Why a module of its own: every other kind is one collection (`/api/v2/deals`) written with one
call per change. A custom field lives in its entity's schema (`dealFields`, `personFields`,
`organizationFields`, `productFields`), is addressed by its key, and a change may take several
calls, each the one Pipedrive offers for it:

- reading: the v1 field lists (not deprecated), which alone say everything at once: key,
  numeric id, type, options in order, `add_visible_flag`, and `edit_flag` (custom or system);
- create: `POST /api/v2/{entity}Fields` (name, type, options in order, ui_visibility);
- rename, add form: `PATCH /api/v2/{entity}Fields/{key}`;
- options: `DELETE`, `PATCH` (relabel, keeping the id) and `POST` (added last) on
  `.../{key}/options`; v2 cannot reorder options, so a plan that reorders them sends the whole
  list, in order, with the ids of the options it keeps, to v1's `PUT /api/v1/{entity}Fields/{id}`
  ("All active items must be supplied and already existing items must have their ID
  supplied"), which also adds, relabels and removes in the same call;
- delete: `DELETE /api/v2/{entity}Fields/{key}`.

A custom field's id in the engine (the lock, plans) is "ENTITY:KEY": keys are what the API
addresses, and the entity says which schema holds it.

The option changes are worked out at plan time (`plan_option_writes`), so that a saved plan
says exactly what apply will do and apply needs no live state of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler import kinds
from reconciler.fieldtypes import custom_field
from reconciler.pipedrive import adapters
from reconciler.pipedrive.pages import Calls, Page
from reconciler.shape_rules import (  # noqa: F401  (the rules the hooks call; re-exported)
    OPTION_TYPES,
    plan_option_writes,
    read_extra,
)
from reconciler.shape_rules import check_custom_field as check  # noqa: F401

KIND = "custom_field"
# The kind whose records a custom field's values live in, by entity (product: not a kind yet).
RECORD_KINDS = {"deal": "deal", "person": "person", "organization": "organization", "product": "product"}
_RECORD_LISTS = {"deal": ("/api/v2/deals", "/api/v2/deals/archived"), "person": ("/api/v2/persons",),
                 "organization": ("/api/v2/organizations",), "product": ("/api/v2/products",)}


def _schema_path(entity: str) -> str:
    return kinds.CUSTOM_FIELD_ENTITIES[entity]


def split_id(object_id: Any) -> tuple[str, str]:
    entity, _, key = str(object_id).partition(":")
    if entity not in kinds.CUSTOM_FIELD_ENTITIES or not key:
        raise ValueError(f"not a custom field id: {object_id!r}")
    return entity, key


# -- reading ---------------------------------------------------------------------------------


def _canon(client: Calls, entity: str, record: Mapping[str, Any], version: str) -> dict:
    # the engine's id is ENTITY:KEY (read_extra); a v1 answer's numeric id is the field's v1 id
    numeric = record.get("id") if "key" in record else None
    return adapters.from_api(KIND, {**record, "entity": entity, "id": "-", "_field_id": numeric}, version)


def list_pages(client: Calls, entities: tuple[str, ...] | None = None) -> Iterator[Page]:
    """Every field of every entity (system fields included: identity must see them, so that a
    declared field of a system field's name is refused rather than created twice)."""
    for entity in entities or tuple(kinds.CUSTOM_FIELD_ENTITIES):
        for page in client.pages(f"/api/v1/{_schema_path(entity)}", version="v1"):
            records = [r for r in page if r.get("active_flag", True) is not False and not r.get("is_deleted")]
            yield Page((_canon(client, entity, r, "v1") for r in records), more=page.more)


def get_many(client: Calls, ids: set[Any]) -> list[dict]:
    entities = tuple(sorted({split_id(i)[0] for i in ids}))
    return [obj for page in list_pages(client, entities) for obj in page if obj["id"] in ids]


# -- writes ------------------------------------------------------------------------------------


def _learn(client: Calls, obj: dict) -> None:
    """Teach the client's schema a field just created or changed, so that records written
    after it in the same apply are converted by its type (its key and options are new)."""
    schema = client.schema
    if schema is None or not obj.get("custom"):
        return
    entity = obj["entity"]
    field = custom_field(obj["key"], obj.get("field_name") or "", obj.get("field_type") or "varchar",
                         obj.get("option_ids"))
    by_key = schema.custom_by_key.setdefault(entity, {})
    old = by_key.get(field.key)
    by_name = schema.custom.setdefault(entity, {})
    if old is not None and old in by_name.get(old.name, []):
        by_name[old.name].remove(old)
    by_key[field.key] = field
    by_name.setdefault(field.name, []).append(field)


def _settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if "field_name" in changes:
        body["field_name"] = changes["field_name"]
    if "add_visible_flag" in changes:
        body["ui_visibility"] = {"add_visible_flag": bool(changes["add_visible_flag"])}
    return body


def create(client: Calls, changes: Mapping[str, Any]) -> dict:
    entity = changes["entity"]
    body = {"field_type": changes.get("field_type"), **_settings(changes)}
    options = changes.get("options")
    if isinstance(options, list) and options:
        body["options"] = [{"label": o["label"]} for o in options]
    answer = client.http.request("POST", f"/api/v2/{_schema_path(entity)}", json_body=body,
                                 what=f"new {entity} field {changes.get('field_name')!r}")
    obj = _canon(client, entity, answer["data"], "v2")
    _learn(client, obj)
    return obj


def update(client: Calls, object_id: Any, changes: Mapping[str, Any]) -> dict:
    entity, key = split_id(object_id)
    path = f"/api/v2/{_schema_path(entity)}/{key}"
    what = f"{entity} field {key}"
    settings = _settings(changes)
    if settings:
        client.http.request("PATCH", path, json_body=settings, what=what)
    options = changes.get("options")
    if isinstance(options, dict):
        if options.get("reorder"):
            field_id = changes.get("_field_id")
            if field_id is None:
                from reconciler.pipedrive.errors import PipedriveError

                raise PipedriveError(f"{what}: its v1 id is unknown, so its options cannot be reordered; plan again")
            items = [{"id": o["id"], "label": o["label"]} if o.get("id") is not None else {"label": o["label"]}
                     for o in options["list"]]
            client.http.request("PUT", f"/api/v1/{_schema_path(entity)}/{field_id}", json_body={"options": items},
                                what=what)
        else:
            if options.get("remove"):
                client.http.request("DELETE", f"{path}/options", json_body=[{"id": o["id"]} for o in options["remove"]],
                                    what=what)
            if options.get("rename"):
                client.http.request("PATCH", f"{path}/options", json_body=options["rename"], what=what)
            if options.get("add"):
                client.http.request("POST", f"{path}/options", json_body=[{"label": label} for label in options["add"]],
                                    what=what)
    found = get_many(client, {object_id})
    if not found:
        from reconciler.pipedrive.errors import NotFoundError

        raise NotFoundError(f"{what} is gone after its update", status=404)
    _learn(client, found[0])
    return found[0]


def delete(client: Calls, object_id: Any) -> None:
    entity, key = split_id(object_id)
    client.http.request("DELETE", f"/api/v2/{_schema_path(entity)}/{key}", what=f"{entity} field {key}")


class CustomFieldCalls:
    """The client's calls for custom fields (Calls.OWN_CALLS): the functions above, as the client
    calls any kind's (list pages, get many, create, update, delete)."""

    def list_pages(self, client: Calls, params: dict[str, Any] | None = None,
                   archived: bool = False) -> Iterator[Page]:
        return iter(()) if archived else list_pages(client)  # fields have no filters, nor archived ones

    def get_many(self, client: Calls, ids: set[Any]) -> list[dict]:
        return get_many(client, ids)

    def create(self, client: Calls, changes: Mapping[str, Any]) -> dict:
        return create(client, changes)

    def update(self, client: Calls, object_id: Any, changes: Mapping[str, Any]) -> dict:
        return update(client, object_id, changes)

    def delete(self, client: Calls, object_id: Any) -> None:
        delete(client, object_id)


API = CustomFieldCalls()


# -- the records that use a field ----------------------------------------------------------------


# leads have the deals' custom fields, their values at the root by key (v1 only: leads have no v2)
_LEAD_LISTS = ("/api/v1/leads", "/api/v1/leads/archived")


def lead_values(client: Calls, entity: str, key: str) -> Iterator[tuple[Any, Any]]:
    """(lead id, value) of every live lead (archived too) with a value for one of the deals'
    custom fields: an option removed from a deal field is cleared from the leads that use it too.
    v1 answers a multiple-option value as "1,2"."""
    if entity != "deal":
        return
    for path in _LEAD_LISTS:
        for record in client.paged(path, {}, version="v1"):
            value = record.get(key)
            if isinstance(value, dict):
                value = value.get("id", value.get("value"))
            if isinstance(value, str) and value and all(part.strip().isdigit() for part in value.split(",")):
                parts = [int(part) for part in value.split(",")]
                value = parts if "," in value else parts[0]
            if value not in (None, "", []):
                yield record.get("id"), value


def record_values(client: Calls, entity: str, key: str) -> Iterator[tuple[Any, Any]]:
    """(record id, value) of every live record of an entity with a value for one custom field,
    from the v2 lists, which answer custom values by key (option ids for enum and set fields)."""
    for path in _RECORD_LISTS.get(entity, ()):
        for record in client.paged(path, {"custom_fields": key}, version="v2"):
            value = (record.get("custom_fields") or {}).get(key)
            if isinstance(value, dict):
                value = value.get("id", value.get("value"))
            if isinstance(value, list):
                value = [v.get("id") if isinstance(v, dict) else v for v in value]
            if value not in (None, "", []):
                yield record.get("id"), value
