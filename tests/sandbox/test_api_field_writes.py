"""v2 custom field writes: change, delete, and the options endpoints (issue 17's account shape)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def _region(pd: PD) -> dict:
    r = pd.post("/api/v2/dealFields", {"field_name": "Region", "field_type": "enum",
                                       "options": [{"label": "EMEA"}, {"label": "APAC"}, {"label": "LATAM"}]})
    assert r.status == 200, r.body
    return r.data


def test_a_new_field_is_not_shown_in_add_forms_unless_asked(pd: PD) -> None:
    plain = pd.post("/api/v2/dealFields", {"field_name": "Plain", "field_type": "varchar"}).data
    shown = pd.post("/api/v2/dealFields", {"field_name": "Shown", "field_type": "varchar",
                                           "ui_visibility": {"add_visible_flag": True}}).data
    got = {f["field_code"]: f for f in pd.get("/api/v2/dealFields", {"include_fields": "ui_visibility",
                                                                       "limit": 500}).data}
    assert got[plain["field_code"]]["ui_visibility"]["add_visible_flag"] is False
    assert got[shown["field_code"]]["ui_visibility"]["add_visible_flag"] is True
    v1 = {f["key"]: f for f in pd.get("/api/v1/dealFields", {"limit": 500}).data}
    assert v1[plain["field_code"]]["add_visible_flag"] is False and v1[shown["field_code"]]["add_visible_flag"]


def test_patch_renames_and_sets_the_settings_of_a_custom_field(pd: PD) -> None:
    field = _region(pd)
    code = field["field_code"]
    r = pd.patch(f"/api/v2/dealFields/{code}", {
        "field_name": "Sales region", "description": "Where the customer is",
        "ui_visibility": {"add_visible_flag": True, "show_in_pipelines": {"show_in_all": False, "pipeline_ids": [2]}},
        "important_fields": {"enabled": True, "stage_ids": [1]},
        "required_fields": {"enabled": True, "stage_ids": [3], "statuses": {"won": ["open"]}}})
    assert r.status == 200 and r.data["field_name"] == "Sales region" and r.data["field_code"] == code
    assert r.data["description"] == "Where the customer is" and r.data["field_type"] == "enum"
    got = pd.get(f"/api/v2/dealFields/{code}", {"include_fields": "ui_visibility,important_fields,required_fields"})
    ui = got.data["ui_visibility"]
    assert ui["add_visible_flag"] is True and ui["show_in_pipelines"] == {"show_in_all": False, "pipeline_ids": [2]}
    assert got.data["important_fields"] == {"enabled": True, "stage_ids": [1]}
    assert got.data["required_fields"] == {"enabled": True, "stage_ids": [3], "statuses": {"won": ["open"]}}
    assert [o["id"] for o in got.data["options"]] == [o["id"] for o in field["options"]]
    assert any(f["name"] == "Sales region" for f in pd.get("/api/v1/dealFields", {"limit": 500}).data)


def test_field_writes_pipedrive_refuses(pd: PD) -> None:
    code = _region(pd)["field_code"]
    pd.error(pd.patch("/api/v2/dealFields/title", {"field_name": "Name"}), 400, "system field")
    pd.error(pd.delete("/api/v2/dealFields/title"), 400, "system field")
    pd.error(pd.patch("/api/v2/dealFields/label", {"field_name": "Tags"}), 400, "system field")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {"field_type": "set"}), 400, "cannot be changed")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {}), 400, "at least one")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {"name": "x"}), 400, "not allowed")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {"field_name": "Lead source"}), 400, "already exists")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {"ui_visibility": {"colour": "red"}}), 400, "not allowed")
    pd.error(pd.patch(f"/api/v2/dealFields/{code}", {"important_fields": {"stage_ids": [999]}}), 400, "stage")
    pd.error(pd.patch(f"/api/v2/personFields/{pd.field('person', 'Interests')['field_code']}",
                      {"description": "x"}), 400, "not allowed")  # only deal fields have a description
    pd.error(pd.patch("/api/v2/dealFields/nope", {"field_name": "x"}), 404, "field")
    pd.error(pd.post("/api/v2/dealFields", {"field_name": "Z", "field_type": "int"}), 400, "field_type")
    pd.error(pd.get("/api/v2/productFields", {"include_fields": "important_fields"}), 400, "include_fields")


def test_a_deleted_field_disappears_and_takes_no_value(pd: PD) -> None:
    code = _region(pd)["field_code"]
    apac = pd.option("deal", "Region", "APAC")
    deal = pd.deal(custom_fields={code: apac})
    gone = pd.delete(f"/api/v2/dealFields/{code}")
    assert gone.status == 200 and gone.data["field_code"] == code and gone.data["is_custom_field"] is True
    pd.error(pd.get(f"/api/v2/dealFields/{code}"), 404, "field")
    assert code not in {f["key"] for f in pd.get("/api/v1/dealFields", {"limit": 500}).data}
    assert code not in pd.get(f"/api/v2/deals/{deal['id']}").data["custom_fields"]
    pd.error(pd.patch(f"/api/v2/deals/{deal['id']}", {"custom_fields": {code: apac}}), 400, "does not exist")
    pd.error(pd.delete(f"/api/v2/dealFields/{code}"), 404, "field")


def test_options_add_relabel_and_remove(pd: PD) -> None:
    field = _region(pd)
    code = field["field_code"]
    emea, apac, latam = (o["id"] for o in field["options"])
    tiers = pd.post("/api/v2/dealFields", {"field_name": "Tiers", "field_type": "set",
                                           "options": [{"label": "A"}, {"label": "B"}]}).data
    a, b = (o["id"] for o in tiers["options"])
    one = pd.deal("One", custom_fields={code: apac, tiers["field_code"]: [a, b]})
    two = pd.deal("Two", custom_fields={code: emea, tiers["field_code"]: [a]})

    added = pd.call("POST", f"/api/v2/dealFields/{code}/options", json_body=[{"label": "ANZ"}, {"label": "NA"}])
    assert added.status == 200 and [o["label"] for o in added.data] == ["ANZ", "NA"]
    assert added.body["additional_data"] == {} and all(o["id"] > latam for o in added.data)

    renamed = pd.call("PATCH", f"/api/v2/dealFields/{code}/options", json_body=[{"id": apac, "label": "Asia-Pacific"}])
    assert renamed.data == [{"id": apac, "label": "Asia-Pacific"}]
    assert pd.get(f"/api/v2/deals/{one['id']}").data["custom_fields"][code] == apac  # the value stays

    removed = pd.call("DELETE", f"/api/v2/dealFields/{code}/options", json_body=[{"id": apac}])
    assert removed.data == [{"id": apac, "label": "Asia-Pacific"}]
    labels = [o["label"] for o in pd.get(f"/api/v2/dealFields/{code}").data["options"]]
    assert labels == ["EMEA", "LATAM", "ANZ", "NA"]
    assert pd.get(f"/api/v2/deals/{one['id']}").data["custom_fields"][code] is None  # cleared
    assert pd.get(f"/api/v2/deals/{two['id']}").data["custom_fields"][code] == emea  # untouched
    pd.call("DELETE", f"/api/v2/dealFields/{tiers['field_code']}/options", json_body=[{"id": a}])
    assert pd.get(f"/api/v2/deals/{one['id']}").data["custom_fields"][tiers["field_code"]] == [b]
    assert pd.get(f"/api/v2/deals/{two['id']}").data["custom_fields"][tiers["field_code"]] is None
    pd.error(pd.patch(f"/api/v2/deals/{one['id']}", {"custom_fields": {code: apac}}), 400, "does not exist")


def test_option_writes_are_atomic_and_checked(pd: PD) -> None:
    field = _region(pd)
    code, emea = field["field_code"], field["options"][0]["id"]
    before = pd.get(f"/api/v2/dealFields/{code}").data["options"]

    def options(method: str, body: object, needle: str, status: int = 400) -> None:
        pd.error(pd.call(method, f"/api/v2/dealFields/{code}/options", json_body=body), status, needle)

    options("PATCH", [{"id": emea, "label": "Europe"}, {"id": 999999, "label": "X"}], "does not exist")
    options("DELETE", [{"id": emea}, {"id": 999999}], "does not exist")
    options("POST", [{"label": "New"}, {"label": "emea"}], "unique")
    options("POST", [{"label": "  "}], "label")
    options("POST", [], "non-empty array")
    options("POST", {"label": "X"}, "array")
    options("POST", [{"label": "X", "color": "red"}], "not allowed")
    options("DELETE", [{"id": o["id"]} for o in before], "at least one option")
    assert pd.get(f"/api/v2/dealFields/{code}").data["options"] == before  # nothing changed
    pd.error(pd.call("POST", "/api/v2/dealFields/title/options", json_body=[{"label": "X"}]), 400, "no options")
    money = pd.field("deal", "Contract value")["field_code"]
    pd.error(pd.call("POST", f"/api/v2/dealFields/{money}/options", json_body=[{"label": "X"}]), 400, "no options")
    pd.error(pd.call("POST", "/api/v2/dealFields/nope/options", json_body=[{"label": "X"}]), 404, "field")
    too_many = [{"label": f"Region {i}"} for i in range(10_000)]  # 3 exist: 10,003 is over the limit
    pd.error(pd.call("POST", f"/api/v2/dealFields/{code}/options", json_body=too_many), 400, "at most 10000")


def test_label_options_are_managed_like_a_custom_fields(pd: PD) -> None:
    """Deal, person and organization labels are the standard `label` field's options."""
    vip = pd.call("POST", "/api/v2/personFields/label/options", json_body=[{"label": "VIP"}]).data[0]
    person = pd.person(label_ids=[vip["id"]])
    assert person["label_ids"] == [vip["id"]]
    pd.call("PATCH", "/api/v2/personFields/label/options", json_body=[{"id": vip["id"], "label": "Key account"}])
    assert pd.get(f"/api/v2/persons/{person['id']}").data["label_ids"] == [vip["id"]]
    assert pd.option("person", "Label", "Key account") == vip["id"]
    customer = pd.option("person", "Label", "Customer")
    pd.patch(f"/api/v2/persons/{person['id']}", {"label_ids": [vip["id"], customer]})
    pd.call("DELETE", "/api/v2/personFields/label/options", json_body=[{"id": vip["id"]}])
    assert pd.get(f"/api/v2/persons/{person['id']}").data["label_ids"] == [customer]
    pd.error(pd.patch(f"/api/v2/persons/{person['id']}", {"label_ids": [vip["id"]]}), 400, "label")


