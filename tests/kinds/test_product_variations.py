"""Product variations as code (issue 27): `variations: [{name, prices}]` on a product.

One apply creates the product, its variations and a deal that sells it; the next plan is empty;
prices change in place, a variation left out is deleted; export then plan is empty; a variation
changed in Pipedrive is drift and `pull` writes it back. Live state is checked through the
sandbox's API.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.kinds.conftest import Project

VARIATIONS = [{"name": "Large", "prices": [{"price": 150, "currency": "USD"}, {"price": 140, "currency": "EUR"}]},
              {"name": "Small", "prices": [{"price": 90, "currency": "USD", "cost": 40}]}]


def manifests(project: Project, variations: list | None = None) -> None:
    project.write("records.yaml", {
        "products": {"widget": {"name": "Widget", "prices": [{"price": 120, "currency": "USD"}],
                                "variations": VARIATIONS if variations is None else variations}},
        "deals": {"widget-deal": {"title": "Widget deal", "currency": "USD",
                                  "products": [{"product": "widget", "quantity": 2, "item_price": 120}]}},
    })


def live_variations(project: Project) -> dict[str, dict]:
    (product,) = project.api("GET", "/api/v2/products", params={"limit": 500})
    listed = project.api("GET", f"/api/v2/products/{product['id']}/variations")
    return {v["name"]: {p["currency"]: p for p in v["prices"]} | {"id": v["id"]} for v in listed}


def applied(project: Project) -> Project:
    manifests(project)
    project.apply()
    return project


def test_one_apply_creates_the_product_its_variations_and_the_deal(project: Project) -> None:
    manifests(project)
    result = project.apply()
    assert "Resources: 2 created, 0 updated, 0 deleted" in result.out
    live = live_variations(project)
    assert sorted(live) == ["Large", "Small"]
    assert live["Large"]["USD"]["price"] == 150 and live["Large"]["EUR"]["price"] == 140
    assert live["Small"]["USD"]["cost"] == 40

    again = project.plan_json()
    assert again["changes"] == [] and again["summary"]["unchanged"] == 2
    assert "variations" in project.lock()["applied"]["product"]["widget"]


def test_prices_change_in_place_and_a_variation_left_out_is_deleted(project: Project) -> None:
    applied(project)
    before = live_variations(project)["Large"]["id"]
    manifests(project, [{"name": "Large", "prices": [{"price": 160, "currency": "USD"}, {"price": 140,
                                                                                       "currency": "EUR"}]}])
    (change,) = project.plan_json()["changes"]
    assert change["key"] == "widget" and "variations" in change["fields"]
    project.apply()
    live = live_variations(project)
    assert sorted(live) == ["Large"] and live["Large"]["id"] == before and live["Large"]["USD"]["price"] == 160
    assert project.plan_json()["changes"] == []


def test_a_variation_changed_in_pipedrive_is_drift_and_pull_brings_it_back(project: Project) -> None:
    applied(project)
    (product,) = project.api("GET", "/api/v2/products", params={"limit": 500})
    small = live_variations(project)["Small"]["id"]
    project.api("PATCH", f"/api/v2/products/{product['id']}/variations/{small}",
                json={"prices": [{"price": 95, "currency": "USD", "cost": 40}]})

    (change,) = project.plan_json()["changes"]
    assert change["key"] == "widget" and change["fields"]["variations"]["drift"] is True

    project.ok("pull", str(project.path))
    records = yaml.safe_load((project.path / "records.yaml").read_text())
    pulled = {v["name"]: v for v in records["products"]["widget"]["variations"]}
    assert pulled["Small"]["prices"] == [{"price": 95, "currency": "USD", "cost": 40}]
    assert project.plan_json()["changes"] == []


def test_export_then_plan_is_empty(project: Project, tmp_path: Path) -> None:
    applied(project)
    out = tmp_path / "exported"
    project.ok("export", "--out", str(out), "--kind", "products", "--kind", "deals")
    products = yaml.safe_load((out / "products.yaml").read_text(encoding="utf-8"))["products"]
    by_currency = [{**v, "prices": sorted(v["prices"], key=lambda p: p["currency"])} for v in VARIATIONS]
    assert products["widget"]["variations"] == by_currency  # one call per product reads them (docs/costs.md)
    plan = project.plan_json(path=out)
    assert plan["changes"] == [] and plan["summary"]["unchanged"] >= 2


def test_a_bad_variation_is_refused_at_validate_with_its_line(project: Project) -> None:
    manifests(project, [{"name": "Large", "prices": [{"price": 150, "currency": "usd"}]}])
    result = project.run("validate")
    assert result.code == 1
    lines = (project.path / "records.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "- name: Large")  # the item at fault
    assert f"records.yaml:{line}:" in result.both and "variations" in result.both, result.both
