"""Export carries organization relationships and product variations (issue 27), at a cost it says first.

No list answer carries or counts them (Pipedrive's official client: `GET /v1/organizationRelationships`
requires `org_id`; the v2 products list has no variations and no `include_fields`), so export reads them
one call per organization and one per product, says how many calls before making them, and
`--without relationships` / `--without variations` leaves them out (docs/costs.md). The account is
made as a user makes it in Pipedrive (raw API calls to the sandbox, no manifests, no lock); export
then plan is empty; a change made in Pipedrive afterwards is drift on the exported project, and
`pull` writes it back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reconciler.export import ExportError, export_account
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.http import HttpClient
from reconciler.session import SANDBOX_ENDPOINT
from tests.conftest import InProcess, run_cli
from tests.live.test_weighed_choice import BudgetHeader
from tests.shape.conftest import Project

ORGS = ("Acme Group", "Acme", "Globex", "Initech", "Umbrella")
PRODUCTS = ("Widget", "Gadget")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An embedded sandbox account driven through the CLI (the shape tests' project)."""
    return Project(tmp_path)


def made_in_pipedrive(api) -> dict[str, int]:
    """Organizations with a parent and a related pair, products with and without variations; their ids by name."""
    ids = {name: api("POST", "/api/v2/organizations", json={"name": name})["id"] for name in ORGS}
    api("POST", "/api/v1/organizationRelationships",
        json={"type": "parent", "rel_owner_org_id": ids["Acme Group"], "rel_linked_org_id": ids["Acme"]})
    api("POST", "/api/v1/organizationRelationships",
        json={"type": "related", "rel_owner_org_id": ids["Globex"], "rel_linked_org_id": ids["Acme"]})
    for name in PRODUCTS:
        ids[name] = api("POST", "/api/v2/products", json={"name": name, "prices": [{"price": 100, "currency": "USD"}]})["id"]
    api("POST", f"/api/v2/products/{ids['Widget']}/variations",
        json={"name": "Large", "prices": [{"price": 150, "currency": "USD", "cost": 60}]})
    api("POST", f"/api/v2/products/{ids['Widget']}/variations", json={"name": "Small", "prices": []})
    return ids


def exported(out: Path) -> dict[str, dict[str, dict]]:
    """Every exported resource's fields by section and key, from all the files written."""
    found: dict[str, dict[str, dict]] = {}
    for path in out.rglob("*.yaml"):
        for section, resources in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            found.setdefault(section, {}).update(resources or {})
    return found


def by_name(resources: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    return {fields["name"]: (key, fields) for key, fields in resources.items()}


def calls_to(trace: str, start: str) -> int:
    """How many requests of the --debug HTTP trace start with `start` (method and path)."""
    return trace.count(start)


def test_export_writes_relationships_and_variations_and_plan_is_empty(project: Project, tmp_path: Path) -> None:
    made_in_pipedrive(project.api)
    out = tmp_path / "exported"
    result = project.ok("export", "--out", str(out))

    orgs, products = by_name(exported(out)["organizations"]), by_name(exported(out)["products"])
    group, acme, globex = orgs["Acme Group"][0], orgs["Acme"][0], orgs["Globex"][0]
    assert orgs["Acme"][1]["parent"] == group
    assert orgs["Acme"][1]["related"] == [globex] and orgs["Globex"][1]["related"] == [acme]  # both ends
    assert "parent" not in orgs["Acme Group"][1] and "related" not in orgs["Initech"][1]  # none: not declared
    assert products["Widget"][1]["variations"] == [
        {"name": "Large", "prices": [{"price": 150, "currency": "USD", "cost": 60}]}, {"name": "Small"}]
    assert "variations" not in products["Gadget"][1]

    # said before the reads, with their counts
    said = ("one call per object: 5 for organization relationships, 2 for product variations (7 calls; "
            "--without relationships or --without variations leaves them out)")
    assert said in result.err, result.both

    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] == len(ORGS) + len(PRODUCTS)
    applied = json.loads((out / "reconciler.lock").read_text(encoding="utf-8"))["applied"]
    acme_applied = applied["organization"][acme]
    assert "parent" in acme_applied and "related" in acme_applied  # adopted: a change in Pipedrive is drift
    assert "variations" in applied["product"][products["Widget"][0]]


