"""When (and who, where Pipedrive tells) an object was deleted or merged in Pipedrive.

Field drift names who changed a field and when from the change history Pipedrive keeps
(reconciler/drift.py, `attribute`). A deletion or a merge is not a field change, and the API
tells far less about it; this pass says what it does tell, and says so honestly where it tells
nothing (docs/state.md, "What Pipedrive's history tells"):

- **deals**: a deleted deal is kept 30 days, and the v2 deal list returns it when asked for
  `status=deleted` (npm `pipedrive` 33.x, DealsApi.getDeals: "If set to deleted, deals that have
  been deleted up to 30 days ago will be included"), with `is_deleted: true`. Deleting it is its
  last change, so its `update_time` is when it was deleted. A deal merged into another is deleted
  by the merge (Pipedrive's webhooks v2 send one event for the deleted object and one for the
  updated survivor), so the same answer says when it was merged. One call per 100 deals, made
  only when the plan has deleted or merged deals;
- **who** is never told: a deal carries no "last changed by", and the changelog of deals,
  persons and organizations (`GET /api/v1/{...}/{id}/changelog`) lists changes of field values,
  not deletions or merges;
- **persons, organizations, products, activities, notes, leads**: a deleted one answers 404
  (v2 by id) and no list returns it, so Pipedrive keeps no record the API shows of who deleted
  or merged it, or when.

The plan carries what is known in `history` (plan JSON), and each explanation (a re-create's
reason, a kept deletion's reason, a followed merge) says it in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.lock import LockFile
    from reconciler.pipedrive.client import PipedriveClient
    from reconciler.plan import Plan

DELETED_DEALS_BATCH = 100  # ids per `GET /api/v2/deals?status=deleted` (the ids filter's limit)
NO_RECORD = "Pipedrive keeps no record of who {event} it or when"
WHEN_NOT_WHO = "{event} {at} (Pipedrive does not say who)"
_DELETED_REASON = "deleted in Pipedrive"


def _when(text: Any) -> str | None:
    """RFC 3339 (v2) → "2026-11-30 10:12 UTC"."""
    if not text:
        return None
    return f"{str(text).replace('T', ' ').removesuffix('Z')[:16]} UTC"


def gone_objects(plan: Plan, lock: LockFile | None) -> list[dict[str, Any]]:
    """What the plan says was deleted or merged in Pipedrive: [{kind, key, id, event}]."""
    out: list[dict[str, Any]] = []
    if lock is None:
        return out
    for change in plan.changes:
        if change.action == "create" and (change.reason or "").startswith(_DELETED_REASON):
            out.append({"kind": change.kind, "key": change.key, "id": lock.id_for(change.kind, change.key),
                        "event": "deleted"})
    for entry in plan.kept:
        if entry.get("deleted"):
            out.append({"kind": entry["kind"], "key": entry["key"], "id": entry["id"], "event": "deleted"})
    for entry in plan.followed:
        if entry.get("how") == "merged":
            out.append({"kind": entry["kind"], "key": entry["key"], "id": entry["from"], "event": "merged"})
    return out


def deleted_deal_times(client: PipedriveClient, ids: list[Any]) -> dict[Any, str]:
    """id → when each deleted (or merged-away) deal was deleted, from the v2 list of deleted deals.

    Deals Pipedrive has erased for good (after 30 days) are simply not answered."""
    if not ids or client.version_for("deal") != "v2":
        return {}  # the v1 deal list is out of support: never read it
    out: dict[Any, str] = {}
    # a deal archived before it was deleted is only in the archived list (v2 lists leave archived
    # deals out; getArchivedDeals takes the same status filter): asked only for the ids still missing
    for path in ("/api/v2/deals", "/api/v2/deals/archived"):
        ordered = sorted(set(ids) - set(out), key=str)
        for start in range(0, len(ordered), DELETED_DEALS_BATCH):
            batch = ordered[start:start + DELETED_DEALS_BATCH]
            params = {"ids": ",".join(map(str, batch)), "status": "deleted", "limit": DELETED_DEALS_BATCH}
            for page in client.pages(path, params, version="v2"):
                for record in page:
                    when = _when(record.get("update_time"))
                    if record.get("is_deleted") and when:
                        out[record["id"]] = when
    return out


def explain(item: dict[str, Any], at: str | None) -> str:
    """One sentence of what Pipedrive's history tells of a deletion or a merge."""
    if at is None:
        return NO_RECORD.format(event=item["event"])
    return WHEN_NOT_WHO.format(event=item["event"], at=at)


def explain_gone(client: PipedriveClient, plan: Plan, lock: LockFile | None) -> None:
    """Say when (and who, where known) each object deleted or merged in Pipedrive went: the plan's
    `history`, and a clause on each explanation. Reads only for deleted or merged deals."""
    gone = gone_objects(plan, lock)
    if not gone:
        return
    times = deleted_deal_times(client, [g["id"] for g in gone if g["kind"] == "deal" and g["id"] is not None])
    known: dict[tuple[str, str], dict[str, Any]] = {}
    for item in gone:
        at = times.get(item["id"]) if item["kind"] == "deal" else None
        entry = {**item, "at": at, "by": None, "told": explain(item, at)}
        known[(item["kind"], item["key"])] = entry
    for change in plan.changes:
        entry = known.get((change.kind, change.key))
        if entry is not None and entry["event"] == "deleted" and change.action == "create":
            change.reason = f"{change.reason}; {entry['told']}"
    for kept in plan.kept:
        entry = known.get((kept["kind"], kept["key"]))
        if entry is not None and kept.get("deleted"):
            kept["reason"] = f"{kept['reason']}; {entry['told']}"
    for followed in plan.followed:
        entry = known.get((followed["kind"], followed["key"]))
        if entry is not None and followed.get("how") == "merged":
            followed["at"], followed["history"] = entry["at"], entry["told"]
    plan.history = list(known.values())
    plan.stats = client.stats.as_dict()
