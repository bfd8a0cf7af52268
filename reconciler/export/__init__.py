"""Live account → manifests and a lock, so that `plan` of what was written shows no changes.

Most teams start from an account that is already full of data. `reconciler export` turns
it into the manifest language a person would write (names, emails, labels, keys), then
records every key → id in `reconciler.lock`, so the next plan finds each object through
the lock and compares only what was declared: nothing differs, nothing is created.

The steps, each a module with one job, so tests can drive them one by one:

1. reading (here): every object of the chosen kinds, by full scans in pages of 500 (the
   cheapest read there is: one call per 500 objects), plus the account's vocabulary
   (`AccountSchema`: users, pipelines, stages, custom fields), a handful of calls more; then
   what no list answer carries (organization relationships, product variations): one call per
   organization or product, announced with its count before the first is made, and left out
   with `--without` (docs/costs.md).
2. `keys`: readable, stable keys derived from names, with a deterministic suffix (the
   object's id) only where two objects would get the same key. Keys of a previous export's
   lock for the same account are kept, so re-exporting does not rename anything.
3. `convert`: each object's declared fields in manifest language, converted by each
   field's type (the same functions the planner uses, so the round trip holds by
   construction); one file per organization holding what hangs off it, the rest grouped
   by kind.
4. `emit` and `write`: the YAML text, then the files and the lock, never outside the
   output directory (`paths`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import kinds
from reconciler.export.convert import ACCOUNTS_DIR, Converter, ExportFiles, build_files, home_of
from reconciler.export.emit import ORDERED_KINDS, Flow, FlowList, emit_scalar, render_file
from reconciler.export.errors import ExportError, ExportProgress
from reconciler.export.keys import assign_keys, base_key, parent_field, slugify
from reconciler.export.paths import check_out_dir, old_manifests, safe_path
from reconciler.export.write import previous_keys, write_export
from reconciler.fieldtypes import Quoted
from reconciler.kinds import KindSpec
from reconciler.lock import LOCK_NAME
from reconciler.pipedrive import costs
from reconciler.pipedrive.attached import api_for
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.schema import AccountSchema

__all__ = [
    "ACCOUNTS_DIR", "BUDGET_SHARE", "PER_OBJECT_READS", "Converter", "ExportError", "ExportFiles", "ExportProgress",
    "ExportResult", "Flow", "FlowList", "Quoted", "assign_keys", "base_key", "build_files", "check_out_dir",
    "emit_scalar", "export_account", "home_of", "old_manifests", "parent_field", "per_object_reads",
    "per_object_tokens", "read_objects", "render_file", "safe_path", "slugify",
]

# what `--without` can leave out: reads that cost one call per object (reconciler/fieldtypes: `read_per_object`)
PER_OBJECT_READS = ("relationships", "variations")
# the share of the tokens left today that per-object reads may take (docs/costs.md)
BUDGET_SHARE = 0.5
EACH_BATCH = 100  # objects per progress step of the per-object reads


@dataclass
class ExportResult:
    """What was written, for the command's closing line and for tests."""

    out_dir: Path
    counts: dict[str, int]  # kind -> objects written
    files: list[str]  # relative paths of the manifests written, sorted
    removed: list[str]  # relative paths of old manifests removed (--force)
    warnings: list[str]
    stats: dict[str, int]  # api_calls, tokens
    account: dict[str, Any]
    # "organization relationships" -> calls made one per object (at least: a long list pages on)
    per_object: dict[str, int] = field(default_factory=dict)
    without: tuple[str, ...] = ()  # the per-object reads left out (--without)
    # recording the export as applied (operations/export.py): why it could not be, and its cost
    unrecorded: str | None = None
    record_stats: dict[str, int] = field(default_factory=dict)

    @property
    def objects(self) -> int:
        return sum(self.counts.values())


def read_objects(
    client: PipedriveClient, specs: Sequence[KindSpec], progress: ExportProgress,
    without: Iterable[str] = (), per_object: dict[str, int] | None = None,
) -> dict[str, dict[Any, dict]]:
    """Every live object of these kinds, canonical, by id: full scans in pages of 500, then the
    per-object reads (`per_object_reads`) not left out by `without`, their calls counted in `per_object`."""
    live = _scan_objects(client, specs, progress)
    reads = per_object_reads(specs, live, without)
    if reads:
        _check_budget(client, reads)
        progress.reading_each({label: calls for label, (_, _, calls) in reads.items()})
    for label, (spec, names, _) in reads.items():
        objects = live[spec.name]
        ids = list(objects)
        for start in range(0, len(ids), EACH_BATCH):
            batch = {i: objects[i] for i in ids[start:start + EACH_BATCH]}
            client.read_attached(spec.name, batch, names)
            progress.advance_each(label, len(batch))
    if per_object is not None:
        per_object.update({label: calls for label, (_, _, calls) in reads.items()})
    return live


