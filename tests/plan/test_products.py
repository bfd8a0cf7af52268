"""Products (issue 16): a kind added as one entry of the kinds table, its prices a field type.

Applied from a manifest, planned clean afterwards, exported and planned clean again; an
edit costs exactly one write.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import KEY, InProcess, invoke

PRODUCTS = {
    "widget-pro": {"name": "Widget Pro", "code": "WP-100", "unit": "licence", "tax": 20,
                   "prices": [{"price": 120, "currency": "USD", "cost": 80}, {"price": 110, "currency": "EUR"}],
                   "owner": "bob@example.com", "visible_to": "company"},
    "support-hour": {"name": "Support hour", "prices": [{"price": 90, "currency": "USD"}], "linkable": True},
}


def _project(tmp_path: Path, products: dict) -> Path:
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "products.yaml").write_text(yaml.safe_dump({"products": products}, sort_keys=False), encoding="utf-8")
    return project


def test_products_apply_plan_clean_export_and_edit_in_one_write(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _project(tmp_path, PRODUCTS)
    first = invoke(["apply", str(project), "--auto-approve", "--sandbox", db])
    assert first.code == 0, first.both
    assert "2 created" in first.out
    assert invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"]).code == 0

    sandbox = InProcess(db)
    try:
        live = {p["code"] or p["name"]: p for p in sandbox.call("GET", "/api/v2/products")}
    finally:
        sandbox.close()
    assert sorted((p["currency"], p["price"]) for p in live["WP-100"]["prices"]) == [("EUR", 110), ("USD", 120)]

    out = tmp_path / "export"
    exported = invoke(["export", "--out", str(out), "--sandbox", db, "--kind", "products"])
    assert exported.code == 0, exported.both
    text = (out / "products.yaml").read_text(encoding="utf-8")
    assert "code: WP-100" in text and "currency: EUR" in text
    assert invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"]).code == 0


def test_a_product_is_found_by_its_code_without_the_lock(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _project(tmp_path, PRODUCTS)
    assert invoke(["apply", str(project), "--auto-approve", "--sandbox", db]).code == 0
    (project / "reconciler.lock").unlink()
    renamed = {**PRODUCTS, "widget-pro": {**PRODUCTS["widget-pro"], "name": "Widget Pro 2"}}
    project = _project(tmp_path, renamed)
    plan = json.loads(invoke(["plan", str(project), "--sandbox", db, "--format", "json"]).out)
    assert [(c["action"], c["key"], list(c["fields"])) for c in plan["changes"]] == [
        ("update", "widget-pro", ["name"])]


def test_two_prices_in_one_currency_are_refused_offline(tmp_path: Path) -> None:
    project = _project(tmp_path, {"p": {"name": "P", "prices": [{"price": 1, "currency": "USD"},
                                                                 {"price": 2, "currency": "USD"}]}})
    result = invoke(["validate", str(project)])
    assert result.code == 1 and "two prices in one currency" in result.out


def test_an_edit_costs_exactly_one_write(tmp_path: Path, http_sandbox) -> None:
    env = {"MATON_API_KEY": KEY}
    endpoint = ["--endpoint", http_sandbox.endpoint]
    project = _project(tmp_path, PRODUCTS)
    assert invoke(["apply", str(project), "--auto-approve", *endpoint], env=env).code == 0
    edited = {**PRODUCTS, "widget-pro": {**PRODUCTS["widget-pro"], "tax": 21,
                                         "prices": [{"price": 125, "currency": "USD", "cost": 80},
                                                    {"price": 110, "currency": "EUR"}]}}
    project = _project(tmp_path, edited)
    http_sandbox.gateway.reset_stats()
    assert invoke(["apply", str(project), "--auto-approve", *endpoint], env=env).code == 0
    writes = {route: n for route, n in http_sandbox.gateway.stats()["by_route"].items() if not route.startswith("GET")}
    assert writes == {"PATCH /api/v2/products/{id}": 1}
