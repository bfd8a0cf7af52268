"""One pass over every sandbox endpoint that has an official model, recording each answer.

Why one scripted pass rather than a test per endpoint: the answers need realistic data behind them
(custom fields of every type, a person with emails, an activity with participants, an archived
deal, a lost deal, notes), and building it once keeps the whole conformance suite to a second or
two. Everything goes through the gateway and the in-process httpx transport, as the engine's
client does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.transport import SandboxTransport

from .checker import load

KEY = "conformance-key"
CUSTOM_TYPES = ("varchar", "text", "double", "monetary", "date", "set", "enum", "user", "org", "people",
                "phone", "time", "timerange", "daterange", "address")


@dataclass
class Answer:
    """One call: which official endpoint it exercised, the answer's status and body, and its model."""

    version: str
    method: str
    template: str
    status: int
    body: Any
    model: str


@dataclass
class Run:
    """The sandbox behind the transport, and what the pass recorded."""

    http: httpx.Client
    facts: dict[str, dict[str, Any]]
    answers: list[Answer] = field(default_factory=list)

    def endpoint(self, version: str, method: str, template: str) -> dict[str, Any]:
        for endpoint in self.facts[version]["endpoints"]:
            if endpoint["method"] == method and endpoint["path"] == template:
                return endpoint
        raise KeyError(f"no official {version} endpoint {method} {template}")

    def call(self, version: str, method: str, template: str, *, params: dict[str, Any] | None = None,
             query: dict[str, Any] | None = None, json: Any = None, expect: int = 200,
             model: str | None = None) -> Any:
        """Call ``method /api/VERSION/TEMPLATE`` and record the answer against the official model."""
        path = f"/api/{version}" + template.format(**(params or {}))
        response = self.http.request(method, path, params=query, json=json)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        body = response.json()
        if model is None:
            model = self.endpoint(version, method, template)["response"]
        self.answers.append(Answer(version, method, template, response.status_code, body, model))
        return body.get("data") if isinstance(body, dict) else body


def client(serve_deprecated_v1: bool) -> tuple[SandboxGateway, httpx.Client]:
    gateway = SandboxGateway(None, api_key=KEY, serve_deprecated_v1=serve_deprecated_v1)
    http = httpx.Client(transport=SandboxTransport(gateway), base_url="http://sandbox.local/pipedrive",
                        headers={"Authorization": f"Bearer {KEY}"})
    return gateway, http


def exercise() -> Run:
    """The whole pass; returns every recorded answer."""
    facts = {"v1": load("v1"), "v2": load("v2")}
    gateway, http = client(serve_deprecated_v1=True)
    run = Run(http, facts)
    try:
        codes = _v2(run)
        _v1(run)
        _leads(run, codes)
        _filters(run)
        _relations(run)
    finally:
        http.close()
        gateway.close()
    gateway, http = client(serve_deprecated_v1=False)
    errors = Run(http, facts)
    try:
        _errors(errors)
    finally:
        http.close()
        gateway.close()
    run.answers.extend(errors.answers)
    return run


def _fields(run: Run) -> dict[str, str]:
    """Custom fields of every type on deals (and one each on persons and organizations)."""
    codes: dict[str, str] = {}
    for ftype in CUSTOM_TYPES:
        body: dict[str, Any] = {"field_name": f"Conf {ftype}", "field_type": ftype}
        if ftype in ("set", "enum"):
            body["options"] = [{"label": "One"}, {"label": "Two"}]
        codes[ftype] = run.call("v2", "POST", "/dealFields", json=body)["field_code"]
    codes["person_field"] = run.call("v2", "POST", "/personFields",
                               json={"field_name": "Conf nick", "field_type": "varchar"})["field_code"]
    codes["org_field"] = run.call("v2", "POST", "/organizationFields",
                            json={"field_name": "Conf size", "field_type": "double"})["field_code"]
    codes["product_field"] = run.call("v2", "POST", "/productFields", json={
        "field_name": "Conf warranty", "field_type": "enum", "options": [{"label": "1y"}, {"label": "2y"}],
        "ui_visibility": {"add_visible_flag": True}})["field_code"]
    _field_writes(run)
    for entity in ("deal", "person", "organization", "product"):
        listed = run.call("v2", "GET", f"/{entity}Fields", query={"limit": 500})
        extras = "ui_visibility" if entity == "product" else "ui_visibility,important_fields,required_fields"
        run.call("v2", "GET", f"/{entity}Fields", query={"limit": 500, "include_fields": extras})
        run.call("v2", "GET", f"/{entity}Fields/{{field_code}}", params={"field_code": listed[0]["field_code"]})
        run.call("v2", "GET", f"/{entity}Fields/{{field_code}}", params={"field_code": listed[-1]["field_code"]})
    return codes


