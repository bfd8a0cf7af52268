"""Pipedrive operations in canonical shapes, over either API version.

Above this module nothing knows about envelopes, cursors, start/limit or where v1 and v2
put things. Paths come from the kinds table; v2 is used for every kind that has it
unless the settings force v1 (accounts or gateways that expose only v1); notes are v1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.pipedrive import (
    activitytypes,
    adapters,
    attached,
    fieldsapi,
    filters,
    goalsapi,
    labelsapi,
    webhooksapi,
)
from reconciler.pipedrive.http import HttpClient
from reconciler.pipedrive.pages import Page

if TYPE_CHECKING:
    from reconciler.vocabulary import AccountSchema

PAGE_LIMIT = 500
IDS_BATCH = 100
CHANGELOG_KINDS = ("deal", "person", "organization")  # the kinds Pipedrive keeps a change history for
# Kinds whose API is not one path per kind (custom fields: one schema per entity, several calls
# per change; activity types and labels: v1 paths and label field options): their calls, by kind. Every other kind goes through the generic calls below.
OWN_CALLS: dict[str, Any] = {fieldsapi.KIND: fieldsapi.API, activitytypes.KIND: activitytypes.API,
                             labelsapi.KIND: labelsapi.API, filters.KIND: filters.API, goalsapi.KIND: goalsapi.API,
                             webhooksapi.KIND: webhooksapi.API}


def _as_is(obj: dict) -> dict:
    return obj


class PipedriveClient:
    """High-level calls: list, get by ids, search, create, update, delete, and the schemas.

    Converting v1 custom values needs each custom field's type, which the account's schema
    holds: a client made with `using(schema)` is given it explicitly (the schema is loaded
    by whichever command needs it, with a client that has none).
    """

    def __init__(self, http: HttpClient, *, api_version: str = "v2", schema: AccountSchema | None = None) -> None:
        self.http = http
        self.api_version = api_version
        self.schema = schema

    def using(self, schema: AccountSchema) -> PipedriveClient:
        """The same connection, converting custom values with this account schema."""
        return PipedriveClient(self.http, api_version=self.api_version, schema=schema)

    @property
    def stats(self):
        return self.http.stats

    def version_for(self, kind: str) -> str:
        spec = kinds.kind(kind)
        if not spec.v1_path:
            return "v2"  # no supported v1 API (products): v2 whatever the setting
        return "v2" if self.api_version == "v2" and spec.v2_path else "v1"

    def newest_first(self, kind: str) -> dict[str, str]:
        """List parameters for the newest objects first: v2 by id; v1 by the kind's own sort
        (leads have no id order: their ids are UUIDs)."""
        if self.version_for(kind) == "v2":
            return {"sort_by": "id", "sort_direction": "desc"}
        return {"sort": kinds.kind(kind).v1_newest_first}

    def _path(self, kind: str) -> str:
        spec = kinds.kind(kind)
        return spec.v2_path if self.version_for(kind) == "v2" else spec.v1_path  # type: ignore[return-value]

    # -- paging -----------------------------------------------------------------

    def pages(self, path: str, params: dict[str, Any] | None = None, *, version: str) -> Iterator[Page]:
        """Every page of a list endpoint: v2 cursors or v1 start/limit, pages of 500.

        Each page says whether another follows, so a reader can stop after the first
        without paying for the second.
        """
        params = dict(params or {})
        params.setdefault("limit", PAGE_LIMIT)
        if version == "v2":
            cursor = None
            while True:
                answer = self.http.request("GET", path, params={**params, "cursor": cursor})
                cursor = (answer.get("additional_data") or {}).get("next_cursor")
                yield Page(answer.get("data") or [], more=bool(cursor))
                if not cursor:
                    return
        else:
            start = 0
            while True:
                answer = self.http.request("GET", path, params={**params, "start": start})
                extra = answer.get("additional_data") or {}
                # most v1 lists nest their paging under `pagination`; leads answer it flat
                pagination = extra.get("pagination") or extra
                more = bool(pagination.get("more_items_in_collection"))
                yield Page(answer.get("data") or [], more=more)
                if not more:
                    return
                start = pagination.get("next_start") or start + params["limit"]

    def paged(self, path: str, params: dict[str, Any] | None = None, *, version: str) -> Iterator[dict]:
        """Every item of a list endpoint."""
        for page in self.pages(path, params, version=version):
            yield from page

    # -- account and schemas ------------------------------------------------------

    def me(self) -> dict:
        data = self.http.request("GET", "/api/v1/users/me").get("data")
        if not isinstance(data, dict):  # `{"data": null}`: no user to name the account by
            from reconciler.pipedrive.errors import BadAnswerError

            raise BadAnswerError(f"GET /api/v1/users/me answered no user (data: {json.dumps(data)[:40]}): the "
                                 "connection's Pipedrive account cannot be told; check it with `reconciler whoami` "
                                 "or `reconciler connections list`", status=200, path="/api/v1/users/me")
        return data

    def users(self) -> list[dict]:
        return list(self.http.request("GET", "/api/v1/users").get("data") or [])

    def pipelines(self) -> list[dict]:
        version = "v2" if self.api_version == "v2" else "v1"
        return list(self.paged(f"/api/{version}/pipelines", version=version))

    def stages(self) -> list[dict]:
        version = "v2" if self.api_version == "v2" else "v1"
        return list(self.paged(f"/api/{version}/stages", version=version))

    def field_schema(self, kind: str) -> list[dict]:
        """Field definitions of a kind, standard and custom: [{key, name, field_type, options}] (v1 shape)."""
        spec = kinds.kind(kind)
        if not spec.field_schema_path:
            return []
        return list(self.paged(f"/api/v1/{spec.field_schema_path}", version="v1"))

    def activity_types(self) -> list[dict]:
        """The account's activity types (v1 only; not among the deprecated endpoints)."""
        return list(self.http.request("GET", "/api/v1/activityTypes").get("data") or [])

    def labels(self, kind: str) -> list[dict]:
        """A kind's labels from its own endpoint (leads: /api/v1/leadLabels): [{id, name}]."""
        path = kinds.kind(kind).labels_path
        return list(self.http.request("GET", path).get("data") or []) if path else []

    # -- reads ---------------------------------------------------------------------

    def _custom(self, kind: str) -> dict:
        return self.schema.custom_specs(kind) if self.schema is not None else {}

    def _canon(self, kind: str, record: dict, version: str) -> dict:
        return adapters.from_api(kind, record, version, self._custom(kind))

    def canonical(self, kind: str) -> Callable[[dict], dict]:
        """What makes a record of `record_pages(kind)` canonical (as `list_pages` gives them)."""
        if OWN_CALLS.get(kind) is not None:
            return _as_is  # its own calls answer canonical objects already
        return functools.partial(adapters.from_api, kind, version=self.version_for(kind), custom=self._custom(kind))

    def list(self, kind: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        for page in self.list_pages(kind, params):
            yield from page

    def list_pages(self, kind: str, params: dict[str, Any] | None = None, *,
                   archived: bool = False) -> Iterator[Page]:
        """Live objects page by page (canonical, deleted ones left out), for readers that stop early.

        `archived` lists the kind's archived objects instead (v2 lists leave them out).
        """
        canon = self.canonical(kind)
        for page in self.record_pages(kind, params, archived=archived):
            yield Page(map(canon, page), more=page.more)

    def record_pages(self, kind: str, params: dict[str, Any] | None = None, *,
                     archived: bool = False) -> Iterator[Page]:
        """`list_pages`, with each page's records as the API answered them (deleted ones left out).

        For readers that keep many objects and look at few (a plan reads a whole kind to
        find some of it): `canonical(kind)` converts the ones they look at, when they do.
        """
        api = OWN_CALLS.get(kind)
        if api is not None:  # a kind with its own calls (custom fields: one schema per entity)
            yield from api.list_pages(self, params, archived)
            return
        version = self.version_for(kind)
        params = {**kinds.kind(kind).hooks.list_params(version), **(params or {})}
        path = self._path(kind)
        if archived:
            archived_path = kinds.kind(kind).archived_path
            if not archived_path or not archived_path.startswith(f"/api/{version}/"):
                return
            path = archived_path
        for page in self.pages(path, params, version=version):
            yield Page((record for record in page if not adapters.gone(record)), more=page.more)

    def get_many(self, kind: str, ids: Iterable[Any], *, archived: bool = False) -> list[dict]:
        """Objects by id: v2 `ids` filter in batches of 100; v1 one GET each. Missing ids are skipped.

        `archived` looks for them among the archived objects (v2 only).
        """
        ids = sorted(set(ids), key=lambda i: (isinstance(i, str), i))
        spec = kinds.kind(kind)
        api = OWN_CALLS.get(kind)
        if api is not None:
            return [] if archived else api.get_many(self, set(ids))
        if spec.shape:  # a few objects, and no ids filter on their lists: read them all
            wanted = set(ids)
            return [] if archived else [obj for obj in self.list(kind) if obj["id"] in wanted]
        version = self.version_for(kind)
        out: list[dict] = []
        if version == "v2":
            for start in range(0, len(ids), IDS_BATCH):
                batch = ids[start:start + IDS_BATCH]
                params = {"ids": ",".join(map(str, batch)), "limit": IDS_BATCH}
                for page in self.list_pages(kind, params, archived=archived):
                    out.extend(page)
            return out
        if archived:
            return out  # v1 gets answer archived objects too: get() below found them already
        for object_id in ids:
            found = self.get(kind, object_id)
            if found is not None:
                out.append(found)
        return out

    def get(self, kind: str, object_id: Any) -> dict | None:
        from reconciler.pipedrive.errors import NotFoundError

        if OWN_CALLS.get(kind) is not None:
            found = self.get_many(kind, [object_id])
            return found[0] if found else None
        version = self.version_for(kind)
        try:
            answer = self.http.request("GET", f"{self._path(kind)}/{object_id}", what=f"{kind} {object_id}")
        except NotFoundError:
            return None
        record = answer.get("data")
        if not record or adapters.gone(record):
            return None
        return self._canon(kind, record, version)

    def search_ids(self, kind: str, term: str, fields: str, *, exact: bool = True) -> list[Any]:
        """Ids of objects whose `fields` match `term` (Pipedrive's search endpoint)."""
        spec = kinds.kind(kind)
        version = "v2" if self.api_version == "v2" else "v1"
        path = f"{spec.v2_path if version == 'v2' else spec.v1_path}/search"
        params = {"term": term, "fields": fields, "exact_match": "true" if exact else "false"}
        ids = []
        items = self._v2_search(path, params) if version == "v2" else self._v1_search(path, params)
        for item in items:
            inner = item.get("item") if isinstance(item, dict) and "item" in item else item
            if inner and inner.get("id") is not None:
                ids.append(spec.parse_id(inner["id"]))
        return ids

    def _v2_search(self, path: str, params: dict) -> Iterator[dict]:
        """v2 search pages: `data.items` with a cursor (not a plain list like other v2 lists)."""
        cursor = None
        while True:
            page = self.http.request("GET", path, params={**params, "cursor": cursor, "limit": PAGE_LIMIT})
            yield from ((page.get("data") or {}).get("items") or [])
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return

    def _v1_search(self, path: str, params: dict) -> Iterator[dict]:
        start = 0
        while True:
            page = self.http.request("GET", path, params={**params, "start": start, "limit": PAGE_LIMIT})
            yield from ((page.get("data") or {}).get("items") or [])
            pagination = (page.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return
            start = pagination.get("next_start", start + PAGE_LIMIT)

    def changelog(self, kind: str, object_id: Any, limit: int = 100) -> list[dict]:
        """The first page of the change history Pipedrive keeps for a deal, person or organization
        (v1 only: `GET /api/v1/{collection}/{id}/changelog`), [] for kinds without one."""
        path = kinds.kind(kind).v1_path
        if kind not in CHANGELOG_KINDS or path is None:
            return []
        answer = self.http.request("GET", f"{path}/{object_id}/changelog", params={"limit": limit},
                                   what=f"{kind} {object_id} changelog")
        return list(answer.get("data") or [])

    # -- writes ----------------------------------------------------------------------

    def create(self, kind: str, changes: dict[str, Any]) -> dict:
        api = OWN_CALLS.get(kind)
        if api is not None:
            return api.create(self, changes)
        version = self.version_for(kind)
        body = adapters.to_api(kind, changes, version, self._custom(kind))
        answer = self.http.request("POST", self._path(kind), json_body=body, what=f"new {kind}")
        if not isinstance(answer.get("data"), dict):  # `{"data": null}`: whether it was made is unknown
            from reconciler.pipedrive.errors import AmbiguousWriteError

            raise AmbiguousWriteError(f"POST {self._path(kind)} answered without the new {kind}; the write may or "
                                      "may not have happened", path=self._path(kind))
        created = self._canon(kind, answer["data"], version)
        self.write_attached(kind, created["id"], changes, created)
        return created

    def update(self, kind: str, object_id: Any, changes: dict[str, Any]) -> dict | None:
        """Write the changes; only the fields written by calls of their own (attached) make no
        call to the object itself."""
        api = OWN_CALLS.get(kind)
        if api is not None:
            return api.update(self, object_id, changes)
        version = self.version_for(kind)
        spec = kinds.kind(kind)
        body = adapters.to_api(kind, changes, version, self._custom(kind))
        updated = None
        if body or not any(f.api in changes for f in spec.attached_fields):
            method = "PATCH" if version == "v2" else spec.v1_update
            answer = self.http.request(method, f"{self._path(kind)}/{object_id}", json_body=body,
                                       what=f"{kind} {object_id}")
            updated = self._canon(kind, answer["data"], version)
        self.write_attached(kind, object_id, changes)
        return updated

    def write_attached(self, kind: str, object_id: Any, changes: dict[str, Any], created: dict | None = None) -> None:
        """The calls of the kind's attached fields (a deal's products) after the object's write."""
        for field_spec in kinds.kind(kind).attached_fields:
            if field_spec.api in changes:
                attached.api_for(field_spec).write(self, field_spec, object_id, changes[field_spec.api], created,
                                                   kind=kind)

    def read_attached(self, kind: str, objects: dict[Any, dict], names: set[str] | None = None) -> None:
        """Add the attached fields' values (all, or those named) to these canonical objects."""
        if not objects:
            return
        for field_spec in kinds.kind(kind).attached_fields:
            if names is not None and field_spec.name not in names:
                continue
            api = attached.api_for(field_spec)
            values = api.read(self, field_spec, list(objects), kind=kind)
            for object_id, obj in objects.items():
                obj[field_spec.api] = api.settle(field_spec, obj, values.get(object_id, []))

    def delete(self, kind: str, object_id: Any) -> None:
        api = OWN_CALLS.get(kind)
        if api is not None:
            api.delete(self, object_id)
            return
        self.http.request("DELETE", f"{self._path(kind)}/{object_id}", what=f"{kind} {object_id}")