def test_product_fields_list_the_standard_fields(pd: PD) -> None:
    fields = {f["field_code"]: f for f in pd.get("/api/v2/productFields", {"include_fields": "ui_visibility"}).data}
    assert {"name", "code", "unit", "tax", "category", "prices", "owner_id", "visible_to"} <= set(fields)
    assert [o["label"] for o in fields["category"]["options"]] == ["Hardware", "Software", "Services"]
    assert set(fields["name"]["ui_visibility"]) == {"add_visible_flag", "details_visible_flag"}
    assert "description" not in fields["name"] and fields["prices"]["field_type"] == "price_list"
    v1 = pd.get("/api/v1/productFields").data
    assert {f["key"] for f in v1} == set(fields)


def test_v1_put_sends_the_whole_option_list_in_order(pd: PD) -> None:
    """v1's PUT .../{id} is the one call that reorders options: every option kept is sent with its
    id (relabelled or not), new ones with a label only, in the new order; one left out is deleted
    and cleared from the records that used it (the official description of UpdateFieldRequest)."""
    field = _region(pd)
    code = field["field_code"]
    emea, apac, latam = (o["id"] for o in field["options"])
    one = pd.deal("One", custom_fields={code: apac})
    two = pd.deal("Two", custom_fields={code: latam})
    field_id = next(f["id"] for f in pd.get("/api/v1/dealFields", {"limit": 500}).data if f["key"] == code)
    r = pd.put(f"/api/v1/dealFields/{field_id}", {
        "name": "Sales region", "add_visible_flag": False,
        "options": [{"id": apac, "label": "Asia-Pacific"}, {"label": "ANZ"}, {"id": emea, "label": "EMEA"}]})
    assert r.status == 200, r.body
    assert r.data["name"] == "Sales region" and r.data["key"] == code and r.data["add_visible_flag"] is False
    anz = r.data["options"][1]["id"]
    assert [(o["id"], o["label"]) for o in r.data["options"]] == [(apac, "Asia-Pacific"), (anz, "ANZ"), (emea, "EMEA")]
    assert anz not in (emea, apac, latam)
    v2 = pd.get(f"/api/v2/dealFields/{code}").data
    assert [o["label"] for o in v2["options"]] == ["Asia-Pacific", "ANZ", "EMEA"]
    assert pd.get(f"/api/v2/deals/{one['id']}").data["custom_fields"][code] == apac  # relabelled: the value stays
    assert pd.get(f"/api/v2/deals/{two['id']}").data["custom_fields"][code] is None  # LATAM left out: cleared