def _field_writes(run: Run) -> None:
    """Change, relabel, add and remove options, and delete custom fields of every entity."""
    settings = {
        "deal": {"ui_visibility": {"add_visible_flag": True, "show_in_pipelines": {"show_in_all": False,
                                                                                   "pipeline_ids": [1]}},
                 "important_fields": {"enabled": True, "stage_ids": [1]},
                 "required_fields": {"enabled": True, "stage_ids": [2], "statuses": {"won": ["open"]}},
                 "description": "Where the deal came from"},
        "person": {"ui_visibility": {"show_in_add_deal_dialog": {"show": True, "order": 1}},
                   "important_fields": {"enabled": True}, "required_fields": {"enabled": False}},
        "organization": {"ui_visibility": {"show_in_add_person_dialog": {"show": True, "order": None}}},
        "product": {"ui_visibility": {"details_visible_flag": False}},
    }
    for entity, extra in settings.items():
        path = f"/{entity}Fields"
        code = run.call("v2", "POST", path, json={"field_name": f"Conf {entity} tier", "field_type": "set",
                                                   "options": [{"label": "Gold"}, {"label": "Silver"}]})["field_code"]
        ids = {"field_code": code}
        run.call("v2", "PATCH", f"{path}/{{field_code}}", params=ids, json={"field_name": f"Conf {entity} level", **extra})
        run.call("v2", "GET", f"{path}/{{field_code}}", params=ids,
                 query={"include_fields": ",".join(k for k in extra if k != "description")})
        added = run.call("v2", "POST", f"{path}/{{field_code}}/options", params=ids,
                         json=[{"label": "Bronze"}, {"label": "Platinum"}])
        run.call("v2", "PATCH", f"{path}/{{field_code}}/options", params=ids,
                 json=[{"id": added[0]["id"], "label": "Copper"}])
        run.call("v2", "DELETE", f"{path}/{{field_code}}/options", params=ids, json=[{"id": added[1]["id"]}])
        spare = run.call("v2", "POST", path, json={"field_name": f"Conf {entity} spare", "field_type": "text"})
        run.call("v2", "DELETE", f"{path}/{{field_code}}", params={"field_code": spare["field_code"]})
    label = {"field_code": "label"}
    added = run.call("v2", "POST", "/dealFields/{field_code}/options", params=label, json=[{"label": "Conf label"}])
    run.call("v2", "PATCH", "/dealFields/{field_code}/options", params=label,
             json=[{"id": added[0]["id"], "label": "Conf label 2"}])


def _deal_custom(run: Run, codes: dict[str, str], org_id: int, person_id: int) -> dict[str, Any]:
    options = {f["field_code"]: f["options"] for f in run.http.get("/api/v2/dealFields",
                                                                     params={"limit": 500}).json()["data"]}
    return {
        codes["varchar"]: "short text",
        codes["text"]: "long text",
        codes["double"]: 12.5,
        codes["monetary"]: {"value": 1500, "currency": "EUR"},
        codes["date"]: "2027-01-31",
        codes["set"]: [options[codes["set"]][0]["id"], options[codes["set"]][1]["id"]],
        codes["enum"]: options[codes["enum"]][0]["id"],
        codes["user"]: 1,
        codes["org"]: org_id,
        codes["people"]: person_id,
        codes["phone"]: "+1 555 0100",
        codes["address"]: {"value": "1 Main St, Springfield"},
        codes["time"]: {"value": "09:00:00", "timezone_id": 1, "timezone_name": "UTC"},
        codes["timerange"]: {"value": "09:00:00", "until": "17:00:00", "timezone_id": None},
        codes["daterange"]: {"value": "2027-01-01", "until": "2027-02-01"},
    }


def _label(run: Run, entity: str) -> int:
    return run.http.get(f"/api/v2/{entity}Fields/label").json()["data"]["options"][0]["id"]


