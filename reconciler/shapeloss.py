"""Deleting a custom field, a pipeline, a stage or a label destroys data: counted, shown, and only by consent.

A custom field deleted takes every record's value for it (Pipedrive warns that this data
is gone for good); a pipeline or a stage deleted takes, or is refused by, the deals that
sit in it. A plain delete line, counted 1 against `--max-deletes`, says none of that. So a
plan that deletes one of these counts the live records it would take data from, managed or
not (leads included: they hold the deals' custom fields), and:

- the counts are part of the plan (`Change.data_loss`, kind -> records), in text, JSON and
  markdown alike;
- the plan is refused unless the run passes `--allow-data-loss` (the opt-in, in the spirit
  of Terraform's `prevent_destroy` and kubectl's `--cascade`): one line per delete, naming
  the records;
- the records count against `--max-deletes`, as the objects deleted do (`counted_deletes`).

Records the same plan moves elsewhere (a deal given another stage) or deletes are counted
out: they lose nothing to the shape delete. Every count is made while planning, before the
first write, so a refusal never leaves a pipeline half deleted.

What the reads cost (all list calls, pages of 500, made only for such deletes):
- a custom field: one scan per record list of its entity asking only for that field's
  value (`custom_fields=KEY` on the v2 lists): deals and archived deals, persons,
  organizations or products; a deal field adds the two lead lists (v1: leads cannot filter
  by custom field, their pages carry every value);
- a pipeline: deals and archived deals filtered by `pipeline_id` (usually 2 calls);
- a stage: deals and archived deals filtered by `stage_id`, plus one list of stages to skip
  a stage whose pipeline goes too (its deals are counted once, with the pipeline).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reconciler import kinds

if TYPE_CHECKING:
    from reconciler.pipedrive.client import PipedriveClient
    from reconciler.plan import Change, Plan

# The shape kinds whose delete takes data from records, and the deal field naming where a deal sits.
CUSTOM_FIELD = "custom_field"
CONTAINERS = {"pipeline": "pipeline", "stage": "stage"}  # kind -> the deal field that names it
LABEL = "label"  # a label deleted is taken off every record that has it


class DataLossRefused(Exception):
    """The plan deletes shape that records hold data in, without --allow-data-loss; one line each."""


def destructive(plan: Plan) -> list[Change]:
    """The plan's deletes that can take data from records."""
    return [c for c in plan.changes if c.action == "delete" and (c.kind in (CUSTOM_FIELD, LABEL) or c.kind in CONTAINERS)]


def lost_records(plan: Plan) -> int:
    """How many records the plan's shape deletes take data from (as last counted)."""
    return sum(sum(c.data_loss.values()) for c in plan.changes)


def counted_deletes(plan: Plan) -> int:
    """What `--max-deletes` weighs: objects deleted, and records that lose data to a shape delete."""
    return plan.summary["delete"] + lost_records(plan)


def describe(change: Change) -> str:
    """'the values of 2 deals and 1 lead' / '3 deals are in it': for the plan's delete line."""
    if not change.data_loss:
        return ""
    parts = [f"{count} {kind}{'' if count == 1 else 's'}" for kind, count in sorted(change.data_loss.items())]
    what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    if change.kind == CUSTOM_FIELD:
        return f"destroys the values of {what}"
    if change.kind == LABEL:
        return f"takes it off {what}"
    verb = "is" if sum(change.data_loss.values()) == 1 else "are"
    return f"{what} {verb} in it (Pipedrive deletes or refuses them)"


