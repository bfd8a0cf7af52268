"""Markdown for pull-request and merge-request comments: safe with any value, and capped in size.

Why it is shaped this way:

- Values come from the manifests and from the live account, so anyone who can edit a
  deal's title can write into the comment. Every value is therefore shown inside a fenced
  code block, where GitHub- and GitLab-flavoured markdown render nothing: no `@mention`,
  no `#123` or `!12` reference, no HTML (`</details>` cannot close the fold, `<!--` cannot
  hide the rows after it), no table to break with `|`. Every line in the block starts with
  a symbol of ours (`+`, `~`, `-`, `=`), so no value can close the fence, and values are
  one line each (JSON-escaped, control and invisible characters as \\uXXXX). The only
  value outside a block, the company name, goes in a code span and through the same
  escaping.
- GitHub refuses a comment over 65,536 characters (GitLab's notes allow 1,000,000), and a
  large plan exceeds that. The comment is capped at RECONCILER_MARKDOWN_LIMIT bytes of
  UTF-8 (default 60,000, under GitHub's limit however it counts), so the comment step
  never fails. Deletes (and drifted fields) are always shown first, in full while they fit;
  the other changes follow while they fit, and the rest is summarised by kind and action,
  with a pointer to the whole plan (the CI job's artifact, RECONCILER_PLAN_URL when set).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from reconciler.config import ConfigError
from reconciler.plan import Change, Plan
from reconciler.render.values import (
    SYMBOLS,
    adopted_count,
    deactivations,
    drift_note,
    followed_line,
    heading,
    headline,
    listed_lines,
    printable,
    show,
    update_parts,
    verb,
)
from reconciler.shapeloss import describe

DEFAULT_LIMIT = 60_000  # bytes of UTF-8; GitHub: 65,536 characters; GitLab: 1,000,000
MIN_LIMIT = 2_000
COLLAPSE_AFTER = 20  # more changes than this (besides the first ones) fold into <details>
LIMIT_ENV = "RECONCILER_MARKDOWN_LIMIT"
PLAN_URL_ENV = "RECONCILER_PLAN_URL"
_RESERVE = 1_500  # bytes kept for the summary of what is not shown (a line per kind and action)
_SECTION = 200  # bytes of a section's heading, fence and <details> lines
_NAME_LIMIT = 200  # characters of the company name shown
KEPT_SHOWN = 20  # objects whose kept drift is listed; the rest are counted


def markdown_limit(env: dict | None = None) -> int:
    """The cap in bytes: RECONCILER_MARKDOWN_LIMIT, else DEFAULT_LIMIT."""
    env = os.environ if env is None else env
    raw = env.get(LIMIT_ENV)
    if not raw:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ConfigError(f"{LIMIT_ENV} must be a number of bytes, not {raw!r}") from None
    if limit < MIN_LIMIT:
        raise ConfigError(f"{LIMIT_ENV} must be at least {MIN_LIMIT} bytes")
    return limit


def plan_url(env: dict | None = None) -> str | None:
    """RECONCILER_PLAN_URL, if it is an http(s) URL, made safe to put in a markdown link."""
    env = os.environ if env is None else env
    raw = (env.get(PLAN_URL_ENV) or "").strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("http", "https"):
        raise ConfigError(f"{PLAN_URL_ENV} must be an http(s) URL")
    return quote(raw, safe=":/?#@!$&'*+,;=%~-._")  # also encodes ( ) < > [ ] and spaces


def code_span(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds (CommonMark's rule)."""
    text = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


WARNINGS_SHOWN = 20  # warnings listed in full; the rest are counted
_WARNING_LIMIT = 600  # characters of one warning (they can list many keys)