def _v2(run: Run) -> dict[str, str]:
    codes = _fields(run)
    org = run.call("v2", "POST", "/organizations", json={
        "name": "Acme Conformance", "address": {"value": "1 Main St, Springfield"},
        "custom_fields": {codes["org_field"]: 250}, "label_ids": [_label(run, "organization")]})
    ids = {"id": org["id"]}
    run.call("v2", "GET", "/organizations/{id}", params=ids)
    run.call("v2", "PATCH", "/organizations/{id}", params=ids, json={"name": "Acme Conformance Ltd"})
    run.call("v2", "GET", "/organizations", query={"limit": 10})

    person = run.call("v2", "POST", "/persons", json={
        "name": "John Conformance", "org_id": org["id"],
        "emails": [{"value": "john@conformance.example", "primary": True, "label": "work"}],
        "phones": [{"value": "+1 555 0101", "primary": True, "label": "mobile"}],
        "custom_fields": {codes["person_field"]: "Johnny"}, "label_ids": [_label(run, "person")]})
    other = run.call("v2", "POST", "/persons", json={"name": "Jane Conformance"})
    pid = {"id": person["id"]}
    run.call("v2", "GET", "/persons/{id}", params=pid)
    run.call("v2", "PATCH", "/persons/{id}", params=pid, json={"name": "John Q Conformance"})
    run.call("v2", "GET", "/persons", query={"limit": 10})

    custom = _deal_custom(run, codes, org["id"], person["id"])
    deal = run.call("v2", "POST", "/deals", json={
        "title": "Conformance deal", "value": 5000, "currency": "USD", "org_id": org["id"],
        "person_id": person["id"], "expected_close_date": "2027-03-01", "custom_fields": custom,
        "label_ids": [_label(run, "deal")]})
    did = {"id": deal["id"]}
    run.call("v2", "GET", "/deals/{id}", params=did)
    run.call("v2", "PATCH", "/deals/{id}", params=did, json={"status": "lost", "lost_reason": "Budget"})
    run.call("v2", "GET", "/deals", query={"limit": 10})
    run.call("v2", "GET", "/deals/{id}", params=did, query={"include_fields": "source_lead_id,notes_count"})
    _products(run, codes)
    archived = run.call("v2", "POST", "/deals", json={"title": "Conformance archived", "is_archived": True,
                                                    "org_id": org["id"], "person_id": person["id"]})
    run.call("v2", "GET", "/deals/archived", query={"limit": 10})
    run.call("v1", "GET", "/deals/archived", query={"limit": 10})
    run.call("v2", "GET", "/deals/{id}", params={"id": archived["id"]})

    activity = run.call("v2", "POST", "/activities", json={
        "subject": "Conformance call", "type": "call", "deal_id": deal["id"], "org_id": org["id"],
        "due_date": "2027-02-01", "due_time": "10:00", "duration": "00:30",
        "participants": [{"person_id": person["id"], "primary": True},
                         {"person_id": other["id"], "primary": False}],
        "location": {"value": "1 Main St, Springfield"}, "note": "Agenda"})
    aid = {"id": activity["id"]}
    run.call("v2", "GET", "/activities/{id}", params=aid)
    run.call("v2", "PATCH", "/activities/{id}", params=aid, json={"done": True})
    run.call("v2", "GET", "/activities", query={"limit": 10})

    pipeline = run.call("v2", "POST", "/pipelines", json={"name": "Conformance pipeline"})
    run.call("v2", "GET", "/pipelines/{id}", params={"id": pipeline["id"]})
    run.call("v2", "PATCH", "/pipelines/{id}", params={"id": pipeline["id"]}, json={"name": "Conformance P"})
    run.call("v2", "GET", "/pipelines")
    stage = run.call("v2", "POST", "/stages", json={"name": "Conformance stage", "pipeline_id": pipeline["id"],
                                                    "deal_probability": 30, "is_deal_rot_enabled": True,
                                                    "days_to_rotten": 10})
    run.call("v2", "POST", "/stages", json={"name": "Conformance kept", "pipeline_id": pipeline["id"]})
    run.call("v2", "GET", "/stages/{id}", params={"id": stage["id"]})
    run.call("v2", "PATCH", "/stages/{id}", params={"id": stage["id"]}, json={"name": "Conformance S"})
    run.call("v2", "GET", "/stages", query={"pipeline_id": pipeline["id"]})

    run.call("v2", "GET", "/deals/search", query={"term": "Conformance"})
    run.call("v2", "GET", "/persons/search", query={"term": "Conformance"})
    run.call("v2", "GET", "/organizations/search", query={"term": "Conformance"})
    run.call("v2", "GET", "/itemSearch", query={"term": "Conformance"})
    run.call("v2", "GET", "/itemSearch", query={"term": "Conformance", "item_types": "product,lead",
                                                "include_fields": "product.price"})
    run.call("v2", "GET", "/itemSearch/field", query={"term": "Conformance", "entity_type": "deal", "field": "title"})

    run.call("v2", "DELETE", "/stages/{id}", params={"id": stage["id"]})
    run.call("v2", "DELETE", "/pipelines/{id}", params={"id": pipeline["id"]})
    run.call("v2", "DELETE", "/activities/{id}", params=aid)
    throwaway = run.call("v2", "POST", "/deals", json={"title": "Conformance throwaway"})
    run.call("v2", "DELETE", "/deals/{id}", params={"id": throwaway["id"]})
    run.call("v2", "GET", "/deals/{id}", params={"id": throwaway["id"]})
    # a deleted deal, as a plan reads when it was deleted (reconciler/gone_history.py)
    gone = run.call("v2", "GET", "/deals", query={"ids": str(throwaway["id"]), "status": "deleted", "limit": 100})
    assert [(d["id"], d["is_deleted"]) for d in gone] == [(throwaway["id"], True)], gone
    run.call("v2", "DELETE", "/persons/{id}", params={"id": other["id"]})
    spare = run.call("v2", "POST", "/organizations", json={"name": "Conformance spare"})
    run.call("v2", "DELETE", "/organizations/{id}", params={"id": spare["id"]})
    return codes


