"""Merging two persons, organizations or deals: ``PUT /api/v1/{persons,organizations,deals}/{id}/merge``.

These v1 endpoints are current (the official client, npm ``pipedrive`` 33.x, still has them: they
were not deprecated with the rest of v1); v2 has no merge. What a merge does, from Pipedrive's
tutorials "Merging two persons / organizations / deals" and the official request models:

- the object in the path is merged away; ``merge_with_id`` names the survivor, whose data "will
  remain unchanged" where both have a value; where the survivor's field is empty and the merged
  one's is not, the value is carried over (standard fields, labels and custom fields alike);
- "all related data (activities, emails, filters, notes, products, followers, participants) will
  be transferred": the sandbox moves what it keeps: deals, activities (and activity participants),
  notes, leads, an organization's persons, a deal's products (its value is then recalculated),
  followers (a user following both follows the survivor once);
- a person's emails and phones are kept on the survivor: the ones it does not already have are
  added as non-primary entries (the survivor's primary stays primary);
- the merged object is removed: it answers as a deleted object does (docs/sandbox.md, "Deleted
  objects"): v2 get by id 404 for persons and organizations, a deleted deal for deals; v1 get 200
  with ``active_flag: false`` / ``deleted: true``; never listed or found by search.

Answers follow the official models: persons ``MergePersonsResponse`` (the survivor in v1 shape
with its deal and activity counts and ``merge_what_id``), organizations
``MergeOrganizationsResponse`` (``{"id": survivor}``), deals ``GetMergedDealResponse`` (the
survivor in v1 shape with ``merge_what_id``, the id merged into it).
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router
from .errors import bad_request
from .following import follow, following
from .history import record_changes
from .model import LABELS, SPECS, Company, to_int

# What points at a merged object, per kind: (kind of the referring object, its column).
REFERRERS: dict[str, tuple[tuple[str, str], ...]] = {
    "person": (("deal", "person_id"), ("activity", "person_id"), ("note", "person_id"), ("lead", "person_id")),
    "organization": (("person", "org_id"), ("deal", "org_id"), ("activity", "org_id"), ("note", "org_id"),
                     ("lead", "org_id")),
    "deal": (("activity", "deal_id"), ("note", "deal_id"), ("deal_product", "deal_id")),
}
PERSON_COUNTS = ("open_deals_count", "related_open_deals_count", "closed_deals_count",
                 "related_closed_deals_count", "participant_open_deals_count", "participant_closed_deals_count",
                 "email_messages_count", "activities_count", "done_activities_count", "undone_activities_count",
                 "files_count", "notes_count", "followers_count", "won_deals_count", "related_won_deals_count",
                 "lost_deals_count", "related_lost_deals_count")
DEAL_COUNTS = ("products_count", "files_count", "notes_count", "followers_count", "email_messages_count",
               "activities_count", "done_activities_count", "undone_activities_count", "participants_count")
ACTIVITY_SUMMARY = ("next_activity_date", "next_activity_time", "next_activity_id", "last_activity_id",
                    "last_activity_date", "last_incoming_mail_time", "last_outgoing_mail_time")
# Bookkeeping a merge never copies from the merged object.
_NEVER_COPIED = {"id", "add_time", "update_time", "is_deleted", "creator_user_id", "status", "won_time",
                 "lost_time", "close_time", "stage_change_time", "is_archived", "archive_time", "origin"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _contacts(survivor: list[dict[str, Any]], merged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The survivor's emails or phones, then the merged one's it lacks, as non-primary entries."""
    out = [dict(item) for item in survivor]
    seen = {item["value"].strip().lower() for item in out}
    for item in merged:
        if item["value"].strip().lower() not in seen:
            seen.add(item["value"].strip().lower())
            out.append({**item, "primary": not out})
    return out


def _fill(kind: str, survivor: dict[str, Any], merged: dict[str, Any]) -> None:
    """Carry the merged object's values into the survivor's empty fields."""
    for spec in SPECS[kind]:
        name = spec.name
        if name in _NEVER_COPIED:
            continue
        if name in ("emails", "phones"):
            survivor[name] = _contacts(survivor.get(name) or [], merged.get(name) or [])
        elif _empty(survivor.get(name)) and not _empty(merged.get(name)):
            survivor[name] = merged[name]
    custom = dict(survivor.get("custom_fields") or {})
    for key, value in (merged.get("custom_fields") or {}).items():
        if _empty(custom.get(key)) and not _empty(value):
            custom[key] = value
    survivor["custom_fields"] = custom


