"""The sandbox against Pipedrive's official models (tests/conformance/models_v?.json).

One scripted pass (scenario.py) calls every sandbox endpoint that has an official model, in both
API versions, through the gateway and the in-process transport; every answer is checked against
the endpoint's official answer model. Each difference must be in the one allow-list
(allowlist.py) with its reason, and every rule there must still be needed. The count of what
was checked is printed and must match docs/sandbox.md's "Conformance" section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.pipedrive import build_router
from reconciler.sandbox.pipedrive.deprecated import replacement_for

from .allowlist import HASH, RULES, Rule, rule_for
from .checker import Checker, Finding, Tally, load
from .scenario import exercise

ROOT = Path(__file__).resolve().parents[2]
# Sandbox routes with no official model among the recorded endpoints, and why.
SANDBOX_ONLY: dict[tuple[str, str], str] = {}


@dataclass
class Report:
    tally: Tally
    unexplained: list[Finding]
    allowed: dict[tuple[str, str, str, str], Rule]
    exercised: set[tuple[str, str, str]]

    @property
    def line(self) -> str:
        return (f"{len(self.tally.models)} models, {len(self.tally.fields)} fields checked, "
                f"{len(self.allowed)} allow-listed differences "
                f"(v2: {sum(k[0] == 'v2' for k in self.allowed)}, v1: {sum(k[0] == 'v1' for k in self.allowed)})")

    @property
    def rules(self) -> int:
        return len(set(map(id, self.allowed.values())))


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    run = exercise()
    checkers = {"v1": Checker("v1", run.facts["v1"]), "v2": Checker("v2", run.facts["v2"])}
    tally = Tally()
    for answer in run.answers:
        version = "v1" if answer.model in run.facts["v1"]["error_models"] else answer.version
        checkers[version].check(answer.body, answer.model, tally, f"{answer.method} /api/{answer.version}"
                                f"{answer.template}")
    unexplained: list[Finding] = []
    allowed: dict[tuple[str, str, str, str], Rule] = {}
    for finding in tally.findings:
        rule = rule_for(*finding.key)
        if rule is None:
            unexplained.append(finding)
        else:  # every per-account custom field hash counts as one difference
            version, model, name, kind = finding.key
            allowed[(version, model, re.sub(HASH, "<custom field hash>", name), kind)] = rule
    exercised = {(a.version, a.method, a.template) for a in run.answers}
    result = Report(tally, unexplained, allowed, exercised)
    print(f"\nconformance: {result.line} ({result.rules} rules); "
          f"{len(tally.optional_nulls)} optional fields answered null")
    yield result


def test_every_answer_matches_the_official_models(report: Report) -> None:
    seen: dict[tuple[str, str, str, str], Finding] = {}
    for finding in report.unexplained:
        seen.setdefault(finding.key, finding)
    assert not seen, "differences from Pipedrive's official models, not in allowlist.py:\n" + "\n".join(
        f"  {f}" for f in list(seen.values())[:60]
    )


def test_no_allow_list_rule_is_stale(report: Report) -> None:
    used = set(map(id, report.allowed.values()))
    stale = [rule for rule in RULES if id(rule) not in used]
    assert not stale, "allow-list rules that match no difference any more (remove them):\n" + "\n".join(
        f"  {r.version} {r.model} {r.field} {r.kind}" for r in stale
    )


def _templates() -> list[tuple[str, str]]:
    """(method, template) of every sandbox route, e.g. ("GET", "/api/v2/deals/{id}")."""
    out = []
    for regex, handlers in build_router().routes:
        template = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", regex.pattern)[1:].removesuffix("/?$")
        out.extend((method, template) for method in handlers)
    return out


def _official(version: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["method"], e["path"]): e for e in load(version)["endpoints"]}


def _normal(template: str) -> str:
    return template.replace("{code}", "{field_code}") if "Fields/" in template else template


def test_every_sandbox_route_is_an_official_endpoint_and_is_checked(report: Report) -> None:
    official = {"v1": _official("v1"), "v2": _official("v2")}
    unofficial, unchecked = [], []
    for method, template in _templates():
        version = template.split("/")[2]
        path = _normal(template[len(f"/api/{version}"):])
        if (method, path) not in official[version]:
            if (method, template) not in SANDBOX_ONLY:
                unofficial.append(f"{method} {template}")
            continue
        if (version, method, path) not in report.exercised:
            unchecked.append(f"{method} {template}")
    assert not unofficial, f"sandbox routes with no official endpoint: {unofficial}"
    assert not unchecked, f"sandbox routes the conformance pass does not call: {unchecked}"


def test_deprecated_routes_are_exactly_those_gone_from_the_current_client() -> None:
    """A v1 route the sandbox refuses with 410 is absent from the current official client, and every
    v1 route it keeps serving is still there (models_v1.json records both clients)."""
    official = _official("v1")
    for method, template in _templates():
        if not template.startswith("/api/v1/"):
            continue
        path = template[len("/api/v1"):]
        endpoint = official.get((method, path))
        assert endpoint is not None, (method, template)
        concrete = template.replace("{id}", "7")
        deprecated = replacement_for(method, concrete) is not None
        assert deprecated == (not endpoint["in_current_client"]), (method, template)
    families = ("/deals", "/persons", "/organizations", "/activities", "/pipelines", "/stages", "/itemSearch")
    for (method, path), endpoint in official.items():
        if not endpoint["in_current_client"] and path.startswith(families):
            assert replacement_for(method, "/api/v1" + path.replace("{id}", "7")) is not None, (method, path)


def test_the_count_is_in_the_docs(report: Report) -> None:
    docs = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    assert report.line in docs, f"docs/sandbox.md's Conformance section must say: {report.line}"


def test_facts_record_their_source() -> None:
    for version, expected in (("v2", "33."), ("v1", "24.")):
        facts = load(version)
        assert facts["package"] == "pipedrive" and facts["version"].startswith(expected)
        assert "never edit by hand" in facts["_generated"]


# ----------------------------------------------------------------------------- query enums
ENUM_PARAMS = ("sort_by", "sort_direction", "include_fields", "status", "fields", "item_types", "match",
               "entity_type")
REQUIRED = {"term": "Conformance", "entity_type": "deal", "field": "title", "deal_ids": "1"}


def _enum_cases() -> list[tuple[str, str, str]]:
    served = {(m, t) for m, t in _templates()}
    cases = []
    for endpoint in load("v2")["endpoints"]:
        template = "/api/v2" + endpoint["path"].replace("{field_code}", "{code}")
        if endpoint["method"] != "GET" or ("GET", template) not in served or "{" in template:
            continue
        for name in ENUM_PARAMS:
            spec = endpoint["query"].get(name)
            if spec and spec["type"] == "enum":
                cases.extend((template, name, str(value)) for value in spec["values"])
    return cases


@pytest.fixture(scope="module")
def enum_sandbox() -> Iterator[Any]:
    from .scenario import client

    gateway, http = client(serve_deprecated_v1=False)
    http.post("/api/v2/deals", json={"title": "Conformance enum"})
    yield http
    http.close()
    gateway.close()


@pytest.mark.parametrize(("template", "name", "value"), _enum_cases())
def test_every_official_enum_value_is_accepted(enum_sandbox: Any, template: str, name: str, value: str) -> None:
    """sort_by=due_date on activities, sort_by=order_nr on stages, every include_fields value..."""
    endpoint = next(e for e in load("v2")["endpoints"]
                    if e["method"] == "GET" and "/api/v2" + e["path"] == template)
    query = {k: v for k, v in REQUIRED.items() if k in endpoint["query"] and endpoint["query"][k]["required"]}
    query[name] = value
    if query.get("entity_type") in ("person", "organization", "product"):
        query["field"] = "name"
    response = enum_sandbox.get(template, params=query)
    assert response.status_code == 200, f"{template}?{name}={value}: {response.status_code} {response.text}"


def test_unknown_enum_values_are_refused(enum_sandbox: Any) -> None:
    for path, name in (("/api/v2/deals", "include_fields"), ("/api/v2/activities", "sort_by"),
                       ("/api/v2/stages", "sort_by"), ("/api/v2/dealFields", "include_fields"),
                       ("/api/v2/itemSearch", "item_types")):
        response = enum_sandbox.get(path, params={"term": "Conformance", name: "no_such_value"})
        assert response.status_code == 400, (path, name, response.text)
