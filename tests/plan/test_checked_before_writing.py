"""Checks that used to happen only during apply, after earlier writes (issue 13, case 4): an
unknown activity type, an `{id: N}` reference to an object the account lacks, a user-type
custom field given an unknown email, a deactivated owner. Each is found by `plan` with the
manifest's FILE:LINE, and apply writes nothing when any is present.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import KEY, invoke


def _project(tmp_path: Path, data: dict) -> Path:
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "all.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return project


def test_every_mistake_is_found_by_plan_and_apply_writes_nothing(tmp_path: Path, http_sandbox) -> None:
    env = {"MATON_API_KEY": KEY}
    endpoint = ["--endpoint", http_sandbox.endpoint]
    data = {
        "organizations": {"chk-org": {"name": "Checked Org"}},
        "persons": {"chk-person": {"name": "Checked Person", "org": {"id": 99999}}},
        "activities": {"chk-call": {"subject": "Checked call", "org": "chk-org", "type": "callz"}},
    }
    project = _project(tmp_path, data)
    plan = invoke(["plan", str(project), *endpoint], env=env)
    assert plan.code == 1
    assert "all.yaml:" in plan.err
    assert "unknown activity type 'callz'; did you mean 'call'?" in plan.err
    assert "field 'org' names organization id 99999, which does not exist in this account" in plan.err
    http_sandbox.gateway.reset_stats()
    applied = invoke(["apply", str(project), "--auto-approve", *endpoint], env=env)
    assert applied.code == 1
    writes = [r for r in http_sandbox.gateway.stats()["by_route"] if not r.startswith("GET")]
    assert writes == [], "apply wrote before it refused"


def test_a_deactivated_owner_is_named_as_deactivated(tmp_path: Path, http_sandbox) -> None:
    env = {"MATON_API_KEY": KEY}
    users = http_sandbox.api.call("GET", "/api/v1/users")
    carol = next(u for u in users if u["email"] == "carol@example.com")
    _deactivate(http_sandbox, carol["id"])
    data = {"organizations": {"chk-org": {"name": "Checked Org", "owner": "carol@example.com"}}}
    plan = invoke(["plan", str(_project(tmp_path, data)), "--endpoint", http_sandbox.endpoint], env=env)
    assert plan.code == 1
    assert "user 'carol@example.com' is deactivated in this Pipedrive account" in plan.err
    assert "did you mean" not in plan.err


def _deactivate(sandbox, user_id: int) -> None:
    """Pipedrive's API cannot deactivate a user; the sandbox's store can (an admin did it in the UI)."""
    store = sandbox.gateway.store
    for connection in store.list_connections():
        company_id = connection["company_id"]
        user = store.get(company_id, "user", user_id)
        if user is not None:
            user["active_flag"] = False
            store.put(company_id, "user", user)


def test_id_references_are_read_with_their_kind_and_cost_no_call_of_their_own(tmp_path: Path,
                                                                               http_sandbox) -> None:
    """An `{id: N}` parent is fetched in the same ids batch as the kind's pinned objects, and a
    missing one is known missing from that batch: checking references added calls (read cost
    went from 68 to 70 calls in bench_read.py) until the reader took them in."""
    env = {"MATON_API_KEY": KEY}
    endpoint = ["--endpoint", http_sandbox.endpoint]
    orgs = [http_sandbox.api.call("POST", "/api/v2/organizations", json={"name": f"Ref Org {i}"}) for i in range(2)]
    data = {
        "organizations": {"ref-org": {"id": orgs[0]["id"], "name": "Ref Org 0"}},
        "persons": {"ref-person": {"name": "Ref Person", "org": {"id": orgs[1]["id"]}},
                    "ref-lost": {"name": "Lost Person", "org": {"id": 99999}}},
    }
    project = _project(tmp_path, data)
    http_sandbox.gateway.reset_stats()
    plan = invoke(["plan", str(project), *endpoint], env=env)
    assert plan.code == 1 and "field 'org' names organization id 99999, which does not exist" in plan.err
    assert "Ref Org 1" not in plan.err
    assert http_sandbox.gateway.stats()["by_route"].get("GET /api/v2/organizations") == 1, \
        http_sandbox.gateway.stats()["by_route"]
