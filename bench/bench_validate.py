"""How long `reconciler validate` takes on a big manifest (not a test; run it by hand).

Generates a ~1 MB manifest of 5,000 resources of every kind, with references between
them, in a temporary directory, then times `load_manifests` (best of 3) against the
target of 2 s on this 2-core machine. Run: `python bench/bench_validate.py [RESOURCES]`.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from reconciler.manifest import load_manifests

TARGET_SECONDS = 2.0
INDUSTRIES = ("Manufacturing", "Software", "Retail", "Healthcare", "Finance", "Logistics")
STAGES = ("Lead In", "Qualified", "Contact Made", "Proposal Made", "Negotiation")
OWNERS = ("alice@example.com", "bob@example.com", "carol@example.com")


def generate(total: int, seed: int = 7) -> str:
    """A valid manifest text with `total` resources: 16% orgs, 32% persons, 24% deals, 14% notes, 14% activities."""
    rng = random.Random(seed)
    n_org, n_person, n_deal = total * 16 // 100, total * 32 // 100, total * 24 // 100
    n_note = total * 14 // 100
    n_activity = total - n_org - n_person - n_deal - n_note
    out = ["organizations:"]
    for i in range(n_org):
        out += [
            f"  org-{i}:",
            f"    name: Organization number {i} Holdings",
            f"    address: {rng.randint(1, 999)} Market Street, Springfield",
            f"    owner: {rng.choice(OWNERS)}",
            "    visible_to: company",
            "    fields:",
            f"      Industry: {rng.choice(INDUSTRIES)}",
        ]
    out.append("persons:")
    for i in range(n_person):
        out += [
            f"  person-{i}:",
            f"    name: Person Number{i}",
            f"    org: org-{rng.randrange(n_org)}",
            f"    emails: [person{i}@customer{i % 97}.example.com]",
            f'    phones: ["+1 555 {i:04d}"]',
            f"    owner: {rng.choice(OWNERS)}",
        ]
    out.append("deals:")
    for i in range(n_deal):
        out += [
            f"  deal-{i}:",
            f"    title: Deal number {i} renewal",
            f"    value: {rng.randint(1, 500) * 100}",
            "    currency: USD",
            f"    org: org-{rng.randrange(n_org)}",
            f"    person: person-{rng.randrange(n_person)}",
            "    pipeline: Sales",
            f"    stage: {rng.choice(STAGES)}",
            "    status: open",
            f"    expected_close_date: 2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "    fields:",
            "      Lead source: Referral",
        ]
    out.append("notes:")
    for i in range(n_note):
        out += [
            f"  note-{i}:",
            f"    deal: deal-{rng.randrange(n_deal)}",
            f'    content: "Call summary {i}: pricing discussed, next steps agreed with the buyer."',
            "    pinned: false",
        ]
    out.append("activities:")
    for i in range(n_activity):
        out += [
            f"  activity-{i}:",
            f"    subject: Follow-up call {i}",
            "    type: call",
            f"    due_date: 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            f"    due_time: {rng.randint(8, 17)}:{rng.choice(('00', '30'))}",
            '    duration: "00:30"',
            f"    deal: deal-{rng.randrange(n_deal)}",
            "    done: false",
        ]
    return "\n".join(out) + "\n"


def main() -> int:
    """Generate, time best of 3, print the table; exit 1 if the manifest is not valid."""
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(generate(total), encoding="utf-8")
        size = path.stat().st_size
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            manifest, problems = load_manifests([path])
            best = min(best, time.perf_counter() - start)
        if problems:
            print("\n".join(str(p) for p in problems[:10]))
            return 1
    verdict = "ok" if best < TARGET_SECONDS else "SLOW"
    print(f"{'resources':>10} {'bytes':>10} {'seconds':>8} {'target':>8}")
    print(f"{len(manifest.resources):>10} {size:>10} {best:>8.3f} {'< ' + str(TARGET_SECONDS):>8}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
