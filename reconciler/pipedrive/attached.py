"""The HTTP of attached objects: values that are objects of their own, attached to a parent.

A deal's products are each an object with an id, listed, attached, changed and detached
through `/api/v2/deals/{id}/products`. Their field type (reconciler/fieldtypes/composites.py,
`DealProducts`) knows the value: its schema, its comparison, and which calls would make the
live attachments the declared ones (`attached_ops`, a plain value the plan saves). Making
those calls is the client layer's job, here, beside every other request, so no value type
does I/O.

One `AttachedApi` per attached field type, registered by the type's name.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from reconciler.pipedrive.errors import NotFoundError
from reconciler.pipedrive.pages import Calls

if TYPE_CHECKING:
    from reconciler.fieldtypes import FieldSpec
    from reconciler.pipedrive.client import PipedriveClient

BATCH = 100  # parent ids per list call (`deal_ids=` takes up to 100)


def write_each(client: PipedriveClient, path: str, ops: dict, noun: str, owner: str) -> None:
    """One parent's attached items written one call each (no bulk route exists): deletes first,
    then updates (a PATCH of everything but the id), then adds; `noun` and `owner` name each
    call in errors ("variation 7 of product 3")."""
    for item_id in ops.get("delete", []):
        client.http.request("DELETE", f"{path}/{item_id}", what=f"{noun} {item_id} of {owner}")
    for change in ops.get("update", []):
        body = {k: v for k, v in change.items() if k != "id"}
        client.http.request("PATCH", f"{path}/{change['id']}", json_body=body, what=f"{noun} {change['id']} of {owner}")
    for item in ops.get("add", []):
        client.http.request("POST", path, json_body=item, what=f"a {noun} of {owner}")


class AttachedApi:
    """Reads and writes one family of attached objects."""

    # one read call for one parent, as priced (reconciler/pipedrive/costs.py): export says what its
    # per-object reads cost before making them
    each_path = ""

    def read(self, client: Calls, spec: FieldSpec, ids: list[Any], kind: str = "") -> dict[Any, Any]:
        """Parent id -> the canonical value, for these parents of kind `kind` (one list call per batch)."""
        raise NotImplementedError

    def write(self, client: Calls, spec: FieldSpec, parent_id: Any, ops: Any, parent: dict | None = None,
              kind: str = "") -> None:
        """Make the calls `ops` (the type's `attached_ops`) describes, for the parent `parent_id`
        (`parent`: the canonical object a create just made, when there is one)."""
        raise NotImplementedError

    def settle(self, spec: FieldSpec, obj: dict, value: Any) -> Any:
        """The canonical value read for `obj` (the type may need the object: followers, its owner)."""
        return value


class DealProductsApi(AttachedApi):
    """A deal's products: `GET /api/v2/deals/products?deal_ids=` for many deals at once, then one
    DELETE, PATCH or POST under `/api/v2/deals/{id}/products` per attachment that differs."""

    def read(self, client, spec, ids, kind=""):
        kept = (*spec.type.NUMBERS, *spec.type.OTHERS)  # type: ignore[attr-defined]
        out: dict[Any, list[dict]] = {i: [] for i in ids}
        for start in range(0, len(ids), BATCH):
            batch = sorted(ids[start:start + BATCH])
            params = {"deal_ids": ",".join(map(str, batch)), "sort_by": "order_nr", "sort_direction": "asc"}
            for item in client.paged("/api/v2/deals/products", params, version="v2"):
                keep = {"id": item["id"], "product_id": item.get("product_id")}
                keep.update({k: item.get(k) for k in kept})
                out.setdefault(item.get("deal_id"), []).append(keep)
        return out

    def write(self, client, spec, parent_id, ops, parent=None, kind=""):
        write_each(client, f"/api/v2/deals/{parent_id}/products", ops, "product", f"deal {parent_id}")


class FollowersApi(AttachedApi):
    """A deal's, person's or organization's followers: `GET /api/v2/{collection}/{id}/followers` per
    record (no list endpoint takes several records), then one POST (`{user_id}`) or
    DELETE `/followers/{user_id}` per follower added or removed (Pipedrive's v2 FollowersApi)."""

    def read(self, client, spec, ids, kind=""):
        return {i: [item["user_id"] for item in client.paged(f"{_path(kind)}/{i}/followers",
                                                               {"limit": 500}, version="v2")]
                for i in ids}

    def settle(self, spec, obj, value):
        # the owner is seen with the followers: Pipedrive makes it follow by itself (fieldtypes/followers.py)
        return {"owner": obj.get("owner_id"), "users": sorted(value)}

    def write(self, client, spec, parent_id, ops, parent=None, kind=""):
        path = f"{_path(kind)}/{parent_id}/followers"
        for user_id in ops.get("delete", []):
            client.http.request("DELETE", f"{path}/{user_id}", what=f"follower {user_id} of {kind} {parent_id}")
        owner = (parent or {}).get("owner_id")  # a record just created follows its owner already
        for user_id in ops.get("add", []):
            if user_id != owner:
                client.http.request("POST", path, json_body={"user_id": user_id},
                                    what=f"follower {user_id} of {kind} {parent_id}")


def _path(kind: str) -> str:
    """A record kind's v2 collection (`/api/v2/deals`): its followers live under it."""
    return {"deal": "/api/v2/deals", "person": "/api/v2/persons", "organization": "/api/v2/organizations"}[kind]


RELATIONSHIPS = "/api/v1/organizationRelationships"


def _org_id(value: Any) -> Any:
    """An organization in a relationship answer: an id, or an object whose `value` is the id."""
    return value.get("value", value.get("id")) if isinstance(value, dict) else value


class RelationshipsApi(AttachedApi):
    """An organization's relationships (`parent:`, `related:`): `GET /api/v1/organizationRelationships
    ?org_id=` per organization (read once for both fields), `POST` one per relationship added
    (`AddOrganizationRelationshipRequest`), `DELETE /{id}` one per relationship removed."""

    each_path = RELATIONSHIPS

    def __init__(self) -> None:
        self._seen: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # client -> org id -> answer
        self._adding = threading.Lock()

    def _list(self, client: Calls, org_id: Any) -> list[dict]:
        seen = self._seen.setdefault(client, {})
        if org_id not in seen:
            seen[org_id] = list(client.paged(RELATIONSHIPS, {"org_id": org_id}, version="v1"))
        return seen[org_id]

    def read(self, client, spec, ids, kind=""):
        return {i: self._list(client, i) for i in ids}

    def settle(self, spec, obj, value):
        me = obj.get("id")
        found = []
        for rel in value:
            owner, linked = _org_id(rel.get("rel_owner_org_id")), _org_id(rel.get("rel_linked_org_id"))
            if spec.type.name == "organization parent" and rel.get("type") == "parent" and linked == me:
                return {"org": owner, "id": rel["id"]}
            if spec.type.name == "organization related" and rel.get("type") == "related" and me in (owner, linked):
                found.append({"org": linked if owner == me else owner, "id": rel["id"]})
        return None if spec.type.name == "organization parent" else found

    def write(self, client, spec, parent_id, ops, parent=None, kind=""):
        for rel_id in ops.get("delete", []):
            try:
                client.http.request("DELETE", f"{RELATIONSHIPS}/{rel_id}", what=f"organization relationship {rel_id}")
            except NotFoundError:
                pass  # a related pair unlinked from both ends: the other end's write removed it already
        for add in ops.get("add", []):
            if add["type"] == "parent":
                self._add(client, "parent", add["org"], parent_id)
                continue
            # a related pair declared from both ends is made once, by the first end applied; apply's
            # workers write both ends at once, so the look and the add are one step
            with self._adding:
                current = client.paged(RELATIONSHIPS, {"org_id": parent_id}, version="v1")
                if not any(rel.get("type") == "related" and add["org"] in (_org_id(rel.get("rel_owner_org_id")),
                                                                            _org_id(rel.get("rel_linked_org_id")))
                           for rel in current):
                    self._add(client, "related", parent_id, add["org"])

    @staticmethod
    def _add(client: Calls, kind: str, owner: Any, linked: Any) -> None:
        client.http.request("POST", RELATIONSHIPS, json_body={
            "type": kind, "rel_owner_org_id": owner, "rel_linked_org_id": linked},
            what=f"{kind} relationship of organizations {owner} and {linked}")


# attached field type's name -> the calls that read and write it
class VariationsApi(AttachedApi):
    """A product's variations: `GET /api/v2/products/{id}/variations` per product (no list takes several
    products), then one POST (`AddProductVariationRequest`), PATCH (`UpdateProductVariationRequest`) or
    DELETE `/variations/{id}` per variation that differs."""

    each_path = "/api/v2/products/1/variations"

    def read(self, client, spec, ids, kind=""):
        out: dict[Any, list[dict]] = {}
        for product_id in ids:
            listed = client.paged(f"/api/v2/products/{product_id}/variations", {"limit": 100}, version="v2")
            out[product_id] = [{"id": item["id"], "name": item.get("name"),
                                "prices": [{k: p.get(k) for k in ("price", "currency", "cost", "direct_cost", "notes")
                                            if k in p} for p in item.get("prices") or []]} for item in listed]
        return out

    def write(self, client, spec, parent_id, ops, parent=None, kind=""):
        write_each(client, f"/api/v2/products/{parent_id}/variations", ops, "variation", f"product {parent_id}")


_RELATIONSHIPS = RelationshipsApi()  # one reader for both fields: one list call serves them
APIS: dict[str, AttachedApi] = {"deal products": DealProductsApi(), "followers": FollowersApi(),
                                "organization parent": _RELATIONSHIPS, "organization related": _RELATIONSHIPS,
                                "product variations": VariationsApi()}


def api_for(spec: FieldSpec) -> AttachedApi:
    """The calls of an attached field (a KeyError names a type registered nowhere)."""
    return APIS[spec.type.name]
