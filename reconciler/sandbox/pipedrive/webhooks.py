"""``/api/v1/webhooks``: webhooks as the official client has them (npm ``pipedrive`` 33.x, v1 ``WebhooksApi``).

Three calls and no others: list the company's webhooks (``GET``, ``GetWebhooksResponse``: a list of
``BaseWebhook``), create one (``POST``, ``AddWebhookRequest``: subscription_url, event_action,
event_object and name required; user_id, http_auth_user, http_auth_password and version optional)
and delete one (``DELETE /webhooks/{id}``). There is no update: a changed webhook is deleted and
created again. The password is kept, to be sent with each delivery, and never answered
(``http_auth_password`` is null in every answer): nothing read back can leak it.
"""

from __future__ import annotations

import re
from typing import Any

from .base import Ctx, Router
from .errors import bad_request, not_found

ACTIONS = ("create", "change", "delete", "*")  # AddWebhookRequestEventActionConst
OBJECTS = ("activity", "deal", "lead", "note", "organization", "person", "pipeline", "product", "stage", "user",
           "*")  # AddWebhookRequestEventObjectConst
VERSIONS = ("1.0", "2.0")
FIELDS = ("subscription_url", "event_action", "event_object", "name", "user_id", "http_auth_user",
          "http_auth_password", "version")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def webhook_v1(record: dict[str, Any]) -> dict[str, Any]:
    """One BaseWebhook as the official model has it; the password is never answered."""
    return {
        "id": record["id"], "company_id": record["company_id"], "owner_id": record["owner_id"],
        "user_id": record["user_id"], "event_action": record["event_action"],
        "event_object": record["event_object"], "subscription_url": record["subscription_url"],
        "version": record["version"], "is_active": 1, "add_time": record["add_time"].replace("T", " ")[:19],
        "remove_time": None, "type": record.get("type", "general"), "http_auth_user": record.get("http_auth_user"),
        "http_auth_password": None, "remove_reason": None, "last_delivery_time": None, "last_http_status": None,
        "admin_id": record["owner_id"], "name": record["name"],
    }


def register(router: Router) -> None:
    def list_webhooks(ctx: Ctx) -> tuple[int, Any]:
        hooks = ctx.company.store.select(ctx.company.id, "webhook")
        return 200, {"success": True, "data": [webhook_v1(h) for h in hooks]}

    def post(ctx: Ctx) -> tuple[int, Any]:
        body = ctx.only(FIELDS)
        for name in ("subscription_url", "event_action", "event_object", "name"):
            if not body.get(name):
                raise bad_request(f"Parameter '{name}' is required")
        if not isinstance(body["subscription_url"], str) or not URL.match(body["subscription_url"]) \
                or "pipedrive.com" in body["subscription_url"].lower():
            raise bad_request("Parameter 'subscription_url' must be a full, valid URL (not a Pipedrive API URL)")
        if body["event_action"] not in ACTIONS:
            raise bad_request(f"Parameter 'event_action' must be one of: {', '.join(ACTIONS)}")
        if body["event_object"] not in OBJECTS:
            raise bad_request(f"Parameter 'event_object' must be one of: {', '.join(OBJECTS)}")
        version = body.get("version") or "2.0"  # the default since 17 March 2025
        if version not in VERSIONS:
            raise bad_request(f"Parameter 'version' must be one of: {', '.join(VERSIONS)}")
        user_id = body.get("user_id") or ctx.company.api_user_id
        if not isinstance(user_id, int) or ctx.company.store.get(ctx.company.id, "user", user_id) is None:
            raise bad_request(f"User {user_id} not found")
        record = {
            "company_id": ctx.company.id, "owner_id": ctx.company.api_user_id, "user_id": user_id,
            "event_action": body["event_action"], "event_object": body["event_object"],
            "subscription_url": body["subscription_url"], "version": version, "name": body["name"],
            "http_auth_user": body.get("http_auth_user"), "http_auth_password": body.get("http_auth_password"),
            "type": "general",
        }
        record = ctx.company.store.insert(ctx.company.id, "webhook", record)
        return 201, {"success": True, "data": webhook_v1(record)}

    def delete(ctx: Ctx) -> tuple[int, Any]:
        found = ctx.company.store.get(ctx.company.id, "webhook", ctx.id())
        if found is None or found.get("is_deleted"):
            raise not_found("Webhook not found")
        found["is_deleted"] = True
        ctx.company.store.put(ctx.company.id, "webhook", found)
        return 200, {"success": True}

    router.add("/api/v1/webhooks", get=list_webhooks, post=post)
    router.add("/api/v1/webhooks/{id}", delete=delete)