def _products(run: Run, codes: dict[str, str]) -> None:
    """Products with prices, a category and custom fields; their search; deal products."""
    warranty = run.http.get(f"/api/v2/productFields/{codes['product_field']}").json()["data"]["options"][0]["id"]
    category = run.http.get("/api/v2/productFields/category").json()["data"]["options"][0]["id"]
    product = run.call("v2", "POST", "/products", json={
        "name": "Conformance widget", "code": "CW-1", "description": "A widget", "unit": "pcs", "tax": 20,
        "category": category, "owner_id": 1, "is_linkable": True, "visible_to": 3,
        "prices": [{"currency": "USD", "price": 100, "cost": 40, "direct_cost": 10, "notes": "list"},
                   {"currency": "EUR", "price": 90}],
        "billing_frequency": "monthly", "billing_frequency_cycles": 12,
        "custom_fields": {codes["product_field"]: warranty}})
    plain = run.call("v2", "POST", "/products", json={"name": "Conformance gadget"})
    pid = {"id": product["id"]}
    run.call("v2", "GET", "/products/{id}", params=pid)
    run.call("v2", "PATCH", "/products/{id}", params=pid, json={"name": "Conformance widget 2", "tax": 10})
    run.call("v2", "GET", "/products", query={"limit": 10, "sort_by": "name"})
    run.call("v2", "GET", "/products/search", query={"term": "Conformance"})
    run.call("v2", "GET", "/itemSearch/field", query={"term": "Conformance", "entity_type": "product",
                                                      "field": "name", "match": "beginning"})

    deal = run.http.post("/api/v2/deals", json={"title": "Conformance deal with products"}).json()["data"]
    did = {"id": deal["id"]}
    line = run.call("v2", "POST", "/deals/{id}/products", params=did, json={
        "product_id": product["id"], "item_price": 100, "quantity": 3, "discount": 10, "discount_type": "percentage",
        "tax": 20, "tax_method": "exclusive", "comments": "three", "is_enabled": True,
        "billing_frequency": "monthly", "billing_frequency_cycles": 12, "billing_start_date": "2027-01-01"})
    many = run.call("v2", "POST", "/deals/{id}/products/bulk", params=did, json={"data": [
        {"product_id": plain["id"], "item_price": 5, "quantity": 1},
        {"product_id": plain["id"], "item_price": 7, "quantity": 2, "discount": 1, "discount_type": "amount"}]})
    run.call("v2", "GET", "/deals/{id}/products", params=did, query={"sort_by": "order_nr"})
    run.call("v2", "GET", "/deals/products", query={"deal_ids": str(deal["id"]), "limit": 2})
    run.call("v2", "PATCH", "/deals/{id}/products/{product_attachment_id}",
             params={"id": deal["id"], "product_attachment_id": line["id"]}, json={"quantity": 4})
    run.call("v2", "DELETE", "/deals/{id}/products/{product_attachment_id}",
             params={"id": deal["id"], "product_attachment_id": many[0]["id"]})
    run.call("v2", "DELETE", "/deals/{id}/products", params=did, query={"ids": str(many[1]["id"])})
    run.call("v2", "GET", "/deals/{id}", params=did, query={"include_fields": "products_count"})
    spare = run.call("v2", "POST", "/products", json={"name": "Conformance spare product"})
    run.call("v2", "DELETE", "/products/{id}", params={"id": spare["id"]})


