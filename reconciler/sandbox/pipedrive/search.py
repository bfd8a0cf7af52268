"""Search: ``/api/v2/{deals,persons,organizations}/search`` and the v1 equivalents.

What it implements: ``term`` (at least 2 characters, or 1 with ``exact_match``), ``fields``
(the family's searchable fields; a wrong one is a 400), ``exact_match`` (the whole field
equals the term, case-insensitively; otherwise a case-insensitive substring match), the
family filters (deals: person_id, organization_id, status; persons: organization_id), and
paging (v2 cursor, v1 start/limit). Results are ``{"items": [{"result_score", "item"}]}``,
best score first: an exact match of the title/name scores highest, then a prefix, then a
substring, then matches in other fields. Deleted objects are never found.

Why SQL ``LIKE`` first: a case-insensitive LIKE over the stored JSON narrows 20,000 deals
to the few candidates in milliseconds; the precise per-field check then runs in Python.
"""

from __future__ import annotations

from typing import Any

from .base import Ctx, Router, decode_cursor, encode_cursor, v1_pagination, v1_paging, v2_limit
from .errors import bad_request
from .model import Company

SEARCH_FIELDS = {
    "deal": ("custom_fields", "notes", "title"),
    "person": ("custom_fields", "email", "notes", "phone", "name"),
    "organization": ("address", "custom_fields", "notes", "name"),
}
TEXT_TYPES = ("varchar", "varchar_auto", "text", "address", "phone")


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _match(value: str | None, term: str, exact: bool) -> float:
    """How well one field value matches: 1 exact, 0.8 prefix, 0.5 substring, 0 none."""
    if not value:
        return 0.0
    text = value.lower()
    if text == term:
        return 1.0
    if exact:
        return 0.0
    if text.startswith(term):
        return 0.8
    return 0.5 if term in text else 0.0


def _weighted(value: str | None, term: str, exact: bool, weight: float) -> float:
    """A secondary field's score: its weight for an exact match, 70% of it for a partial one."""
    found = _match(value, term, exact)
    if not found:
        return 0.0
    return weight if found == 1.0 else round(weight * 0.7, 4)


def run_search(
    company: Company, ctx: Ctx, kind: str
) -> list[tuple[float, dict[str, Any], list[str], list[str]]]:
    """All matches as (score, object, matched custom values, matched note texts), best first."""
    q = ctx.query
    raw_term = (q.get("term") or "").strip()
    exact = bool(q.bool("exact_match"))
    if not raw_term:
        raise bad_request("Parameter 'term' is required")
    if len(raw_term) < (1 if exact else 2):
        raise bad_request("Parameter 'term' must be at least 2 characters long (1 with exact_match)")
    term = raw_term.lower()
    allowed = SEARCH_FIELDS[kind]
    fields = allowed
    if q.has("fields"):
        fields = tuple(f.strip() for f in (q.get("fields") or "").split(",") if f.strip())
        for name in fields:
            if name not in allowed:
                raise bad_request(f"Parameter 'fields' must be a subset of: {', '.join(allowed)}")
    where: dict[str, Any] = {}
    if kind == "deal":
        if q.has("person_id"):
            where["person_id"] = q.int("person_id")
        if q.has("organization_id"):
            where["org_id"] = q.int("organization_id")
        if q.has("status"):
            status = q.get("status")
            if status not in ("open", "won", "lost"):
                raise bad_request("Parameter 'status' must be one of: open, won, lost")
            where["category"] = status
    if kind == "person" and q.has("organization_id"):
        where["org_id"] = q.int("organization_id")

    store, cid = company.store, company.id
    candidates = {
        o["id"]: o
        for o in store.select(cid, kind, where=where, sql=[("data LIKE ? ESCAPE '\\'", [_like(raw_term)])])
    }
    notes_by_parent: dict[int, list[str]] = {}
    if "notes" in fields:
        parent = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}[kind]
        notes = store.select(
            cid, "note", sql=[(f"{parent} IS NOT NULL", []), ("data LIKE ? ESCAPE '\\'", [_like(raw_term)])]
        )
        for note in notes:
            if _match(note.get("content"), term, exact):
                notes_by_parent.setdefault(note[parent], []).append(note["content"])
        missing = [pid for pid in notes_by_parent if pid not in candidates]
        keys = {"person_id": "person_id", "org_id": "org_id", "category": "status"}
        for obj in store.get_many(cid, kind, missing).values():
            if not obj.get("is_deleted") and all(obj.get(keys[c]) == v for c, v in where.items()):
                candidates[obj["id"]] = obj
    text_custom = [k for k, f in company.custom_fields(kind).items() if f["field_type"] in TEXT_TYPES]
    results = []
    for obj in candidates.values():
        score = 0.0
        title = obj.get("title") if kind == "deal" else obj.get("name")
        if ("title" in fields and kind == "deal") or ("name" in fields and kind != "deal"):
            score = max(score, _match(title, term, exact))
        if "email" in fields:
            score = max([score] + [_weighted(e["value"], term, exact, 0.9) for e in obj.get("emails", [])])
        if "phone" in fields:
            score = max([score] + [_weighted(p["value"], term, exact, 0.7) for p in obj.get("phones", [])])
        if "address" in fields:
            score = max(score, _weighted((obj.get("address") or {}).get("value"), term, exact, 0.4))
        matched_custom: list[str] = []
        if "custom_fields" in fields:
            for key in text_custom:
                value = (obj.get("custom_fields") or {}).get(key)
                if isinstance(value, str) and _match(value, term, exact):
                    matched_custom.append(value)
            if matched_custom:
                score = max(score, 0.3)
        matched_notes = notes_by_parent.get(obj["id"], [])
        if matched_notes:
            score = max(score, 0.2)
        if score > 0:
            results.append((round(score, 4), obj, matched_custom, matched_notes))
    results.sort(key=lambda r: (-r[0], r[1]["id"]))
    return results


