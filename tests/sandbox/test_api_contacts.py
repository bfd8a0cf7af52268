"""Persons and organizations, v1 and v2: CRUD, emails/phones, address, labels, set fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

# v2 PersonItem / OrganizationItem field names from the official clients' v2 models.
V2_PERSON_KEYS = {
    "id",
    "name",
    "first_name",
    "last_name",
    "owner_id",
    "org_id",
    "add_time",
    "update_time",
    "emails",
    "phones",
    "is_deleted",
    "visible_to",
    "label_ids",
    "picture_id",
    "postal_address",
    "notes",
    "im",
    "birthday",
    "job_title",
    "custom_fields",
}  # the official v2 Person (npm pipedrive 33.x)
V2_ORG_KEYS = {
    "id",
    "name",
    "owner_id",
    "add_time",
    "update_time",
    "is_deleted",
    "visible_to",
    "label_ids",
    "address",
    "website",
    "linkedin",
    "industry",
    "annual_revenue",
    "employee_count",
    "custom_fields",
}  # the official v2 OrganizationItem (npm pipedrive 33.x)
V1_PERSON_KEYS = {
    "id",
    "company_id",
    "owner_id",
    "org_id",
    "name",
    "first_name",
    "last_name",
    "active_flag",
    "phone",
    "email",
    "first_char",
    "update_time",
    "add_time",
    "visible_to",
    "picture_id",
    "label",
    "label_ids",
    "org_name",
    "owner_name",
    "cc_email",
}
V1_ORG_KEYS = {
    "id",
    "company_id",
    "owner_id",
    "name",
    "active_flag",
    "update_time",
    "add_time",
    "visible_to",
    "label",
    "label_ids",
    "owner_name",
    "cc_email",
    "address",
    "address_locality",
    "address_country",
    "address_formatted_address",
    "first_char",
}


def test_v2_person_crud(pd: PD) -> None:
    org = pd.org()
    interests = pd.field("person", "Interests")
    events = pd.option("person", "Interests", "Events")
    news = pd.option("person", "Interests", "Newsletter")
    r = pd.post(
        "/api/v2/persons",
        {
            "name": "John Doe",
            "org_id": org["id"],
            "emails": [
                {"value": "john@acme.com", "primary": False, "label": "work"},
                {"value": "jd@home.example", "primary": True, "label": "home"},
            ],
            "phones": [{"value": "+1 555 0100"}],
            "custom_fields": {interests["field_code"]: [news, events, news]},
        },
    )
    assert r.status == 200
    person = r.data
    assert set(person) == V2_PERSON_KEYS
    assert person["first_name"] == "John" and person["last_name"] == "Doe"
    assert person["emails"] == [
        {"value": "john@acme.com", "primary": False, "label": "work"},
        {"value": "jd@home.example", "primary": True, "label": "home"},
    ]
    assert person["phones"] == [{"value": "+1 555 0100", "primary": True, "label": "work"}]
    assert person["custom_fields"][interests["field_code"]] == sorted([news, events])
    patched = pd.patch(f"/api/v2/persons/{person['id']}", {"phones": []}).data
    assert patched["phones"] == [] and patched["emails"] == person["emails"]
    assert pd.delete(f"/api/v2/persons/{person['id']}").data == {"id": person["id"]}
    pd.error(pd.get(f"/api/v2/persons/{person['id']}"), 404, "person not found")
    assert pd.get("/api/v2/persons").data == []


def test_v2_person_validation(pd: PD) -> None:
    interests = pd.field("person", "Interests")["field_code"]
    pd.error(pd.post("/api/v2/persons", {}), 400, "name")
    pd.error(pd.post("/api/v2/persons", {"name": "   "}), 400, "name")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "emails": "a@b.c"}), 400, "array")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "emails": [{"value": 5}]}), 400, "string")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "org_id": 999}), 400, "organization")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "org_id": "1"}), 400, "integer")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "owner_id": 99}), 400, "user")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "visible_to": 2}), 400, "visible_to")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "custom_fields": {interests: 5}}), 400, "array")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "custom_fields": {interests: [12345]}}), 400, "option")
    pd.error(pd.post("/api/v2/persons", {"name": "X", "label_ids": ["a"]}), 400, "integer")


def test_v1_person_email_shapes_and_org_nesting(pd: PD) -> None:
    org = pd.org()
    interests = pd.field("person", "Interests")["field_code"]
    events = pd.option("person", "Interests", "Events")
    beta = pd.option("person", "Interests", "Beta program")
    r = pd.post(
        "/api/v1/persons",
        {
            "name": "Jane Roe",
            "org_id": org["id"],
            "email": ["jane@acme.com", "jr@x.example"],
            "phone": "+1 555",
            "owner_id": 2,
            interests: f"{beta},{events}",
            "visible_to": 3,
        },
    )
    assert r.status == 201
    person = r.data
    assert V1_PERSON_KEYS <= set(person)
    assert person["email"] == [
        {"label": "work", "value": "jane@acme.com", "primary": True},
        {"label": "work", "value": "jr@x.example", "primary": False},
    ]
    assert person["phone"] == [{"label": "work", "value": "+1 555", "primary": True}]
    assert person["org_id"]["value"] == org["id"] and person["org_id"]["name"] == "Acme Corporation"
    assert person["owner_id"]["value"] == 2 and person["owner_id"]["email"] == "bob@example.com"
    assert person[interests] == ",".join(str(i) for i in sorted([events, beta]))
    assert person["visible_to"] == "3" and person["active_flag"] is True
    empty = pd.post("/api/v1/persons", {"name": "No Mail"}).data
    assert empty["email"] == [{"value": "", "primary": True}]  # Pipedrive's v1 empty list
    updated = pd.put(
        f"/api/v1/persons/{person['id']}", {"email": [{"value": "new@acme.com", "label": "home"}]}
    )
    assert updated.data["email"] == [{"label": "home", "value": "new@acme.com", "primary": True}]
    assert updated.data["phone"] == person["phone"]
    pd.error(pd.post("/api/v1/persons", {"email": "x@y.z"}), 400, "name")


def test_v1_person_list_and_deleted(pd: PD) -> None:
    a = pd.person("Anna A", owner_id=2)
    b = pd.person("Bert B")
    assert [p["id"] for p in pd.get("/api/v1/persons", {"user_id": 2}).data] == [a["id"]]
    assert [p["id"] for p in pd.get("/api/v1/persons", {"first_char": "b"}).data] == [b["id"]]
    assert pd.delete("/api/v1/persons", {"ids": str(a["id"])}).data == {"id": [a["id"]]}
    gone = pd.get(f"/api/v1/persons/{a['id']}")
    assert gone.status == 200 and gone.data["active_flag"] is False
    assert [p["id"] for p in pd.get("/api/v1/persons").data] == [b["id"]]


def test_v2_organization_address_and_industry(pd: PD) -> None:
    industry = pd.field("organization", "Industry")
    software = pd.option("organization", "Industry", "Software")
    r = pd.post(
        "/api/v2/organizations",
        {
            "name": "Acme",
            "address": {"value": "123 Main St, Springfield", "locality": "Springfield"},
            "owner_id": 3,
            "visible_to": 7,
            "custom_fields": {industry["field_code"]: software},
        },
    )
    assert r.status == 200
    org = r.data
    assert set(org) == V2_ORG_KEYS
    assert (
        org["address"]["value"] == "123 Main St, Springfield" and org["address"]["locality"] == "Springfield"
    )
    assert org["visible_to"] == 7 and org["owner_id"] == 3
    assert org["custom_fields"] == {industry["field_code"]: software}
    cleared = pd.patch(f"/api/v2/organizations/{org['id']}", {"address": None}).data
    assert cleared["address"] is None and cleared["name"] == "Acme"
    pd.error(pd.post("/api/v2/organizations", {"name": "X", "address": "1 Road"}), 400, "object")
    pd.error(pd.post("/api/v2/organizations", {"name": 5}), 400, "string")
    pd.error(pd.post("/api/v2/organizations", {"owner_id": 1}), 400, "name")


def test_v1_organization(pd: PD) -> None:
    industry = pd.field("organization", "Industry")["field_code"]
    retail = pd.option("organization", "Industry", "Retail")
    label = pd.field("organization", "Label")["options"][0]["id"]
    r = pd.post(
        "/api/v1/organizations",
        {"name": "Globex", "address": "1 Road, Town", industry: retail, "label": label},
    )
    assert r.status == 201
    org = r.data
    assert V1_ORG_KEYS <= set(org)
    assert org["address"] == "1 Road, Town" and org[industry] == str(retail)
    assert org["label"] == label and org["label_ids"] == [label]
    assert org["owner_id"]["value"] == 1 and org["owner_id"]["name"] == "Alice Anderson"
    v2 = pd.get(f"/api/v2/organizations/{org['id']}").data
    assert v2["address"]["value"] == "1 Road, Town" and v2["custom_fields"][industry] == retail
    r = pd.put(f"/api/v1/organizations/{org['id']}", {industry: ""})
    assert r.data[industry] is None
    pd.error(pd.put(f"/api/v1/organizations/{org['id']}", {industry: "Retail"}), 400, "integer")
    pd.error(pd.put(f"/api/v1/organizations/{org['id']}", {"a" * 40: "x"}), 400, "custom field")
    pd.error(pd.put("/api/v1/organizations/999", {"name": "x"}), 404, "organization not found")
    assert pd.delete(f"/api/v1/organizations/{org['id']}").data == {"id": org["id"]}
    assert pd.get(f"/api/v1/organizations/{org['id']}").data["active_flag"] is False


def test_v2_list_persons_by_org_and_deal(pd: PD) -> None:
    org = pd.org()
    a = pd.person("A", org_id=org["id"])
    b = pd.person("B")
    deal = pd.deal(person_id=b["id"])
    assert [p["id"] for p in pd.get("/api/v2/persons", {"org_id": org["id"]}).data] == [a["id"]]
    assert [p["id"] for p in pd.get("/api/v2/persons", {"deal_id": deal["id"]}).data] == [b["id"]]
    assert [o["id"] for o in pd.get("/api/v2/organizations", {"owner_id": 1}).data] == [org["id"]]
