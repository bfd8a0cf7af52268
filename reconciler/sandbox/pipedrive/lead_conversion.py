"""Converting a lead to a deal: ``POST /api/v2/leads/{id}/convert/deal`` and its status endpoint.

From the official client (npm ``pipedrive`` 33.x, ``LeadsApi.convertLeadToDeal`` and
``getLeadConversionStatus``) and its models ``ConvertLeadToDealRequest``,
``AddConvertLeadToDealResponse`` and ``GetConvertResponse1``:

- the request takes only ``stage_id`` and ``pipeline_id`` (both optional): with ``stage_id`` the
  pipeline follows the stage and ``pipeline_id`` is ignored; with ``pipeline_id`` alone the deal
  goes to that pipeline's first stage; with neither, to the first stage of the default pipeline;
- the answer is the id (a UUID) of the conversion job; "related entities (notes, files, emails,
  activities, ...) are transferred during the process to the target entity. If the conversion is
  successful, the lead is marked as deleted";
- ``GET .../convert/status/{conversion_id}`` answers ``status`` (``not_started``, ``running``,
  ``completed``, ``failed``, ``rejected``) and, once completed, the new ``deal_id``.

The sandbox converts at once, inside the request: its job is ``completed`` by the time the POST
answers, so a client polling the status sees ``completed`` on its first read (a client must still
poll: Pipedrive's job may not have run yet). The new deal takes the lead's title, value and
currency, person, organization, owner, expected close date, visibility and deal custom field values
(leads inherit the deals' custom fields); it remembers the lead in ``source_lead_id`` (read with
``GET /api/v2/deals/{id}?include_fields=source_lead_id``, an official include field). The lead's
notes and activities move to the deal. The lead then answers as a deleted lead: ``GET
/api/v1/leads/{id}`` is a 404 and lists and search leave it out. A lead that is already converted
or deleted is a 404.
"""

from __future__ import annotations

from typing import Any

from ..company import new_uuid
from .base import Ctx, Router
from .errors import not_found
from .model import Company, to_int

STATUSES = ("not_started", "running", "completed", "failed", "rejected")


def _lead(ctx: Ctx) -> dict[str, Any]:
    lead = ctx.company.get("lead", ctx.uuid("id", "Lead"))
    if lead is None or lead.get("is_deleted"):
        raise not_found("Lead not found")
    return lead


def convert(company: Company, lead: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the deal, move the lead's notes and activities to it, delete the lead; returns (deal, job)."""
    changes: dict[str, Any] = {"title": lead["title"], "owner_id": lead["owner_id"],
                               "person_id": lead.get("person_id"), "org_id": lead.get("org_id"),
                               "expected_close_date": lead.get("expected_close_date"),
                               "visible_to": lead.get("visible_to") or 3}
    value = lead.get("value")
    if value:
        changes["value"] = value["amount"]
        changes["currency"] = value["currency"]
    if body.get("stage_id") is not None:
        changes["stage_id"] = to_int(body["stage_id"], "stage_id", True)
        company.require("stage", changes["stage_id"])
    elif body.get("pipeline_id") is not None:
        changes["pipeline_id"] = to_int(body["pipeline_id"], "pipeline_id", True)
        company.require("pipeline", changes["pipeline_id"])
    custom = {k: v for k, v in (lead.get("custom_fields") or {}).items()
              if v is not None and k in company.custom_fields("deal")}
    deal = company.create("deal", changes, custom)
    deal["source_lead_id"] = lead["id"]
    company.store.put(company.id, "deal", deal, touch=False)
    for kind in ("note", "activity"):
        for row in company.store.select(company.id, kind, sql=[("json_extract(data, '$.lead_id') = ?", [lead["id"]])]):
            row["deal_id"], row["lead_id"] = deal["id"], None
            company.store.put(company.id, kind, row)
    lead["is_deleted"] = True
    lead["converted_deal_id"] = deal["id"]  # internal only: the lead answers as deleted, as in Pipedrive
    company.store.put(company.id, "lead", lead)
    job = {"id": new_uuid(), "lead_id": lead["id"], "deal_id": deal["id"], "status": "completed"}
    company.store.insert(company.id, "lead_conversion", job)
    return deal, job


def register(router: Router) -> None:
    def post(ctx: Ctx) -> tuple[int, Any]:
        lead = _lead(ctx)
        body = ctx.only(("stage_id", "pipeline_id"))
        _, job = convert(ctx.company, lead, body)
        return 200, {"success": True, "data": {"conversion_id": job["id"]}, "additional_data": None}

    def status(ctx: Ctx) -> tuple[int, Any]:
        lead_id = ctx.uuid("id", "Lead")
        job = ctx.company.get("lead_conversion", ctx.uuid("conversion_id", "Conversion"))
        if job is None or job["lead_id"] != lead_id:
            raise not_found("Conversion not found")
        data: dict[str, Any] = {"conversion_id": job["id"], "status": job["status"]}
        if job["status"] == "completed":
            data["deal_id"] = job["deal_id"]
        return 200, {"success": True, "data": data, "additional_data": None}

    router.add("/api/v2/leads/{id}/convert/deal", post=post)
    router.add("/api/v2/leads/{id}/convert/status/{conversion_id}", get=status)


__all__ = ["STATUSES", "convert", "register"]
