"""Two applies from two checkouts at once, against one account (issue 12, case 2).

Two clones of one manifest repository, each with its own lock, applied at the same moment
against `sandbox serve --rate-limit 40`: before, both said "Apply complete!" and 179
duplicates were left. Now the account's lease (reconciler/lease.py) lets one create while
the other waits, then finds the winner's objects by their natural keys and adopts them:
no duplicate, and both clones plan clean afterwards. bench/bench_race.py runs it 5 times
and reports the duplicates, the extra calls and the wall time.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import cli_env, live_census, run_cli, start_cli, wait_for


def race_manifests(n: int = 60) -> dict:
    return {
        "organizations": {f"race-org-{i}": {"name": f"Race Org {i}"} for i in range(n)},
        "persons": {f"race-person-{i}": {"name": f"Race Person {i}", "org": f"race-org-{i}",
                                         "emails": [f"p{i}@race.example.com"]} for i in range(n)},
        "deals": {f"race-deal-{i}": {"title": f"Race deal {i}", "org": f"race-org-{i}", "value": i}
                  for i in range(n)},
    }


def clone(root: Path, data: dict) -> Path:
    root.mkdir(parents=True)
    (root / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def test_two_checkouts_applying_at_once_make_no_duplicate(tmp_path: Path, sandbox_process) -> None:
    """Both plan the same 180 creates before either writes: the test holds the account's lease
    until both wait for it, then lets go. Started freely, the two processes sometimes did not
    overlap at all on a loaded machine (one had finished before the other read live state), and
    the test then proved nothing; bench/bench_race.py runs the free race."""
    data = race_manifests()
    server = sandbox_process("race", rate_limit=40)
    held = server.api.call("POST", "/api/v1/leadLabels",
                           json={"name": "reconciler lease test:1:abc until 2099-01-01T00:00:00Z", "color": "gray"})
    env = cli_env(RECONCILER_RATE_LIMIT="40")
    clones = [clone(tmp_path / name, data) for name in ("laptop", "ci-runner")]
    procs = [start_cli("apply", str(c), "--auto-approve", "--endpoint", server.endpoint, env=env) for c in clones]
    assert wait_for(lambda: server.api.stats()["by_route"].get("GET /api/v1/leadLabels", 0) >= 2, 120), \
        "the applies never reached the lease"
    server.api.call("DELETE", f"/api/v1/leadLabels/{held['id']}")
    results = [proc.communicate(timeout=240) + (proc.returncode,) for proc in procs]
    for out, err, code in results:
        assert code == 0, out[-2000:] + err[-2000:]
    census = live_census(server.api, data)
    assert census["duplicates"] == [], census["duplicates"]
    assert census["missing"] == [], census["missing"]
    assert any("waiting for another apply" in err or "planning again" in err for _out, err, _code in results)
    for c in clones:
        again = run_cli("plan", str(c), "--endpoint", server.endpoint, "--detailed-exitcode")
        assert again.code == 0, again.both[-2000:]
    third = clone(tmp_path / "third", data)  # a third checkout, with no lock at all, finds one object each
    fresh = run_cli("plan", str(third), "--endpoint", server.endpoint, "--detailed-exitcode")
    assert fresh.code == 0, fresh.both[-2000:]
    leases = run_cli("lease", "list", "--endpoint", server.endpoint)
    assert leases.code == 0 and "held" not in leases.out, leases.both


def test_a_crashed_holders_lease_expires_and_break_removes_a_live_one(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("stale")
    api = server.api
    api.call("POST", "/api/v1/leadLabels", json={"name": "reconciler lease gone:1:abc until 2020-01-01T00:00:00Z",
                                                   "color": "gray"})
    project = clone(tmp_path / "p", race_manifests(3))
    env = cli_env(RECONCILER_LEASE_WAIT="5")
    applied = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint, env=env)
    assert applied.code == 0, applied.both[-2000:]  # the expired lease did not block it
    names = [label["name"] for label in api.call("GET", "/api/v1/leadLabels")]
    assert not any(name.startswith("reconciler") for name in names), names  # nothing left in the account

    api.call("POST", "/api/v1/leadLabels", json={"name": "reconciler lease stuck:2:def until 2099-01-01T00:00:00Z",
                                                   "color": "gray"})
    more = race_manifests(4)
    (project / "crm.yaml").write_text(yaml.safe_dump(more, sort_keys=False), encoding="utf-8")
    blocked = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint,
                      env=cli_env(RECONCILER_LEASE_WAIT="1"))
    assert blocked.code == 1
    assert "another apply of this account is running (stuck:2:def" in blocked.err
    assert "reconciler lease break" in blocked.err
    listed = run_cli("lease", "list", "--endpoint", server.endpoint)
    assert "stuck:2:def" in listed.out and "(held)" in listed.out
    assert run_cli("lease", "break", "--endpoint", server.endpoint).code == 1  # live: only with --force
    stuck = next(x for x in api.call("GET", "/api/v1/leadLabels") if "stuck:2:def" in x["name"])
    api.call("DELETE", f"/api/v1/leadLabels/{stuck['id']}")  # as if its holder ended (--force: tests below)
    assert run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint).code == 0


def test_an_apply_without_creates_takes_no_lease(tmp_path: Path, http_sandbox) -> None:
    from tests.conftest import KEY, invoke

    env = {"MATON_API_KEY": KEY}
    project = clone(tmp_path / "p", race_manifests(2))
    assert invoke(["apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint], env=env).code == 0
    data = race_manifests(2)
    data["deals"]["race-deal-0"]["value"] = 99
    (project / "crm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    http_sandbox.gateway.reset_stats()
    assert invoke(["apply", str(project), "--auto-approve", "--endpoint", http_sandbox.endpoint], env=env).code == 0
    assert not [r for r in http_sandbox.gateway.stats()["by_route"] if "leadLabels" in r]


def test_the_next_apply_of_a_checkout_removes_the_lease_its_killed_apply_left(tmp_path: Path,
                                                                              sandbox_process) -> None:
    """kill -9 in the middle of an apply leaves its lease (nothing can release it); the same
    checkout's next apply holds the project lock, so that apply is over: its lease goes at once.
    Another checkout cannot know that, and waits for the TTL as before."""
    import time

    server = sandbox_process("killed-lease", rate_limit=10)
    project = clone(tmp_path / "p", race_manifests(15))
    proc = start_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint,
                     env=cli_env(RECONCILER_RATE_LIMIT="10"))
    record = project / "reconciler.lock.lease"
    deadline = time.monotonic() + 60
    while not (record.exists() and server.api.stats()["by_route"].get("POST /api/v2/organizations", 0) >= 2):
        assert time.monotonic() < deadline, "the apply never started creating"
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=30)
    time.sleep(1.1)  # the gateway's window forgets the killed apply's requests
    holder = record.read_text(encoding="utf-8").strip()
    names = [label["name"] for label in server.api.call("GET", "/api/v1/leadLabels")]
    assert any(name.startswith(f"reconciler apply in progress (lease {holder} until ") for name in names), names

    other = clone(tmp_path / "other", race_manifests(15))
    waited = run_cli("apply", str(other), "--auto-approve", "--endpoint", server.endpoint,
                     env=cli_env(RECONCILER_LEASE_WAIT="1"))
    assert waited.code == 1 and f"another apply of this account is running ({holder}" in waited.err, waited.both

    again = run_cli("apply", str(project), "--auto-approve", "--endpoint", server.endpoint,
                    env=cli_env(RECONCILER_LEASE_WAIT="1"))  # 1 s of waiting at most: the TTL is 120 s
    assert again.code == 0, again.both[-2000:]
    assert "waiting for another apply" not in again.err
    assert not record.exists()  # released: nothing left behind
    census = live_census(server.api, race_manifests(15))
    assert census["duplicates"] == [] and census["missing"] == [], census
    names = [label["name"] for label in server.api.call("GET", "/api/v1/leadLabels")]
    assert not any(" until " in name for name in names), names


def test_two_applies_releasing_in_the_same_second_leave_no_lease_held(in_process, tmp_path: Path) -> None:
    """Lead label names are unique: release markers named by time alone collided when two
    applies finished in the same second, and the second lease stayed held for its TTL
    (the race test above failed 3 runs in 5 on that)."""
    from reconciler import lease

    with in_process.client() as client:
        first = lease.acquire(client, wait=0, record=tmp_path / "a.lease")
        first.release()
        second = lease.acquire(client, wait=0, record=tmp_path / "b.lease")
        second.release()
        assert first.lease.holder != second.lease.holder
        assert not [held for held in lease.leases(client)], "a lease is still held"
        assert not (tmp_path / "a.lease").exists() and not (tmp_path / "b.lease").exists()