def per_object_reads(
    specs: Sequence[KindSpec], live: dict[str, dict[Any, dict]], without: Iterable[str] = ()
) -> dict[str, tuple[KindSpec, set[str], int]]:
    """"organization relationships" -> (kind, attached fields, calls): what no list answer carries or
    counts, so that reading it takes one call per object listed (known once the scans are done,
    before any is made). Fields of one group share the call (an organization's parent and related)."""
    skipped = set(without)
    out: dict[str, tuple[KindSpec, set[str], int]] = {}
    for spec in specs:
        for attached in spec.attached_fields:
            group = getattr(attached.type, "read_per_object", None)
            if group is None or group in skipped or not live.get(spec.name):
                continue
            label = f"{spec.name} {group}"
            out.setdefault(label, (spec, set(), len(live[spec.name])))[1].add(attached.name)
    return out


def per_object_tokens(reads: dict[str, tuple[KindSpec, set[str], int]]) -> int:
    """What the per-object reads cost in tokens by the table (reconciler/pipedrive/costs.py), one call each."""
    total = 0
    for spec, names, calls in reads.values():
        field_spec = next(f for f in spec.attached_fields if f.name in names)
        total += calls * costs.token_cost("GET", api_for(field_spec).each_path)
    return total


def _check_budget(client: PipedriveClient, reads: dict[str, tuple[KindSpec, set[str], int]]) -> None:
    """Refuse, before the first of them, per-object reads that would spend more than BUDGET_SHARE of
    the tokens the account has left today (when the gateway says: `x-daily-requests-left`).

    Why refuse rather than go on: Pipedrive stops every integration of the company for the rest of the
    day once the budget is spent, and an export is never urgent; `--without` or tomorrow is the user's call.
    """
    left = client.stats.daily_left
    tokens = per_object_tokens(reads)
    if left is None or tokens <= BUDGET_SHARE * left:
        return
    calls = sum(count for _, _, count in reads.values())
    groups = " ".join(f"--without {label.split(' ', 1)[1]}" for label in reads)
    raise ExportError(f"reading {' and '.join(reads)} takes {calls:,} calls, one per object (about "
                      f"{tokens:,} tokens), more than half of the {left:,} tokens left in the account's daily "
                      f"budget: nothing was written; run again with {groups}, or once the budget renews")


def _scan_objects(
    client: PipedriveClient, specs: Sequence[KindSpec], progress: ExportProgress
) -> dict[str, dict[Any, dict]]:
    """Every live object of these kinds by full scans, with the attached lists that a count finds."""
    live: dict[str, dict[Any, dict]] = {}
    for spec in specs:
        progress.reading(spec)
        objects: dict[Any, dict] = {}
        pending = 0
        counts = {f.type.count_field: 0 for f in spec.attached_fields if getattr(f.type, "count_field", None)}
        params = {"include_fields": ",".join(counts)} if counts and client.version_for(spec.name) == "v2" else None
        for archived in (False, True):  # v2 lists leave archived deals out: they are listed apart
            for page in client.list_pages(spec.name, params, archived=archived):
                for obj in page:
                    objects[obj["id"]] = obj
                    pending += 1
                    if pending == 100:
                        progress.advance(spec, pending)
                        pending = 0
        progress.advance(spec, pending)
        for attached in spec.attached_fields:  # a deal's products, followers: read for the records that have any
            if getattr(attached.type, "read_per_object", None):
                continue  # relationships, variations: no count tells which records have any (read after)
            count = getattr(attached.type, "count_field", None) if counts else None
            implied = getattr(attached.type, "count_implied", 0)  # what every record has (its owner follows it)
            having = {i: o for i, o in objects.items() if count is None or (o.get(count) or 0) > implied}
            client.read_attached(spec.name, having, {attached.name})
        live[spec.name] = objects
    return live


def export_account(
    client: PipedriveClient,
    out_dir: Path,
    account: dict[str, Any],
    kind_names: Iterable[str] = (),
    *,
    force: bool = False,
    progress: ExportProgress | None = None,
    lock_name: str = LOCK_NAME,
    without: Iterable[str] = (),
) -> ExportResult:
    """Everything `reconciler export` does after connecting: read, name, convert, write.

    `lock_name` is the lock written beside the manifests (reconciler.NAME.lock for `--env NAME`);
    `without` names per-object reads left out (PER_OBJECT_READS): those fields are then not declared.
    """
    progress = progress or ExportProgress()
    root = check_out_dir(out_dir, force)
    wanted = {kinds.kind(name).name for name in kind_names}
    # by default the records; the account's shape (pipelines, stages, custom fields) when asked
    # for: managing it is a choice of its own (a stage left out of the manifests would be deleted)
    specs = [spec for spec in ORDERED_KINDS if (spec.name in wanted if wanted else not spec.shape)]
    schema = AccountSchema.load(client, {spec.name for spec in specs})
    client = client.using(schema)
    per_object: dict[str, int] = {}
    live = read_objects(client, specs, progress, without, per_object)
    built = build_files(live, schema, previous_keys(root, account.get("company_id"), lock_name) if force else None)
    written, removed = write_export(root, built, account, force=force, progress=progress, lock_name=lock_name)
    return ExportResult(
        out_dir=out_dir,
        counts=built.counts,
        files=written,
        removed=removed,
        warnings=built.warnings,
        stats=client.stats.as_dict(),
        account=account,
        per_object=per_object,
        without=tuple(sorted(set(without))),
    )
