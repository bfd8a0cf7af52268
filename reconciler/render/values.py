"""How one value looks in a rendered plan, shared by the text and markdown renderers."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from typing import Any

from reconciler.plandetail import is_item_list, item_name

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
VERBS = {"create": "will be created", "update": "will be updated in-place", "delete": "will be deleted"}
# An update whose reason starts so is a replace, a delete then a create (a kind Pipedrive cannot
# update: webhooks), shown as Terraform shows one
REPLACED = "must be replaced"


def heading(change: Any) -> tuple[str, str, str | None]:
    """(symbol, verb, reason) of a change's first line: `-/+ ... must be replaced` for a replace."""
    reason = change.reason
    if change.action == "update" and reason and reason.startswith(REPLACED):
        return "-/+", REPLACED, reason[len(REPLACED):].lstrip(": ") or None
    return SYMBOLS[change.action], verb(change), reason


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


def _known_later(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("(") and value.endswith(", known after apply)")


def show(value: Any, limit: int | None = 80) -> str:
    """A compact, unambiguous one-line form: strings quoted, structures as JSON, keyed lines
    (a deal's products) as `robot-arm × 3 @ 6,000`; cut at `limit` characters (None: never).

    Values come from manifests and from the live account: nothing in them may act on the
    terminal or the page that shows them, so invisible characters are written out.
    """
    if value is None:
        return "null"
    if is_item_list(value):
        return "; ".join(item_text(item) for item in value)  # never cut: each line is what is bought
    text = value if _known_later(value) else json.dumps(
        value, ensure_ascii=False, default=str
    )
    text = printable(text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def number(value: Any) -> str:
    """6000 as "6,000", 12.5 as "12.5": amounts as people read them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return printable(str(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def item_text(item: dict) -> str:
    """One deal product line: `robot-arm × 3 @ 6,000 − 10%, tax 20%`."""
    text = f"{printable(item_name(item))} × {number(item.get('quantity'))} @ {number(item.get('item_price'))}"
    if item.get("discount"):
        amount = item.get("discount_type") == "amount"
        text += f" − {number(item['discount'])}{'' if amount else '%'}"
    if item.get("tax"):
        text += f", tax {number(item['tax'])}%"
    if item.get("comments"):
        text += f" ({show(item['comments'])})"
    if item.get("is_enabled") is False:
        text += " (disabled)"
    return text


WORD_CONTEXT = 6  # words kept on each side of a change in a word diff


def _piece(text: str) -> str:
    return printable(json.dumps(text, ensure_ascii=False)[1:-1])


def word_diff(before: str, after: str, context: int = WORD_CONTEXT) -> str:
    """The changed words of a long text in context: `… until [-March 2027-]{+March 2029+} at the …`.

    A long value cut to one line can hide its change (the end of a note), so a long text's
    update is shown as what changed, with `context` words either side, never cut.
    """
    old, new = re.findall(r"\S+|\s+", before), re.findall(r"\S+|\s+", after)
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    keep = context * 2  # tokens: words and the spaces between them
    parts: list[str] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = old[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if first and len(same) > keep:
                parts.append("… " + _piece("".join(same[-keep:]).lstrip()))
            elif last and len(same) > keep:
                parts.append(_piece("".join(same[:keep]).rstrip()) + " …")
            elif not first and not last and len(same) > 2 * keep:
                parts.append(_piece("".join(same[:keep])) + " … " + _piece("".join(same[-keep:])))
            else:
                parts.append(_piece("".join(same)))
            continue
        if i2 > i1:
            parts.append("[-" + _piece("".join(old[i1:i2])) + "-]")
        if j2 > j1:
            parts.append("{+" + _piece("".join(new[j1:j2])) + "+}")
    return "".join(parts)


# list fields whose items are named one per line, with the word for one item (issue 27)
LISTED = {"followers": "follower"}


def listed_lines(name: str, diff: dict) -> list[tuple[str, str]] | None:
    """The lines under a listed field's change (`+ follower anna@example.com`), or None for other fields."""
    word, detail = LISTED.get(name), diff.get("detail") or {}
    if word is None or "added" not in detail:
        return None
    def one(value: Any) -> str:
        return printable(value) if isinstance(value, str) else show(value, None)

    return ([("+", f"{word} {one(v)}") for v in detail.get("added", [])]
            + [("-", f"{word} {one(v)}") for v in detail.get("removed", [])])


def update_parts(diff: dict, limit: int = 80) -> tuple[str, list[tuple[str, str]]]:
    """What follows `name: ` on an updated field's line, and the lines under it ((symbol, text)).

    Keyed lines show only the lines that change (`~ robot-arm × 2 @ 6,000 → robot-arm × 3 @ 6,000`);
    a long text shows its changed words in context; anything else is before → after, uncut.
    """
    before, after = diff.get("before"), diff.get("after")
    detail = diff.get("detail") or {}
    if isinstance(detail.get("items"), list):
        lines = []
        for line in detail["items"]:
            if line.get("before") is None:
                lines.append(("+", item_text(line["after"])))
            elif line.get("after") is None:
                lines.append(("-", item_text(line["before"])))
            else:
                lines.append(("~", f"{item_text(line['before'])} → {item_text(line['after'])}"))
        changed = len(detail["items"])
        unchanged = detail.get("unchanged") or 0
        head = f"{changed} line{'s' if changed != 1 else ''} changed" + (f", {unchanged} unchanged" if unchanged else "")
        return head, lines
    if isinstance(before, str) and isinstance(after, str) and not _known_later(after) and \
            max(len(show(before, None)), len(show(after, None))) > limit:
        return word_diff(before, after), []
    return f"{show(before, None)} → {show(after, None)}", []


def verb(change: Any) -> str:
    """What the plan says a change will do: a delete says what Pipedrive does (activity types are
    deactivated, not deleted: kinds.KindSpec.deleted_as)."""
    if change.action == "delete":
        from reconciler.kinds import kind

        done = kind(change.kind).deleted_as
        if done != "deleted":
            return f"will be {done}"
    return VERBS[change.action]


def deactivations(changes: list[Any]) -> int:
    """How many of a plan's deletes Pipedrive carries out otherwise (deactivations)."""
    return sum(1 for c in changes if c.action == "delete" and verb(c) != VERBS["delete"])


def headline(summary: dict[str, int], adopted: int = 0, kept: list[dict] | None = None,
             deactivated: int = 0) -> str:
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
            f"{summary['delete']} to delete"
            + (f" ({deactivated} of them deactivated, not deleted)."
               if deactivated else ".")
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
    elif entry["how"] == "recreated":  # Pipedrive cannot update it (webhooks): the UI deletes and creates
        what = (f"{address} was deleted and created again in Pipedrive as {entry['into_kind']} {entry['into']} "
                f"(it was id {entry['from']})")
    else:
        told = f"; {entry['history']}" if entry.get("history") else ""  # reconciler/gone_history.py
        what = (f"{address} was merged in Pipedrive into {entry['into_kind']} {entry['into']} "
                f"(it was id {entry['from']}{told})")
    if entry.get("into_key"):
        pulled = " (`pull` does it, and names it where the lead was named)" if entry["how"] == "converted" else ""
        return (f"{what}, which {entry['into_kind']}.{entry['into_key']} manages: not created again; remove "
                f"{address} from the manifests, or list it under `removed:`{pulled}")
    if entry["how"] == "converted":
        return (f"{what}: not created again; declare that {entry['into_kind']} instead, and remove {address} "
                "(or list it under `removed:`), or let `pull` write it so")
    if entry["how"] == "recreated":
        return f"{what}: followed to it, not created again; the lock records the new one"
    return f"{what}: followed to it, not created again; the lock records the survivor"
