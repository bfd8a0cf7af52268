"""Activity types as a kind: Pipedrive's v1 `activityTypes`, whose API differs from a collection's.

Why a module of its own: the official client (npm `pipedrive` 33.x, v1 `ActivityTypesApi`) has
four calls and no others: list every type (`GET /api/v1/activityTypes`, one answer, no paging,
no get by id), create (`POST`, `AddActivityTypeRequest`: name, icon_key, color), update (`PUT
.../{id}`, `UpdateActivityTypeRequest`: name, icon_key, color, order_nr) and delete (`DELETE
.../{id}`), which "marks an activity type as deleted": the type stays listed with `active_flag`
false, past activities keep it, and no request model sets `active_flag` back. So a deactivated
type reads as absent here, and declaring its name again creates a new active type.

Activities name a type by its key (`key_string`, Pipedrive's, derived from the name when the type
is created and kept through renames) or by its name; the canonical object keeps the key so that a
plan may hand an activity the key of a type the same apply creates (`Placeholder(..., ("key_string",))`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.pipedrive import adapters
from reconciler.pipedrive.pages import WholeListCalls

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

KIND = "activity_type"
PATH = "/api/v1/activityTypes"


def _canon(record: Mapping[str, Any]) -> dict:
    return adapters.from_api(KIND, record, "v1")


def active(client: PipedriveClient) -> list[dict]:
    """Every active type, canonical (one call: the list has no paging)."""

    return [_canon(r) for r in client.activity_types() if not adapters.gone(r)]


class ActivityTypeCalls(WholeListCalls):
    """The client's calls for activity types (KindHooks.api)."""

    def read_all(self, client: PipedriveClient) -> list[dict]:
        return active(client)

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        body = adapters.to_api(KIND, changes, "v1")
        answer = client.http.request("POST", PATH, json_body=body, what="new activity type")
        return _canon(answer["data"])

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        body = adapters.to_api(KIND, changes, "v1")
        answer = client.http.request("PUT", f"{PATH}/{object_id}", json_body=body,
                                     what=f"activity type {object_id}")
        return _canon(answer["data"])

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        client.http.request("DELETE", f"{PATH}/{object_id}", what=f"activity type {object_id}")


API = ActivityTypeCalls()
