"""Search: ``/api/v2/{deals,persons,organizations,products,leads}/search``, the v1 equivalents
Pipedrive still serves or keeps for ``--serve-deprecated-v1`` (v1 leads search is still supported;
v1 product search is out of support), ``/api/v2/itemSearch`` and ``/api/v2/itemSearch/field``.

What it implements: ``term`` (at least 2 characters, or 1 with ``exact_match``), ``fields``
(the family's searchable fields; a wrong one is a 400), ``exact_match`` (the whole field
equals the term, case-insensitively; otherwise a case-insensitive substring match), the
family filters (deals: person_id, organization_id, status; persons: organization_id; leads:
person_id, organization_id), and paging (v2 cursor, v1 start/limit). Leads search the deals'
custom fields, which they share; archived deals and leads are found and say so. Results are ``{"items": [{"result_score", "item"}]}``,
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
from .util import Query

SEARCH_FIELDS = {
    "deal": ("custom_fields", "notes", "title"),
    "person": ("custom_fields", "email", "notes", "phone", "name"),
    "organization": ("address", "custom_fields", "notes", "name"),
    "product": ("code", "custom_fields", "name"),
    "lead": ("custom_fields", "notes", "title"),
}
TITLED = ("deal", "lead")  # the families whose main text is a title rather than a name
CUSTOM_ENTITY = {"lead": "deal"}  # leads have the deals' custom fields
NOTE_PARENT = {"deal": "deal_id", "person": "person_id", "organization": "org_id", "lead": "lead_id"}
# The custom field types Pipedrive's search covers (official v2 description of the search endpoints).
SEARCHABLE_TYPES = ("varchar", "varchar_auto", "text", "address", "phone", "double", "monetary")
ITEM_TYPES = ("deal", "person", "organization", "product", "lead", "file", "mail_attachment", "project")
ITEM_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description")
INCLUDE_FIELDS = {"deal": ("deal.cc_email",), "person": ("person.picture",), "organization": (),
                  "product": ("product.price",), "lead": ("lead.was_seen",)}


def _searchable_text(field: dict[str, Any], value: Any) -> str | None:
    """A custom field value as the text search matches: numbers as written, monetary by amount."""
    if field["field_type"] == "monetary":
        value = value.get("value") if isinstance(value, dict) else None
    elif isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


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


def _term(ctx: Ctx, exact: bool) -> str:
    raw_term = (ctx.query.get("term") or "").strip()
    if not raw_term:
        raise bad_request("Parameter 'term' is required")
    if len(raw_term) < (1 if exact else 2):
        raise bad_request("Parameter 'term' must be at least 2 characters long (1 with exact_match)")
    return raw_term


def _csv(ctx: Ctx, name: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """A comma-separated enum parameter; a value outside ``allowed`` is a 400 (v2 validates)."""
    if not ctx.query.has(name):
        return None
    values = tuple(v.strip() for v in (ctx.query.get(name) or "").split(",") if v.strip())
    for value in values:
        if value not in allowed:
            raise bad_request(f"Parameter '{name}' must be a subset of: {', '.join(allowed)}")
    return values


def run_search(
    company: Company, ctx: Ctx, kind: str
) -> list[tuple[float, dict[str, Any], list[str], list[str]]]:
    """All matches as (score, object, matched custom values, matched note texts), best first."""
    q = ctx.query
    exact = bool(q.bool("exact_match"))
    raw_term = _term(ctx, exact)
    fields = _csv(ctx, "fields", SEARCH_FIELDS[kind]) or SEARCH_FIELDS[kind]
    if ctx.version == "v2":
        _csv(ctx, "include_fields", INCLUDE_FIELDS[kind])
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
    if kind in ("person", "lead") and q.has("organization_id"):
        where["org_id"] = q.int("organization_id")
    if kind == "lead" and q.has("person_id"):
        where["person_id"] = q.int("person_id")
    return search_kind(company, kind, raw_term, exact, fields, where)


def search_kind(
    company: Company, kind: str, raw_term: str, exact: bool, fields: tuple[str, ...], where: dict[str, Any]
) -> list[tuple[float, dict[str, Any], list[str], list[str]]]:
    """One family's matches for ``raw_term`` in ``fields`` (its own field names), best first."""
    term = raw_term.lower()
    store, cid = company.store, company.id
    candidates = {
        o["id"]: o
        for o in store.select(cid, kind, where=where, sql=[("data LIKE ? ESCAPE '\\'", [_like(raw_term)])])
    }
    notes_by_parent: dict[Any, list[str]] = {}
    if "notes" in fields:
        parent = NOTE_PARENT[kind]
        column = parent if parent != "lead_id" else "json_extract(data, '$.lead_id')"
        notes = store.select(
            cid, "note", sql=[(f"{column} IS NOT NULL", []), ("data LIKE ? ESCAPE '\\'", [_like(raw_term)])]
        )
        for note in notes:
            if _match(note.get("content"), term, exact):
                notes_by_parent.setdefault(note[parent], []).append(note["content"])
        missing = [pid for pid in notes_by_parent if pid not in candidates]
        keys = {"person_id": "person_id", "org_id": "org_id", "category": "status"}
        for obj in store.get_many(cid, kind, missing).values():
            if not obj.get("is_deleted") and all(obj.get(keys[c]) == v for c, v in where.items()):
                candidates[obj["id"]] = obj
    custom_entity = CUSTOM_ENTITY.get(kind, kind)
    text_custom = {
        k: f for k, f in company.custom_fields(custom_entity).items() if f["field_type"] in SEARCHABLE_TYPES
    }
    results = []
    for obj in candidates.values():
        score = 0.0
        title = obj.get("title") if kind in TITLED else obj.get("name")
        if ("title" in fields and kind in TITLED) or ("name" in fields and kind not in TITLED):
            score = max(score, _match(title, term, exact))
        if "code" in fields:
            score = max(score, _weighted(obj.get("code"), term, exact, 0.9))
        if "email" in fields:
            score = max([score] + [_weighted(e["value"], term, exact, 0.9) for e in obj.get("emails", [])])
        if "phone" in fields:
            score = max([score] + [_weighted(p["value"], term, exact, 0.7) for p in obj.get("phones", [])])
        if "address" in fields:
            score = max(score, _weighted((obj.get("address") or {}).get("value"), term, exact, 0.4))
        matched_custom: list[str] = []
        if "custom_fields" in fields:
            for key, field in text_custom.items():
                value = _searchable_text(field, (obj.get("custom_fields") or {}).get(key))
                if value is not None and _match(value, term, exact):
                    matched_custom.append(value)
            if matched_custom:
                score = max(score, 0.3)
        matched_notes = notes_by_parent.get(obj["id"], [])
        if matched_notes:
            score = max(score, 0.2)
        if score > 0:
            results.append((round(score, 4), obj, matched_custom, matched_notes))
    results.sort(key=lambda r: (-r[0], str(r[1]["id"]).zfill(40)))
    return results


