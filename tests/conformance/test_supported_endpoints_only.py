"""reconciler's default (v2) mode uses only endpoints Pipedrive still supports.

The sandbox answers every deprecated v1 route with 410 (as today's Pipedrive may); a full apply
of examples/ plus a generated manifest of 300 resources, then a second plan, must make no failed
call and no call to a deprecated route.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.pipedrive.deprecated import replacement_for
from tests.conftest import InProcess, company_manifests, copy_examples, count_resources, write_manifests


def test_apply_and_replan_use_no_deprecated_endpoint(tmp_path: Path) -> None:
    sandbox = InProcess(serve_deprecated_v1=False)
    try:
        examples = tmp_path / "examples"
        copy_examples(examples, "accounts")
        generated = write_manifests(tmp_path / "generated", company_manifests(orgs=30, prefix="gen"), split=False)
        assert count_resources(company_manifests(orgs=30, prefix="gen")) == 300
        for project in (examples, generated):
            plan, result = sandbox.apply(project)
            assert plan.summary["create"] > 0
            assert not result.failed, [str(o) for o in result.failed][:5]
            again = sandbox.plan(project)
            assert not again.plan.has_changes, again.plan.summary
        routes = sandbox.gateway.stats()["by_route"]
        gone = [r for r in routes if replacement_for(r.split()[0], r.split()[1].replace("{id}", "7"))]
        assert not gone, f"calls to deprecated v1 routes: {gone}"
        assert any(r.startswith("DELETE ") or r.startswith("PATCH ") or r.startswith("POST ") for r in routes)
    finally:
        sandbox.close()
