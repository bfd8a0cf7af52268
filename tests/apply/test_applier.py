"""The applier is a loop over the plan's ordered changes (issue 16): each change starts once
the changes it `depends_on` have finished, whatever its kind.

Plans are built by hand (the Plan value is the contract between planner and applier) and
applied with the real client over the in-process sandbox; a transport wrapper records the
order in which requests reached the sandbox.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from reconciler.apply import apply_plan
from reconciler.lock import LockFile
from reconciler.normalize import Placeholder
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.http import HttpClient
from reconciler.plan import Change, Plan
from reconciler.session import SANDBOX_ENDPOINT
from tests.conftest import InProcess


class Recording(httpx.BaseTransport):
    """The sandbox's transport, remembering each request's method and path in arrival order."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[str] = []
        self.mutex = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.mutex:
            self.seen.append(f"{request.method} {request.url.path.split('/pipedrive', 1)[1]}")
        return self.inner.handle_request(request)


def _client(sandbox: InProcess, recording: Recording) -> PipedriveClient:
    return PipedriveClient(HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6, transport=recording))


def test_a_change_waits_for_what_it_depends_on_and_gets_its_id(tmp_path: Path) -> None:
    sandbox = InProcess()
    try:
        recording = Recording(sandbox.transport)
        plan = Plan(changes=[
            Change("create", "person", "p", None, fields={"name": {"after": "P"}},
                   writes={"name": "P", "org_id": Placeholder("organization.o")}, depends_on=["organization.o"]),
            Change("create", "organization", "o", None, fields={"name": {"after": "O"}}, writes={"name": "O"}),
        ])
        result = apply_plan(_client(sandbox, recording), plan, LockFile(path=tmp_path / "reconciler.lock"), workers=4)
        assert result.ok, result.failed
        writes = [r for r in recording.seen if r.startswith("POST")]
        assert writes == ["POST /api/v2/organizations", "POST /api/v2/persons"]
        org_id = next(o.id for o in result.outcomes if o.address == "organization.o")
        person = sandbox.call("GET", f"/api/v2/persons/{next(o.id for o in result.outcomes if o.address == 'person.p')}")
        assert person["org_id"] == org_id
    finally:
        sandbox.close()


def test_deletes_run_children_first_as_the_plan_records(tmp_path: Path) -> None:
    sandbox = InProcess()
    try:
        org = sandbox.call("POST", "/api/v2/organizations", json={"name": "Parent"})["id"]
        deal = sandbox.call("POST", "/api/v2/deals", json={"title": "Child", "org_id": org})["id"]
        recording = Recording(sandbox.transport)
        plan = Plan(changes=[
            Change("delete", "organization", "o", org, depends_on=["deal.d"]),
            Change("delete", "deal", "d", deal),
        ])
        result = apply_plan(_client(sandbox, recording), plan, LockFile(path=tmp_path / "reconciler.lock"), workers=4)
        assert result.ok, result.failed
        assert [r for r in recording.seen if r.startswith("DELETE")] == [
            f"DELETE /api/v2/deals/{deal}", f"DELETE /api/v2/organizations/{org}"]
    finally:
        sandbox.close()


def test_a_failed_dependency_skips_its_dependents_only(tmp_path: Path) -> None:
    sandbox = InProcess()
    try:
        recording = Recording(sandbox.transport)
        plan = Plan(changes=[
            Change("create", "organization", "bad", None, writes={"name": "Bad", "owner_id": 987654}),
            Change("create", "person", "child", None, writes={"name": "C", "org_id": Placeholder("organization.bad")},
                   depends_on=["organization.bad"]),
            Change("create", "organization", "good", None, writes={"name": "Good"}),
        ])
        result = apply_plan(_client(sandbox, recording), plan, LockFile(path=tmp_path / "reconciler.lock"), workers=2)
        status = {o.address: o.status for o in result.outcomes}
        assert status == {"organization.bad": "failed", "person.child": "skipped", "organization.good": "done"}
    finally:
        sandbox.close()