def test_a_change_made_in_pipedrive_after_export_is_drift_and_pull_writes_it(project: Project, tmp_path: Path) -> None:
    ids = made_in_pipedrive(project.api)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out))
    project.api("POST", "/api/v1/organizationRelationships",
                json={"type": "related", "rel_owner_org_id": ids["Initech"], "rel_linked_org_id": ids["Globex"]})
    (large,) = [v for v in project.api("GET", f"/api/v2/products/{ids['Widget']}/variations") if v["name"] == "Large"]
    project.api("PATCH", f"/api/v2/products/{ids['Widget']}/variations/{large['id']}",
                json={"prices": [{"price": 155, "currency": "USD", "cost": 60}]})

    changes = {c["key"]: c for c in project.plan_json(path=out)["changes"]}
    orgs, products = by_name(exported(out)["organizations"]), by_name(exported(out)["products"])
    globex, widget = orgs["Globex"][0], products["Widget"][0]
    assert changes[globex]["fields"]["related"]["drift"] is True
    assert changes[widget]["fields"]["variations"]["drift"] is True

    project.ok("pull", str(out))
    orgs, products = by_name(exported(out)["organizations"]), by_name(exported(out)["products"])
    assert sorted(orgs["Globex"][1]["related"]) == sorted([orgs["Acme"][0], orgs["Initech"][0]])
    assert products["Widget"][1]["variations"][0] == {"name": "Large",
                                                      "prices": [{"price": 155, "currency": "USD", "cost": 60}]}
    assert project.plan_json(path=out)["changes"] == []


def test_export_makes_one_call_per_organization_and_product_and_without_leaves_them_out(
        project: Project, tmp_path: Path) -> None:
    made_in_pipedrive(project.api)
    full = project.ok("export", "--out", str(tmp_path / "full"), "--debug")
    bare = project.ok("export", "--out", str(tmp_path / "bare"), "--debug",
                      "--without", "relationships", "--without", "variations")

    def export_calls(result) -> int:
        return int(result.out.split("API calls: ")[1].split(",")[0].replace(",", ""))

    # the export's own reads (the recording plan after it is counted apart), one per organization and product
    assert export_calls(full) - export_calls(bare) == len(ORGS) + len(PRODUCTS)
    # in the whole trace: the export's, then the recording plan's for the objects that declare them (docs/costs.md)
    assert calls_to(full.both, "GET /api/v1/organizationRelationships?org_id=") == len(ORGS) + 2  # Acme, Globex
    assert calls_to(full.both, "/variations") == len(PRODUCTS) + 1  # Widget
    said = full.err.index("one call per object: 5 for organization relationships")
    assert said < full.err.index("GET /api/v1/organizationRelationships?org_id=")  # said before the first
    assert calls_to(bare.both, "organizationRelationships") == 0 and calls_to(bare.both, "/variations") == 0
    assert "--without relationships: not read" in bare.both and "one call per object" not in bare.both

    written = exported(tmp_path / "bare")
    assert not any({"parent", "related"} & set(f) for f in written["organizations"].values())
    assert not any("variations" in f for f in written["products"].values())
    plan = project.plan_json(path=tmp_path / "bare")  # not declared, so not managed: nothing to change
    assert plan["changes"] == [] and plan["summary"]["unchanged"] == len(ORGS) + len(PRODUCTS)


