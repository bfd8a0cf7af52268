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
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.fieldtypes import article, as_bool, as_id, is_hash_key

if TYPE_CHECKING:
    from reconciler.pipedrive.client import Page, PipedriveClient

KIND = "custom_field"
# The kind whose records a custom field's values live in, by entity (product: not a kind yet).
RECORD_KINDS = {"deal": "deal", "person": "person", "organization": "organization", "product": "product"}
_RECORD_LISTS = {"deal": ("/api/v2/deals", "/api/v2/deals/archived"), "person": ("/api/v2/persons",),
                 "organization": ("/api/v2/organizations",), "product": ("/api/v2/products",)}
OPTION_TYPES = ("enum", "set")


def _schema_path(entity: str) -> str:
    return kinds.CUSTOM_FIELD_ENTITIES[entity]


def split_id(object_id: Any) -> tuple[str, str]:
    entity, _, key = str(object_id).partition(":")
    if entity not in kinds.CUSTOM_FIELD_ENTITIES or not key:
        raise ValueError(f"not a custom field id: {object_id!r}")
    return entity, key


# -- reading ---------------------------------------------------------------------------------


def read_extra(record: Mapping[str, Any], out: dict[str, Any], version: str) -> None:
    """What a field's answer says besides its declared fields: key, id, custom or system, and
    the options by label (for placeholders of added options). Both answer shapes: v1 lists
    (`key`, `name`, `edit_flag`, numeric `id`) and v2 writes (`field_code`, `field_name`,
    `is_custom_field`, `ui_visibility`)."""
    key = str(record.get("key") or record.get("field_code") or "")
    entity = str(record.get("entity") or out.get("entity") or "")
    out["entity"] = entity
    out["key"] = key
    out["id"] = f"{entity}:{key}"
    out["field_id"] = as_id(record.get("_field_id"))
    if "is_custom_field" in record:
        out["custom"] = as_bool(record.get("is_custom_field"))
    else:
        out["custom"] = as_bool(record.get("edit_flag")) and is_hash_key(key)
    if out.get("field_name") is None:
        out["field_name"] = record.get("field_name") or record.get("name")
    if out.get("field_type") == "person":
        out["field_type"] = "people"  # v1 says person where v2 (and the add-field enum) say people
    ui = record.get("ui_visibility")
    if isinstance(ui, dict) and "add_visible_flag" in ui:
        out["add_visible_flag"] = as_bool(ui["add_visible_flag"])
    out["option_ids"] = {o["label"]: o["id"] for o in out.get("options") or []}


def _canon(client: PipedriveClient, entity: str, record: Mapping[str, Any], version: str) -> dict:
    from reconciler.pipedrive import adapters

    # the engine's id is ENTITY:KEY (read_extra); a v1 answer's numeric id is the field's v1 id
    numeric = record.get("id") if "key" in record else None
    return adapters.from_api(KIND, {**record, "entity": entity, "id": "-", "_field_id": numeric}, version)


def list_pages(client: PipedriveClient, entities: tuple[str, ...] | None = None) -> Iterator[Page]:
    """Every field of every entity (system fields included: identity must see them, so that a
    declared field of a system field's name is refused rather than created twice)."""
    from reconciler.pipedrive.client import Page

    for entity in entities or tuple(kinds.CUSTOM_FIELD_ENTITIES):
        for page in client.pages(f"/api/v1/{_schema_path(entity)}", version="v1"):
            records = [r for r in page if r.get("active_flag", True) is not False and not r.get("is_deleted")]
            yield Page((_canon(client, entity, r, "v1") for r in records), more=page.more)


def get_many(client: PipedriveClient, ids: set[Any]) -> list[dict]:
    entities = tuple(sorted({split_id(i)[0] for i in ids}))
    return [obj for page in list_pages(client, entities) for obj in page if obj["id"] in ids]


# -- plan time -----------------------------------------------------------------------------------


