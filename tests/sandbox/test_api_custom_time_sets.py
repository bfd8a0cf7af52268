"""Custom field values as Pipedrive validates them: time, time-range and date-range objects,
multi-option fields cleared with null (not []), and lost_reason only on a lost deal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import PD


def _field(pd: PD, ftype: str, name: str, **extra: Any) -> str:
    r = pd.post("/api/v2/dealFields", {"field_name": name, "field_type": ftype, **extra})
    assert r.status == 200, r.body
    return r.data["field_code"]


@pytest.fixture
def fields(pd: PD) -> dict[str, str]:
    return {t: _field(pd, t, f"Test {t}") for t in ("time", "timerange", "daterange")}


def test_v2_time_fields_are_objects(pd: PD, fields: dict[str, str]) -> None:
    values = {
        fields["time"]: {"value": "09:00", "timezone_id": 7, "timezone_name": "Europe/Tallinn"},
        fields["timerange"]: {"value": "09:00:00", "until": "17:30:00", "timezone_id": None},
        fields["daterange"]: {"value": "2027-01-01", "until": "2027-02-01"},
    }
    deal = pd.deal("Timed", custom_fields=values)
    got = pd.get(f"/api/v2/deals/{deal['id']}").data["custom_fields"]
    assert got[fields["time"]] == {"value": "09:00:00", "timezone_id": 7, "timezone_name": "Europe/Tallinn"}
    assert got[fields["timerange"]] == {"value": "09:00:00", "until": "17:30:00", "timezone_id": None,
                                        "timezone_name": None}
    assert got[fields["daterange"]] == {"value": "2027-01-01", "until": "2027-02-01"}
    cleared = pd.patch(f"/api/v2/deals/{deal['id']}", {"custom_fields": {fields["time"]: None}})
    assert cleared.data["custom_fields"][fields["time"]] is None


@pytest.mark.parametrize(
    ("kind", "value", "needle"),
    [
        ("time", "09:00", "object"),
        ("time", {"value": "9am"}, "HH:MM:SS"),
        ("time", {"value": "09:00", "zone": "x"}, "unknown keys"),
        ("time", {"value": "09:00", "timezone_id": "7"}, "integer"),
        ("timerange", {"value": "09:00"}, "until"),
        ("daterange", {"value": "2027-02-01", "until": "2027-01-01"}, "before"),
        ("daterange", "2027-01-01", "object"),
    ],
)
def test_v2_wrong_time_shapes_are_refused(pd: PD, fields: dict[str, str], kind: str, value: Any,
                                          needle: str) -> None:
    pd.error(pd.post("/api/v2/deals", {"title": "x", "custom_fields": {fields[kind]: value}}), 400, needle)


def test_v1_time_fields_use_sibling_keys(pd: PD, fields: dict[str, str]) -> None:
    t, tr, dr = fields["time"], fields["timerange"], fields["daterange"]
    created = pd.post("/api/v1/deals", {
        "title": "Timed v1", t: "08:15", f"{t}_timezone_id": 3,
        tr: "10:00", f"{tr}_until": "11:00", dr: "2027-03-01", f"{dr}_until": "2027-03-31"})
    assert created.status == 201, created.body
    data = created.data
    assert (data[t], data[f"{t}_timezone_id"]) == ("08:15:00", 3)
    assert (data[tr], data[f"{tr}_until"], data[f"{tr}_timezone_id"]) == ("10:00:00", "11:00:00", None)
    assert (data[dr], data[f"{dr}_until"]) == ("2027-03-01", "2027-03-31")
    v2 = pd.get(f"/api/v2/deals/{data['id']}").data["custom_fields"]
    assert v2[dr] == {"value": "2027-03-01", "until": "2027-03-31"}
    assert v2[t] == {"value": "08:15:00", "timezone_id": 3, "timezone_name": None}
    moved = pd.put(f"/api/v1/deals/{data['id']}", {f"{tr}_until": "12:00"}).data  # one sibling alone
    assert (moved[tr], moved[f"{tr}_until"]) == ("10:00:00", "12:00:00")
    pd.error(pd.put(f"/api/v1/deals/{data['id']}", {dr: "2027-04-15"}), 400, "before")


@pytest.fixture
def interests(pd: PD) -> tuple[str, int]:
    field = pd.field("person", "Interests")
    return field["field_code"], field["options"][0]["id"]


def test_v2_set_field_is_cleared_with_null(pd: PD, interests: tuple[str, int]) -> None:
    code, option = interests
    person = pd.person(custom_fields={code: [option]})
    assert person["custom_fields"][code] == [option]
    cleared = pd.patch(f"/api/v2/persons/{person['id']}", {"custom_fields": {code: None}})
    assert cleared.data["custom_fields"][code] is None


def test_v2_empty_array_for_a_set_field_is_refused(pd: PD, interests: tuple[str, int]) -> None:
    """Pipedrive's v2: "sending an empty array [] is not supported and will result in a validation
    error"; null clears the field."""
    code, option = interests
    person = pd.person(custom_fields={code: [option]})
    pd.error(pd.patch(f"/api/v2/persons/{person['id']}", {"custom_fields": {code: []}}), 400, "null")
    assert pd.get(f"/api/v2/persons/{person['id']}").data["custom_fields"][code] == [option]
    cleared = pd.put(f"/api/v1/persons/{person['id']}", {code: ""})  # v1 clears with an empty value
    assert cleared.status == 200 and cleared.data[code] is None


def test_lost_reason_only_on_a_lost_deal(pd: PD) -> None:
    pd.error(pd.post("/api/v2/deals", {"title": "Open", "lost_reason": "Price"}), 400, "lost")
    deal = pd.deal("Open")
    pd.error(pd.patch(f"/api/v2/deals/{deal['id']}", {"lost_reason": "Price"}), 400, "lost_reason")
    lost = pd.patch(f"/api/v2/deals/{deal['id']}", {"status": "lost", "lost_reason": "Price"})
    assert lost.status == 200 and lost.data["lost_reason"] == "Price"
    again = pd.patch(f"/api/v2/deals/{deal['id']}", {"lost_reason": "Timing"})  # still lost
    assert again.status == 200 and again.data["lost_reason"] == "Timing"
    assert pd.patch(f"/api/v2/deals/{deal['id']}", {"lost_reason": None}).status == 200
    pd.error(pd.post("/api/v1/deals", {"title": "Open v1", "lost_reason": "Price"}), 400, "lost")