def test_v1_put_refuses_what_pipedrive_refuses(pd: PD) -> None:
    field = _region(pd)
    by_key = {f["key"]: f for f in pd.get("/api/v1/dealFields", {"limit": 500}).data}
    field_id = by_key[field["field_code"]]["id"]
    emea = field["options"][0]["id"]
    pd.error(pd.put(f"/api/v1/dealFields/{by_key['title']['id']}", {"name": "Name"}), 400, "system field")
    pd.error(pd.put(f"/api/v1/dealFields/{field_id}", {"options": [{"id": 999999, "label": "X"}]}), 400,
             "does not exist")
    pd.error(pd.put(f"/api/v1/dealFields/{field_id}", {"options": [{"id": emea, "label": "A"}, {"label": "a"}]}),
             400, "unique")
    pd.error(pd.put(f"/api/v1/dealFields/{field_id}", {"options": []}), 400, "at least one option")
    pd.error(pd.put(f"/api/v1/dealFields/{field_id}", {}), 400, "at least one")
    text = pd.post("/api/v2/dealFields", {"field_name": "Free text", "field_type": "varchar"}).data
    text_id = next(f["id"] for f in pd.get("/api/v1/dealFields", {"limit": 500}).data if f["key"] == text["field_code"])
    pd.error(pd.put(f"/api/v1/dealFields/{text_id}", {"options": [{"label": "A"}]}), 400, "only allowed")
    assert pd.put("/api/v1/dealFields/999999", {"name": "x"}).status == 404