def _item(
    company: Company, kind: str, obj: dict[str, Any], custom: list[str], notes: list[str]
) -> dict[str, Any]:
    """One result's ``item`` in Pipedrive's search shape for the family."""
    store, cid = company.store, company.id

    def org_ref(org_id: int | None) -> dict[str, Any] | None:
        org = store.get(cid, "organization", org_id) if org_id else None
        if org is None:
            return None
        return {"id": org["id"], "name": org["name"], "address": (org.get("address") or {}).get("value")}

    if kind == "deal":
        person = store.get(cid, "person", obj["person_id"]) if obj.get("person_id") else None
        stage = store.get(cid, "stage", obj["stage_id"])
        return {
            "id": obj["id"],
            "type": "deal",
            "title": obj["title"],
            "value": obj["value"],
            "currency": obj["currency"],
            "status": obj["status"],
            "visible_to": obj["visible_to"],
            "owner": {"id": obj["owner_id"]},
            "stage": {"id": stage["id"], "name": stage["name"]} if stage else None,
            "person": {"id": person["id"], "name": person["name"]} if person else None,
            "organization": org_ref(obj.get("org_id")),
            "custom_fields": custom,
            "notes": notes,
        }
    if kind == "person":
        return {
            "id": obj["id"],
            "type": "person",
            "name": obj["name"],
            "phones": [p["value"] for p in obj.get("phones") or []],
            "emails": [e["value"] for e in obj.get("emails") or []],
            "visible_to": obj["visible_to"],
            "owner": {"id": obj["owner_id"]},
            "organization": org_ref(obj.get("org_id")),
            "custom_fields": custom,
            "notes": notes,
            "update_time": obj["update_time"],
        }
    return {
        "id": obj["id"],
        "type": "organization",
        "name": obj["name"],
        "address": (obj.get("address") or {}).get("value"),
        "visible_to": obj["visible_to"],
        "owner": {"id": obj["owner_id"]},
        "custom_fields": custom,
        "notes": notes,
        "update_time": obj["update_time"],
    }


def register(router: Router) -> None:
    """Search routes for both versions."""
    for path, kind in (("deals", "deal"), ("persons", "person"), ("organizations", "organization")):

        def search_v2(ctx: Ctx, kind: str = kind) -> tuple[int, Any]:
            limit = v2_limit(ctx)
            cursor = decode_cursor(ctx.query.get("cursor"))
            start = int(cursor.get("o", 0)) if cursor else 0
            results = run_search(ctx.company, ctx, kind)
            page = results[start : start + limit]
            more = start + limit < len(results)
            items = [{"result_score": s, "item": _item(ctx.company, kind, o, c, n)} for s, o, c, n in page]
            next_cursor = encode_cursor({"o": start + limit}) if more else None
            return 200, {
                "success": True,
                "data": {"items": items},
                "additional_data": {"next_cursor": next_cursor},
            }

        def search_v1(ctx: Ctx, kind: str = kind) -> tuple[int, Any]:
            start, limit = v1_paging(ctx)
            results = run_search(ctx.company, ctx, kind)
            page = results[start : start + limit]
            more = start + limit < len(results)
            items = [{"result_score": s, "item": _item(ctx.company, kind, o, c, n)} for s, o, c, n in page]
            return 200, {
                "success": True,
                "data": {"items": items},
                "additional_data": {"pagination": v1_pagination(start, limit, more)},
            }

        router.add(f"/api/v2/{path}/search", get=search_v2)
        router.add(f"/api/v1/{path}/search", get=search_v1)
