"""Every currency a manifest names is checked against the account's currencies at plan time (issue 27).

The sandbox refuses `currency: XYZ` as Pipedrive does, but the engine used to let it through to
apply, where it failed after other writes. Now the plan refuses it at FILE:LINE with the field,
before any write: deal currency, product prices, lead value and monetary custom fields. The
account's currencies (`GET /api/v1/currencies`) are read only when a manifest names a code that is
neither the user's default currency nor recorded in the lock's vocabulary.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import InProcess
from tests.kinds.conftest import Project

CURRENCIES = "GET /api/v1/currencies"


def wrong_everywhere(project: Project) -> None:
    project.write("records.yaml", {
        "organizations": {"acme": {"name": "Acme"}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "value": 10, "currency": "XYZ"}},
        "products": {"widget": {"name": "Widget", "prices": [{"price": 5, "currency": "USD"},
                                                             {"price": 6, "currency": "QQQ"}]}},
        "leads": {"acme-lead": {"title": "Acme lead", "org": "acme", "value": {"amount": 9, "currency": "ABC"}}},
        "persons": {"ann": {"name": "Ann", "fields": {"Budget": {"value": 3, "currency": "ZZZ"}}}},
    })


def test_an_unknown_currency_is_refused_at_its_line_before_any_write(project: Project) -> None:
    project.write("shape.yaml", {"custom_fields": {"budget": {"kind": "person", "name": "Budget",
                                                              "type": "monetary"}}})
    wrong_everywhere(project)
    result = project.run("plan")
    assert result.code == 1 and "Traceback" not in result.both
    found = dict(re.findall(r"records\.yaml:\d+:\d+: error: ([\w. ]+): currency '(\w+)'", result.both))
    assert found == {"currency": "XYZ", "prices": "QQQ", "value": "ABC", "fields.Budget": "ZZZ"}, result.both
    text = (project.path / "records.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(text, 1) if row.strip() == "currency: XYZ")  # the deal's own line
    assert re.search(rf"records\.yaml:{line}:\d+: error: currency: currency 'XYZ'", result.both), result.both

    applied = project.run("apply", "--auto-approve")
    assert applied.code == 1
    assert project.api("GET", "/api/v2/organizations", params={"limit": 500}) == []  # nothing written
    assert [f for f in project.api("GET", "/api/v1/personFields", params={"limit": 500}) if f["name"] == "Budget"] == []


def plan_calls(project: Project) -> int:
    """Calls to the account's currencies one plan makes (through the real session, over the sandbox)."""
    from reconciler.config import Settings
    from reconciler.session import plan_run

    sandbox = InProcess(str(project.db))
    try:
        with sandbox.client() as client:
            plan_run(client, Settings(), [str(project.path)], record=False)
            return client.http.stats.by_route[CURRENCIES]
    finally:
        sandbox.close()


def test_currencies_are_read_once_and_only_for_a_code_other_than_the_default(project: Project,
                                                                            tmp_path: Path) -> None:
    records = {"organizations": {"acme": {"name": "Acme"}},
               "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "value": 10, "currency": "USD"}}}
    project.write("records.yaml", records)
    project.apply()
    assert plan_calls(project) == 0  # the user's default currency: nothing to check
    assert "currency" not in project.lock().get("vocabulary", {})

    records["deals"]["acme-deal"]["currency"] = "EUR"
    project.write("records.yaml", records)
    assert plan_calls(project) == 1
    project.apply()
    euro = next(c for c in project.api("GET", "/api/v1/currencies") if c["code"] == "EUR")
    assert project.lock()["vocabulary"]["currency"] == {"EUR": euro["id"]}
    assert plan_calls(project) == 0  # recorded: not read again
    assert project.plan_json()["changes"] == []