def plan_option_writes(live: Mapping[str, Any] | None, writes: dict[str, Any]) -> None:
    """Turn the declared option list into the calls that make it, against the live options.

    A create keeps the list (the create sends it in order). An update gets
    {"list", "add", "rename", "remove", "reorder"}: what to add, relabel and remove, and whether
    the order that v2's calls leave (kept options in their order, added ones last) differs from
    the declared one; then apply sends the whole list to v1 instead (it keeps ids too).
    """
    desired = writes.get("options")
    if live is None or not isinstance(desired, list):
        return
    current = [o for o in live.get("options") or []]
    labels = {o["id"]: o["label"] for o in current}
    kept = {o["id"] for o in desired if o["id"] is not None}
    remove = [dict(o) for o in current if o["id"] not in kept]
    rename = [{"id": o["id"], "label": o["label"]} for o in desired
              if o["id"] is not None and labels.get(o["id"]) != o["label"]]
    add = [o["label"] for o in desired if o["id"] is None]
    after_v2 = [("id", o["id"]) for o in current if o["id"] in kept] + [("label", label) for label in add]
    wanted = [("id", o["id"]) if o["id"] is not None else ("label", o["label"]) for o in desired]
    writes["options"] = {"list": desired, "add": add, "rename": rename, "remove": remove,
                         "reorder": after_v2 != wanted}
    if writes["options"]["reorder"]:
        writes["_field_id"] = live.get("field_id")


def check(declared: Mapping[str, Any], live: Mapping[str, Any] | None, writes: Mapping[str, Any]) -> str | None:
    """What Pipedrive would refuse, said at plan time, before anything is written."""
    if live is not None:
        if not live.get("custom"):
            return (f"is Pipedrive's system field {live.get('key')!r} of {live.get('entity')}s: only custom fields "
                    "can be managed; remove it from the manifests")
        if "entity" in writes:
            return (f"is a field of {live.get('entity')}s in Pipedrive, the manifests say {declared.get('kind')}: "
                    "a field cannot move; declare a new field (another key) and remove this one")
        if "field_type" in writes:
            return (f"is {article(str(live.get('field_type')))} field in Pipedrive, the manifests say "
                    f"{declared.get('type')}: "
                    "Pipedrive cannot change a field's type; declare a new field (another name) and remove this one")
    field_type = declared.get("type") or (live or {}).get("field_type")
    options = declared.get("options")
    if field_type in OPTION_TYPES:
        if live is None and not options:
            return f"is {article(field_type)} field: declare its options (Pipedrive needs at least one)"
        if "options" in declared and not options:
            return f"is {article(field_type)} field: it keeps at least one option"
    elif options:
        return f"declares options, but only enum and set fields have options (its type is {field_type})"
    return None


# -- writes ------------------------------------------------------------------------------------


def _learn(client: PipedriveClient, obj: dict) -> None:
    """Teach the client's schema a field just created or changed, so that records written
    after it in the same apply are converted by its type (its key and options are new)."""
    schema = client.schema
    if schema is None or not obj.get("custom"):
        return
    from reconciler.pipedrive.schema import CustomField

    entity = obj["entity"]
    field = CustomField(obj["key"], obj.get("field_name") or "", obj.get("field_type") or "varchar",
                        dict(obj.get("option_ids") or {}))
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


def create(client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
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


def update(client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
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


def delete(client: PipedriveClient, object_id: Any) -> None:
    entity, key = split_id(object_id)
    client.http.request("DELETE", f"/api/v2/{_schema_path(entity)}/{key}", what=f"{entity} field {key}")


class CustomFieldCalls:
    """The client's calls for custom fields (KindHooks.api): the functions above, as the client
    calls any kind's (list pages, get many, create, update, delete)."""

    def list_pages(self, client: PipedriveClient, params: dict[str, Any] | None = None,
                   archived: bool = False) -> Iterator[Page]:
        return iter(()) if archived else list_pages(client)  # fields have no filters, nor archived ones

    def get_many(self, client: PipedriveClient, ids: set[Any]) -> list[dict]:
        return get_many(client, ids)

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        return create(client, changes)

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        return update(client, object_id, changes)

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        delete(client, object_id)


API = CustomFieldCalls()


# -- the records that use a field ----------------------------------------------------------------


# leads have the deals' custom fields, their values at the root by key (v1 only: leads have no v2)
_LEAD_LISTS = ("/api/v1/leads", "/api/v1/leads/archived")


def lead_values(client: PipedriveClient, entity: str, key: str) -> Iterator[tuple[Any, Any]]:
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


def record_values(client: PipedriveClient, entity: str, key: str) -> Iterator[tuple[Any, Any]]:
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
