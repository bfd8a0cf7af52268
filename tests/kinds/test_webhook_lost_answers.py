"""A webhook POST whose answer is lost makes no second webhook (issue 27).

Webhooks have no natural key (another integration's identical webhook must never be taken for
ours), so apply's usual recovery by natural key cannot look for a create that may have happened;
the webhook calls look themselves, among the webhooks that were not there before the POST. The
answer of the first POST is dropped after the sandbox committed it, as a dropped connection does.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import InProcess

HOOK = {"name": "Deals out", "url": "https://hooks.example.com/deals", "event_action": "*", "event_object": "deal"}


class DropFirstWebhookAnswer(httpx.BaseTransport):
    """Passes requests on; the first webhook POST is made, then its answer lost."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.dropped = 0
        self.armed = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.armed and request.method == "POST" and request.url.path.endswith("/v1/webhooks"):
            self.armed = False
            self.dropped += 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response


@pytest.fixture
def sandbox() -> InProcess:
    box = InProcess()
    yield box
    box.close()


def write(project: Path, hooks: dict) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "webhooks.yaml").write_text(yaml.safe_dump({"webhooks": hooks}), encoding="utf-8")


def test_a_lost_create_answer_makes_one_webhook(sandbox: InProcess, tmp_path: Path) -> None:
    foreign = sandbox.call("POST", "/api/v1/webhooks", json={
        "subscription_url": HOOK["url"], "event_action": "*", "event_object": "deal", "name": HOOK["name"]})
    dropper = DropFirstWebhookAnswer(sandbox.transport)
    sandbox.transport = dropper  # type: ignore[assignment]
    project = tmp_path / "crm"
    write(project, {"deals-out": HOOK})
    _, result = sandbox.apply(project)
    assert dropper.dropped == 1 and not [o for o in result.outcomes if o.status != "done"]
    hooks = sandbox.call("GET", "/api/v1/webhooks")
    assert len(hooks) == 2 and foreign["id"] in {h["id"] for h in hooks}  # ours, once, and the other's
    assert not sandbox.plan(project).plan.changes


def test_a_lost_answer_during_a_replace_makes_one_webhook(sandbox: InProcess, tmp_path: Path) -> None:
    project = tmp_path / "crm"
    write(project, {"deals-out": HOOK})
    sandbox.apply(project)
    dropper = DropFirstWebhookAnswer(sandbox.transport)
    sandbox.transport = dropper  # type: ignore[assignment]
    write(project, {"deals-out": {**HOOK, "event_action": "change"}})
    _, result = sandbox.apply(project)
    assert dropper.dropped == 1 and not [o for o in result.outcomes if o.status != "done"]
    (hook,) = sandbox.call("GET", "/api/v1/webhooks")
    assert hook["event_action"] == "change"
    assert not sandbox.plan(project).plan.changes
