"""What users set every day (issue 16): a deal's products, labels, probability, won and lost
times, lost reason; an activity's location, busy flag and public description.

Each: applied from a manifest, a second plan is empty, export then plan is empty, and an
edit costs exactly one write (for a deal's products: one call per product that differs).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import KEY, InProcess, invoke


def _manifests(**deal_extra) -> dict:
    deal = {"title": "Everyday deal", "org": "ev-org", "labels": ["Hot"], "probability": 60, **deal_extra}
    return {
        "organizations": {"ev-org": {"name": "Everyday Org", "labels": ["Customer"]}},
        "persons": {"ev-person": {"name": "Everyday Person", "org": "ev-org", "emails": ["ev@every.example.com"],
                                  "labels": ["Customer"]}},
        "products": {"widget": {"name": "Widget", "code": "W-1", "prices": [{"price": 100, "currency": "USD"}]},
                     "gadget": {"name": "Gadget", "code": "G-1", "prices": [{"price": 40, "currency": "USD"}]}},
        "deals": {"ev-deal": deal,
                  "ev-won": {"title": "Everyday won deal", "org": "ev-org", "status": "won",
                             "won_time": "2026-11-02 10:00:00"},
                  "ev-lost": {"title": "Everyday lost deal", "org": "ev-org", "status": "lost",
                              "lost_reason": "Budget", "lost_time": "2026-10-01 09:30:00"}},
        "activities": {"ev-visit": {"subject": "Site visit", "type": "meeting", "deal": "ev-deal",
                                    "location": "1 Harbor Road, Austin", "busy": True,
                                    "public_description": "Bring the plans"}},
    }


def _write(project: Path, data: dict) -> Path:
    project.mkdir(exist_ok=True)
    (project / "all.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return project


PRODUCTS = [{"product": "widget", "quantity": 2, "item_price": 95, "discount": 5},
            {"product": "gadget", "quantity": 1, "item_price": 40}]


def test_everyday_fields_round_trip(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _write(tmp_path / "p", _manifests(products=PRODUCTS))
    first = invoke(["apply", str(project), "--auto-approve", "--sandbox", db])
    assert first.code == 0, first.both
    second = invoke(["plan", str(project), "--sandbox", db, "--detailed-exitcode"])
    assert second.code == 0, second.both

    sandbox = InProcess(db)
    try:
        deal = next(d for d in sandbox.call("GET", "/api/v2/deals") if d["title"] == "Everyday deal")
        attached = sandbox.call("GET", f"/api/v2/deals/{deal['id']}/products")
    finally:
        sandbox.close()
    assert sorted((p["quantity"], p["item_price"]) for p in attached) == [(1, 40), (2, 95)]
    assert deal["value"] == 2 * 95 * 0.95 + 40, "the deal's value is Pipedrive's sum of its products"
    assert deal["probability"] == 60

    out = tmp_path / "export"
    exported = invoke(["export", "--out", str(out), "--sandbox", db])
    assert exported.code == 0, exported.both
    text = "".join(f.read_text(encoding="utf-8") for f in out.rglob("*.yaml"))
    assert "- {product: widget, quantity: 2, item_price: 95, discount: 5}" in text
    assert "labels: [Hot]" in text and "won_time: 2026-11-02 10:00:00" in text or "won_time: \"2026-11-02 10:00:00\"" in text
    clean = invoke(["plan", str(out), "--sandbox", db, "--detailed-exitcode"])
    assert clean.code == 0, clean.both


def test_each_edit_costs_one_write(tmp_path: Path, http_sandbox) -> None:
    env = {"MATON_API_KEY": KEY}
    endpoint = ["--endpoint", http_sandbox.endpoint]
    project = _write(tmp_path / "p", _manifests(products=PRODUCTS))
    assert invoke(["apply", str(project), "--auto-approve", *endpoint], env=env).code == 0

    def writes_for(data: dict) -> dict:
        _write(tmp_path / "p", data)
        http_sandbox.gateway.reset_stats()
        result = invoke(["apply", str(project), "--auto-approve", *endpoint], env=env)
        assert result.code == 0, result.both
        return {r: n for r, n in http_sandbox.gateway.stats()["by_route"].items() if not r.startswith("GET")}

    one_product = [{**PRODUCTS[0], "quantity": 3}, PRODUCTS[1]]
    assert writes_for(_manifests(products=one_product)) == {"PATCH /api/v2/deals/{id}/products/{id}": 1}
    assert writes_for(_manifests(products=one_product[:1])) == {"DELETE /api/v2/deals/{id}/products/{id}": 1}
    assert writes_for(_manifests(products=one_product[:1], labels=["Warm"])) == {"PATCH /api/v2/deals/{id}": 1}
    data = _manifests(products=one_product[:1], labels=["Warm"])
    data["activities"]["ev-visit"]["busy"] = False
    assert writes_for(data) == {"PATCH /api/v2/activities/{id}": 1}


def test_a_deal_with_products_takes_no_value_and_a_lost_reason_needs_lost(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _write(tmp_path / "p", _manifests(products=PRODUCTS, value=10))
    result = invoke(["plan", str(project), "--sandbox", db])
    assert result.code == 1 and "declares both value and products" in result.err
    data = _manifests()
    data["deals"]["ev-lost"]["status"] = "open"
    result = invoke(["plan", str(_write(tmp_path / "p", data)), "--sandbox", db])
    assert result.code == 1 and "lost_reason, which Pipedrive keeps only on a lost deal" in result.err


def test_unknown_label_is_named_at_plan_time(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    project = _write(tmp_path / "p", _manifests(labels=["Scorching"]))
    result = invoke(["plan", str(project), "--sandbox", db, "--format", "json"])
    assert result.code == 1 and "labels: unknown deal label 'Scorching'" in result.err
