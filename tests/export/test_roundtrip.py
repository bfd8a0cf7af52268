"""Round trip on the default sandbox account: examples applied, export, then plan shows no changes.

This is the promise of `reconciler export` (CONTRACT §3): a team starting from its live
account gets manifests and a lock such that the first plan is empty, in manifest language
(keys, emails, names, labels), one file per organization.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from reconciler import kinds
from reconciler.export import ACCOUNTS_DIR
from reconciler.lock import LockFile

from .conftest import rc


def _export(db: Path, out: Path, *extra: str):
    result = rc("export", "--out", str(out), "--sandbox", str(db), *extra)
    assert result.code == 0, result.both
    return result


def _plan_json(out: Path, db: Path) -> dict:
    result = rc("plan", str(out), "--sandbox", str(db), "--format", "json")
    assert result.code == 0, result.both
    return json.loads(result.out)


def test_export_then_plan_shows_no_changes(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    _export(applied, out)
    plan = rc("plan", str(out), "--sandbox", str(applied), "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert "No changes" in plan.out
    data = _plan_json(out, applied)
    assert data["changes"] == []
    assert data["summary"]["unchanged"] == 27
    assert data["adopt"] == []  # every object was found through the lock, none by guessing


def test_one_file_per_organization_with_what_hangs_off_it(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    _export(applied, out)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files == [f"{ACCOUNTS_DIR}/acme-corporation.yaml", f"{ACCOUNTS_DIR}/globex-software.yaml",
                     f"{ACCOUNTS_DIR}/initech-logistics.yaml", "products.yaml"]  # products hang off no org
    for path in (out / ACCOUNTS_DIR).rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(doc["organizations"]) == [path.stem]
        for section, refs in (("persons", ("org",)), ("deals", ("org",))):
            for key, fields in (doc.get(section) or {}).items():
                assert all(fields.get(r) == path.stem for r in refs), (section, key)
    acme = yaml.safe_load((out / ACCOUNTS_DIR / "acme-corporation.yaml").read_text(encoding="utf-8"))
    assert set(acme) == {"organizations", "persons", "deals", "notes", "activities"}
    assert len(acme["persons"]) == 2 and len(acme["deals"]) == 2
    assert len(acme["notes"]) == 2 and len(acme["activities"]) == 2


def test_manifest_language_names_not_ids(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    _export(applied, out)
    acme = yaml.safe_load((out / ACCOUNTS_DIR / "acme-corporation.yaml").read_text(encoding="utf-8"))
    org = acme["organizations"]["acme-corporation"]
    assert org == {"name": "Acme Corporation", "address": "123 Main St, Springfield",
                   "owner": "alice@example.com", "visible_to": "company", "fields": {"Industry": "Manufacturing"}}
    deal = acme["deals"]["acme-renewal-2027"]
    assert deal["pipeline"] == "Sales" and deal["stage"] == "Negotiation"
    assert deal["org"] == "acme-corporation" and deal["person"] == "john-doe"
    assert deal["owner"] == "alice@example.com"
    assert deal["fields"] == {"Lead source": "Referral", "Contract value": {"value": 150000, "currency": "USD"}}
    assert str(deal["expected_close_date"]) == "2027-01-31"
    john = acme["persons"]["john-doe"]
    assert john["emails"] == ["john.doe@acme.example.com"] and john["phones"] == ["+1 555 0100"]
    assert john["fields"] == {"Interests": ["Product updates", "Beta program"]}
    kickoff = next(n for n in acme["notes"].values() if n.get("deal") == "acme-renewal-2027")
    assert kickoff == {"deal": "acme-renewal-2027", "content": "Kickoff: pricing and timeline agreed.",
                       "pinned": True}
    # a deal note names one parent only, even though Pipedrive also fills its org and person
    assert all(sum(1 for p in ("deal", "person", "org") if p in n) == 1 for n in acme["notes"].values())


def test_lock_records_account_and_every_key(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    _export(applied, out)
    lock = LockFile.read(out / "reconciler.lock")
    assert lock.account and lock.account["company_name"] == "Example Sales Ltd"
    declared: dict[str, set[str]] = {}
    for path in out.rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section, resources in doc.items():
            kind = kinds.kind(section).name
            declared.setdefault(kind, set()).update(resources)
    assert {k: set(v) for k, v in lock.resources.items()} == declared
    whoami = json.loads(rc("whoami", "--sandbox", str(applied), "--format", "json").out)
    assert lock.account["company_id"] == whoami["company_id"]


def test_validates_and_reports_counts(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    result = _export(applied, out)
    assert "Exported 27 objects (3 organizations, 6 persons, 1 product, 6 deals, 1 lead, 4 notes, 6 activities) into 4 files" \
        in result.out
    calls = int(result.out.split("API calls: ")[1].split(",")[0])
    # me, users, pipelines, stages, 4 field schemas (products among them), lead labels, activity types, one
    # page per kind, one each of archived deals and leads (which the lists leave out), and the
    # products of the deals that have any (one call per 100 of them); then, as no list answer carries
    # them, one call per organization (relationships) and per product (variations): 3 + 1
    assert calls <= 20 + 3 + 1
    assert "3 for organization relationships, 1 for product variations" in result.both
    assert "tokens:" in result.out
    check = rc("validate", str(out))
    assert check.code == 0, check.both


def test_deterministic(applied: Path, tmp_path: Path) -> None:
    _export(applied, tmp_path / "one")
    _export(applied, tmp_path / "two")
    for path in sorted((tmp_path / "one").rglob("*")):
        if path.is_file():
            twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
            assert twin.read_bytes() == path.read_bytes(), path


def test_kind_subset_references_others_by_id(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "deals-only"
    result = _export(applied, out, "--kind", "deal", "--kind", "notes")
    assert "6 deals, 4 notes" in result.out
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files == ["deals.yaml", "notes.yaml"]  # no organization exported: grouped by kind
    deals = yaml.safe_load((out / "deals.yaml").read_text(encoding="utf-8"))["deals"]
    assert all(isinstance(d["org"], dict) and set(d["org"]) == {"id"} for d in deals.values())
    notes = yaml.safe_load((out / "notes.yaml").read_text(encoding="utf-8"))["notes"]
    assert any(n.get("deal") in deals for n in notes.values())  # deals exported: by key
    plan = rc("plan", str(out), "--sandbox", str(applied), "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert set(LockFile.read(out / "reconciler.lock").resources) == {"deal", "note"}


def test_reexport_keeps_keys_after_a_rename(applied: Path, tmp_path: Path) -> None:
    """Keys come from the previous lock of the same account, so a rename in Pipedrive renames nothing."""
    out = tmp_path / "exported"
    _export(applied, out)
    path = out / ACCOUNTS_DIR / "acme-corporation.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: Acme Corporation", "name: Acme Corp"),
                    encoding="utf-8")
    changed = rc("apply", str(out), "--sandbox", str(applied), "--auto-approve")
    assert changed.code == 0 and "1 updated" in changed.out, changed.both
    _export(applied, out, "--force")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["organizations"]["acme-corporation"]["name"] == "Acme Corp"
    fresh = tmp_path / "fresh"
    _export(applied, fresh)
    assert (fresh / ACCOUNTS_DIR / "acme-corp.yaml").exists()  # without a lock: from the new name
    assert rc("plan", str(out), "--sandbox", str(applied), "--detailed-exitcode").code == 0


def test_empty_account(tmp_path: Path) -> None:
    out = tmp_path / "exported"
    result = _export(tmp_path / "new.db", out)
    assert "Exported 0 objects" in result.out
    assert (out / "reconciler.lock").exists()
    # one manifest with an empty section, so the project is a valid one to plan and grow
    assert (out / "organizations.yaml").read_text(encoding="utf-8").endswith("organizations: {}\n")
    plan = rc("plan", str(out), "--sandbox", str(tmp_path / "new.db"), "--detailed-exitcode")
    assert plan.code == 0, plan.both
