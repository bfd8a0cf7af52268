"""`[environments.NAME]` and its overlay, offline: what is read, how it merges, what wins.

An overlay is read only for its own environment (a plain read of the manifests leaves every
environment's overlay out), merged over the manifests by kind and key, field by field (custom
fields one by one); whole-resource checks and references run on the merged set, and a
problem in an overlay's value points at the overlay's line. Settings: a flag beats an
environment variable, which beats the environment's table, which beats the file's top level.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import ConfigError, resolve
from reconciler.lock import lock_path_for
from reconciler.manifest import load_manifests
from tests.shape.conftest import Project

TOML = """max_deletes = 5
connection = "top-level"

[environments.staging]
connection = "staging-connection"
overlay = "environments/staging"
max_deletes = 0

[environments.production]
overlay = "environments/production"
"""


@pytest.fixture
def envs(project: Project) -> Project:
    project.write("reconciler.toml", TOML)
    project.write("base.yaml", {
        "organizations": {"acme": {"name": "Acme", "owner": "alice@example.com",
                                   "fields": {"Industry": "Retail", "Tier": "Gold"}}},
        "deals": {"acme-deal": {"title": "Acme deal", "org": "acme", "value": 100, "stage": "Qualified"}},
    })
    project.write("environments/staging/over.yaml", {
        "organizations": {"acme": {"owner": "bob@example.com", "fields": {"Tier": "Silver"}}},
        "deals": {"acme-deal": {"value": 5}, "staging-only": {"title": "Test deal", "org": "acme"}},
    })
    (project.path / "environments" / "production").mkdir()
    return project


def test_overlays_are_read_only_for_their_environment(envs: Project) -> None:
    manifest, problems = load_manifests([envs.path])
    assert problems == []
    assert [r.key for r in manifest.resources] == ["acme", "acme-deal"]
    assert envs.ok("validate").out.startswith("2 resources in 1 files are valid.")
    assert envs.ok("validate", "--env", "staging").out.startswith("3 resources in 2 files are valid.")
    assert envs.ok("validate", "--env", "production").out.startswith("2 resources in 1 files are valid.")


def test_an_overlay_merges_field_by_field(envs: Project) -> None:
    manifest, problems = load_manifests([envs.path], envs.path / "environments" / "staging")
    assert problems == []
    acme = manifest.get("organization", "acme")
    assert acme.fields == {"name": "Acme", "owner": "bob@example.com", "fields": {"Industry": "Retail", "Tier": "Silver"}}
    assert acme.field_pos["owner"].file.endswith("over.yaml") and acme.field_pos["name"].file.endswith("base.yaml")
    assert acme.field_pos["fields.Tier"].file.endswith("over.yaml")
    deal = manifest.get("deal", "acme-deal")
    assert deal.fields["value"] == 5 and deal.fields["title"] == "Acme deal"
    assert manifest.get("deal", "staging-only").fields["org"].key == "acme"


def test_problems_of_an_overlay_point_at_the_overlay(envs: Project) -> None:
    envs.write("environments/staging/over.yaml", {
        "deals": {"acme-deal": {"value": "lots", "org": "nobody"}, "orphan": {"value": 3}}})
    result = envs.run("validate", "--env", "staging")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any("over.yaml:3:12: error: field 'value' must be a number, got string 'lots'" in line for line in lines)
    assert any("over.yaml:4:10: error: field 'org' names organization 'nobody', which no manifest declares" in line
               for line in lines), lines
    assert any("over.yaml:5:3: error: deal 'orphan' has no 'title', which is needed to create it" in line
               for line in lines), lines
    assert envs.ok("validate").out.startswith("2 resources")  # the base alone is fine


def test_an_overlay_may_mark_a_resource_absent(envs: Project) -> None:
    envs.write("environments/production/gone.yaml", {"deals": {"acme-deal": {"absent": True}}})
    manifest, problems = load_manifests([envs.path], envs.path / "environments" / "production")
    assert problems == [] and manifest.get("deal", "acme-deal").absent


def test_an_overlay_may_let_fields_go_in_its_environment_only(envs: Project) -> None:
    """Every meta key an overlay declares wins, `ignore_changes` included (it was dropped:
    the merge named id, absent and protect one by one)."""
    envs.write("environments/production/let-go.yaml", {"deals": {"acme-deal": {"ignore_changes": ["stage"]}}})
    manifest, problems = load_manifests([envs.path], envs.path / "environments" / "production")
    assert problems == [] and manifest.get("deal", "acme-deal").ignore_changes == ("stage",)
    manifest, problems = load_manifests([envs.path])
    assert problems == [] and manifest.get("deal", "acme-deal").ignore_changes is None


def test_settings_flag_variable_environment_file(envs: Project) -> None:
    first = str(envs.path)
    assert resolve(first_path=first, env={}).connection == "top-level"
    staging = resolve(first_path=first, environment="staging", env={})
    assert (staging.connection, staging.max_deletes, staging.environment) == ("staging-connection", 0, "staging")
    assert staging.overlay == str(envs.path / "environments" / "staging")
    assert resolve(first_path=first, environment="production", env={}).connection == "top-level"
    assert resolve(first_path=first, environment="production", env={}).max_deletes == 5
    from_variable = resolve(first_path=first, environment="staging", env={"MATON_CONNECTION": "from-shell"})
    assert from_variable.connection == "from-shell" and "MATON_CONNECTION overrides" in from_variable.warnings[0]
    assert resolve(first_path=first, environment="staging", connection="flag", env={"MATON_CONNECTION": "x"}
                   ).connection == "flag"
    assert resolve(first_path=first, environment="staging", max_deletes=3, env={}).max_deletes == 3
    assert lock_path_for(first, "staging") == envs.path / "reconciler.staging.lock"
    assert lock_path_for(first) == envs.path / "reconciler.lock"


@pytest.mark.parametrize(("toml", "env", "message"), [
    (TOML, "prod", "has no [environments.prod] (environments: production, staging)"),
    ("", "staging", "has no [environments.staging] (environments: none declared)"),
    ('[environments.staging]\noverlay = "nowhere"\n', "staging", "overlay 'nowhere' is not a directory"),
    ('[environments.staging]\nconection = "x"\n', "staging", "[environments.staging]: unknown setting(s) conection"),
    ('[environments."Prod Env"]\n', "staging", "environment name 'Prod Env' must be lowercase"),
    ("[environments]\nstaging = 1\n", "staging", "environments must be tables"),
])
def test_environment_mistakes_are_one_line(project: Project, toml: str, env: str, message: str) -> None:
    project.write("reconciler.toml", toml)
    project.write("a.yaml", {"organizations": {"a": {"name": "A"}}})
    with pytest.raises(ConfigError, match=None) as caught:
        resolve(first_path=str(project.path), environment=env, env={})
    assert message in str(caught.value)
    result = project.run("plan", "--env", env)
    assert result.code == 1 and result.err.count("\n") == 1 and message in result.err, result.err


def test_env_without_a_project_file(project: Project, tmp_path: Path) -> None:
    project.write("a.yaml", {"organizations": {"a": {"name": "A"}}})
    result = project.run("plan", "--env", "staging")
    assert result.code == 1
    assert f"error: --env staging: no reconciler.toml in {project.path} declares [environments.staging]" in result.err
