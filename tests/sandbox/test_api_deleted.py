"""Reading deleted objects, as docs/sandbox.md's "Deleted objects" table says.

The official v2 description: a deleted object is marked deleted and purged after 30 days;
``GET /api/v2/deals`` without ``status`` answers "all not deleted deals", ``status=deleted``
includes deals deleted up to 30 days ago; ``ids`` that are not visible are simply not included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PD


def test_deleted_deal(pd: PD) -> None:
    kept, gone = pd.deal("Kept"), pd.deal("Gone")
    assert pd.delete(f"/api/v2/deals/{gone['id']}").data == {"id": gone["id"]}
    ids = f"{kept['id']},{gone['id']}"
    assert [d["id"] for d in pd.get("/api/v2/deals", {"ids": ids}).data] == [kept["id"]]
    listed = pd.get("/api/v2/deals", {"ids": ids, "status": "deleted"}).data
    assert [(d["id"], d["status"], d["is_deleted"]) for d in listed] == [(gone["id"], "deleted", True)]
    both = pd.get("/api/v2/deals", {"status": "open,deleted"}).data
    assert {d["id"] for d in both} == {kept["id"], gone["id"]}
    got = pd.get(f"/api/v2/deals/{gone['id']}")
    assert got.status == 200 and got.data["status"] == "deleted" and got.data["is_deleted"] is True
    v1 = pd.get(f"/api/v1/deals/{gone['id']}")
    assert v1.status == 200 and v1.data["status"] == "deleted" and v1.data["deleted"] is True
    assert pd.get("/api/v2/deals/search", {"term": "Gone"}).data["items"] == []
    pd.error(pd.patch(f"/api/v2/deals/{gone['id']}", {"title": "Back"}), 404)


def test_deleted_person_organization_activity(pd: PD) -> None:
    org = pd.org("Gone Org")
    person = pd.person("Gone Person")
    activity = pd.post("/api/v2/activities", {"subject": "Gone call", "type": "call"}).data
    for path, obj in (("organizations", org), ("persons", person), ("activities", activity)):
        assert pd.delete(f"/api/v2/{path}/{obj['id']}").data == {"id": obj["id"]}
        assert pd.get(f"/api/v2/{path}", {"ids": str(obj["id"])}).data == []
        pd.error(pd.get(f"/api/v2/{path}/{obj['id']}"), 404)
        v1 = pd.get(f"/api/v1/{path}/{obj['id']}")
        assert v1.status == 200 and v1.data["active_flag"] is False
    assert pd.get("/api/v2/persons/search", {"term": "Gone Person"}).data["items"] == []
    assert pd.get("/api/v2/organizations/search", {"term": "Gone Org"}).data["items"] == []
