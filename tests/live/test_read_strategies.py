"""The live reader's strategies, each on the account shape that makes it the cheapest.

Counted through the client's own stats: what the reader spends is what users pay.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.seed import seed_database
from tests.conftest import InProcess, write_manifests


def _seeded(tmp_path: Path, **sizes) -> tuple[InProcess, dict]:
    db = str(tmp_path / "seeded.db")
    seed_database(db, seed=5, **sizes)
    return InProcess(db), {}


def test_few_unknown_in_a_large_account_are_searched_not_scanned(tmp_path):
    sandbox, _ = _seeded(tmp_path, organizations=5000)
    try:
        oldest = sandbox.raw.get("/api/v2/organizations", params={"limit": 500}).json()
        wanted = oldest["data"][100:102]  # not on the first page the reader asks for (newest first)
        project = write_manifests(tmp_path / "p", {"organizations": {
            f"o{i}": {"name": org["name"]} for i, org in enumerate(wanted)}})
        with sandbox.client() as client:
            from reconciler.config import Settings
            from reconciler.session import plan_run

            run = plan_run(client, Settings(), [str(project)])
            routes = dict(client.stats.by_route)
        assert run.plan.summary["create"] == 0
        assert {a["id"] for a in run.plan.adopt} == {o["id"] for o in wanted}
        # one page of 500, then two searches and one ids batch: not the 10 pages of a full scan
        assert routes.get("GET /api/v2/organizations/search") == 2
        assert routes.get("GET /api/v2/organizations") == 2
    finally:
        sandbox.close()


def test_a_complete_lock_over_most_of_a_kind_is_read_by_scan(tmp_path):
    sandbox, _ = _seeded(tmp_path, organizations=1200)
    try:
        orgs = []
        cursor = None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = sandbox.raw.get("/api/v2/organizations", params=params).json()
            orgs += page["data"]
            cursor = page["additional_data"].get("next_cursor")
            if not cursor:
                break
        data = {"organizations": {f"o{o['id']}": {"name": o["name"]} for o in orgs}}
        project = write_manifests(tmp_path / "p", data)
        plan, result = sandbox.apply(project)  # adopts all and writes the lock
        assert result.ok and plan.summary["create"] == 0
        with sandbox.client() as client:
            from reconciler.config import Settings
            from reconciler.session import plan_run

            run = plan_run(client, Settings(), [str(project)])
            calls = client.stats.by_route.get("GET /api/v2/organizations", 0)
        assert run.plan.summary["unchanged"] == 1200
        # 3 pages of an id-ordered scan, not 12 ids batches
        assert calls == 3
    finally:
        sandbox.close()


def test_known_ids_spread_over_a_large_account_are_fetched_by_batches_without_a_first_scan_page(tmp_path):
    """700 pinned organizations among 8,000: 7 ids batches. A scan to the highest of them would
    take 16 pages if ids were dense (8 with half of them deleted), so the reader does not try
    one first (it did: one page, then 7 batches, in bench_read.py's persons and deals)."""
    sandbox, _ = _seeded(tmp_path, organizations=8000)
    try:
        ids = list(range(11, 8001, 11))[:700]
        orgs = sandbox.raw.get("/api/v2/organizations", params={"ids": ",".join(map(str, ids[:100]))}).json()["data"]
        assert len(orgs) == 100
        data = {"organizations": {f"o{i}": {"id": i} for i in ids}}
        project = write_manifests(tmp_path / "p", data)
        with sandbox.client() as client:
            from reconciler.config import Settings
            from reconciler.session import plan_run

            plan_run(client, Settings(), [str(project)])
            calls = client.stats.by_route.get("GET /api/v2/organizations", 0)
        assert calls == 7
    finally:
        sandbox.close()


def test_few_notes_pinned_in_a_large_account_are_scanned_for_not_fetched_one_by_one(tmp_path):
    """Issue #28: 200 notes pinned by id among 20,000 took 201 calls (one GET each, the choice made
    by token prices alone); a scan of the 40 pages is 5x fewer calls at 2x the tokens, which the
    reader now weighs (docs/costs.md): at most 60 calls and 1,100 tokens, fixed reads included."""
    import random

    sandbox, _ = _seeded(tmp_path, organizations=200, notes=20000)
    try:
        with sandbox.client() as client:
            notes = list(client.list("note"))
        assert len(notes) == 20000
        picked = random.Random(3).sample(notes, 200)
        project = write_manifests(tmp_path / "p", {"notes": {
            f"n{note['id']}": {"id": note["id"], "content": note["content"]} for note in picked}})
        with sandbox.client() as client:
            from reconciler.config import Settings
            from reconciler.session import plan_run

            run = plan_run(client, Settings(), [str(project)])
            calls, tokens, routes = client.stats.api_calls, client.stats.tokens, dict(client.stats.by_route)
        assert run.plan.summary["create"] == 0  # every pinned note was found
        assert routes.get("GET /api/v1/notes/{id}", 0) == 0
        assert routes["GET /api/v1/notes"] == 40
        assert calls <= 60, routes
        assert tokens <= 1100, (tokens, routes)
    finally:
        sandbox.close()
