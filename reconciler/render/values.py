"""How one value looks in a rendered plan, shared by the text and markdown renderers."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
VERBS = {"create": "will be created", "update": "will be updated in-place", "delete": "will be deleted"}


# Characters that show nothing or move the cursor: controls (C0 and C1: terminal escape
# sequences), format characters (bidi overrides that reorder what a reviewer reads, zero-width
# spaces), line and paragraph separators, private-use and surrogates.
_HIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp", "Co", "Cs"))


def printable(text: str) -> str:
    """`text` with every invisible or cursor-moving character written as \\uXXXX, on one line."""
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in _HIDDEN else c for c in text
    )


def show(value: Any, limit: int = 80) -> str:
    """A compact, unambiguous one-line form: strings quoted, structures as JSON.

    Values come from manifests and from the live account: nothing in them may act on the
    terminal or the page that shows them, so invisible characters are written out.
    """
    if value is None:
        return "null"
    known_later = isinstance(value, str) and value.startswith("(") and value.endswith(", known after apply)")
    text = value if known_later else json.dumps(
        value, ensure_ascii=False, default=str
    )
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline(summary: dict[str, int], adopted: int = 0, kept: list[dict] | None = None) -> str:
    """Terraform's summary line, then how many existing objects the plan adopts, if any.

    With nothing to do but changes made in Pipedrive left as they are (`kept`, --on-drift keep),
    it says what is kept instead of claiming that the account matches the manifests."""
    if not any(summary.get(k) for k in ("create", "update", "delete")) and kept:
        deleted = sum(1 for k in kept if k.get("deleted"))
        changed = sum(1 for k in kept if k.get("fields"))
        naming = len(kept) - deleted - changed  # resources that name an object deleted in Pipedrive
        what = []
        if changed:
            what.append(f"{changed} object{'s' if changed != 1 else ''} changed")
        if deleted:
            what.append(f"{deleted} object{'s' if deleted != 1 else ''} deleted")
        line = (f"No changes to make. {' and '.join(what)} in Pipedrive since the last apply, kept as Pipedrive "
                "has them (--on-drift keep)"
                + (f", and {naming} resource{'s' if naming != 1 else ''} naming a deleted one left as "
                   f"{'they are' if naming != 1 else 'it is'}" if naming else "")
                + "; `reconciler pull` brings them into the manifests.")
    elif not any(summary.get(k) for k in ("create", "update", "delete")):
        line = "No changes. The live account matches the manifests."
    else:
        line = (
            f"Plan: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['delete']} to delete."
        )
    if adopted:
        line += f" {adopted} existing object{'s' if adopted != 1 else ''} adopted (matched by natural key)."
    return line


def provenance(diff: dict) -> str:
    """"by Bob Brown <bob@example.com> at 2026-11-30 10:12 UTC", from what Pipedrive recorded."""
    parts = []
    if diff.get("changed_by"):
        parts.append(f"by {printable(str(diff['changed_by']))}")
    if diff.get("changed_at"):
        parts.append(f"at {printable(str(diff['changed_at']))}")
    return " ".join(parts)


def drift_note(diff: dict) -> str:
    """Why a field's entry is marked: drift or conflict, and who changed it in Pipedrive, when."""
    who = provenance(diff)
    who = f" {who}" if who else ""
    if diff.get("conflict"):
        return f"conflict: changed in Pipedrive{who} and in the manifests since the last apply"
    if diff.get("drift"):
        return f"drift: changed in Pipedrive{who} since the last apply"
    return ""


def drift_line(summary: dict[str, int], kept: int = 0) -> str:
    """The count of fields changed in Pipedrive, for the line under the headline ("" when none)."""
    drift, conflict = summary.get("drift", 0), summary.get("conflict", 0)
    if not drift and not conflict:
        return ""
    parts = []
    if drift:
        parts.append(f"{drift} field{'s' if drift != 1 else ''} drifted (changed in Pipedrive since the last apply)")
    if conflict:
        parts.append(f"{conflict} conflict{'s' if conflict != 1 else ''} (changed in Pipedrive and in the manifests)")
    tail = f"; {kept} kept as Pipedrive has them (--on-drift keep)" if kept else ""
    return "Drift: " + ", ".join(parts) + tail + "."


def adopted_count(plan) -> int:
    """Objects matched by natural key: unchanged adoptions plus adopted updates."""
    return len(plan.adopt) + sum(1 for c in plan.changes if c.adopted)


def followed_line(entry: dict) -> str:
    """One object merged or converted in Pipedrive (plan.followed), as the plan explains it."""
    address = f"{entry['kind']}.{entry['key']}"
    if entry["how"] == "converted":
        what = (f"{address} was converted in Pipedrive to {entry['into_kind']} {entry['into']} "
                f"(it was id {entry['from']})")
    else:
        what = f"{address} was merged in Pipedrive into {entry['into_kind']} {entry['into']} (it was id {entry['from']})"
    if entry.get("into_key"):
        return (f"{what}, which {entry['into_kind']}.{entry['into_key']} manages: not created again; remove "
                f"{address} from the manifests, or list it under `removed:`")
    if entry["how"] == "converted":
        return (f"{what}: not created again; declare that {entry['into_kind']} instead, and remove {address} "
                "(or list it under `removed:`)")
    return f"{what}: followed to it, not created again; the lock records the survivor"
