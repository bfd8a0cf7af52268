"""Issue 17's must-show: one manifest set for two accounts, staging and production.

Two sandbox accounts (two connections of one key, over the HTTP sandbox) are the
environments of reconciler.toml; each has an overlay that changes one deal's owner and
value. Applying to both writes one lock per environment, each naming its account; a plan of
each is then empty; swapping the connections is refused (each lock belongs to the other
account). Then the promote flow: the shape built by hand in staging is exported and
`plan --env production` shows how production differs, by names, never ids.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import KEY, HttpSandbox, Result, check_plan_json, invoke

ENV = {"MATON_API_KEY": KEY}


class Accounts:
    """A project whose reconciler.toml names two sandbox connections as staging and production."""

    def __init__(self, sandbox: HttpSandbox, root: Path) -> None:
        self.sandbox = sandbox
        self.root = root
        self.path = root / "crm"
        self.path.mkdir()
        self.connections = {name: self._new_connection() for name in ("staging", "production")}
        self.companies = {name: self.whoami("--env", name)["company_id"] for name in self.connections}

    def _new_connection(self) -> str:
        result = invoke(["connections", "create", "--format", "json", "--endpoint", self.sandbox.endpoint], env=ENV)
        assert result.code == 0, result.both
        return json.loads(result.out)["connection"]["connection_id"]

    def toml(self, staging: str | None = None, production: str | None = None) -> None:
        for env in ("staging", "production"):
            (self.path / "environments" / env).mkdir(parents=True, exist_ok=True)
        staging = staging or self.connections["staging"]
        production = production or self.connections["production"]
        (self.path / "reconciler.toml").write_text(
            f'endpoint = "{self.sandbox.endpoint}"\n\n'
            f'[environments.staging]\nconnection = "{staging}"\noverlay = "environments/staging"\n\n'
            f'[environments.production]\nconnection = "{production}"\noverlay = "environments/production"\n'
            "max_deletes = 0\n", encoding="utf-8")

    def write(self, name: str, data: dict) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def run(self, *args: str) -> Result:
        return invoke(list(args), env=ENV)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.code == 0, result.both
        return result

    def whoami(self, *args: str) -> dict:
        if not (self.path / "reconciler.toml").exists():
            self.toml()
        return json.loads(self.ok("whoami", str(self.path), "--format", "json", *args).out)

    def plan(self, env: str, *args: str) -> dict:
        return check_plan_json(json.loads(self.ok("plan", str(self.path), "--env", env, "--format", "json",
                                                  *args).out))

    def api(self, env: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {KEY}", "Maton-Connection": self.connections[env]}
        response = httpx.request(method, self.sandbox.endpoint + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()["data"]


@pytest.fixture
def accounts(http_sandbox: HttpSandbox, tmp_path: Path) -> Accounts:
    project = Accounts(http_sandbox, tmp_path)
    project.toml()
    return project


SHAPE = {
    "pipelines": {"enterprise": {"name": "Enterprise"}},
    "stages": {f"ent-{n.lower()}": {"pipeline": "enterprise", "name": n, "order": i + 1}
               for i, n in enumerate(("Discovery", "Pilot", "Contract", "Live"))},
    "custom_fields": {"deal-region": {"kind": "deal", "name": "Region", "type": "enum",
                                      "options": ["EMEA", "Americas", "APAC"]}},
}
RECORDS = {
    "organizations": {"acme": {"name": "Acme Corporation", "owner": "alice@example.com"}},
    "deals": {"acme-pilot": {"title": "Acme pilot", "org": "acme", "value": 10000, "currency": "EUR",
                             "owner": "alice@example.com", "pipeline": "Enterprise", "stage": "Pilot",
                             "fields": {"Region": "EMEA"}},
              "acme-renewal": {"title": "Acme renewal", "org": "acme", "value": 5000, "currency": "EUR",
                               "pipeline": "Enterprise", "stage": "Discovery", "fields": {"Region": "APAC"}}},
}
OVERLAYS = {"staging": {"deals": {"acme-pilot": {"owner": "bob@example.com", "value": 1}}},
            "production": {"deals": {"acme-pilot": {"owner": "carol@example.com", "value": 12500}}}}
USERS = {"alice@example.com": 1, "bob@example.com": 2, "carol@example.com": 3}


def test_one_manifest_set_two_accounts(accounts: Accounts) -> None:
    accounts.write("shape.yaml", SHAPE)
    accounts.write("deals.yaml", RECORDS)
    for env, overlay in OVERLAYS.items():
        accounts.write(f"environments/{env}/deals.yaml", overlay)
    assert accounts.companies["staging"] != accounts.companies["production"]

    validated = accounts.ok("validate", str(accounts.path), "--env", "production")
    assert "9 resources in 3 files are valid." in validated.out  # two base files and the overlay's
    for env in ("staging", "production"):
        result = accounts.ok("apply", str(accounts.path), "--env", env, "--auto-approve")
        assert "Resources: 9 created" in result.out, result.out
        assert f"(company {accounts.companies[env]})" in result.out.splitlines()[0]

    for env, overlay in OVERLAYS.items():
        lock = json.loads((accounts.path / f"reconciler.{env}.lock").read_text(encoding="utf-8"))
        assert lock["account"]["company_id"] == accounts.companies[env]
        deal_id = lock["resources"]["deal"]["acme-pilot"]
        deal = accounts.api(env, "GET", f"/api/v2/deals/{deal_id}")
        wanted = overlay["deals"]["acme-pilot"]
        assert (deal["owner_id"], deal["value"]) == (USERS[wanted["owner"]], wanted["value"])
        other = accounts.api(env, "GET", f"/api/v2/deals/{lock['resources']['deal']['acme-renewal']}")
        assert other["value"] == 5000  # what the overlay leaves alone is the base's
        plan = accounts.plan(env)
        assert plan["changes"] == [] and plan["account"]["company_id"] == accounts.companies[env]
    assert not (accounts.path / "reconciler.lock").exists()  # no environment: no lock was written

    # swapped connections: each environment's lock belongs to the other account
    accounts.toml(staging=accounts.connections["production"], production=accounts.connections["staging"])
    warned = accounts.ok("plan", str(accounts.path), "--env", "staging")
    assert f"reconciler.staging.lock belongs to company {accounts.companies['staging']}" in warned.err
    refused = accounts.run("apply", str(accounts.path), "--env", "staging", "--auto-approve")
    assert refused.code == 1
    assert re.search(rf"error: .*reconciler\.staging\.lock belongs to company {accounts.companies['staging']} "
                     rf".*this connection is company {accounts.companies['production']}", refused.err), refused.err
    deal_id = json.loads((accounts.path / "reconciler.production.lock").read_text())["resources"]["deal"]["acme-pilot"]
    assert accounts.api("production", "GET", f"/api/v2/deals/{deal_id}")["value"] == 12500  # nothing written


def test_a_variable_overriding_the_environment_is_said(accounts: Accounts) -> None:
    accounts.write("deals.yaml", RECORDS)
    result = invoke(["whoami", str(accounts.path), "--env", "production", "--format", "json"],
                    env={**ENV, "MATON_CONNECTION": accounts.connections["staging"]})
    assert result.code == 0, result.both
    assert json.loads(result.out)["company_id"] == accounts.companies["staging"]  # a variable beats the file
    assert "warning: MATON_CONNECTION overrides connection" in result.err and "[environments.production]" \
        in result.err


def test_promote_the_shape_built_in_staging(accounts: Accounts, tmp_path: Path) -> None:
    # staging's shape, made by hand (through the API); production has an older Region field
    pipeline = accounts.api("staging", "POST", "/api/v2/pipelines", json={"name": "Enterprise"})
    for name in ("Discovery", "Pilot", "Contract"):
        accounts.api("staging", "POST", "/api/v2/stages", json={"name": name, "pipeline_id": pipeline["id"]})
    accounts.api("staging", "POST", "/api/v2/dealFields", json={
        "field_name": "Region", "field_type": "enum",
        "options": [{"label": "EMEA"}, {"label": "Americas"}, {"label": "APAC"}]})
    accounts.api("production", "POST", "/api/v2/dealFields", json={
        "field_name": "Region", "field_type": "enum", "options": [{"label": "EMEA"}, {"label": "APAC"}]})
    accounts.write("deals.yaml", {"organizations": RECORDS["organizations"]})

    shape = accounts.path / "shape"
    exported = accounts.ok("export", "--env", "staging", "--out", str(shape), "--kind", "pipelines", "--kind",
                           "stages", "--kind", "custom_fields")
    assert (shape / "reconciler.staging.lock").exists() and "reconciler.staging.lock" in exported.out

    plan = accounts.plan("production")
    changes = {(c["action"], c["kind"], c["key"]): c for c in plan["changes"]}
    assert ("create", "pipeline", "enterprise") in changes
    assert ("create", "stage", "enterprise-pilot") in changes
    region = changes[("update", "custom_field", "deal-region")]["fields"]
    assert region == {"options": {"before": ["EMEA", "APAC"], "after": ["EMEA", "Americas", "APAC"],
                                  "detail": {"added": ["Americas"], "removed": []}}}
    shown = json.dumps([c["fields"] for c in plan["changes"]])
    assert not re.search(r'"id"|[0-9a-f]{40}', shown), shown  # by names, never ids
    assert changes[("create", "stage", "enterprise-pilot")]["fields"]["pipeline"]["after"] == "enterprise"

    accounts.ok("apply", str(accounts.path), "--env", "production", "--auto-approve")
    assert accounts.plan("production")["changes"] == []
    staging = accounts.plan("staging")  # the export is staging's own shape: found by name, nothing to do
    assert [c["key"] for c in staging["changes"]] == ["acme"]  # only the organization applied to production
    assert {a["kind"] for a in staging["adopt"]} == {"pipeline", "stage", "custom_field"}


def test_env_without_a_path_reads_the_current_directory(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(accounts.path)
    result = invoke(["whoami", "--env", "production", "--format", "json"], env=ENV)
    assert result.code == 0, result.both
    assert json.loads(result.out)["company_id"] == accounts.companies["production"]
    listed = invoke(["connections", "list", "--env", "staging", "--format", "json"], env=ENV)
    assert listed.code == 0 and accounts.connections["staging"] in listed.out, listed.both