def _leads(run: Run, codes: dict[str, str]) -> None:
    """v1 leads with labels, values and deal custom fields; archived leads; lead labels; lead search."""
    labels = run.call("v1", "GET", "/leadLabels")
    label = run.call("v1", "POST", "/leadLabels", json={"name": "Conformance label", "color": "purple"},
                     expect=201)
    run.call("v1", "PATCH", "/leadLabels/{id}", params={"id": label["id"]}, json={"color": "dark-gray"})
    org = run.http.post("/api/v2/organizations", json={"name": "Conformance lead org"}).json()["data"]
    person = run.http.post("/api/v2/persons", json={
        "name": "Conformance lead person", "org_id": org["id"],
        "emails": [{"value": "lead@conformance.example", "primary": True}]}).json()["data"]
    lead = run.call("v1", "POST", "/leads", expect=201, json={
        "title": "Conformance lead", "owner_id": 1, "label_ids": [labels[0]["id"], label["id"]],
        "person_id": person["id"], "organization_id": org["id"], "value": {"amount": 1200, "currency": "EUR"},
        "expected_close_date": "2027-05-01", "visible_to": "3", "was_seen": True, "origin_id": "conformance",
        codes["varchar"]: "lead text", codes["monetary"]: 300, codes["monetary"] + "_currency": "GBP"})
    lid = {"id": lead["id"]}
    run.call("v1", "GET", "/leads/{id}", params=lid)
    run.call("v1", "PATCH", "/leads/{id}", params=lid, json={"title": "Conformance lead 2", "value": None})
    run.call("v1", "GET", "/leads", query={"limit": 10})
    other = run.call("v1", "POST", "/leads", expect=201, json={"title": "Conformance lead archived",
                                                                 "organization_id": org["id"]})
    run.call("v1", "PATCH", "/leads/{id}", params={"id": other["id"]}, json={"is_archived": True})
    run.call("v1", "GET", "/leads/archived")
    run.http.post("/api/v1/notes", json={"content": "Conformance lead note", "lead_id": lead["id"]})
    # a lead's own notes and activities, as the engine lists them per lead (issue 27)
    run.call("v2", "POST", "/activities", json={"subject": "Conformance lead call", "lead_id": lead["id"],
                                                 "org_id": org["id"]})
    run.call("v1", "GET", "/notes", query={"lead_id": lead["id"]})
    run.call("v2", "GET", "/activities", query={"lead_id": lead["id"]})
    run.call("v1", "GET", "/leads/search", query={"term": "Conformance"})
    run.call("v2", "GET", "/leads/search", query={"term": "Conformance", "include_fields": "lead.was_seen"})
    run.call("v1", "DELETE", "/leads/{id}", params={"id": other["id"]})
    run.call("v1", "DELETE", "/leadLabels/{id}", params={"id": label["id"]})
    # converting a lead to a deal, then its job's status
    job = run.call("v2", "POST", "/leads/{id}/convert/deal", params=lid, json={"stage_id": 2})
    run.call("v2", "GET", "/leads/{id}/convert/status/{conversion_id}",
             params={"id": lead["id"], "conversion_id": job["conversion_id"]})


