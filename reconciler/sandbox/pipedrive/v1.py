"""Pipedrive API v1: deals, persons, organizations, activities, notes, pipelines, stages,
users, activity types and field schemas.

Shapes follow the v1 reference and the official clients' v1 models: timestamps as
``YYYY-MM-DD HH:MM:SS`` (UTC), ``visible_to`` as a string, deal ``user_id``/``person_id``/
``org_id`` and person/org ``owner_id`` nested as objects carrying ``value`` (the id),
``email``/``phone`` as ``[{label, value, primary}]`` (``[{"value": "", "primary": true}]``
when empty, as Pipedrive answers), custom fields as root-level hash keys (enum as the option
id as a string, set as comma-joined ids, monetary as a number with a ``<hash>_currency``
sibling), booleans in responses as true/false except user ``is_admin`` (0/1), 0/1 accepted
on input. Lists page with ``start``/``limit``.
"""

from __future__ import annotations

from typing import Any

from ..company import COMPANY_DOMAIN
from .base import Ctx, Router, parse_input, v1_pagination, v1_paging, v1_sort
from .errors import ApiError, bad_request
from .model import ADDRESS_SUBFIELDS, Company, custom_subfields
from .util import parse_v1_time, v1_time

ENTITY_PATHS = {
    "deals": "deal",
    "persons": "person",
    "organizations": "organization",
    "activities": "activity",
}


# ----------------------------------------------------------------------------- related objects
class Related:
    """Batch lookups of the users, persons, organizations and deals a page refers to.

    Why: v1 nests referenced objects in every item; fetching them once per page keeps a
    500-item page at a handful of queries.
    """

    def __init__(self, company: Company, items: list[dict[str, Any]]) -> None:
        self.company = company
        store, cid = company.store, company.id
        user_ids = {i.get(k) for i in items for k in ("owner_id", "creator_user_id", "user_id")}
        self.persons = store.get_many(cid, "person", {i.get("person_id") for i in items})
        org_ids = {i.get("org_id") for i in items} | {p.get("org_id") for p in self.persons.values()}
        self.orgs = store.get_many(cid, "organization", org_ids)
        self.deals = store.get_many(cid, "deal", {i.get("deal_id") for i in items})
        user_ids |= {o.get("owner_id") for o in self.orgs.values()}
        user_ids |= {p.get("owner_id") for p in self.persons.values()}
        self.users = store.get_many(cid, "user", user_ids)
        self._stages: dict[int, dict[str, Any]] | None = None

    def stages(self) -> dict[int, dict[str, Any]]:
        """Every stage by id, loaded once per page (deals show their stage's order_nr)."""
        if self._stages is None:
            rows = self.company.store.select(self.company.id, "stage", deleted=None)
            self._stages = {s["id"]: s for s in rows}
        return self._stages

    def user_obj(self, user_id: int | None) -> dict[str, Any] | None:
        user = self.users.get(user_id) if user_id else None
        if user is None:
            return None
        return {
            "id": user["id"],
            "name": user["name"],
            "email": user["email"],
            "has_pic": 0,
            "pic_hash": None,
            "active_flag": bool(user["active_flag"]),
            "value": user["id"],
        }

    def person_obj(self, person_id: int | None) -> dict[str, Any] | None:
        person = self.persons.get(person_id) if person_id else None
        if person is None:
            return None
        return {
            "active_flag": not person.get("is_deleted"),
            "name": person["name"],
            "email": contacts_v1(person.get("emails") or []),
            "phone": contacts_v1(person.get("phones") or []),
            "owner_id": person["owner_id"],
            "value": person["id"],
        }

    def org_obj(self, org_id: int | None) -> dict[str, Any] | None:
        org = self.orgs.get(org_id) if org_id else None
        if org is None:
            return None
        return {
            "name": org["name"],
            "people_count": None,
            "owner_id": org["owner_id"],
            "address": (org.get("address") or {}).get("value"),
            "active_flag": not org.get("is_deleted"),
            "cc_email": f"{COMPANY_DOMAIN}@pipedrivemail.com",
            "value": org["id"],
        }

    def related_objects(self) -> dict[str, Any]:
        """v1's ``related_objects``: the referenced users, persons and organizations by id."""
        out: dict[str, Any] = {}
        if self.users:
            out["user"] = {}
            for uid in self.users:
                obj = self.user_obj(uid)
                assert obj is not None
                obj.pop("value")
                out["user"][str(uid)] = obj
        if self.persons:
            out["person"] = {
                str(p["id"]): {
                    "active_flag": not p.get("is_deleted"),
                    "id": p["id"],
                    "name": p["name"],
                    "email": contacts_v1(p.get("emails") or []),
                    "phone": contacts_v1(p.get("phones") or []),
                    "owner_id": p["owner_id"],
                }
                for p in self.persons.values()
            }
        if self.orgs:
            out["organization"] = {
                str(o["id"]): {
                    "active_flag": not o.get("is_deleted"),
                    "id": o["id"],
                    "name": o["name"],
                    "people_count": None,
                    "owner_id": o["owner_id"],
                    "address": (o.get("address") or {}).get("value"),
                    "cc_email": f"{COMPANY_DOMAIN}@pipedrivemail.com",
                }
                for o in self.orgs.values()
            }
        return out


