"""The reader weighs calls (time at the rate limit) and tokens (the daily budget): docs/costs.md (#28).

Run on the sandbox, counted by the client's own stats. The gateway's `x-daily-requests-left`
header is added by a transport in front of the sandbox (the sandbox does not meter a daily budget).
"""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from reconciler.config import Settings
from reconciler.pipedrive import costs
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.http import HttpClient
from reconciler.sandbox.seed import seed_database
from reconciler.session import SANDBOX_ENDPOINT, plan_run
from tests.conftest import InProcess, write_manifests


class BudgetHeader(httpx.BaseTransport):
    """The sandbox's answers with the header Pipedrive sends through the gateway: tokens left today."""

    def __init__(self, inner: httpx.BaseTransport, left: int) -> None:
        self.inner, self.left = inner, left

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.headers["x-daily-requests-left"] = str(self.left)
        return response


@pytest.fixture(scope="module")
def notes_account(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("notes") / "seeded.db")
    seed_database(db, seed=5, organizations=200, notes=20000)
    sandbox = InProcess(db)
    with sandbox.client() as client:
        notes = list(client.list("note"))
    yield sandbox, notes
    sandbox.close()


def _plan_pinned(sandbox: InProcess, notes: list[dict], count: int, directory: Path, budget_left: int | None):
    picked = random.Random(count).sample(notes, count)
    project = write_manifests(directory, {"notes": {
        f"n{note['id']}": {"id": note["id"], "content": note["content"]} for note in picked}})
    transport = sandbox.transport if budget_left is None else BudgetHeader(sandbox.transport, budget_left)
    http = HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6, transport=transport)
    try:
        client = PipedriveClient(http)
        run = plan_run(client, Settings(), [str(project)])
        assert run.plan.summary["create"] == 0
        return dict(client.stats.by_route), client.stats
    finally:
        http.close()


def test_the_scan_wins_when_it_saves_many_calls_for_a_few_more_tokens(notes_account, tmp_path):
    sandbox, notes = notes_account
    routes, stats = _plan_pinned(sandbox, notes, 200, tmp_path / "p", None)
    assert routes["GET /api/v1/notes"] == 40 and "GET /api/v1/notes/{id}" not in routes
    assert stats.daily_left is None  # no header: the budget is taken as not scarce


def test_single_gets_win_for_a_few_notes_after_the_first_page_shows_the_account_is_large(notes_account, tmp_path):
    sandbox, notes = notes_account
    routes, _ = _plan_pinned(sandbox, notes, 5, tmp_path / "p", None)
    assert routes["GET /api/v1/notes"] == 1 and routes["GET /api/v1/notes/{id}"] == 5


def test_a_scarce_budget_makes_tokens_decide(notes_account, tmp_path):
    """With 2,000 tokens left today the scan (up to 1,600 tokens at the dearest prices) is more than
    5% of the budget: the 200 GETs (400 tokens by the table) are taken instead, as before #28."""
    sandbox, notes = notes_account
    routes, stats = _plan_pinned(sandbox, notes, 200, tmp_path / "p", 2000)
    assert stats.daily_left == 2000
    assert routes.get("GET /api/v1/notes/{id}", 0) >= 190
    assert routes.get("GET /api/v1/notes", 0) <= 2


def test_an_ample_budget_changes_nothing(notes_account, tmp_path):
    sandbox, notes = notes_account
    routes, stats = _plan_pinned(sandbox, notes, 200, tmp_path / "p", 10_000_000)
    assert stats.daily_left == 10_000_000
    assert routes["GET /api/v1/notes"] == 40 and "GET /api/v1/notes/{id}" not in routes


def test_the_rule_as_documented():
    """docs/costs.md's example, priced by the functions the reader asks."""
    gets = {"get_list": 1, "get_single": 199}  # after the first page, 199 notes still wanted
    scan = {"get_list": 40}
    options = {"direct": [gets], "scan": [scan]}
    scores = costs.weighed_scores(options, "v1")
    assert scores["direct"] == pytest.approx(200 / 40)  # call ratio 5
    assert scores["scan"] == pytest.approx(40 * 40 / (40 + 199) / costs.TOKEN_TOLERANCE)  # 6.7 / 2.5
    assert costs.weighed_choice(options, "v1") == "scan"
    assert costs.weighed_choice(options, "v1", budget_left=1_000_000) == "scan"
    assert costs.weighed_choice(options, "v1", budget_left=10_000) == "direct"  # 1,600 > 5% of 10,000


def test_the_header_is_read_as_a_count_and_a_bad_one_is_ignored():
    assert costs.daily_left({"x-daily-requests-left": "1234"}) == 1234
    assert costs.daily_left({"x-daily-requests-left": "n/a"}) is None
    assert costs.daily_left({}) is None


def test_notes_of_a_few_dozen_parents_are_listed_per_parent_once_a_first_page_shows_the_account_is_large(
        tmp_path):
    """20 notes on 20 organizations, no ids known, among 20,000 notes: 20 per-parent lists (after the
    first page, which says the scan would take 40) instead of the scan (46 calls before #28)."""
    db = str(tmp_path / "seeded.db")
    seed_database(db, seed=5, organizations=4000, notes=20000)
    sandbox = InProcess(db)
    with sandbox.client() as client:
        notes = list(client.list("note"))
    from collections import Counter

    same = Counter((note.get("deal_id"), note.get("person_id"), note.get("org_id"), note["content"]) for note in notes)
    by_org: dict[int, dict] = {}
    for note in notes:
        if note.get("org_id") and not note.get("deal_id") and not note.get("person_id") \
                and same[(None, None, note["org_id"], note["content"])] == 1 and "<" not in note["content"]:
            by_org.setdefault(note["org_id"], note)
    picked = sorted(by_org.values(), key=lambda note: note["id"])[:20]
    assert len(picked) == 20
    project = write_manifests(tmp_path / "p", {"notes": {
        f"n{note['id']}": {"org": {"id": note["org_id"]}, "content": note["content"]} for note in picked}})
    with sandbox.client() as client:
        run = plan_run(client, Settings(), [str(project)])
        routes = dict(client.stats.by_route)
    sandbox.close()
    assert run.plan.summary["create"] == 0, run.plan.summary
    assert routes["GET /api/v1/notes"] == 1 + 20, routes


def test_ids_named_in_a_small_kind_are_read_by_the_pages_up_to_the_highest_not_by_more_batches(tmp_path):
    """150 organizations named by id in an account of 200: one id-sorted page (it stops at the highest
    id, so it can never take more pages than ceil(highest / 500)) instead of two ids batches."""
    db = str(tmp_path / "seeded.db")
    seed_database(db, seed=5, organizations=200)
    sandbox = InProcess(db)
    try:
        with sandbox.client() as client:
            orgs = list(client.list("organization"))[:150]
        project = write_manifests(tmp_path / "p", {"organizations": {
            f"o{org['id']}": {"id": org["id"], "name": org["name"]} for org in orgs}})
        with sandbox.client() as client:
            run = plan_run(client, Settings(), [str(project)])
            routes = dict(client.stats.by_route)
    finally:
        sandbox.close()
    assert run.plan.summary["create"] == 0
    assert routes["GET /api/v2/organizations"] == 1, routes