def _v1(run: Run) -> None:
    deal = run.http.post("/api/v2/deals", json={"title": "Conformance v1 deal"}).json()["data"]
    note = run.call("v1", "POST", "/notes", json={"content": "Conformance note", "deal_id": deal["id"]},
                    expect=201)
    nid = {"id": note["id"]}
    run.call("v1", "GET", "/notes/{id}", params=nid)
    run.call("v1", "PUT", "/notes/{id}", params=nid, json={"content": "Conformance note, edited"})
    run.call("v1", "GET", "/notes")
    run.call("v1", "GET", "/users")
    run.call("v1", "GET", "/users/me")
    run.call("v1", "GET", "/users/{id}", params={"id": 1})
    run.call("v1", "GET", "/activityTypes")
    demo = run.call("v1", "POST", "/activityTypes", expect=201,
                    json={"name": "Conformance demo", "icon_key": "presentation", "color": "FFC107"})
    run.call("v1", "PUT", "/activityTypes/{id}", params={"id": demo["id"]},
             json={"name": "Conformance demo 2", "icon_key": "camera", "color": "2196F3", "order_nr": 9})
    run.call("v1", "DELETE", "/activityTypes/{id}", params={"id": demo["id"]})
    _goals_and_webhooks(run)
    run.call("v1", "GET", "/currencies")
    run.call("v1", "GET", "/currencies", query={"term": "euro"})
    run.call("v2", "GET", "/activityFields", query={"limit": 5})
    run.call("v2", "GET", "/activityFields", query={"include_fields": "ui_visibility"})
    run.call("v2", "GET", "/activityFields/{field_code}", params={"field_code": "type"})
    run.call("v1", "GET", "/activityFields")
    for entity in ("deal", "person", "organization", "product"):
        listed = run.call("v1", "GET", f"/{entity}Fields")
        run.call("v1", "GET", f"/{entity}Fields/{{id}}", params={"id": listed[-1]["id"]})
        run.call("v1", "GET", f"/{entity}Fields/{{id}}", params={"id": listed[0]["id"]})
    for entity in ("deal", "person", "organization", "product"):
        run.call("v1", "POST", f"/{entity}Fields", json={"name": "Conformance v1 field", "field_type": "varchar"})
        # the whole option list, in a new order, ids kept, one relabelled and one added (reconciler reorders so)
        made = run.call("v1", "POST", f"/{entity}Fields", json={"name": "Conformance v1 options", "field_type": "enum",
                                                                "options": [{"label": "A"}, {"label": "B"}]})
        first, second = made["options"]
        run.call("v1", "PUT", f"/{entity}Fields/{{id}}", params={"id": made["id"]}, json={
            "name": "Conformance v1 options, reordered", "add_visible_flag": False,
            "options": [{"id": second["id"], "label": "B2"}, {"label": "C"}, {"id": first["id"], "label": "A"}]})
    run.call("v1", "DELETE", "/notes/{id}", params=nid)
    _merges(run)

    # the deprecated ones, served because this sandbox was started with serve_deprecated_v1
    org = run.call("v1", "POST", "/organizations", json={"name": "Conformance v1 org"}, expect=201)
    run.call("v1", "GET", "/organizations/{id}", params={"id": org["id"]})
    run.call("v1", "PUT", "/organizations/{id}", params={"id": org["id"]}, json={"name": "Conformance v1 org2"})
    run.call("v1", "GET", "/organizations")
    person = run.call("v1", "POST", "/persons", json={"name": "Conformance v1 person", "org_id": org["id"],
                                                      "email": "v1@conformance.example"}, expect=201)
    run.call("v1", "GET", "/persons/{id}", params={"id": person["id"]})
    run.call("v1", "PUT", "/persons/{id}", params={"id": person["id"]}, json={"name": "Conformance v1 person2"})
    run.call("v1", "GET", "/persons")
    d1 = run.call("v1", "POST", "/deals", json={"title": "Conformance v1 deal2", "org_id": org["id"],
                                                "person_id": person["id"]}, expect=201)
    run.call("v1", "GET", "/deals/{id}", params={"id": d1["id"]})
    run.call("v1", "PUT", "/deals/{id}", params={"id": d1["id"]}, json={"value": 10})
    run.call("v1", "GET", "/deals")
    # the change history kept for deals, persons and organizations (each was just updated)
    run.call("v1", "GET", "/deals/{id}/changelog", params={"id": d1["id"]})
    run.call("v1", "GET", "/persons/{id}/changelog", params={"id": person["id"]})
    run.call("v1", "GET", "/organizations/{id}/changelog", params={"id": org["id"]})
    act = run.call("v1", "POST", "/activities", json={"subject": "Conformance v1 call", "type": "call",
                                                      "deal_id": d1["id"], "person_id": person["id"]},
                   expect=201)
    run.call("v1", "GET", "/activities/{id}", params={"id": act["id"]})
    run.call("v1", "PUT", "/activities/{id}", params={"id": act["id"]}, json={"done": 1})
    run.call("v1", "GET", "/activities", query={"user_id": 0})
    run.call("v1", "GET", "/pipelines")
    run.call("v1", "GET", "/pipelines/{id}", params={"id": 1})
    run.call("v1", "GET", "/stages")
    run.call("v1", "GET", "/stages/{id}", params={"id": 1})
    run.call("v1", "GET", "/deals/search", query={"term": "Conformance"})
    run.call("v1", "GET", "/persons/search", query={"term": "Conformance"})
    run.call("v1", "GET", "/organizations/search", query={"term": "Conformance"})
    run.call("v1", "GET", "/itemSearch", query={"term": "Conformance", "limit": 5})
    run.call("v1", "GET", "/itemSearch/field", query={"term": "Conformance", "entity_type": "deal",
                                                      "field": "title", "match": "beginning"})
    run.call("v1", "DELETE", "/activities/{id}", params={"id": act["id"]})
    run.call("v1", "DELETE", "/deals/{id}", params={"id": d1["id"]})
    run.call("v1", "DELETE", "/persons/{id}", params={"id": person["id"]})
    run.call("v1", "DELETE", "/organizations/{id}", params={"id": org["id"]})
    spares = {kind: [run.http.post(f"/api/v2/{kind}", json=body).json()["data"]["id"] for _ in range(2)]
              for kind, body in (("deals", {"title": "Spare"}), ("persons", {"name": "Spare"}),
                                 ("organizations", {"name": "Spare"}),
                                 ("activities", {"subject": "Spare", "type": "call"}))}
    for kind, spare_ids in spares.items():
        run.call("v1", "DELETE", f"/{kind}", query={"ids": ",".join(map(str, spare_ids))})