def count_data_loss(client: PipedriveClient, plan: Plan) -> None:
    """Count, for each shape delete of the plan, the live records it takes data from (Change.data_loss)."""
    changes = destructive(plan)
    if not changes:
        return
    spared = _spared(plan)
    doomed_containers = {(c.kind, c.id) for c in changes if c.kind in CONTAINERS}
    stage_pipeline: dict[Any, Any] | None = None
    for change in changes:
        counts: dict[str, int] = {}
        if change.kind in (CUSTOM_FIELD, LABEL):
            for kind_name, record_id in _holders(client, change.id, change.kind):
                if (kind_name, record_id) not in spared.get("gone", set()):
                    counts[kind_name] = counts.get(kind_name, 0) + 1
        else:
            if change.kind == "stage":
                if stage_pipeline is None:
                    stage_pipeline = {s.get("id"): s.get("pipeline_id") for s in client.stages()}
                if ("pipeline", stage_pipeline.get(change.id)) in doomed_containers:
                    change.data_loss = {}
                    continue  # counted with its pipeline, which goes too
            moved = spared.get("moved", set())
            gone = spared.get("gone", set())
            api = kinds.kind("deal").field(CONTAINERS[change.kind]).api  # type: ignore[union-attr]
            for deal_id in _deals_in(client, api, change.id):
                if ("deal", deal_id) not in gone and deal_id not in moved:
                    counts["deal"] = counts.get("deal", 0) + 1
        change.data_loss = counts


def check_data_loss(plan: Plan, *, allow: bool) -> list[str]:
    """Refuse (DataLossRefused) shape deletes that take data, unless `allow`; with it, the warnings."""
    lines = []
    for change in plan.changes:
        if not change.data_loss:
            continue
        where = f" ({change.source})" if change.source else ""
        lines.append(f"{change.address}{where} will be deleted and {describe(change)}")
    if not lines:
        return []
    if allow:
        return [f"{line} (--allow-data-loss)" for line in lines]
    raise DataLossRefused("\n".join(
        f"{line}: refused without --allow-data-loss. Move the records elsewhere in the same plan, keep it, or "
        "pass --allow-data-loss (the records count against --max-deletes)" for line in lines))


def _spared(plan: Plan) -> dict[str, set]:
    """Records the plan itself deletes ("gone": (kind, id)) or moves to another stage or pipeline ("moved": deal ids)."""
    gone = {(c.kind, c.id) for c in plan.changes if c.action == "delete" and c.id is not None}
    deal = kinds.kind("deal")
    doomed = {deal.field(field_name).api: {c.id for c in plan.changes if c.action == "delete" and c.kind == kind_name}  # type: ignore[union-attr]
              for kind_name, field_name in CONTAINERS.items()}
    moved = {c.id for c in plan.changes if c.kind == "deal" and c.action == "update"
             and any(api in c.writes and c.writes[api] not in ids for api, ids in doomed.items())}
    return {"gone": gone, "moved": moved}


def _deals_in(client: PipedriveClient, api: str, container_id: Any) -> Iterator[Any]:
    """Ids of the live deals (archived ones included) whose `api` field (stage_id, pipeline_id) is the container."""
    deal = kinds.kind("deal")
    for path in (deal.v2_path, deal.archived_path):
        for record in client.paged(path, {api: container_id}, version="v2"):
            yield record.get("id")


def _holders(client: PipedriveClient, field_id: Any, what: str = CUSTOM_FIELD) -> Iterable[tuple[str, Any]]:
    """(kind, id) of every live record holding a value for the custom field ENTITY:KEY (or having the label)."""
    from reconciler.pipedrive import fieldsapi

    if what == LABEL:
        from reconciler.pipedrive import labelsapi

        yield from labelsapi.holders(client, field_id)
        return

    entity, key = fieldsapi.split_id(field_id)
    kind_name = fieldsapi.RECORD_KINDS.get(entity, entity)
    for record_id, _value in fieldsapi.record_values(client, entity, key):
        yield kind_name, record_id
    for spec in kinds.KINDS:  # leads hold the deals' custom fields, at the root by key (v1 only)
        if spec.custom_fields_of != entity or spec.v1_path is None:
            continue
        for path in (spec.v1_path, *([spec.archived_path] if spec.archived_path else [])):
            for record in client.paged(path, version="v1"):
                if record.get(key) not in (None, "", []):
                    yield spec.name, record.get("id")
