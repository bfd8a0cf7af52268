"""Labels as a kind: deal, person and organization labels, and lead labels, each through Pipedrive's own calls.

Why a module of its own: a label is not one collection. Deal, person and organization labels are
the options of each entity's standard `label` field, written with the v2 field option calls of the
official client (npm `pipedrive` 33.x: `POST`, `PATCH` and `DELETE /api/v2/{entity}Fields/label/options`,
each a JSON array; their models carry `id` and `label` only, so these labels have no colour the
API can write) and read from the v1 field lists the account's schema reads anyway. Lead labels
have an endpoint of their own (`/api/v1/leadLabels`: name and one of ten colours, ids are UUIDs).

A label's id in the engine (the lock, plans) is "ENTITY:ID" (`deal:12`, `lead:<uuid>`): option
ids repeat across entities. The canonical object keeps the raw id as `label_id`, which records
name a label by (a placeholder for it when the same apply creates the label).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.pipedrive.pages import WholeListCalls
from reconciler.shape_rules import LABEL_FIELD_ENTITIES

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

KIND = "label"
ENTITIES = ("deal", "person", "organization", "lead")
FIELD_ENTITIES = LABEL_FIELD_ENTITIES  # labels as options of each kind's standard `label` field

# the official AddLeadLabelRequestColorConst
LEAD_COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow")
LEADS = "/api/v1/leadLabels"


def split_id(object_id: Any) -> tuple[str, Any]:
    """(entity, raw label id) of an engine id such as "deal:12"."""
    entity, _, raw = str(object_id).partition(":")
    if entity not in ENTITIES or not raw:
        raise ValueError(f"not a label id: {object_id!r}")
    return entity, (raw if entity == "lead" else int(raw))


def _obj(entity: str, label_id: Any, name: Any, color: Any) -> dict:
    return {"id": f"{entity}:{label_id}", "entity": entity, "name": name, "color": color, "label_id": label_id}


def _options_path(entity: str) -> str:
    return f"/api/v2/{entity}Fields/label/options"


def read_all(client: PipedriveClient) -> list[dict]:
    """Every label of the account, canonical: three field lists and the lead labels (four calls)."""
    out = []
    for entity in FIELD_ENTITIES:
        for raw in client.field_schema(entity):
            if raw.get("key") == "label":
                out += [_obj(entity, o["id"], o.get("label"), None) for o in raw.get("options") or []]
    out += [_obj("lead", item["id"], item.get("name"), item.get("color")) for item in client.labels("lead")]
    return out


class LabelCalls(WholeListCalls):
    """The client's calls for labels (KindHooks.api)."""

    def read_all(self, client: PipedriveClient) -> list[dict]:
        return read_all(client)

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        entity, name = changes["entity"], changes["name"]
        if entity == "lead":
            answer = client.http.request("POST", LEADS, json_body={"name": name, "color": changes.get("color")},
                                         what="new lead label")
            data = answer["data"]
            return _obj("lead", data["id"], data.get("name"), data.get("color"))
        answer = client.http.request("POST", _options_path(entity), json_body=[{"label": name}],
                                     what=f"new {entity} label")
        added = [o for o in answer.get("data") or [] if o.get("label") == name]
        return _obj(entity, added[-1]["id"], name, None)

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        entity, raw = split_id(object_id)
        if entity == "lead":
            body = {k: changes[k] for k in ("name", "color") if k in changes}
            data = client.http.request("PATCH", f"{LEADS}/{raw}", json_body=body, what=f"lead label {raw}")["data"]
            return _obj("lead", data["id"], data.get("name"), data.get("color"))
        client.http.request("PATCH", _options_path(entity), json_body=[{"id": raw, "label": changes["name"]}],
                            what=f"{entity} label {raw}")
        return _obj(entity, raw, changes["name"], None)

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        entity, raw = split_id(object_id)
        if entity == "lead":
            client.http.request("DELETE", f"{LEADS}/{raw}", what=f"lead label {raw}")
        else:
            client.http.request("DELETE", _options_path(entity), json_body=[{"id": raw}], what=f"{entity} label {raw}")


API = LabelCalls()


def holders(client: PipedriveClient, object_id: Any) -> Iterator[tuple[str, Any]]:
    """(kind, id) of every live record that has the label (archived deals and leads too): what its
    delete takes it off (reconciler/shapeloss.py). One scan of the kind's lists, made only then."""
    from reconciler import kinds

    entity, raw = split_id(object_id)
    spec = kinds.kind(entity)
    version = "v1" if entity == "lead" else "v2"
    path = spec.v1_path if version == "v1" else spec.v2_path
    archived = spec.archived_path if spec.archived_path and spec.archived_path.startswith(f"/api/{version}/") else None
    for list_path in (path, archived):
        if list_path is None:
            continue
        for record in client.paged(list_path, {}, version=version):
            if raw in (record.get("label_ids") or []):
                yield spec.name, record.get("id")
