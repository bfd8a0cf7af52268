"""Field schemas (v1 and v2), users, pipelines, stages and activity types of the default company."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

HASH = re.compile(r"^[0-9a-f]{40}$")


def test_v1_deal_fields(pd: PD) -> None:
    r = pd.get("/api/v1/dealFields")
    assert r.status == 200 and r.body["additional_data"]["pagination"]["more_items_in_collection"] is False
    by_name = {f["name"]: f for f in r.data}
    source = by_name["Lead source"]
    assert HASH.match(source["key"]) and source["field_type"] == "enum" and source["edit_flag"] is True
    assert [o["label"] for o in source["options"]] == ["Referral", "Website", "Cold call", "Event", "Partner"]
    assert all(isinstance(o["id"], int) and set(o) == {"id", "label"} for o in source["options"])
    assert by_name["Contract value"]["field_type"] == "monetary"
    assert by_name["Title"]["key"] == "title" and by_name["Title"]["edit_flag"] is False
    one = pd.get(f"/api/v1/dealFields/{source['id']}")
    assert one.status == 200 and one.data["key"] == source["key"]
    pd.error(pd.get("/api/v1/dealFields/99999"), 404, "field")


def test_custom_field_names_per_entity(pd: PD) -> None:
    def custom(path: str) -> dict[str, str]:
        return {f["name"]: f["field_type"] for f in pd.get(path).data if f["edit_flag"]}

    assert custom("/api/v1/organizationFields") == {"Industry": "enum"}
    assert custom("/api/v1/dealFields") == {"Lead source": "enum", "Contract value": "monetary"}
    assert custom("/api/v1/personFields") == {"Interests": "set"}
    interests = pd.field("person", "Interests")
    assert [o["label"] for o in interests["options"]] == [
        "Product updates",
        "Events",
        "Newsletter",
        "Beta program",
    ]
    industry = pd.field("organization", "Industry")
    assert len(industry["options"]) == 6


def test_v2_fields_shape(pd: PD) -> None:
    r = pd.get("/api/v2/dealFields", {"limit": 5})
    assert r.status == 200 and len(r.data) == 5 and r.body["additional_data"]["next_cursor"]
    money = pd.field("deal", "Contract value")
    assert money["is_custom_field"] is True and HASH.match(money["field_code"])
    assert money["subfields"] == [
        {"field_code": money["field_code"] + "_currency", "field_name": "Currency", "field_type": "varchar"}
    ]
    one = pd.get(f"/api/v2/dealFields/{money['field_code']}")
    assert one.status == 200 and one.data == money
    pd.error(pd.get("/api/v2/dealFields/nope"), 404, "field")


def test_add_fields_v1_and_v2(pd: PD) -> None:
    r = pd.post(
        "/api/v1/dealFields",
        {"name": "Region", "field_type": "enum", "options": [{"label": "EMEA"}, {"label": "APAC"}]},
    )
    assert (
        r.status == 200
        and HASH.match(r.data["key"])
        and [o["label"] for o in r.data["options"]] == ["EMEA", "APAC"]
    )
    emea = r.data["options"][0]["id"]
    deal = pd.deal(custom_fields={r.data["key"]: emea})
    assert deal["custom_fields"][r.data["key"]] == emea
    v2 = pd.post("/api/v2/personFields", {"field_name": "Nickname", "field_type": "varchar"})
    assert v2.status == 200 and v2.data["field_name"] == "Nickname" and v2.data["is_custom_field"] is True
    person = pd.person(custom_fields={v2.data["field_code"]: "JD"})
    assert person["custom_fields"][v2.data["field_code"]] == "JD"
    assert pd.get(f"/api/v1/persons/{person['id']}").data[v2.data["field_code"]] == "JD"
    pd.error(pd.post("/api/v1/dealFields", {"field_type": "varchar"}), 400, "name")
    pd.error(pd.post("/api/v1/dealFields", {"name": "X"}), 400, "field_type")
    pd.error(pd.post("/api/v1/dealFields", {"name": "X", "field_type": "colour"}), 400, "field_type")
    pd.error(pd.post("/api/v1/dealFields", {"name": "X", "field_type": "enum"}), 400, "options")
    pd.error(pd.post("/api/v1/dealFields", {"name": "Region", "field_type": "varchar"}), 400, "exists")
    pd.error(
        pd.post("/api/v2/dealFields", {"field_name": "Y", "field_type": "set", "options": ["a"]}),
        400,
        "label",
    )


def test_users_and_me(pd: PD, store) -> None:
    users = pd.get("/api/v1/users").data
    assert [(u["name"], u["email"]) for u in users] == [
        ("Alice Anderson", "alice@example.com"),
        ("Bob Brown", "bob@example.com"),
        ("Carol Clark", "carol@example.com"),
    ]
    assert users[0]["is_admin"] == 1 and users[1]["is_admin"] == 0 and users[0]["active_flag"] is True
    me = pd.get("/api/v1/users/me").data
    company = store.list_connections()[0]
    assert me["email"] == "alice@example.com" and me["is_you"] is True
    assert me["company_id"] == company["company_id"] and me["company_name"] == "Example Sales Ltd"
    assert me["company_domain"]
    assert pd.get("/api/v1/users/2").data["name"] == "Bob Brown"
    pd.error(pd.get("/api/v1/users/99"), 404, "user")


def test_pipelines_and_stages(pd: PD) -> None:
    v1 = pd.get("/api/v1/pipelines").data
    assert [p["name"] for p in v1] == ["Sales", "Partners"] and v1[0]["active"] is True
    stages = pd.get("/api/v1/stages", {"pipeline_id": 1}).data
    assert [s["name"] for s in stages] == [
        "Lead In",
        "Qualified",
        "Contact Made",
        "Proposal Made",
        "Negotiation",
    ]
    assert stages[0]["pipeline_name"] == "Sales" and stages[0]["active_flag"] is True
    v2 = pd.get("/api/v2/stages", {"pipeline_id": 2}).data
    assert [s["name"] for s in v2] == ["Prospect", "Onboarding", "Active"]
    assert set(v2[0]) == {
        "id",
        "order_nr",
        "name",
        "is_deleted",
        "deal_probability",
        "pipeline_id",
        "is_deal_rot_enabled",
        "days_to_rotten",
        "add_time",
        "update_time",
    }
    p2 = pd.get("/api/v2/pipelines").data
    assert [p["name"] for p in p2] == ["Sales", "Partners"] and p2[0]["is_deleted"] is False
    assert pd.get("/api/v2/pipelines/2").data["name"] == "Partners"
    assert pd.get("/api/v1/stages/8").data["name"] == "Active"
    created = pd.post("/api/v2/pipelines", {"name": "Renewals"}).data
    stage = pd.post("/api/v2/stages", {"name": "Due", "pipeline_id": created["id"]}).data
    assert stage["order_nr"] == 1
    deal = pd.deal(pipeline_id=created["id"])
    assert deal["stage_id"] == stage["id"]
    assert pd.patch(f"/api/v2/stages/{stage['id']}", {"name": "Due soon"}).data["name"] == "Due soon"
    pd.error(pd.post("/api/v2/stages", {"name": "X", "pipeline_id": 99}), 400, "pipeline")
    pd.error(pd.post("/api/v2/pipelines", {"name": 3}), 400, "string")
    pd.error(pd.delete(f"/api/v2/pipelines/{created['id']}"), 400, "1 deals")  # its deals go first
    pd.delete(f"/api/v2/deals/{deal['id']}")
    assert pd.delete(f"/api/v2/pipelines/{created['id']}").data == {"id": created["id"]}
    pd.error(pd.get(f"/api/v2/stages/{stage['id']}"), 404, "stage")


def test_activity_types(pd: PD) -> None:
    types = pd.get("/api/v1/activityTypes").data
    assert [t["key_string"] for t in types] == ["call", "meeting", "task", "deadline", "email", "lunch"]
