"""Activities (v1 and v2) and notes (v1 only): CRUD, booleans, HTML content, parents, filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD

V2_ACTIVITY_KEYS = {
    "id",
    "subject",
    "type",
    "owner_id",
    "creator_user_id",
    "is_deleted",
    "add_time",
    "update_time",
    "deal_id",
    "lead_id",
    "person_id",
    "org_id",
    "project_id",
    "due_date",
    "due_time",
    "duration",
    "busy",
    "done",
    "marked_as_done_time",
    "location",
    "participants",
    "attendees",
    "conference_meeting_client",
    "conference_meeting_url",
    "conference_meeting_id",
    "public_description",
    "priority",
    "note",
}
V1_NOTE_KEYS = {
    "id",
    "user_id",
    "deal_id",
    "person_id",
    "org_id",
    "lead_id",
    "project_id",  # the current official Note model (npm pipedrive 33.x) names projects and tasks
    "task_id",
    "project",
    "task",
    "pinned_to_project_flag",
    "pinned_to_task_flag",
    "content",
    "add_time",
    "update_time",
    "active_flag",
    "pinned_to_deal_flag",
    "pinned_to_person_flag",
    "pinned_to_organization_flag",
    "pinned_to_lead_flag",
    "last_update_user_id",
    "organization",
    "person",
    "deal",
    "user",
}


def test_v2_activity_crud(pd: PD) -> None:
    person = pd.person()
    deal = pd.deal(person_id=person["id"])
    r = pd.post(
        "/api/v2/activities",
        {
            "subject": "Follow-up call",
            "type": "call",
            "due_date": "2026-12-01",
            "due_time": "14:00",
            "duration": "00:30",
            "deal_id": deal["id"],
            "person_id": person["id"],
            "done": False,
            "note": "Bring\nslides",
        },
    )
    assert r.status == 200
    act = r.data
    assert V2_ACTIVITY_KEYS <= set(act)
    assert act["due_time"] == "14:00" and act["duration"] == "00:30" and act["done"] is False
    assert act["participants"] == [{"person_id": person["id"], "primary": True}]
    assert act["note"] == "Bring<br>slides"
    done = pd.patch(f"/api/v2/activities/{act['id']}", {"done": True}).data
    assert done["done"] is True and done["marked_as_done_time"] and done["subject"] == "Follow-up call"
    assert [a["id"] for a in pd.get("/api/v2/activities", {"done": "true"}).data] == [act["id"]]
    assert pd.get("/api/v2/activities", {"done": "false"}).data == []
    assert [a["id"] for a in pd.get("/api/v2/activities", {"deal_id": deal["id"]}).data] == [act["id"]]
    assert pd.delete(f"/api/v2/activities/{act['id']}").data == {"id": act["id"]}
    pd.error(pd.get(f"/api/v2/activities/{act['id']}"), 404, "activity not found")


def test_activity_validation(pd: PD) -> None:
    pd.error(pd.post("/api/v2/activities", {"type": "call"}), 400, "subject")
    pd.error(pd.post("/api/v2/activities", {"subject": "x", "type": "fax"}), 400, "activity type")
    pd.error(pd.post("/api/v2/activities", {"subject": "x", "done": 1}), 400, "boolean")
    pd.error(pd.post("/api/v2/activities", {"subject": "x", "due_date": "2026-13-01"}), 400, "date")
    pd.error(pd.post("/api/v2/activities", {"subject": "x", "due_time": "2pm"}), 400, "time")
    pd.error(pd.post("/api/v2/activities", {"subject": "x", "deal_id": 77}), 400, "deal")
    pd.error(pd.post("/api/v1/activities", {"subject": "x", "done": "maybe"}), 400, "boolean")


def test_v1_activity_booleans_and_default_user_filter(pd: PD) -> None:
    mine = pd.post("/api/v1/activities", {"subject": "Mine", "type": "meeting", "done": 1, "busy_flag": "0"})
    assert mine.status == 201
    assert mine.data["done"] is True and mine.data["busy_flag"] is False and mine.data["user_id"] == 1
    assert mine.data["due_time"] == "" and mine.data["duration"] == ""  # v1's empty strings
    bob = pd.post("/api/v1/activities", {"subject": "Bob's", "type": "task", "user_id": 2, "done": 0}).data
    assert bob["done"] is False
    # v1 lists the API user's activities unless user_id is given; 0 means everyone
    assert [a["id"] for a in pd.get("/api/v1/activities").data] == [mine.data["id"]]
    assert [a["id"] for a in pd.get("/api/v1/activities", {"user_id": 0}).data] == [
        mine.data["id"],
        bob["id"],
    ]
    assert [a["id"] for a in pd.get("/api/v1/activities", {"user_id": 0, "done": 0}).data] == [bob["id"]]
    assert [a["id"] for a in pd.get("/api/v1/activities", {"user_id": 0, "type": "task"}).data] == [bob["id"]]
    r = pd.put(f"/api/v1/activities/{bob['id']}", {"done": "1", "due_date": "2027-01-02"})
    assert r.data["done"] is True and r.data["due_date"] == "2027-01-02"
    assert pd.get(f"/api/v2/activities/{bob['id']}").data["done"] is True


def test_notes_crud_and_html(pd: PD) -> None:
    deal = pd.deal()
    r = pd.post(
        "/api/v1/notes",
        {
            "content": "Kickoff: pricing & timeline agreed.\nNext: legal <script>x</script>",
            "deal_id": deal["id"],
            "pinned_to_deal_flag": 1,
        },
    )
    assert r.status == 201 and r.body["success"] is True
    note = r.data
    assert set(note) == V1_NOTE_KEYS
    assert note["content"] == "Kickoff: pricing &amp; timeline agreed.<br>Next: legal "
    assert note["pinned_to_deal_flag"] is True and note["pinned_to_person_flag"] is False
    assert note["deal"] == {"title": deal["title"]} and note["user"]["is_you"] is True
    got = pd.get(f"/api/v1/notes/{note['id']}")
    assert got.status == 200 and got.data["content"] == note["content"]
    kept = "<p>Already <b>HTML</b></p>"
    r = pd.put(f"/api/v1/notes/{note['id']}", {"content": kept, "pinned_to_deal_flag": 0})
    assert r.data["content"] == kept and r.data["pinned_to_deal_flag"] is False
    assert r.data["last_update_user_id"] == 1
    assert pd.delete(f"/api/v1/notes/{note['id']}").data is True  # the official DeleteNoteResponse
    assert pd.get("/api/v1/notes").data is None  # v1 answers an empty list as null
    assert pd.get(f"/api/v1/notes/{note['id']}").data["active_flag"] is False


def test_note_validation(pd: PD) -> None:
    deal = pd.deal()
    pd.error(pd.post("/api/v1/notes", {"content": "x"}), 400, "attached")
    pd.error(pd.post("/api/v1/notes", {"deal_id": deal["id"]}), 400, "content")
    pd.error(pd.post("/api/v1/notes", {"deal_id": deal["id"], "content": "  "}), 400, "content")
    pd.error(pd.post("/api/v1/notes", {"deal_id": 999, "content": "x"}), 400, "deal")
    pd.error(pd.post("/api/v1/notes", {"person_id": 999, "content": "x"}), 400, "person")
    pd.error(pd.post("/api/v1/notes", {"org_id": 999, "content": "x"}), 400, "organization")
    pd.error(
        pd.post("/api/v1/notes", {"deal_id": deal["id"], "content": "x", "pinned_to_deal_flag": 2}),
        400,
        "0 or 1",
    )
    pd.error(pd.get("/api/v2/notes"), 404)  # notes have no v2 API
    pd.error(pd.delete("/api/v1/notes", {"ids": "1"}), 405)  # and no bulk delete


def test_notes_filters(pd: PD) -> None:
    org = pd.org()
    person = pd.person(org_id=org["id"])
    deal = pd.deal(person_id=person["id"])
    n1 = pd.post("/api/v1/notes", {"content": "on deal", "deal_id": deal["id"]}).data
    n2 = pd.post("/api/v1/notes", {"content": "on person", "person_id": person["id"]}).data
    n3 = pd.post("/api/v1/notes", {"content": "on org", "org_id": org["id"], "user_id": 2}).data

    def ids(**q: object) -> list[int]:
        return [n["id"] for n in pd.get("/api/v1/notes", q).data or []]

    assert ids(deal_id=deal["id"]) == [n1["id"]]
    assert ids(person_id=person["id"]) == [n2["id"]]
    assert ids(org_id=org["id"]) == [n3["id"]]
    assert ids(user_id=2) == [n3["id"]]
    assert ids(sort="id DESC") == [n3["id"], n2["id"], n1["id"]]
    assert ids(updated_since="2000-01-01 00:00:00") == [n1["id"], n2["id"], n3["id"]]
    assert ids(updated_since="2999-01-01 00:00:00") == []
    pd.error(pd.get("/api/v1/notes", {"updated_since": "2026-01-01T00:00:00Z"}), 400, "YYYY-MM-DD HH:MM:SS")
    pd.error(pd.get("/api/v1/notes", {"sort": "colour ASC"}), 400, "sort")
    r = pd.get("/api/v1/notes", {"limit": 2})
    assert r.body["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