def _inline(text: str) -> str:
    """Our own sentence with values in it, made inert outside a code block (no markup, no HTML)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~@&-])", r"\\\1", printable(text))


def _warnings(warnings: list[str]) -> list[str]:
    """The plan's warnings (an archived deal left alone, the --drift-details hint, options removed)
    as the text plan prints them, in a block: they name keys and values from the account."""
    if not warnings:
        return []
    lines = [f"! {printable(w if len(w) <= _WARNING_LIMIT else w[:_WARNING_LIMIT - 1] + '…')}"
             for w in warnings[:WARNINGS_SHOWN]]
    if len(warnings) > WARNINGS_SHOWN:
        lines.append(f"! …and {len(warnings) - WARNINGS_SHOWN} more (the whole plan is in the CI job's artifacts)")
    return [f"#### Warnings ({len(warnings)})", "", "```diff", *lines, "```", ""]


@dataclass
class _Block:
    """One change as lines of the code block, and its cost in bytes."""

    change: Change
    lines: list[str]

    @property
    def size(self) -> int:
        return sum(len(line.encode("utf-8")) + 1 for line in self.lines)


def _drifted(change: Change) -> bool:
    if change.action == "create" and (change.reason or "").startswith("deleted in Pipedrive"):
        return True  # an object deleted in Pipedrive is drift of the whole object: listed with it, first
    return any(isinstance(d, dict) and (d.get("drift") or d.get("conflict")) for d in change.fields.values())


def _conflicted(change: Change) -> bool:
    return any(isinstance(d, dict) and d.get("conflict") for d in change.fields.values())


def _field_note(diff: dict) -> str:
    note = drift_note(diff)
    return f"  ({note})" if note else ""


def _list_detail(diff: dict) -> str:
    """What a list gained and lost (emails, options, participants), as the text plan shows it."""
    detail = diff.get("detail") or {}
    return "".join([f" +{show(v, 40)}" for v in detail.get("added", [])]
                   + [f" -{show(v, 40)}" for v in detail.get("removed", [])]
                   + [f" ~{show(old, 40)}→{show(new, 40)}" for old, new in detail.get("renamed", [])])


def _address(change: Change) -> str:
    # kind and key follow the manifest's key pattern, but a saved plan file can say anything
    return printable(f"{change.kind}.{change.key}")


def _block(change: Change) -> _Block:
    symbol, verb, why = heading(change)
    ident = f" (id {printable(str(change.id))})" if change.id is not None else ""
    reason = f" — {printable(why)}" if why else ""
    if change.data_loss:
        reason += f"; {describe(change)}"  # inside the code block, as every line of a change
    adopted = " (adopted: matched by natural key)" if change.adopted else ""
    lines = [f"{symbol} {_address(change)}{ident} {verb}{adopted}{reason}"]
    if change.orphans:  # as the text plan says it: what the delete leaves pointing at nothing
        shown = ", ".join(printable(str(o)) for o in change.orphans[:10]) + (" …" if len(change.orphans) > 10 else "")
        lines.append(f"{symbol}     orphans {len(change.orphans)} objects not in the manifests: {shown}")
    if change.action != "delete":
        for name, diff in change.fields.items():
            label = printable(name)
            if change.action == "create":
                lines.append(f"{symbol}     {label} = {show(diff.get('after'), None)}")
            elif (listed := listed_lines(name, diff)) is not None:  # `+ follower anna@example.com`
                lines.append(f"{symbol}     {label}:{_field_note(diff)}")
                lines.extend(f"{symbol}         {sub} {printable(text)}" for sub, text in listed)
            else:
                shown, under = update_parts(diff)
                lines.append(f"{symbol}     {label}: {shown}{_list_detail(diff)}{_field_note(diff)}")
                lines.extend(f"{symbol}         {sub} {text}" for sub, text in under)
    return _Block(change, lines)


def _short(change: Change) -> _Block:
    """A change on one line (when even the first changes do not fit in full)."""
    ident = f" (id {printable(str(change.id))})" if change.id is not None else ""
    return _Block(change, [f"{SYMBOLS[change.action]} {_address(change)}{ident} {verb(change)}"])


def _fenced(blocks: list[_Block]) -> list[str]:
    # every line starts with a symbol of ours, so a run of backticks in a value can never
    # close this fence
    return ["```diff", *(line for block in blocks for line in block.lines), "```"]


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _take(blocks: list[_Block], budget: int) -> tuple[list[_Block], int]:
    """The leading blocks that fit in `budget` bytes; what is left of it."""
    taken: list[_Block] = []
    for block in blocks:
        if block.size > budget:
            break
        taken.append(block)
        budget -= block.size
    return taken, budget


def _left_out(changes: list[Change]) -> list[str]:
    """What a capped comment does not show: counts per kind and action."""
    counts = Counter((c.kind, c.action) for c in changes)
    kinds = sorted({kind for kind, _ in counts})
    parts = []
    for kind in kinds:
        per_action = ", ".join(f"{counts[(kind, a)]} to {a}" for a in ("delete", "update", "create")
                               if counts[(kind, a)])
        parts.append(f"- {kind}: {per_action}")
    return parts


def render_markdown(plan: Plan, limit: int | None = None, url: str | None = None,
                    refused: str | None = None) -> str:
    """The plan as a comment of at most `limit` bytes (default: markdown_limit()).

    `refused` is why the plan will not be applied (more deletes than max_deletes): the plan is
    still shown in full, under that reason, so reviewers see what it would have deleted.
    """
    limit = markdown_limit() if limit is None else limit
    url = plan_url() if url is None else url
    head = ["### reconciler plan", ""]
    if plan.account:
        name = code_span(str(plan.account.get("company_name") or "")[:_NAME_LIMIT])
        head += [f"Account: {name} (company {printable(str(plan.account.get('company_id')))})", ""]
    if refused:
        head += [f"> **Refused: {_inline(refused)}.** Apply will not run this plan as it is; every change it "
                 "would make is listed below.", ""]
    head += [f"**{headline(plan.summary, adopted_count(plan), plan.kept, deactivations(plan.changes))}** ({plan.summary['unchanged']} unchanged)", ""]
    head += _warnings(plan.warnings)
    footer = []
    if plan.followed:  # merged or converted in Pipedrive: a reviewer reads these before the changes
        head += [f"- {printable(followed_line(entry))}" for entry in plan.followed[:20]] + [""]
    if plan.released:
        footer += [f"{len(plan.released)} object(s) no longer managed (`removed:`, destroy: false), left in "
                   "Pipedrive: " + ", ".join(f"`{printable(r['kind'])}.{printable(r['key'])}`"
                                             for r in plan.released[:20]), ""]
    if plan.adopt:
        footer += [f"{len(plan.adopt)} existing object(s) adopted into the lock without changes.", ""]
    if plan.moved:
        footer += [f"{len(plan.moved)} key(s) moved (`moved:`), their objects kept: "
                   + ", ".join(f"`{printable(m['kind'])}.{printable(m['from'])}` → `{printable(m['to'])}`"
                               for m in plan.moved[:20]), ""]
    footer.append(f"<sub>{plan.stats.get('api_calls', 0)} API calls, {plan.stats.get('tokens', 0)} tokens "
                  "spent reading live state.</sub>")

    first = [c for c in plan.changes if _conflicted(c)] + \
            [c for c in plan.changes if c.action == "delete"] + \
            [c for c in plan.changes if c.action != "delete" and _drifted(c) and not _conflicted(c)]
    chosen = {id(c) for c in first}
    rest = [c for c in plan.changes if id(c) not in chosen]

    # Fixed costs first: the head, the footer, the summary of what is left out (a line per
    # kind, the link) and the section lines around each fence.
    budget = limit - _size(head) - _size(footer) - _RESERVE - len((url or "").encode("utf-8"))
    shown_first, left = _take([_block(c) for c in first], budget - _SECTION)
    if len(shown_first) < len(first):  # not all in full: as many as fit, one line each
        shown_first, left = _take([_short(c) for c in first], budget - _SECTION)
    shown_rest: list[_Block] = []
    if len(shown_first) == len(first):
        shown_rest, left = _take([_block(c) for c in rest], left - _SECTION)

    body: list[str] = []
    conflicts, drift = plan.summary.get("conflict", 0), plan.summary.get("drift", 0)
    if conflicts:
        body += [f"> **Warning: {conflicts} conflict{'s' if conflicts != 1 else ''}**: field"
                 f"{'s' if conflicts != 1 else ''} changed both in Pipedrive and in the manifests since the last "
                 "apply; applying this plan overwrites what was changed in Pipedrive.", ""]
    if drift:
        body += [f"> **{drift} field{'s' if drift != 1 else ''} drifted**: changed in Pipedrive since the last "
                 + ("apply; kept as Pipedrive has them (--on-drift keep)." if plan.on_drift == "keep" else
                    "apply; applying this plan puts the manifests' values back (`reconciler pull` brings "
                    "Pipedrive's into the manifests instead)."), ""]
    if first:
        names = [name for name, present in (("Conflicts", any(_conflicted(c) for c in first)),
                                            ("deletes", any(c.action == "delete" for c in first)),
                                            ("drift", any(_drifted(c) and not _conflicted(c) for c in first)))
                 if present]
        title = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        title = title[:1].upper() + title[1:]
        body += [f"#### {title} ({len(first)})", "", *_fenced(shown_first), ""]
    if plan.kept:
        kept_lines = []
        for entry in plan.kept[:KEPT_SHOWN]:
            kept_lines.append(f"! {printable(entry['kind'] + '.' + entry['key'])} (id {printable(str(entry['id']))}) "
                              + printable(entry.get("reason") or "drift kept: Pipedrive's values stay"))
            for name, diff in entry["fields"].items():
                kept_lines.append(f"!     {printable(name)}: {show(diff.get('before'))} (manifests: "
                                  f"{show(diff.get('after'))}){_field_note(diff)}")
        more = len(plan.kept) - KEPT_SHOWN
        body += [f"#### Drift kept ({len(plan.kept)})", "", "```diff", *kept_lines, "```", ""]
        if more > 0:
            body += [f"…and {more} more objects with drift kept (the whole plan is in the CI job's artifacts).", ""]
    if shown_rest:
        fenced = _fenced(shown_rest)
        label = f"{len(rest)}{' other' if first else ''} change{'s' if len(rest) != 1 else ''}"
        if len(shown_rest) > COLLAPSE_AFTER:
            part = "the" if len(shown_rest) == len(rest) else f"{len(shown_rest)} of the"
            body += [f"<details><summary>Show {part} {label}</summary>", "", *fenced, "", "</details>", ""]
        elif first:
            body += [f"#### Other changes ({len(rest)})", "", *fenced, ""]
        else:
            body += [*fenced, ""]
    left_out = first[len(shown_first):] + rest[len(shown_rest):]
    if left_out:
        where = f"[the CI job's artifacts]({url})" if url else "the CI job's artifacts"
        body += [f"**{len(left_out)} more change{'s' if len(left_out) != 1 else ''} not shown** "
                 f"(this comment is capped at {limit:,} bytes):", "", *_left_out(left_out), "",
                 f"The whole plan is in {where} (`reconciler show plan.json`).", ""]
    text = "\n".join(head + body + footer) + "\n"
    if len(text.encode("utf-8")) > limit:  # cannot happen with the reserve; never post an oversized comment
        raise ValueError(f"markdown plan of {len(text.encode('utf-8'))} bytes exceeds the {limit} byte cap")
    return text
