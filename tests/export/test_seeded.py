"""Round trip on a seeded, realistic account with every kind (the bench does the 55,000-object one).

Why: the seeder's data has what hand-written examples lack at volume: hundreds of name
collisions, persons without organizations, won and lost deals in both pipelines, notes
pinned or not, activities done or not, hanging off deals, persons or organizations.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.lock import LockFile
from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.seed import seed_database

from .conftest import rc


def test_seeded_account_round_trips_in_one_page_per_500(tmp_path: Path) -> None:
    db = tmp_path / "seeded.db"
    SandboxGateway(str(db), api_key="sandbox").close()  # a new database with its default company
    counts = seed_database(str(db), organizations=300, persons=700, deals=1100, notes=900, activities=800, seed=3)
    out = tmp_path / "out"
    result = rc("export", "--out", str(out), "--sandbox", str(db), "--api-version", "v2")
    assert result.code == 0, result.both
    total = sum(counts[k] for k in ("organizations", "persons", "products", "deals", "notes", "activities", "leads"))
    assert f"Exported {total:,} objects" in result.out
    calls = int(result.out.split("API calls: ")[1].split(",")[0].replace(",", ""))
    # 10 calls for the account and its vocabulary (product fields, lead labels and activity types
    # among them),
    # then one per page of 500 of each kind, and one for the archived deals and one for the
    # archived leads (the lists leave them out; the seeded account has none), then one call per
    # organization (its relationships) and one per product (its variations): no list answer carries them
    assert calls == 10 + 1 + 2 + 1 + 3 + 1 + 2 + 2 + 1 + 1 + counts["organizations"] + counts["products"]
    lock = LockFile.read(out / "reconciler.lock")
    assert sum(len(v) for v in lock.resources.values()) == total
    plan = rc("plan", str(out), "--sandbox", str(db), "--detailed-exitcode")
    assert plan.code == 0, plan.both[-3000:]


def test_v1_only_gateway_round_trips(tmp_path: Path) -> None:
    """Accounts reached through v1 only (--api-version v1) export the same manifests."""
    db = tmp_path / "seeded.db"
    SandboxGateway(str(db), api_key="sandbox").close()
    seed_database(str(db), organizations=40, persons=80, deals=120, notes=100, activities=90, seed=5)
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    assert rc("export", "--out", str(v1), "--sandbox", str(db), "--api-version", "v1").code == 0
    assert rc("export", "--out", str(v2), "--sandbox", str(db)).code == 0
    for path in sorted(v2.rglob("*.yaml")):
        assert (v1 / path.relative_to(v2)).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path
    plan = rc("plan", str(v1), "--sandbox", str(db), "--api-version", "v1", "--detailed-exitcode")
    assert plan.code == 0, plan.both[-3000:]