def contacts_v1(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not items:
        return [{"value": "", "primary": True}]
    return [{"label": i.get("label"), "value": i["value"], "primary": bool(i["primary"])} for i in items]


def custom_v1(company: Company, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Custom fields as v1's root-level hash keys (every custom field present, null when empty)."""
    values = obj.get("custom_fields") or {}
    out: dict[str, Any] = {}
    for key, field in company.custom_fields(entity).items():
        value = values.get(key)
        ftype = field["field_type"]
        if ftype == "monetary":
            out[key] = value.get("value") if value else None
            out[key + "_currency"] = value.get("currency") if value else None
        elif ftype == "enum":
            out[key] = str(value) if value is not None else None
        elif ftype == "set":
            out[key] = ",".join(str(v) for v in value) if value else None
        elif ftype == "address":
            parts = value if isinstance(value, dict) else {"value": value}
            out[key] = parts.get("value")
            for part, _ in ADDRESS_SUBFIELDS:  # the address's parts travel as <hash>_<part> siblings
                out[f"{key}_{part}"] = parts.get(part)
        elif ftype in ("time", "timerange", "daterange"):
            value = value if isinstance(value, dict) else {}
            out[key] = value.get("value")
            if ftype != "time":
                out[key + "_until"] = value.get("until")
            if ftype != "daterange":
                out[key + "_timezone_id"] = value.get("timezone_id")
        else:
            out[key] = value
    return out


def _labels(obj: dict[str, Any]) -> list[int]:
    return list(obj.get("label_ids") or [])


# ----------------------------------------------------------------------------- serialisers
def deal_v1(company: Company, d: dict[str, Any], rel: Related) -> dict[str, Any]:
    deleted = bool(d.get("is_deleted"))
    status = "deleted" if deleted else d["status"]
    person = rel.persons.get(d.get("person_id") or 0)
    org = rel.orgs.get(d.get("org_id") or 0)
    owner = rel.users.get(d["owner_id"])
    stage = rel.stages().get(d.get("stage_id") or 0)
    value = d["value"]
    out = {
        "id": d["id"],
        "creator_user_id": rel.user_obj(d.get("creator_user_id")),
        "user_id": rel.user_obj(d["owner_id"]),
        "person_id": rel.person_obj(d.get("person_id")),
        "org_id": rel.org_obj(d.get("org_id")),
        "stage_id": d["stage_id"],
        "title": d["title"],
        "value": value,
        "acv": None,
        "mrr": None,
        "arr": None,
        "currency": d["currency"],
        "add_time": v1_time(d["add_time"]),
        "update_time": v1_time(d["update_time"]),
        "stage_change_time": v1_time(d.get("stage_change_time")),
        "active": status == "open",
        "deleted": deleted,
        "is_archived": bool(d.get("is_archived")),
        "status": status,
        "probability": d.get("probability"),
        "next_activity_date": None,
        "next_activity_time": None,
        "next_activity_id": None,
        "last_activity_id": None,
        "last_activity_date": None,
        "lost_reason": d.get("lost_reason"),
        "visible_to": str(d["visible_to"]),
        "close_time": v1_time(d.get("close_time")),
        "pipeline_id": d["pipeline_id"],
        "won_time": v1_time(d.get("won_time")),
        "first_won_time": v1_time(d.get("won_time")),
        "lost_time": v1_time(d.get("lost_time")),
        "expected_close_date": d.get("expected_close_date"),
        "label": ",".join(str(i) for i in _labels(d)) or None,
        "local_won_date": (d.get("won_time") or "")[:10] or None,
        "local_lost_date": (d.get("lost_time") or "")[:10] or None,
        "local_close_date": (d.get("close_time") or "")[:10] or None,
        "origin": d.get("origin", "API"),
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "stage_order_nr": stage["order_nr"] if stage else None,
        "person_name": person["name"] if person else None,
        "org_name": org["name"] if org else None,
        "next_activity_subject": None,
        "next_activity_type": None,
        "next_activity_duration": None,
        "next_activity_note": None,
        "formatted_value": f"{value:,} {d['currency']}",
        "weighted_value": value,
        "formatted_weighted_value": f"{value:,} {d['currency']}",
        "weighted_value_currency": d["currency"],
        "rotten_time": None,
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"{COMPANY_DOMAIN}+deal{d['id']}@pipedrivemail.com",
        "org_hidden": False,
        "person_hidden": False,
    }
    out.update(custom_v1(company, "deal", d))
    return out


def person_v1(company: Company, p: dict[str, Any], rel: Related) -> dict[str, Any]:
    org = rel.orgs.get(p.get("org_id") or 0)
    owner = rel.users.get(p["owner_id"])
    labels = _labels(p)
    out = {
        "id": p["id"],
        "company_id": company.id,
        "owner_id": rel.user_obj(p["owner_id"]),
        "org_id": rel.org_obj(p.get("org_id")),
        "name": p["name"],
        "first_name": p.get("first_name"),
        "last_name": p.get("last_name"),
        "active_flag": not p.get("is_deleted"),
        "phone": contacts_v1(p.get("phones") or []),
        "email": contacts_v1(p.get("emails") or []),
        "first_char": (p["name"] or " ")[0].lower(),
        "update_time": v1_time(p["update_time"]),
        "delete_time": v1_time(p["update_time"]) if p.get("is_deleted") else None,
        "add_time": v1_time(p["add_time"]),
        "visible_to": str(p["visible_to"]),
        "picture_id": p.get("picture_id"),
        "label": labels[0] if labels else None,
        "label_ids": labels,
        "org_name": org["name"] if org else None,
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"{COMPANY_DOMAIN}@pipedrivemail.com",
    }
    out.update(custom_v1(company, "person", p))
    return out


def organization_v1(company: Company, o: dict[str, Any], rel: Related) -> dict[str, Any]:
    owner = rel.users.get(o["owner_id"])
    address = o.get("address") or {}
    labels = _labels(o)
    out = {
        "id": o["id"],
        "company_id": company.id,
        "owner_id": rel.user_obj(o["owner_id"]),
        "name": o["name"],
        "active_flag": not o.get("is_deleted"),
        "picture_id": o.get("picture_id"),
        "country_code": None,
        "first_char": (o["name"] or " ")[0].lower(),
        "update_time": v1_time(o["update_time"]),
        "delete_time": v1_time(o["update_time"]) if o.get("is_deleted") else None,
        "add_time": v1_time(o["add_time"]),
        "visible_to": str(o["visible_to"]),
        "label": labels[0] if labels else None,
        "label_ids": labels,
        "owner_name": owner["name"] if owner else None,
        "cc_email": f"{COMPANY_DOMAIN}@pipedrivemail.com",
        "address": address.get("value"),
    }
    for part in (
        "subpremise",
        "street_number",
        "route",
        "sublocality",
        "locality",
        "admin_area_level_1",
        "admin_area_level_2",
        "country",
        "postal_code",
        "formatted_address",
    ):
        out[f"address_{part}"] = address.get(part)
    out.update(custom_v1(company, "organization", o))
    return out


def activity_v1(company: Company, a: dict[str, Any], rel: Related) -> dict[str, Any]:
    person = rel.persons.get(a.get("person_id") or 0)
    org = rel.orgs.get(a.get("org_id") or 0)
    deal = rel.deals.get(a.get("deal_id") or 0)
    owner = rel.users.get(a["owner_id"])
    location = a.get("location") or {}
    return {
        "id": a["id"],
        "company_id": company.id,
        "user_id": a["owner_id"],
        "done": bool(a.get("done")),
        "type": a["type"],
        "reference_type": None,
        "reference_id": None,
        "conference_meeting_client": None,
        "conference_meeting_url": None,
        "due_date": a.get("due_date"),
        "due_time": a.get("due_time") or "",
        "duration": a.get("duration") or "",
        "busy_flag": bool(a.get("busy")),
        "add_time": v1_time(a["add_time"]),
        "marked_as_done_time": v1_time(a.get("marked_as_done_time")) or "",
        "subject": a["subject"],
        "public_description": a.get("public_description"),
        "location": location.get("value"),
        "org_id": a.get("org_id"),
        "person_id": a.get("person_id"),
        "deal_id": a.get("deal_id"),
        "lead_id": a.get("lead_id"),
        "project_id": a.get("project_id"),
        "active_flag": not a.get("is_deleted"),
        "update_time": v1_time(a["update_time"]),
        "update_user_id": None,
        "source_timezone": None,
        "note": a.get("note"),
        "created_by_user_id": a.get("creator_user_id"),
        "org_name": org["name"] if org else None,
        "person_name": person["name"] if person else None,
        "deal_title": deal["title"] if deal else None,
        "owner_name": owner["name"] if owner else None,
        "assigned_to_user_id": a["owner_id"],
        "type_name": a["type"].title(),
        "participants": [
            {"person_id": p["person_id"], "primary_flag": bool(p["primary"])}
            for p in a.get("participants") or []
        ]
        or None,
        "attendees": None,
        "file": None,
    }


def note_v1(company: Company, n: dict[str, Any], rel: Related) -> dict[str, Any]:
    person = rel.persons.get(n.get("person_id") or 0)
    org = rel.orgs.get(n.get("org_id") or 0)
    deal = rel.deals.get(n.get("deal_id") or 0)
    user = rel.users.get(n["user_id"])
    return {
        "id": n["id"],
        "user_id": n["user_id"],
        "deal_id": n.get("deal_id"),
        "person_id": n.get("person_id"),
        "org_id": n.get("org_id"),
        "lead_id": n.get("lead_id"),
        "project_id": None,  # the sandbox keeps no projects or tasks (current v1 Note model)
        "task_id": None,
        "content": n["content"],
        "add_time": v1_time(n["add_time"]),
        "update_time": v1_time(n["update_time"]),
        "active_flag": not n.get("is_deleted"),
        "pinned_to_deal_flag": bool(n.get("pinned_to_deal_flag")),
        "pinned_to_person_flag": bool(n.get("pinned_to_person_flag")),
        "pinned_to_organization_flag": bool(n.get("pinned_to_organization_flag")),
        "pinned_to_lead_flag": bool(n.get("pinned_to_lead_flag")),
        "pinned_to_project_flag": False,
        "pinned_to_task_flag": False,
        "last_update_user_id": n.get("last_update_user_id"),
        "organization": {"name": org["name"]} if org else None,
        "person": {"name": person["name"]} if person else None,
        "deal": {"title": deal["title"]} if deal else None,
        "project": None,
        "task": None,
        "user": {
            "email": user["email"],
            "name": user["name"],
            "icon_url": None,
            "is_you": user["id"] == company.api_user_id,
        }
        if user
        else None,
    }


SERIALISERS = {
    "deal": deal_v1,
    "person": person_v1,
    "organization": organization_v1,
    "activity": activity_v1,
    "note": note_v1,
}


def user_v1(company: Company, u: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": u["id"],
        "name": u["name"],
        "default_currency": u["default_currency"],
        "locale": u["locale"],
        "lang": u["lang"],
        "email": u["email"],
        "phone": u.get("phone"),
        "activated": bool(u.get("activated")),
        "last_login": v1_time(u.get("last_login")),
        "created": v1_time(u["add_time"]),
        "modified": v1_time(u["update_time"]),
        "has_created_company": bool(u.get("has_created_company")),
        "access": [{"app": "sales", "admin": bool(u["is_admin"]), "permission_set_id": None}],
        "active_flag": bool(u["active_flag"]),
        "timezone_name": u["timezone_name"],
        "timezone_offset": u["timezone_offset"],
        "role_id": u["role_id"],
        "icon_url": u.get("icon_url"),
        "is_you": u["id"] == company.api_user_id,
        "is_admin": 1 if u["is_admin"] else 0,
        "is_deleted": bool(u.get("is_deleted")),
    }


def pipeline_v1(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "url_title": p["name"].lower().replace(" ", "-"),
        "order_nr": p["order_nr"],
        "active": not p.get("is_deleted"),
        "deal_probability": bool(p.get("is_deal_probability_enabled")),
        "add_time": v1_time(p["add_time"]),
        "update_time": v1_time(p["update_time"]),
        "selected": bool(p.get("is_selected")),
    }


def stage_v1(company: Company, s: dict[str, Any]) -> dict[str, Any]:
    pipeline = company.get("pipeline", s["pipeline_id"])
    return {
        "id": s["id"],
        "order_nr": s["order_nr"],
        "name": s["name"],
        "active_flag": not s.get("is_deleted"),
        "deal_probability": s.get("deal_probability"),
        "pipeline_id": s["pipeline_id"],
        "rotten_flag": bool(s.get("is_deal_rot_enabled")),
        "rotten_days": s.get("days_to_rotten"),
        "add_time": v1_time(s["add_time"]),
        "update_time": v1_time(s["update_time"]),
        "pipeline_name": pipeline["name"] if pipeline else None,
        "pipeline_deal_probability": bool(pipeline.get("is_deal_probability_enabled")) if pipeline else False,
    }


def field_v1(f: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": f["id"],
        "key": f["key"],
        "name": f["name"],
        "order_nr": f["order_nr"],
        "field_type": f["field_type"],
        "add_time": v1_time(f["add_time"]),
        "update_time": v1_time(f["update_time"]),
        "last_updated_by_user_id": f.get("last_updated_by_user_id"),
        "active_flag": not f.get("is_deleted"),
        "edit_flag": bool(f["edit_flag"]),
        "index_visible_flag": bool(f["index_visible_flag"]),
        "details_visible_flag": bool(f["details_visible_flag"]),
        "add_visible_flag": bool(f["add_visible_flag"]),
        "important_flag": bool(f["important_flag"]),
        "bulk_edit_allowed": bool(f["bulk_edit_allowed"]),
        "searchable_flag": bool(f["searchable_flag"]),
        "filtering_allowed": bool(f["filtering_allowed"]),
        "sortable_flag": bool(f["sortable_flag"]),
        "mandatory_flag": bool(f["mandatory_flag"]),
    }
    out["options"] = [{"id": o["id"], "label": o["label"]} for o in f["options"]] if f.get("options") else None
    out["options_deleted"] = []
    out["is_subfield"] = False
    out["subfields"] = [{"key": key, "name": name, "field_type": ftype}
                        for key, name, ftype in custom_subfields(f)] or None
    out["created_by_user_id"] = f.get("last_updated_by_user_id")
    if (f.get("entity") or f.get("category")) == "product":
        # the official v1 ProductField has none of these (product fields have no subfields)
        for key in ("index_visible_flag", "details_visible_flag", "options_deleted", "is_subfield", "subfields"):
            out.pop(key)
    return out


# ----------------------------------------------------------------------------- responses
def ok(
    data: Any, additional: dict[str, Any] | None = None, related: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional is not None:
        body["additional_data"] = additional
    if related is not None:
        body["related_objects"] = related
    return body


def render(ctx: Ctx, kind: str, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Related]:
    rel = Related(ctx.company, items)
    serialise = SERIALISERS[kind]
    return [serialise(ctx.company, i, rel) for i in items], rel


# ----------------------------------------------------------------------------- entity routes
def _list_filters(ctx: Ctx, kind: str, archived: bool = False
                  ) -> tuple[dict[str, Any], bool | None, list[tuple[str, list[Any]]]]:
    """The v1 list filters each family documents (why per family: v1 differs by endpoint)."""
    q = ctx.query
    where: dict[str, Any] = {}
    sql: list[tuple[str, list[Any]]] = []
    deleted: bool | None = False
    if kind in ("deal", "person", "organization"):
        user_id = q.int("user_id")
        if user_id:
            where["owner_id"] = user_id
        if q.has("first_char") and kind != "deal":
            sql.append(("name LIKE ?", [(q.get("first_char") or "")[:1].lower() + "%"]))
    if kind == "deal":
        status = q.get("status") or "all_not_deleted"
        if status not in ("open", "won", "lost", "deleted", "all_not_deleted"):
            raise bad_request("Parameter 'status' must be one of: open, won, lost, deleted, all_not_deleted")
        if status == "deleted":
            deleted = True
        elif status != "all_not_deleted":
            where["category"] = status
        if q.has("stage_id"):
            where["stage_id"] = q.int("stage_id")
        if q.has("pipeline_id"):
            where["pipeline_id"] = q.int("pipeline_id")
        if q.get("owned_by_you") in ("1", "true"):
            where["owner_id"] = ctx.company.api_user_id
        # archived deals only in /deals/archived (current v1, like v2's)
        sql.append(("COALESCE(json_extract(data, '$.is_archived'), 0) = ?", [1 if archived else 0]))
    if kind == "activity":
        # v1 quirk kept on purpose: without user_id, only the API user's activities are listed;
        # user_id=0 lists everyone's.
        user_id = q.int("user_id")
        if user_id is None:
            where["owner_id"] = ctx.company.api_user_id
        elif user_id:
            where["owner_id"] = user_id
        if q.has("type"):
            where["category"] = [t.strip() for t in (q.get("type") or "").split(",") if t.strip()]
        if q.has("done"):
            sql.append(("json_extract(data, '$.done') = ?", [1 if q.bool("done") else 0]))
        if q.has("start_date"):
            sql.append(("json_extract(data, '$.due_date') >= ?", [q.get("start_date")]))
        if q.has("end_date"):
            sql.append(("json_extract(data, '$.due_date') <= ?", [q.get("end_date")]))
    if kind == "note":
        for column in ("deal_id", "person_id", "org_id"):
            if q.has(column):
                where[column] = q.int(column)
        if q.has("lead_id"):
            sql.append(("json_extract(data, '$.lead_id') = ?", [(q.get("lead_id") or "").lower()]))
        if q.has("user_id"):
            where["owner_id"] = q.int("user_id")
        if q.has("updated_since"):
            sql.append(("update_time >= ?", [parse_v1_time(q.get("updated_since") or "", "updated_since")]))
        if q.has("start_date"):
            sql.append(("add_time >= ?", [(q.get("start_date") or "") + "T00:00:00Z"]))
        if q.has("end_date"):
            sql.append(("add_time <= ?", [(q.get("end_date") or "") + "T23:59:59Z"]))
        for flag in ("pinned_to_deal_flag", "pinned_to_person_flag", "pinned_to_organization_flag",
                     "pinned_to_lead_flag"):
            if q.has(flag):
                sql.append((f"json_extract(data, '$.{flag}') = ?", [1 if q.bool(flag) else 0]))
    return where, deleted, sql


def make_entity_routes(router: Router, path: str, kind: str) -> None:
    """GET list, POST, GET/PUT/DELETE by id, and bulk DELETE ?ids= for one v1 family."""

    def list_(ctx: Ctx, archived: bool = False) -> tuple[int, Any]:
        start, limit = v1_paging(ctx)
        where, deleted, sql = _list_filters(ctx, kind, archived)
        rows = ctx.company.store.select(
            ctx.company.id,
            kind,
            where=where,
            deleted=deleted,
            sql=sql,
            order=v1_sort(ctx),
            limit=limit + 1,
            offset=start,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        data, rel = render(ctx, kind, rows)
        additional = {"pagination": v1_pagination(start, limit, more)}
        related = rel.related_objects() if kind != "note" else None
        return 200, ok(data or None, additional, related)

    def get(ctx: Ctx) -> tuple[int, Any]:
        # v1 returns deleted objects (active_flag false / deleted true) while Pipedrive keeps them.
        obj = ctx.company.find(kind, ctx.id(), deleted_ok=True)
        data, rel = render(ctx, kind, [obj])
        return 200, ok(data[0], {}, rel.related_objects() if kind != "note" else None)

    def create(ctx: Ctx) -> tuple[int, Any]:
        changes, custom = parse_input(ctx, kind)
        obj = ctx.company.create(kind, changes, custom)
        data, rel = render(ctx, kind, [obj])
        return 201, ok(data[0], None, rel.related_objects() if kind != "note" else None)

    def update(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find(kind, ctx.id())
        changes, custom = parse_input(ctx, kind, obj)
        obj = ctx.company.update(kind, obj, changes, custom)
        data, rel = render(ctx, kind, [obj])
        return 200, ok(data[0], None, rel.related_objects() if kind != "note" else None)

    def delete(ctx: Ctx) -> tuple[int, Any]:
        obj = ctx.company.find(kind, ctx.id())
        ctx.company.delete(kind, obj)
        if kind == "note":
            return 200, ok(True)  # the official DeleteNoteResponse: data is a boolean
        return 200, ok({"id": obj["id"]})

    def bulk_delete(ctx: Ctx) -> tuple[int, Any]:
        ids = ctx.query.int_list("ids")
        if not ids:
            raise bad_request("Parameter 'ids' is required")
        found = ctx.company.store.get_many(ctx.company.id, kind, ids)
        missing = [i for i in ids if i not in found or found[i].get("is_deleted")]
        if missing:
            raise ApiError(404, f"{kind.title()}s not found: {', '.join(map(str, missing))}")
        for object_id in dict.fromkeys(ids):
            ctx.company.delete(kind, found[object_id])
        return 200, ok({"id": list(dict.fromkeys(ids))})

    collection: dict[str, Any] = {"get": list_, "post": create}
    if kind != "note":
        collection["delete"] = bulk_delete
    router.add(f"/api/v1/{path}", **collection)
    if kind == "deal":  # current v1 (in the official client 33.x), served without --serve-deprecated-v1
        router.add("/api/v1/deals/archived", get=lambda ctx: list_(ctx, archived=True))
    router.add(f"/api/v1/{path}/{{id}}", get=get, put=update, delete=delete)


# ----------------------------------------------------------------------------- users, pipelines, fields
def _users(router: Router) -> None:
    def list_users(ctx: Ctx) -> tuple[int, Any]:
        users = ctx.company.store.select(ctx.company.id, "user", deleted=None)
        return 200, ok([user_v1(ctx.company, u) for u in users])

    def me(ctx: Ctx) -> tuple[int, Any]:
        user = ctx.company.find("user", ctx.company.api_user_id)
        data = user_v1(ctx.company, user)
        data.update(
            {
                "company_id": ctx.company.id,
                "company_name": ctx.company.store.company_name(ctx.company.id),
                "company_domain": COMPANY_DOMAIN,
                "company_country": "US",
                "company_industry": None,
                "language": {"language_code": "en", "country_code": "US"},
            }
        )
        return 200, ok(data)

    def get_user(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(user_v1(ctx.company, ctx.company.find("user", ctx.id(), deleted_ok=True)))

    def activity_types(ctx: Ctx) -> tuple[int, Any]:
        types = ctx.company.store.select(ctx.company.id, "activity_type")
        data = [
            {
                "id": t["id"],
                "order_nr": t["order_nr"],
                "name": t["name"],
                "key_string": t["key_string"],
                "icon_key": t["icon_key"],
                "active_flag": bool(t["active_flag"]),
                "color": t.get("color"),
                "is_custom_flag": bool(t.get("is_custom_flag")),
                "add_time": v1_time(t["add_time"]),
                "update_time": v1_time(t["update_time"]),
            }
            for t in types
        ]
        return 200, ok(data)

    router.add("/api/v1/users", get=list_users)
    router.add("/api/v1/users/me", get=me)
    router.add("/api/v1/users/{id}", get=get_user)
    router.add("/api/v1/activityTypes", get=activity_types)


def _pipelines(router: Router) -> None:
    def list_pipelines(ctx: Ctx) -> tuple[int, Any]:
        rows = ctx.company.store.select(ctx.company.id, "pipeline")
        rows.sort(key=lambda p: (p["order_nr"], p["id"]))
        return 200, ok([pipeline_v1(p) for p in rows])

    def get_pipeline(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(pipeline_v1(ctx.company.find("pipeline", ctx.id())))

    def list_stages(ctx: Ctx) -> tuple[int, Any]:
        where: dict[str, Any] = {}
        if ctx.query.has("pipeline_id"):
            where["pipeline_id"] = ctx.query.int("pipeline_id")
        rows = ctx.company.store.select(ctx.company.id, "stage", where=where)
        rows.sort(key=lambda s: (s["pipeline_id"], s["order_nr"], s["id"]))
        return 200, ok([stage_v1(ctx.company, s) for s in rows])

    def get_stage(ctx: Ctx) -> tuple[int, Any]:
        return 200, ok(stage_v1(ctx.company, ctx.company.find("stage", ctx.id())))

    router.add("/api/v1/pipelines", get=list_pipelines)
    router.add("/api/v1/pipelines/{id}", get=get_pipeline)
    router.add("/api/v1/stages", get=list_stages)
    router.add("/api/v1/stages/{id}", get=get_stage)


FIELD_PATHS = {"dealFields": "deal", "personFields": "person", "organizationFields": "organization",
               "productFields": "product"}


def _fields(router: Router) -> None:
    from .fields import add_field, update_field_v1

    for path, entity in FIELD_PATHS.items():

        def list_fields(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            start, limit = v1_paging(ctx)
            fields = ctx.company.fields(entity)
            page = fields[start : start + limit]
            more = start + limit < len(fields)
            return 200, ok([field_v1(f) for f in page], {"pagination": v1_pagination(start, limit, more)})

        def get_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            field_id = ctx.id()
            for field in ctx.company.fields(entity):
                if field["id"] == field_id:
                    return 200, ok(field_v1(field))
            raise ApiError(404, "Field not found")

        def create_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            body = ctx.body
            field = add_field(
                ctx.company,
                entity,
                name=body.get("name"),
                field_type=body.get("field_type"),
                options=body.get("options"),
                strict=False,
                name_param="name",
            )
            return 200, ok(field_v1(field))

        def update_field(ctx: Ctx, entity: str = entity) -> tuple[int, Any]:
            field_id = ctx.id()
            for field in ctx.company.fields(entity):
                if field["id"] == field_id:
                    # v1 ignores keys outside its request model, as Pipedrive's v1 does
                    body = {k: v for k, v in ctx.body.items() if k in ("name", "options", "add_visible_flag")}
                    return 200, ok(field_v1(update_field_v1(ctx.company, entity, field, body)))
            raise ApiError(404, "Field not found")

        router.add(f"/api/v1/{path}", get=list_fields, post=create_field)
        router.add(f"/api/v1/{path}/{{id}}", get=get_field, put=update_field)


def register(router: Router) -> None:
    """All v1 routes (search is registered by search.py)."""
    for path, kind in ENTITY_PATHS.items():
        make_entity_routes(router, path, kind)
    make_entity_routes(router, "notes", "note")
    _users(router)
    _pipelines(router)
    _fields(router)
