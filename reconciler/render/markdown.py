"""Markdown for pull-request comments: a summary line, then a table per action.

Long plans go in a collapsible <details> block so the comment stays readable.
"""

from __future__ import annotations

from reconciler.plan import Plan
from reconciler.render.values import SYMBOLS, adopted_count, headline, show

COLLAPSE_AFTER = 20


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    out = ["### reconciler plan", ""]
    if plan.account:
        out.append(f"Account: **{plan.account.get('company_name')}** (company {plan.account.get('company_id')})")
        out.append("")
    out.append(f"**{headline(plan.summary, adopted_count(plan))}** ({plan.summary['unchanged']} unchanged)")
    out.append("")
    body: list[str] = []
    if plan.changes:
        body += ["| | resource | id | changes |", "|---|---|---|---|"]
        for change in plan.changes:
            if change.action == "delete" or (change.adopted and not change.fields):
                detail = change.reason or ""
            else:
                detail = "<br>".join(
                    f"`{name}`: {_cell(show(d.get('before'), 40))} → {_cell(show(d.get('after'), 40))}"
                    if change.action == "update" else f"`{name}` = {_cell(show(d.get('after'), 40))}"
                    for name, d in change.fields.items()
                )
            if change.adopted:
                detail = f"adopted (matched by natural key)<br>{detail}"
            body.append(f"| {SYMBOLS[change.action]} {change.action} | `{change.kind}.{change.key}` | "
                        f"{change.id if change.id is not None else ''} | {detail} |")
        body.append("")
    if plan.adopt:
        body.append(f"{len(plan.adopt)} existing object(s) adopted into the lock without changes.")
        body.append("")
    if len(plan.changes) > COLLAPSE_AFTER:
        out += ["<details><summary>Show all changes</summary>", "", *body, "</details>", ""]
    else:
        out += body
    out.append(f"<sub>{plan.stats.get('api_calls', 0)} API calls, {plan.stats.get('tokens', 0)} tokens "
               "spent reading live state.</sub>")
    return "\n".join(out) + "\n"
