"""Terraform-style text: `+` create, `~` update (changed fields only), `-` delete."""

from __future__ import annotations

from reconciler.plan import Plan
from reconciler.render.values import (
    adopted_count,
    deactivations,
    drift_line,
    drift_note,
    followed_line,
    heading,
    headline,
    listed_lines,
    show,
    update_parts,
)
from reconciler.shapeloss import describe

COLOURS = {"create": "green", "update": "yellow", "delete": "red"}
SUB_COLOURS = {"+": "green", "~": "yellow", "-": "red"}


def render_text(plan: Plan) -> str:
    """Plain text with rich markup tags ([green]…[/]); the CLI prints it through rich."""
    lines: list[str] = []
    if plan.changes:
        lines.append("reconciler will perform the following actions:")
        lines.append("")
    for change in plan.changes:
        colour = COLOURS[change.action]
        ident = f" (id {change.id})" if change.id is not None else ""
        symbol, verb, reason = heading(change)
        note = f" — {reason}" if reason else ""
        if change.orphans:
            shown = ", ".join(change.orphans[:10]) + (" …" if len(change.orphans) > 10 else "")
            note += f"; orphans {len(change.orphans)} objects not in the manifests: {shown}"
        if change.data_loss:
            note += f"; [red]{describe(change)}[/]"
        lines.append(f"  [{colour}]{symbol}[/] [bold]{change.kind}.{change.key}[/]{ident} "
                     f"{verb}{note}")
        for name, diff in change.fields.items():
            if change.action == "create":
                lines.append(f"      [green]+[/] {name} = {_esc(show(diff.get('after'), None))}")
            elif (listed := listed_lines(name, diff)) is not None:  # `+ follower anna@example.com`
                lines.append(f"      [yellow]~[/] {name}:{_marker(diff)}")
                lines.extend(f"          [{SUB_COLOURS[symbol]}]{symbol}[/] {_esc(text)}" for symbol, text in listed)
            else:
                detail = diff.get("detail") or {}
                extra = "".join(
                    [f" [green]+{_esc(show(v, 40))}[/]" for v in detail.get("added", [])]
                    + [f" [red]-{_esc(show(v, 40))}[/]" for v in detail.get("removed", [])]
                    + [f" [yellow]~{_esc(show(old, 40))}→{_esc(show(new, 40))}[/]"
                       for old, new in detail.get("renamed", [])]
                )
                shown, under = update_parts(diff)
                lines.append(f"      [yellow]~[/] {name}: {_esc(shown)}{extra}{_marker(diff)}")
                lines.extend(f"          [{SUB_COLOURS[symbol]}]{symbol}[/] {_esc(text)}" for symbol, text in under)
        lines.append("")
    for entry in plan.kept:
        why = entry.get("reason") or "drift kept: Pipedrive's values stay (--on-drift keep)"
        lines.append(f"  [magenta]![/] [bold]{entry['kind']}.{entry['key']}[/] (id {entry['id']}) {_esc(why)}")
        for name, diff in entry["fields"].items():
            lines.append(f"      [magenta]![/] {name}: {_esc(show(diff.get('before')))} (manifests: "
                         f"{_esc(show(diff.get('after')))}){_marker(diff)}")
        lines.append("")
    for entry in plan.moved:
        lines.append(f"  [cyan]>[/] {entry['kind']}.{entry['from']} has moved to {entry['kind']}.{entry['to']} "
                     f"(id {entry['id']})")
    if plan.moved:
        lines.append("")
    for entry in plan.released:  # `removed:` with destroy: false
        lines.append(f"  [cyan].[/] {entry['kind']}.{entry['key']} (id {entry['id']}) will no longer be managed "
                     "(removed: destroy: false): the object stays in Pipedrive, the lock forgets it")
    if plan.released:
        lines.append("")
    for entry in plan.followed:  # merged or converted in Pipedrive (reconciler/merges.py)
        lines.append(f"  [magenta]>[/] {_esc(followed_line(entry))}")
    if plan.followed:
        lines.append("")
    for entry in plan.adopt:
        lines.append(f"  [cyan]=[/] {entry['kind']}.{entry['key']} (id {entry['id']}) adopted: matches by its "
                     "natural key, recorded in the lock")
    if plan.adopt:
        lines.append("")
    lines.append(f"[bold]{_esc(headline(plan.summary, adopted_count(plan), plan.kept, deactivations(plan.changes)))}[/]")
    drift = drift_line(plan.summary, sum(len(k["fields"]) for k in plan.kept))
    if drift:
        lines.append(f"[magenta]{_esc(drift)}[/]")
    return "\n".join(lines)


def _marker(diff: dict) -> str:
    note = drift_note(diff)
    if not note:
        return ""
    colour = "bold red" if diff.get("conflict") else "magenta"
    return f"  [{colour}]({_esc(note)})[/]"


def _esc(text: str) -> str:
    return text.replace("[", "\\[")
