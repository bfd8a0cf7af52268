"""Options that live records still use: the check that refuses a plan removing them.

Here, above the planner, because it needs the live records a plan does not otherwise read
(`check_option_removals`). The shape kinds' other rules (the planned vocabulary and the
`declare_*` functions the kinds table's hooks call) are reconciler/shape_rules.py, below the
kinds table; they are re-exported here for callers that import them from this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from reconciler.shape_rules import (  # noqa: F401  (re-exported)
    declare_custom_field,
    declare_pipeline,
    declare_stage,
    planned_schema,
)

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient
    from reconciler.plan import Plan


# -- options that live records use ------------------------------------------------------------


class OptionInUse(Exception):
    """A plan removes options that live records still use; the message says which and how many."""


def option_removals(plan: Plan) -> Iterable[tuple[Any, str, str, list[dict]]]:
    """(change, entity, field key, removed options) of every custom field change that removes options."""
    for change in plan.changes:
        # this module holds the shape kinds' rules (their hooks in the kinds table call it); of
        # those kinds only a custom field has options, so the kind is named here, next to that rule
        options = change.writes.get("options") if change.kind == "custom_field" and change.action == "update" else None
        if isinstance(options, dict) and options.get("remove"):
            entity, _, key = str(change.id).partition(":")
            yield change, entity, key, options["remove"]


def _uses(value: Any, option_ids: set[Any]) -> set[Any]:
    values = value if isinstance(value, list) else [value]
    return {v for v in values if v in option_ids}


def check_option_removals(client: PipedriveClient, plan: Plan, *, allow: bool) -> list[str]:
    """Refuse (OptionInUse) a plan that removes options live records use, unless the same plan
    gives every such record another value for the field, or `allow` (--allow-option-removal);
    with `allow`, the warnings say what Pipedrive will clear.

    The live records are read only here and only when a plan removes options: one scan of
    the field's kind (archived deals included), a handful of calls per 500 records.
    """
    from reconciler.pipedrive import fieldsapi

    removals = list(option_removals(plan))
    if not removals:
        return []
    rewritten: dict[tuple[str, Any], dict[Any, Any]] = {}
    for change in plan.changes:
        values = change.writes.get("custom_fields")
        if change.action == "update" and isinstance(values, dict):
            rewritten[(change.kind, change.id)] = values
    problems: list[str] = []
    warnings: list[str] = []
    for change, entity, key, removed in removals:
        ids = {o["id"] for o in removed}
        counts: dict[tuple[str, Any], int] = {}
        sources = ((fieldsapi.RECORD_KINDS.get(entity), fieldsapi.record_values(client, entity, key)),
                   ("lead", fieldsapi.lead_values(client, entity, key)))  # leads have the deals' fields
        for kind_name, values in sources:
            for record_id, value in values:
                used = _uses(value, ids)
                if not used:
                    continue
                new = rewritten.get((kind_name, record_id), {})
                if key in new and not _uses(new[key], ids):
                    continue  # the plan moves this record off the removed options
                for option_id in used:
                    where = (kind_name or entity, option_id)
                    counts[where] = counts.get(where, 0) + 1
        record_kind = fieldsapi.RECORD_KINDS.get(entity) or entity
        in_use = []
        for option in removed:
            users = [f"{n} live {k}{'s' if n != 1 else ''}" for k in (record_kind, "lead")
                     if (n := counts.get((k, option["id"]), 0))]
            if users:
                in_use.append((option["label"], " and ".join(users)))
        if not in_use:
            continue
        what = "; ".join(f"{label!r} is used by {count}" for label, count in in_use)
        if allow:
            warnings.append(f"{change.address} removes options that live records use ({what}): Pipedrive "
                            "clears them from those records (--allow-option-removal)")
        else:
            problems.append(f"{change.address}{' (' + change.source + ')' if change.source else ''} removes "
                            f"options that live records still use: {what}. Give those records another value "
                            "in the same plan, rename the option instead ({label: NEW, was: OLD}), or pass "
                            "--allow-option-removal to clear it from them")
    if problems:
        raise OptionInUse("\n".join(problems))
    return warnings