def _item(
    company: Company, kind: str, obj: dict[str, Any], custom: list[str], notes: list[str], version: str = "v2",
    include: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One result's ``item`` in Pipedrive's search shape for the family."""
    store, cid = company.store, company.id

    def org_ref(org_id: int | None) -> dict[str, Any] | None:
        org = store.get(cid, "organization", org_id) if org_id else None
        if org is None:
            return None
        return {"id": org["id"], "name": org["name"]}

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
            **({"is_archived": bool(obj.get("is_archived"))} if version == "v2" else {}),
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
        }
    if kind == "product":
        out = {
            "id": obj["id"],
            "type": "product",
            "name": obj["name"],
            "code": obj.get("code"),
            "visible_to": obj["visible_to"],
            "owner": {"id": obj["owner_id"]},
            "custom_fields": custom,
        }
        if "product.price" in include:
            prices = obj.get("prices") or []
            out["price"] = prices[0]["price"] if prices else None
        return out
    if kind == "lead":
        person = store.get(cid, "person", obj["person_id"]) if obj.get("person_id") else None
        value = obj.get("value") or {}
        out = {
            "id": obj["id"],
            "type": "lead",
            "title": obj["title"],
            "owner": {"id": obj["owner_id"]},
            "person": {"id": person["id"], "name": person["name"]} if person else None,
            "organization": org_ref(obj.get("org_id")),
            "phones": [p["value"] for p in (person or {}).get("phones") or []],
            "emails": [e["value"] for e in (person or {}).get("emails") or []],
            "custom_fields": custom,
            "notes": notes,
            "value": value.get("amount"),
            "currency": value.get("currency"),
            "visible_to": obj["visible_to"],
            "is_archived": bool(obj.get("is_archived")),
        }
        if "lead.was_seen" in include:
            out["was_seen"] = bool(obj.get("was_seen"))
        return out
    return {
        "id": obj["id"],
        "type": "organization",
        "name": obj["name"],
        "address": (obj.get("address") or {}).get("value"),
        "visible_to": obj["visible_to"],
        "owner": {"id": obj["owner_id"]},
        "custom_fields": custom,
        "notes": notes,
    }


# itemSearch's field names per family -> the family's own search field names
ITEM_FIELD_MAP = {
    "deal": {"custom_fields": "custom_fields", "notes": "notes", "title": "title"},
    "person": {"custom_fields": "custom_fields", "email": "email", "notes": "notes", "phone": "phone", "name": "name"},
    "organization": {"address": "address", "custom_fields": "custom_fields", "notes": "notes", "name": "name"},
    "product": {"code": "code", "custom_fields": "custom_fields", "name": "name"},
    "lead": {"custom_fields": "custom_fields", "notes": "notes", "title": "title"},
}
ITEM_KINDS = ("deal", "person", "organization", "product", "lead")
ITEM_SEARCH_LIMIT = 100  # the official description: "a maximum value of 100 is allowed"


def _item_search(ctx: Ctx) -> tuple[list[tuple[float, str, dict[str, Any], list[str], list[str]]], tuple[str, ...]]:
    """What ``itemSearch`` finds (best score first) and the include_fields asked for; both versions share it."""
    q = ctx.query
    exact = bool(q.bool("exact_match"))
    raw_term = _term(ctx, exact)
    types = _csv(ctx, "item_types", ITEM_TYPES) or ITEM_TYPES
    fields = _csv(ctx, "fields", ITEM_FIELDS)
    include = _csv(ctx, "include_fields", ("deal.cc_email", "person.picture", "product.price")) or ()
    q.bool("search_for_related_items")
    found: list[tuple[float, str, dict[str, Any], list[str], list[str]]] = []
    for kind in ITEM_KINDS:
        if kind not in types:
            continue
        mapping = ITEM_FIELD_MAP[kind]
        own = tuple(mapping[f] for f in (fields or tuple(mapping)) if f in mapping)
        if not own:
            continue
        for score, obj, custom, notes in search_kind(ctx.company, kind, raw_term, exact, own, {}):
            found.append((score, kind, obj, custom, notes))
    found.sort(key=lambda r: (-r[0], ITEM_KINDS.index(r[1]), str(r[2]["id"]).zfill(40)))
    return found, tuple(include)


def item_search_v1(ctx: Ctx) -> tuple[int, Any]:
    """``GET /api/v1/itemSearch`` (deprecated, served with --serve-deprecated-v1): the v2 search's
    results in v1's item shape, paged with ``start``/``limit`` (at most 100 per page)."""
    found, include = _item_search(ctx)
    start, limit = v1_paging(ctx)
    limit = min(limit, ITEM_SEARCH_LIMIT)
    page = found[start : start + limit]
    items = [{"result_score": s, "item": _item(ctx.company, k, o, c, n, "v1", include)} for s, k, o, c, n in page]
    return 200, {"success": True, "data": {"items": items, "related_items": []},
                 "additional_data": {"pagination": v1_pagination(start, limit, start + limit < len(found))}}


def item_search_field_v1(ctx: Ctx) -> tuple[int, Any]:
    """``GET /api/v1/itemSearch/field`` (deprecated, served with --serve-deprecated-v1): the v2 field
    search's matches, paged with ``start``/``limit``."""
    start, limit = v1_paging(ctx)
    query = [(k, v) for k, v in ctx.query.pairs if k not in ("start", "limit", "cursor")] + [("limit", "500")]
    status, body = item_search_field_v2(Ctx(ctx.company, "v2", ctx.method, Query(query), params=ctx.params))
    key = ctx.query.get("field") or ""
    data = [{"id": hit["item"]["id"], key: hit["item"][key]} for hit in body["data"]]  # v1's flat items
    page = data[start : start + limit]
    return status, {"success": True, "data": page,
                    "additional_data": {"pagination": v1_pagination(start, limit, start + limit < len(data))}}


def item_search_v2(ctx: Ctx) -> tuple[int, Any]:
    """``GET /api/v2/itemSearch``: one search over several families, best score first.

    The sandbox holds deals, persons, organizations, products and leads; the other item types
    (files, mail attachments, projects) are accepted and find nothing. ``search_for_related_items`` is accepted; ``related_items`` is always empty.
    """
    q = ctx.query
    found, include = _item_search(ctx)
    limit = q.int("limit", ITEM_SEARCH_LIMIT, minimum=1) or ITEM_SEARCH_LIMIT
    if limit > ITEM_SEARCH_LIMIT:
        raise bad_request(f"Parameter 'limit' must be at most {ITEM_SEARCH_LIMIT}")
    cursor = decode_cursor(q.get("cursor"))
    start = int(cursor.get("o", 0)) if cursor else 0
    page = found[start : start + limit]
    items = [{"result_score": s, "item": _item(ctx.company, k, o, c, n, include=include)} for s, k, o, c, n in page]
    next_cursor = encode_cursor({"o": start + limit}) if start + limit < len(found) else None
    return 200, {
        "success": True,
        "data": {"items": items, "related_items": []},
        "additional_data": {"next_cursor": next_cursor},
    }


FIELD_SEARCH_ENTITIES = ("deal", "lead", "person", "organization", "product", "project")


def item_search_field_v2(ctx: Ctx) -> tuple[int, Any]:
    """``GET /api/v2/itemSearch/field``: objects whose one field matches, case-sensitively.

    ``match`` exact, beginning or middle (default exact); standard text fields (title, name)
    and the searchable custom field types. Each result's ``item`` carries the id, the type and
    the matched value under the field's key.
    """
    q = ctx.query
    match = q.get("match") or "exact"
    if match not in ("exact", "beginning", "middle"):
        raise bad_request("Parameter 'match' must be one of: exact, beginning, middle")
    raw = q.get("term") or ""
    if not raw.strip():
        raise bad_request("Parameter 'term' is required")
    if len(raw.strip()) < (1 if match == "exact" else 2):
        raise bad_request("Parameter 'term' must be at least 2 characters long (1 with match=exact)")
    entity = q.get("entity_type")
    if entity not in FIELD_SEARCH_ENTITIES:
        raise bad_request(f"Parameter 'entity_type' must be one of: {', '.join(FIELD_SEARCH_ENTITIES)}")
    key = q.get("field")
    if not key:
        raise bad_request("Parameter 'field' is required")
    limit = q.int("limit", 100, minimum=1) or 100
    if limit > 500:
        raise bad_request("Parameter 'limit' must be at most 500")
    if entity not in ITEM_KINDS:
        return 200, {"success": True, "data": [], "additional_data": {"next_cursor": None}}
    company = ctx.company
    standard = "title" if entity in TITLED else "name"
    custom = company.custom_fields(CUSTOM_ENTITY.get(entity, entity)).get(key)
    if key != standard and (custom is None or custom["field_type"] not in SEARCHABLE_TYPES):
        raise bad_request(f"Field '{key}' is not searchable for {entity}")

    def hit(value: str | None) -> bool:
        if value is None:
            return False
        if match == "exact":
            return value == raw
        if match == "beginning":
            return value.startswith(raw)
        return raw in value

    found = []
    for obj in company.store.select(company.id, entity, sql=[("data LIKE ? ESCAPE '\\'", [_like(raw)])]):
        if key == standard:
            value = obj.get(standard)
        else:
            value = _searchable_text(custom, (obj.get("custom_fields") or {}).get(key))  # type: ignore[arg-type]
        if hit(value):
            score = 1.0 if value == raw else (0.8 if value.startswith(raw) else 0.5)  # type: ignore[union-attr]
            found.append((score, obj["id"], value))
    found.sort(key=lambda r: (-r[0], str(r[1]).zfill(40)))
    cursor = decode_cursor(q.get("cursor"))
    start = int(cursor.get("o", 0)) if cursor else 0
    page = found[start : start + limit]
    data = [{"result_score": s, "item": {"id": i, "type": entity, key: v}} for s, i, v in page]
    next_cursor = encode_cursor({"o": start + limit}) if start + limit < len(found) else None
    return 200, {"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}}


def register(router: Router) -> None:
    """Search routes for both versions."""
    router.add("/api/v2/itemSearch", get=item_search_v2)
    router.add("/api/v2/itemSearch/field", get=item_search_field_v2)
    router.add("/api/v1/itemSearch", get=item_search_v1)  # deprecated: 410 unless served
    router.add("/api/v1/itemSearch/field", get=item_search_field_v1)
    families = (("deals", "deal", True), ("persons", "person", True), ("organizations", "organization", True),
                ("products", "product", False), ("leads", "lead", True))
    for path, kind, in_v1 in families:

        def search_v2(ctx: Ctx, kind: str = kind) -> tuple[int, Any]:
            limit = v2_limit(ctx)
            cursor = decode_cursor(ctx.query.get("cursor"))
            start = int(cursor.get("o", 0)) if cursor else 0
            results = run_search(ctx.company, ctx, kind)
            include = _csv(ctx, "include_fields", INCLUDE_FIELDS[kind]) or ()
            page = results[start : start + limit]
            more = start + limit < len(results)
            items = [{"result_score": s, "item": _item(ctx.company, kind, o, c, n, include=include)}
                     for s, o, c, n in page]
            next_cursor = encode_cursor({"o": start + limit}) if more else None
            return 200, {
                "success": True,
                "data": {"items": items},
                "additional_data": {"next_cursor": next_cursor},
            }

        def search_v1(ctx: Ctx, kind: str = kind) -> tuple[int, Any]:
            start, limit = v1_paging(ctx)
            results = run_search(ctx.company, ctx, kind)
            include = tuple(v.strip() for v in (ctx.query.get("include_fields") or "").split(","))  # v1: lenient
            page = results[start : start + limit]
            more = start + limit < len(results)
            items = [{"result_score": s, "item": _item(ctx.company, kind, o, c, n, "v1", include)}
                     for s, o, c, n in page]
            return 200, {
                "success": True,
                "data": {"items": items},
                "additional_data": {"pagination": v1_pagination(start, limit, more)},
            }

        router.add(f"/api/v2/{path}/search", get=search_v2)
        if in_v1:  # v1 product search is out of support and was never modelled (deprecated.py)
            router.add(f"/api/v1/{path}/search", get=search_v1)
