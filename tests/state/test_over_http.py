"""Issue 24, "Must show": played over HTTP against `reconciler sandbox serve`, as a user would.

The CLI runs as a subprocess against the served sandbox (`--endpoint`); the salespeople's UI
edits are raw API calls made as Bob. One served account per test, used as a team's day:
pull then a UI edit is caught by `--on-drift fail`; `on_drift = "keep"` does not re-create a
deleted note; an option renamed in Settings leaves `plan` working; `pull` works on a manifest
that uses `null`; after creating a custom field, an option rename shows no drift or conflict;
and a UI edit right after `export` makes `plan --drift-only --detailed-exitcode` exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import copy_examples, run_cli
from tests.examples_project import BOB


def cli(server, *args: str):
    return run_cli(*args, "--endpoint", server.endpoint)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def lock_id(project: Path, kind: str, key: str):
    return json.loads((project / "reconciler.lock").read_text())["resources"][kind][key]


def test_a_teams_day_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("day")
    project = copy_examples(tmp_path / "crm")
    acme = project / "accounts" / "acme.yaml"
    edit(acme, "    status: open\n", "    status: open\n    lost_reason: null\n")  # a manifest that uses null
    applied = cli(server, "apply", str(project), "--auto-approve")
    assert applied.code == 0, applied.both[-2000:]
    deal = lock_id(project, "deal", "acme-renewal-2027")

    # pull, then a UI edit: caught by --on-drift fail (the pull recorded what it pulled)
    server.api.call("PATCH", f"/api/v2/deals/{deal}", json={"value": 55000}, headers=BOB)
    pulled = cli(server, "pull", str(project))
    assert pulled.code == 0 and "Pulled 1 value" in pulled.out, pulled.both[-2000:]
    assert "value: 55000" in acme.read_text() and "lost_reason: null" in acme.read_text()
    server.api.call("PATCH", f"/api/v2/deals/{deal}", json={"value": 50000}, headers=BOB)
    refused = cli(server, "plan", str(project), "--on-drift", "fail")
    assert refused.code == 1 and "changed in Pipedrive since the last apply (drift)" in refused.err, refused.both
    assert cli(server, "pull", str(project)).code == 0

    # on_drift = "keep" does not re-create a note deleted in Pipedrive
    (project / "reconciler.toml").write_text('on_drift = "keep"\n')
    note = lock_id(project, "note", "acme-kickoff")
    server.api.call("DELETE", f"/api/v1/notes/{note}", headers=BOB)
    kept = cli(server, "apply", str(project), "--auto-approve")
    assert kept.code == 0 and "deleted in Pipedrive" in kept.out, kept.both[-2000:]
    assert all("Kickoff" not in n["content"] for n in server.api.list_all("note"))

    # an option renamed in Settings leaves plan working
    fields = server.api.call("GET", "/api/v1/dealFields", params={"limit": 500})
    source = next(f for f in fields if f["name"] == "Lead source")
    referral = next(o for o in source["options"] if o["label"] == "Referral")
    server.api.call("PATCH", f"/api/v2/dealFields/{source['key']}/options", headers=BOB,
                    json=[{"id": referral["id"], "label": "Referrals"}])
    plan = cli(server, "plan", str(project))
    assert plan.code == 0 and "renamed in Pipedrive from 'Referral' to 'Referrals'" in plan.err, plan.both[-2000:]

    # a custom field created by apply, then an option renamed in the manifests: no drift, no conflict
    (project / "shape.yaml").write_text("custom_fields:\n  deal-region:\n    kind: deal\n    name: Region\n"
                                        "    type: enum\n    options: [EMEA, Americas, APAC]\n")
    assert cli(server, "apply", str(project), "--auto-approve").code == 0
    edit(project / "shape.yaml", "[EMEA, Americas, APAC]", "[{label: Europe, was: EMEA}, Americas, APAC]")
    renamed = cli(server, "plan", str(project), "--format", "json")
    assert renamed.code == 0, renamed.both[-2000:]
    (change,) = [c for c in json.loads(renamed.out)["changes"] if c["kind"] == "custom_field"]
    assert not any(d.get("drift") or d.get("conflict") for d in change["fields"].values()), change
    assert json.loads(renamed.out).get("kept", []) == [] or all(
        k["kind"] != "custom_field" for k in json.loads(renamed.out)["kept"])


def test_a_ui_edit_right_after_export_is_drift_over_http(tmp_path: Path, sandbox_process) -> None:
    server = sandbox_process("export")
    project = copy_examples(tmp_path / "crm")
    assert cli(server, "apply", str(project), "--auto-approve").code == 0
    out = tmp_path / "exported"
    exported = cli(server, "export", "--out", str(out))
    assert exported.code == 0, exported.both[-2000:]
    assert cli(server, "plan", str(out), "--drift-only", "--detailed-exitcode").code == 0
    deal = lock_id(project, "deal", "acme-renewal-2027")
    server.api.call("PATCH", f"/api/v2/deals/{deal}", json={"value": 61000}, headers=BOB)
    drift = cli(server, "plan", str(out), "--drift-only", "--detailed-exitcode")
    assert drift.code == 2, drift.both[-2000:]
    assert "drift" in drift.out
