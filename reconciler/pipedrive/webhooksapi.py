"""Webhooks as a kind: Pipedrive's v1 `webhooks`, which can be listed, created and deleted, never updated.

Why a module of its own: the official client (npm `pipedrive` 33.x, v1 `WebhooksApi`) has three
calls: `GET /api/v1/webhooks` (every webhook of the company, one answer), `POST` (`AddWebhookRequest`)
and `DELETE .../{id}`. So a changed webhook is replaced: the old one is deleted, then the new one
created (its id changes; apply records the new one). Deleting first means an interrupted replace
leaves no duplicate: the lock still names the old id, which is gone, and the next plan creates it.

The HTTP auth password is never in the manifests, the plan or the lock: the manifests name an
environment variable (`http_auth_password_env`), whose value is read here, at the moment of the
POST, and sent only in that body. Whatever an answer says about a password is dropped on reading.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler import redact
from reconciler.pipedrive.pages import WholeListCalls

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient

KIND = "webhook"
PATH = "/api/v1/webhooks"
KEPT = ("name", "subscription_url", "event_action", "event_object", "user_id", "version", "http_auth_user", "type")
SENT = ("subscription_url", "event_action", "event_object", "name", "user_id", "http_auth_user", "version")


def canonical(record: Mapping[str, Any]) -> dict:
    """A BaseWebhook answer as the engine compares it: the password left out, whatever it says."""
    out = {"id": int(record["id"])}
    out.update({key: record.get(key) for key in KEPT})
    return out


def read_all(client: PipedriveClient) -> list[dict]:
    answer = client.http.request("GET", PATH, what="webhooks")
    return [canonical(r) for r in answer.get("data") or [] if r.get("is_active", 1) not in (0, False)]


def password(env_name: str) -> str:
    """The password an environment variable holds; a missing one is refused before any write."""
    value = os.environ.get(env_name)
    if value is None:
        from reconciler.pipedrive.errors import ApiValidationError

        raise ApiValidationError(f"environment variable {env_name} is not set (a webhook's HTTP auth password); "
                                 "nothing was sent", path=PATH)
    redact.register(value)  # an error echoing the body, or the --debug trace, shows *** instead
    return value


def request_body(changes: Mapping[str, Any]) -> dict[str, Any]:
    """AddWebhookRequest from canonical values; the password read from its variable now."""
    body = {key: changes[key] for key in SENT if changes.get(key) is not None}
    env_name = changes.get("http_auth_password_env")
    if env_name:
        body["http_auth_password"] = password(env_name)
    return body


def _post(client: PipedriveClient, body: dict[str, Any], what: str) -> dict:
    """POST one webhook; when the answer is lost (the write may have happened), the webhook it made
    is looked for among those that were not there before, so a retry never makes a second one.

    Why here and not by natural key (apply's usual recovery): webhooks have none, so that another
    integration's webhook with the same URL and events is never mistaken for ours.
    """
    from reconciler.pipedrive.errors import AmbiguousWriteError

    before = {hook["id"] for hook in read_all(client)}
    try:
        answer = client.http.request("POST", PATH, json_body=body, what=what)
    except AmbiguousWriteError:
        made = [hook for hook in read_all(client) if hook["id"] not in before
                and all(hook.get(key) == body.get(key) for key in ("subscription_url", "event_action", "event_object",
                                                                    "name"))]
        if not made:
            raise
        return max(made, key=lambda hook: hook["id"])
    return canonical(answer["data"])


class WebhookCalls(WholeListCalls):
    """The client's calls for webhooks (client.OWN_CALLS)."""

    def read_all(self, client: PipedriveClient) -> list[dict]:
        return read_all(client)

    def create(self, client: PipedriveClient, changes: Mapping[str, Any]) -> dict:
        return _post(client, request_body(changes), "new webhook")

    def update(self, client: PipedriveClient, object_id: Any, changes: Mapping[str, Any]) -> dict:
        """A replace: delete, then create with every declared value (the plan's writes carry them all)."""
        body = request_body(changes)  # a missing password variable stops here, before the delete
        client.http.request("DELETE", f"{PATH}/{object_id}", what=f"webhook {object_id}")
        return _post(client, body, f"webhook {object_id} (replacement)")

    def delete(self, client: PipedriveClient, object_id: Any) -> None:
        client.http.request("DELETE", f"{PATH}/{object_id}", what=f"webhook {object_id}")


API = WebhookCalls()
