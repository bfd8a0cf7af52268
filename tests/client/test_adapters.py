"""Adapters (issue 16): both API versions read into one canonical shape and are written from
it, field by field, by each field's type; kind quirks are the kinds table's named hooks.

Fast unit tests on answers shaped as Pipedrive's (the v2 migration guide and the
official client's models): no sandbox.
"""

from __future__ import annotations

from reconciler.fieldtypes import custom_spec
from reconciler.pipedrive import adapters, costs

ENUM = "a" * 40
SET = "b" * 40
MONEY = "c" * 40
TIMES = "d" * 40
DATES = "e" * 40
CUSTOM = {
    ENUM: custom_spec(ENUM, "Lead source", "enum", {"Referral": 8, "Website": 9}),
    SET: custom_spec(SET, "Interests", "set", {"Events": 18, "Newsletter": 19}),
    MONEY: custom_spec(MONEY, "Contract value", "monetary"),
    TIMES: custom_spec(TIMES, "Office hours", "timerange"),
    DATES: custom_spec(DATES, "Campaign", "daterange"),
}


def test_a_deal_reads_the_same_from_v1_and_v2() -> None:
    v2 = {"id": 5, "title": "T", "value": 10, "currency": "EUR", "owner_id": 3, "org_id": 7, "person_id": None,
          "pipeline_id": 1, "stage_id": 2, "status": "open", "visible_to": 3, "expected_close_date": None,
          "lost_reason": None, "update_time": "2026-01-01T00:00:00Z",
          "custom_fields": {ENUM: 8, SET: [19, 18], MONEY: {"value": 5, "currency": "USD"},
                            TIMES: {"value": "09:00:00", "until": "17:00:00", "timezone_id": 1},
                            DATES: {"value": "2027-01-01", "until": "2027-02-01"}}}
    v1 = {"id": 5, "title": "T", "value": 10, "currency": "EUR", "user_id": {"id": 3, "value": 3}, "org_id": {"value": 7},
          "person_id": None, "pipeline_id": 1, "stage_id": 2, "status": "open", "visible_to": "3",
          "expected_close_date": None, "lost_reason": None, "update_time": "2026-01-01 00:00:00",
          ENUM: "8", SET: "19,18", MONEY: 5, f"{MONEY}_currency": "USD",
          TIMES: "09:00:00", f"{TIMES}_until": "17:00:00", f"{TIMES}_timezone_id": 1,
          DATES: "2027-01-01", f"{DATES}_until": "2027-02-01"}
    a = adapters.from_api("deal", v2, "v2", CUSTOM)
    b = adapters.from_api("deal", v1, "v1", CUSTOM)
    a.pop("update_time"), b.pop("update_time")
    assert a == b
    assert a["owner_id"] == 3 and a["org_id"] == 7 and a["custom_fields"][SET] == [19, 18]


def test_request_bodies_per_version() -> None:
    changes = {"owner_id": 3, "value": 1, "custom_fields": {SET: None, MONEY: {"value": 2, "currency": "EUR"},
                                                           DATES: {"value": "2027-01-01", "until": "2027-02-01"}}}
    assert adapters.to_api("deal", changes, "v2", CUSTOM) == {
        "owner_id": 3, "value": 1,
        "custom_fields": {SET: None, MONEY: {"value": 2, "currency": "EUR"},
                          DATES: {"value": "2027-01-01", "until": "2027-02-01"}}}
    assert adapters.to_api("deal", changes, "v1", CUSTOM) == {
        "user_id": 3, "value": 1, SET: None, MONEY: 2, f"{MONEY}_currency": "EUR",
        DATES: "2027-01-01", f"{DATES}_until": "2027-02-01"}


def test_persons_contacts_and_organizations_address() -> None:
    assert adapters.to_api("person", {"emails": [{"value": "a@b.c", "primary": True, "label": "work"}]}, "v1") == {
        "email": [{"value": "a@b.c", "primary": True, "label": "work"}]}
    assert adapters.to_api("organization", {"address": "1 Main St"}, "v2") == {"address": {"value": "1 Main St"}}
    assert adapters.to_api("organization", {"address": "1 Main St"}, "v1") == {"address": "1 Main St"}
    read = adapters.from_api("organization", {"id": 1, "name": "O", "address": {"value": "1 Main St"}}, "v2")
    assert read["address"] == "1 Main St"


def test_notes_pinned_flag_follows_the_declared_parent() -> None:
    note = {"id": 1, "content": "x", "deal_id": 4, "person_id": 5, "pinned_to_deal_flag": False,
            "pinned_to_person_flag": True, "user_id": 3}
    read = adapters.from_api("note", note, "v1")
    assert read["pinned"] is False and read["pinned_flags"]["person"] is True
    body = adapters.to_api("note", {"pinned": True, "_parent": "person"}, "v1")
    assert body == {"pinned_to_person_flag": 1}


def test_activity_done_is_0_or_1_in_v1_and_lists_ask_for_every_owner() -> None:
    from reconciler import kinds

    assert adapters.to_api("activity", {"done": True}, "v1") == {"done": 1}
    assert adapters.to_api("activity", {"done": True}, "v2") == {"done": True}
    assert kinds.kind("activity").hooks.list_params("v1") == {"user_id": 0}
    assert kinds.kind("activity").hooks.list_params("v2") == {}


def test_a_new_kinds_lists_are_priced_as_lists() -> None:
    """The trap of issue 16: a list endpoint no table knows must not be priced as a single read."""
    assert costs.endpoint_type("GET", "/api/v2/products") == "get_list"
    assert costs.endpoint_type("GET", "/api/v2/deals/archived") == "get_list"
    assert costs.endpoint_type("GET", "/api/v1/leads") == "get_list"
    assert costs.endpoint_type("GET", "/api/v1/leads/6a1f5b8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c") == "get_single"
    assert costs.endpoint_type("GET", "/api/v2/deals/12/products") == "get_list"
    assert costs.endpoint_type("GET", "/api/v2/products/12") == "get_single"
    assert costs.endpoint_type("GET", "/api/v1/users/me") == "get_single"