def _merges(run: Run) -> None:
    """Merging persons, organizations and deals (current v1 endpoints)."""
    made = {kind: [run.http.post(f"/api/v2/{kind}", json=body).json()["data"]["id"] for body in bodies]
            for kind, bodies in (
                ("organizations", ({"name": "Conformance merge org"}, {"name": "Conformance merge org 2"})),
                ("persons", ({"name": "Conformance merge", "emails": [{"value": "m1@conformance.example"}]},
                             {"name": "Conformance merge 2", "emails": [{"value": "m2@conformance.example"}]})),
                ("deals", ({"title": "Conformance merge deal"}, {"title": "Conformance merge deal 2"})))}
    for kind, (merged, survivor) in made.items():
        run.call("v1", "PUT", f"/{kind}/{{id}}/merge", params={"id": merged}, json={"merge_with_id": survivor})


def _errors(run: Run) -> None:
    """Error bodies: 400, 404 and 410, each against the official error models."""
    run.call("v1", "POST", "/notes", json={"content": ""}, expect=400, model="CallLogBadRequestResponse")
    run.call("v2", "POST", "/deals", json={"value": 5}, expect=400, model="CallLogBadRequestResponse")
    run.call("v1", "GET", "/notes/{id}", params={"id": 999999}, expect=404, model="CallLogNotFoundResponse")
    run.call("v2", "GET", "/deals/{id}", params={"id": 999999}, expect=404, model="CallLogNotFoundResponse")
    run.call("v1", "GET", "/deals", expect=410, model="CallLogGoneResponse")
    run.call("v1", "DELETE", "/persons", query={"ids": "1"}, expect=410, model="CallLogGoneResponse")


def _filters(run: Run) -> None:
    """Saved views (issue 27): list by type, create, get with field codes, update, delete one and many."""
    fields = {f["key"]: f for f in run.call("v1", "GET", "/dealFields")}
    email = next(f for f in run.call("v1", "GET", "/personFields") if f["key"] == "email")
    conditions = {"glue": "and", "conditions": [
        {"glue": "and", "conditions": [
            {"object": "deal", "field_id": str(fields["value"]["id"]), "operator": ">", "value": "100",
             "extra_value": None},
            {"object": "deal", "field_id": str(fields["stage_id"]["id"]), "operator": "=", "value": "1",
             "extra_value": None}]},
        {"glue": "or", "conditions": [
            {"object": "person", "field_id": str(email["id"]), "operator": "IS NULL", "value": None,
             "extra_value": None}]}]}
    made = run.call("v1", "POST", "/filters", json={"name": "Conformance view", "type": "deals",
                                                    "conditions": conditions}, expect=201)
    spare = run.call("v1", "POST", "/filters", query={"include_field_code": "true"}, expect=201,
                     json={"name": "Conformance spare", "type": "people", "conditions": conditions})
    fid = {"id": made["id"]}
    run.call("v1", "GET", "/filters")
    run.call("v1", "GET", "/filters", query={"type": "deals"})
    run.call("v1", "GET", "/filters/{id}", params=fid)
    run.call("v1", "GET", "/filters/{id}", params=fid, query={"include_field_code": "true"})
    run.call("v1", "PUT", "/filters/{id}", params=fid, json={"name": "Conformance view 2", "conditions": conditions})
    run.call("v1", "DELETE", "/filters/{id}", params=fid)
    run.call("v1", "DELETE", "/filters", query={"ids": str(spare["id"])})