def test_export_of_relationships_and_variations_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("export-relations")
    made_in_pipedrive(server.api.call)
    out = tmp_path / "exported"
    result = run_cli("export", "--out", str(out), "--endpoint", server.endpoint)
    assert result.code == 0, result.both[-2000:]
    assert "5 for organization relationships, 2 for product variations" in result.both
    orgs, products = by_name(exported(out)["organizations"]), by_name(exported(out)["products"])
    assert orgs["Acme"][1]["parent"] == orgs["Acme Group"][0]
    assert [v["name"] for v in products["Widget"][1]["variations"]] == ["Large", "Small"]
    plan = run_cli("plan", str(out), "--endpoint", server.endpoint, "--detailed-exitcode")
    assert plan.code == 0, plan.both[-2000:]


def _export_with_budget(db: Path, out: Path, left: int, without: tuple[str, ...] = ()):
    sandbox = InProcess(str(db))
    http = HttpClient(SANDBOX_ENDPOINT, api_key="sandbox", rate_limit=1e6,
                      transport=BudgetHeader(sandbox.transport, left))
    try:
        return export_account(PipedriveClient(http), out, {"company_id": 1}, without=without)
    finally:
        http.close()
        sandbox.close()


def test_reads_that_would_spend_half_the_tokens_left_today_are_refused_before_the_first(
        project: Project, tmp_path: Path) -> None:
    """5 relationship lists (v1, 20 tokens each by the table) and 2 variation lists (v2, 10): 120 tokens."""
    made_in_pipedrive(project.api)
    with pytest.raises(ExportError) as refused:
        _export_with_budget(project.db, tmp_path / "refused", 200)
    message = str(refused.value)
    assert "7 calls" in message and "120 tokens" in message and "200 tokens left" in message, message
    assert "--without relationships --without variations" in message
    assert not (tmp_path / "refused").exists() or not any((tmp_path / "refused").iterdir())  # nothing written

    left_out = _export_with_budget(project.db, tmp_path / "without", 200, ("relationships", "variations"))
    assert left_out.per_object == {} and left_out.counts["organization"] == len(ORGS)
    ample = _export_with_budget(project.db, tmp_path / "ample", 240)  # 120 is half: allowed
    assert ample.per_object == {"organization relationships": 5, "product variations": 2}


def test_no_list_answer_carries_them_as_in_the_official_client(project: Project) -> None:
    """Why export pays one call each: the official client's relationships list requires `org_id`, and
    neither the organizations' nor the products' list answers carry relationships or variations."""
    made_in_pipedrive(project.api)
    sandbox = InProcess(str(project.db))
    try:
        refused = sandbox.raw.get("/api/v1/organizationRelationships")
        assert refused.status_code == 400 and "org_id" in refused.text
        orgs = sandbox.call("GET", "/api/v2/organizations",
                            params={"limit": 500, "include_fields": "followers_count,people_count"})
        products = sandbox.call("GET", "/api/v2/products", params={"limit": 500})
    finally:
        sandbox.close()
    assert not any("relationship" in key or "parent" in key for org in orgs for key in org)
    assert not any("variation" in key for product in products for key in product)


def test_a_relationship_to_an_organization_deleted_since_is_left_out_with_a_warning(
        project: Project, tmp_path: Path) -> None:
    """The relationships list may still name an organization the account no longer lists: no manifest can
    name it (the plan would refuse {id: N}), so that field is left undeclared and the export says so."""
    ids = made_in_pipedrive(project.api)
    project.api("DELETE", f"/api/v2/organizations/{ids['Acme Group']}")
    out = tmp_path / "exported"
    result = project.ok("export", "--out", str(out))
    orgs = by_name(exported(out)["organizations"])
    assert "Acme Group" not in orgs and "parent" not in orgs["Acme"][1]
    assert orgs["Acme"][1]["related"] == [orgs["Globex"][0]]
    assert f"organization id {ids['Acme Group']}, which the account no longer lists" in result.err, result.both
    assert project.plan_json(path=out)["changes"] == []