def _move_related(company: Company, kind: str, merged_id: int, survivor_id: int) -> None:
    """Point everything that referred to the merged object at the survivor."""
    store = company.store
    for other_kind, column in REFERRERS[kind]:
        for row in store.select(company.id, other_kind, sql=[(f"json_extract(data, '$.{column}') = ?", [merged_id])]):
            before = dict(row)
            row[column] = survivor_id
            record_changes(company, other_kind, before, row)
            store.put(company.id, other_kind, row)
    for row in following(company, kind, merged_id):  # its followers follow the survivor (once each)
        follow(company, kind, survivor_id, row["user_id"])
        store.put(company.id, "follower", dict(row, is_deleted=True))
    if kind == "person":  # activity participants name persons too
        pattern = f'%"person_id":{merged_id}%'
        for activity in store.select(company.id, "activity", sql=[("data LIKE ?", [pattern])]):
            participants: list[dict[str, Any]] = []
            for entry in activity.get("participants") or []:
                moved = dict(entry, person_id=survivor_id) if entry["person_id"] == merged_id else dict(entry)
                twin = next((p for p in participants if p["person_id"] == moved["person_id"]), None)
                if twin is None:
                    participants.append(moved)
                else:
                    twin["primary"] = twin["primary"] or moved["primary"]
            if participants != activity.get("participants"):
                activity["participants"] = participants
                store.put(company.id, "activity", activity)


def merge(company: Company, kind: str, merged_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge ``merged_id`` into ``body['merge_with_id']``; returns (survivor, merged) as stored."""
    label = LABELS[kind]
    merged = company.find(kind, merged_id)
    if body.get("merge_with_id") in (None, ""):
        raise bad_request("Parameter 'merge_with_id' is required")
    survivor_id = to_int(body["merge_with_id"], "merge_with_id", False)
    if survivor_id == merged_id:
        raise bad_request(f"{label} cannot be merged with itself")
    survivor = company.require(kind, survivor_id)
    if kind == "deal" and (merged.get("is_archived") or survivor.get("is_archived")):
        raise bad_request("Archived deals cannot be edited; unarchive the deal first (is_archived: false)")
    before = dict(survivor)
    _fill(kind, survivor, merged)
    _move_related(company, kind, merged_id, survivor_id)
    merged["merged_into"] = survivor_id  # internal only: no answer shows it, as in Pipedrive
    company.delete(kind, merged)
    record_changes(company, kind, before, survivor)
    company.store.put(company.id, kind, survivor)
    if kind == "deal":
        from .deal_products import products_of, recompute

        if products_of(company, survivor_id):
            recompute(company, survivor)
    return survivor, merged


def register(router: Router) -> None:
    from .v1 import render
    from .v2 import add_included

    def persons(ctx: Ctx) -> tuple[int, Any]:
        survivor, merged = merge(ctx.company, "person", ctx.id(), ctx.body)
        data, _ = render(ctx, "person", [survivor])
        out = add_included(ctx.company, "person", survivor, data[0], PERSON_COUNTS)
        out.pop("delete_time", None)
        # MergePersonItem names plain ids (not v1's nested owner/organization objects)
        out.update(owner_id=survivor["owner_id"], org_id=survivor.get("org_id"), merge_what_id=merged["id"])
        out.update(dict.fromkeys(ACTIVITY_SUMMARY))  # the sandbox keeps no activity or mail summaries
        return 200, {"success": True, "data": out}

    def organizations(ctx: Ctx) -> tuple[int, Any]:
        survivor, _ = merge(ctx.company, "organization", ctx.id(), ctx.body)
        return 200, {"success": True, "data": {"id": survivor["id"]}}

    def deals(ctx: Ctx) -> tuple[int, Any]:
        survivor, merged = merge(ctx.company, "deal", ctx.id(), ctx.body)
        data, _ = render(ctx, "deal", [survivor])
        out = add_included(ctx.company, "deal", survivor, data[0], DEAL_COUNTS)
        for derived in ("local_won_date", "local_lost_date", "local_close_date"):
            out.pop(derived)
        # GetMergedDealResponseData is a DealStrict: plain ids, not v1's nested objects
        out.update(creator_user_id=survivor["creator_user_id"], user_id=survivor["owner_id"],
                   person_id=survivor.get("person_id"), org_id=survivor.get("org_id"),
                   is_archived=bool(survivor.get("is_archived")), merge_what_id=merged["id"],
                   last_incoming_mail_time=None, last_outgoing_mail_time=None,
                   acv_currency=None, arr_currency=None, mrr_currency=None)
        return 200, {"success": True, "data": out}

    router.add("/api/v1/persons/{id}/merge", put=persons)
    router.add("/api/v1/organizations/{id}/merge", put=organizations)
    router.add("/api/v1/deals/{id}/merge", put=deals)