def _goals_and_webhooks(run: Run) -> None:
    """Goals (find, create, update, delete), teams (list, one, create, update) and webhooks (list, create,
    delete), issue 27."""
    call = run.call("v1", "GET", "/activityTypes")[0]["id"]
    goal = run.call("v1", "POST", "/goals", json={
        "title": "Conformance calls", "assignee": {"id": 1, "type": "person"},
        "type": {"name": "activities_completed", "params": {"pipeline_id": None, "activity_type_id": [call]}},
        "expected_outcome": {"target": 30, "tracking_metric": "quantity"},
        "duration": {"start": "2027-01-01", "end": None}, "interval": "weekly"})["goal"]
    run.call("v1", "POST", "/goals", json={
        "title": "Conformance revenue", "assignee": {"id": 1, "type": "person"},
        "type": {"name": "deals_won", "params": {"pipeline_id": [1]}},
        "expected_outcome": {"target": 5000, "tracking_metric": "sum", "currency_id": 1},
        "duration": {"start": "2027-01-01", "end": "2027-12-31"}, "interval": "monthly"})
    run.call("v1", "PUT", "/goals/{id}", params={"id": goal["id"]},
             json={"title": "Conformance calls 2", "expected_outcome": {"target": 35, "tracking_metric": "quantity"}})
    # teams (v1 legacyTeams: the only list of them) and a goal of one; a deals_progressed goal's stage
    team = run.call("v1", "POST", "/legacyTeams", json={"name": "Conformance team", "manager_id": 2,
                                                         "description": "conformance", "users": [2, 3]})
    run.call("v1", "PUT", "/legacyTeams/{id}", params={"id": team["id"]}, json={"name": "Conformance team 2",
                                                                                "active_flag": 1})
    run.call("v1", "GET", "/legacyTeams")
    run.call("v1", "GET", "/legacyTeams", query={"order_by": "name", "skip_users": 1})
    run.call("v1", "GET", "/legacyTeams/{id}", params={"id": team["id"]})
    run.call("v1", "POST", "/goals", json={
        "title": "Conformance progressed", "assignee": {"id": team["id"], "type": "team"},
        "type": {"name": "deals_progressed", "params": {"pipeline_id": [1, 2], "stage_id": 2}},
        "expected_outcome": {"target": 12, "tracking_metric": "quantity"},
        "duration": {"start": "2027-01-01", "end": None}, "interval": "monthly"})
    run.call("v1", "GET", "/goals/find", query={"assignee.type": "team"})
    run.call("v1", "GET", "/goals/find", query={"assignee.type": "person"})
    run.call("v1", "GET", "/goals/find", query={"is_active": "false", "type.name": "activities_completed"})
    run.call("v1", "GET", "/goals/find")
    run.call("v1", "DELETE", "/goals/{id}", params={"id": goal["id"]})
    hook = run.call("v1", "POST", "/webhooks", expect=201, json={
        "subscription_url": "https://hooks.example.com/conformance", "event_action": "*", "event_object": "deal",
        "name": "Conformance hook", "user_id": 1, "http_auth_user": "u", "http_auth_password": "p",
        "version": "2.0"})
    run.call("v1", "GET", "/webhooks")
    run.call("v1", "DELETE", "/webhooks/{id}", params={"id": hook["id"]})
def _relations(run: Run) -> None:
    """Followers of deals, persons and organizations; organization relationships; product variations (issue 27)."""
    for collection, body in (("deals", {"title": "Conformance followed"}), ("persons", {"name": "Conformance followed"}),
                             ("organizations", {"name": "Conformance followed"})):
        ids = {"id": run.http.post(f"/api/v2/{collection}", json=body).json()["data"]["id"]}
        run.call("v2", "POST", f"/{collection}/{{id}}/followers", params=ids, json={"user_id": 2})
        run.call("v2", "GET", f"/{collection}/{{id}}/followers", params=ids, query={"limit": 1})
        run.call("v2", "DELETE", f"/{collection}/{{id}}/followers/{{follower_id}}", params={**ids, "follower_id": 2})
        run.call("v2", "GET", f"/{collection}/{{id}}", params=ids, query={"include_fields": "followers_count"})
    # organization relationships (v1, current): parent and related, read from either end, changed, removed
    parent, daughter, other = (run.http.post("/api/v2/organizations", json={"name": f"Conformance {n}"}).json()
                               ["data"]["id"] for n in ("parent", "daughter", "other"))
    rel = run.call("v1", "POST", "/organizationRelationships", json={
        "type": "parent", "rel_owner_org_id": parent, "rel_linked_org_id": daughter, "org_id": daughter})
    related = run.call("v1", "POST", "/organizationRelationships", json={
        "type": "related", "rel_owner_org_id": daughter, "rel_linked_org_id": other})
    run.call("v1", "GET", "/organizationRelationships", query={"org_id": daughter})
    run.call("v1", "GET", "/organizationRelationships/{id}", params={"id": rel["id"]}, query={"org_id": parent})
    run.call("v1", "PUT", "/organizationRelationships/{id}", params={"id": related["id"]},
             json={"type": "parent", "rel_owner_org_id": other, "rel_linked_org_id": parent})
    run.call("v1", "DELETE", "/organizationRelationships/{id}", params={"id": related["id"]})
    # product variations (v2): added with and without prices, listed, changed, deleted
    product = run.http.post("/api/v2/products", json={"name": "Conformance varied"}).json()["data"]["id"]
    pid = {"id": product}
    large = run.call("v2", "POST", "/products/{id}/variations", params=pid,
                     json={"name": "Large", "prices": [{"currency": "USD", "price": 150, "cost": 60, "notes": "list"}]})
    small = run.call("v2", "POST", "/products/{id}/variations", params=pid, json={"name": "Small"})
    run.call("v2", "GET", "/products/{id}/variations", params=pid, query={"limit": 1})
    run.call("v2", "PATCH", "/products/{id}/variations/{product_variation_id}",
             params={**pid, "product_variation_id": large["id"]}, json={"name": "Larger", "prices": []})
    run.call("v2", "DELETE", "/products/{id}/variations/{product_variation_id}",
             params={**pid, "product_variation_id": small["id"]})
