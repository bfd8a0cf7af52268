"""Live objects are made canonical only when looked at (issue 19).

A plan reads a whole kind to find part of it (an id-ordered scan for a lock's ids spread
through the account); converting every record it never looks at was a fifth of a 10k plan's
CPU. The records it does not look at stay as the API answered them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.live import LiveObjects
from reconciler.pipedrive import adapters
from reconciler.sandbox.seed import seed_database
from tests.conftest import InProcess, write_manifests


def _objects(converted: list[dict]) -> LiveObjects:
    def canon(record: dict) -> dict:
        converted.append(record)
        return {"id": int(record["id"]), "name": record["name"].upper()}

    return LiveObjects(canon, int)


def test_a_record_is_converted_when_looked_at_and_only_once() -> None:
    converted: list[dict] = []
    objects = _objects(converted)
    objects.add_records([{"id": "1", "name": "a"}, {"id": "2", "name": "b"}, {"id": "3", "name": "c"}])
    assert 2 in objects and "2" not in objects and len(objects) == 3 and list(objects) == [1, 2, 3]
    assert converted == []
    assert objects[2] == {"id": 2, "name": "B"} and objects.get(2) is objects[2]
    assert len(converted) == 1
    assert objects.get(9) is None
    with pytest.raises(KeyError):
        objects[9]  # noqa: B018
    assert dict(objects.items()) == {1: {"id": 1, "name": "A"}, 2: {"id": 2, "name": "B"}, 3: {"id": 3, "name": "C"}}
    assert len(converted) == 3


def test_wanted_records_are_converted_as_they_arrive_and_set_objects_stay_as_set() -> None:
    converted: list[dict] = []
    objects = _objects(converted)
    objects.add_records([{"id": "1", "name": "a"}, {"id": "2", "name": "b"}], wanted={2})
    assert [r["id"] for r in converted] == ["2"]
    objects[5] = {"id": 5, "name": "set"}
    assert objects[5] == {"id": 5, "name": "set"} and list(objects) == [1, 2, 5]
    del objects[1]
    assert list(objects) == [2, 5] and len(converted) == 1


def test_a_plan_converts_the_objects_it_manages_not_the_whole_scan(tmp_path: Path, monkeypatch) -> None:
    db = str(tmp_path / "seeded.db")
    seed_database(db, seed=5, organizations=2000)
    sandbox = InProcess(db)
    try:
        orgs = []
        cursor = None
        while True:
            params = {"limit": 500, "sort_by": "id", "sort_direction": "asc", **({"cursor": cursor} if cursor else {})}
            page = sandbox.raw.get("/api/v2/organizations", params=params).json()
            orgs += page["data"]
            cursor = page["additional_data"].get("next_cursor")
            if not cursor:
                break
        managed = orgs[::3]  # more ids batches (7) than pages (4): the reader scans them all
        project = write_manifests(tmp_path / "p", {"organizations": {
            f"o{o['id']}": {"name": o["name"], "id": o["id"]} for o in managed}})
        plan, result = sandbox.apply(project)
        assert result.ok and plan.summary["create"] == 0
        calls = []
        real = adapters.from_api
        monkeypatch.setattr(adapters, "from_api", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
        with sandbox.client() as client:
            from reconciler.config import Settings
            from reconciler.session import plan_run

            run = plan_run(client, Settings(), [str(project)])
            pages = client.stats.by_route.get("GET /api/v2/organizations", 0)
        assert run.plan.summary["unchanged"] == len(managed) == 667
        assert pages == 4  # the whole kind was read
        assert calls.count("organization") == len(managed)
    finally:
        sandbox.close()
