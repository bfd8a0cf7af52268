"""Minimality, counted by the sandbox itself (issue 6, "Must show").

On a seeded account (200 organizations, 400 persons, 600 deals, 600 notes), manifests
adopt a subset: 60 deals and 5 organizations pinned by id, and 40 notes found by their
natural key (parent and content), which the first apply records in the lock. That
first apply must write nothing at all: the manifests were written from the live values.
Then editing 50 deal values, adding 10 persons and removing 20 notes from the manifests
must cost exactly 50 PATCHes, 10 POSTs and 20 DELETEs (notes have no bulk delete in
Pipedrive), and no other write, as the sandbox's /_sandbox/stats counts them.
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.normalize import text_key
from tests.conftest import ServeProcess, check_plan_json, run_cli, write_manifests


def _writes(stats: dict) -> dict[str, int]:
    return {route: n for route, n in stats["by_route"].items() if not route.startswith("GET ")}


def test_edit_50_add_10_delete_20_costs_exactly_80_writes(tmp_path: Path) -> None:
    db = tmp_path / "seeded.db"
    seeded = run_cli("sandbox", "seed", "--db", str(db), "--organizations", "200", "--persons", "400",
                     "--deals", "600", "--notes", "600", "--seed", "11")
    assert seeded.code == 0, seeded.err
    server = ServeProcess(db)
    try:
        api = server.api
        deals = sorted(api.list_all("deal"), key=lambda d: d["id"])[:60]
        orgs = sorted(api.list_all("organization"), key=lambda o: o["id"])[:5]
        # notes on one deal each whose (deal, text) is unique, so the natural key is unambiguous
        seen: dict[tuple, int] = {}
        for note in api.list_all("note"):
            if note.get("deal_id"):
                k = (note["deal_id"], text_key(note["content"]))
                seen[k] = seen.get(k, 0) + 1
        notes = [n for n in sorted(api.list_all("note"), key=lambda n: n["id"])
                 if n.get("deal_id") and seen[(n["deal_id"], text_key(n["content"]))] == 1][:40]
        assert len(deals) == 60 and len(notes) == 40

        data: dict[str, dict] = {"organizations": {}, "deals": {}, "notes": {}, "persons": {}}
        for org in orgs:
            data["organizations"][f"org-{org['id']}"] = {"id": org["id"], "name": org["name"]}
        for deal in deals:
            data["deals"][f"deal-{deal['id']}"] = {"id": deal["id"], "title": deal["title"],
                                                   "value": deal["value"], "currency": deal["currency"]}
        for note in notes:
            data["notes"][f"note-{note['id']}"] = {"deal": {"id": note["deal_id"]},
                                                   "content": text_key(note["content"])}
        project = write_manifests(tmp_path / "project", data)
        endpoint = ("--endpoint", server.endpoint)

        api.reset_stats()
        first = run_cli("apply", str(project), "--auto-approve", *endpoint)
        assert first.code == 0, first.err
        assert _writes(api.stats()) == {}, "adopting unchanged objects must not write"
        lock = json.loads((project / "reconciler.lock").read_text())
        assert len(lock["resources"]["note"]) == 40, "notes matched by natural key are journalled"

        # the edits: 50 deal values, 10 new persons, 20 notes removed from the manifests
        for deal in deals[:50]:
            data["deals"][f"deal-{deal['id']}"]["value"] = round(float(deal["value"] or 0) + 1234.5, 2)
        for i in range(10):
            org = orgs[i % len(orgs)]
            data["persons"][f"new-person-{i}"] = {"name": f"New Person {i}", "org": f"org-{org['id']}",
                                                  "emails": [f"new.person.{i}@minimal.example.com"]}
        for note in notes[:20]:
            del data["notes"][f"note-{note['id']}"]
        write_manifests(project, data)

        planned = run_cli("plan", str(project), "--format", "json", *endpoint)
        assert planned.code == 0, planned.err
        plan = check_plan_json(json.loads(planned.out))
        assert plan["summary"] == {"create": 10, "update": 50, "delete": 20, "unchanged": 35}
        for change in plan["changes"]:
            if change["action"] == "update":
                assert set(change["fields"]) == {"value"}, change
                assert set(change["writes"]) == {"value"}, "only changed fields are sent"

        api.reset_stats()
        applied = run_cli("apply", str(project), "--auto-approve", "--max-deletes", "20", *endpoint)
        assert applied.code == 0, applied.err
        assert _writes(api.stats()) == {
            "PATCH /api/v2/deals/{id}": 50,
            "POST /api/v2/persons": 10,
            "DELETE /api/v1/notes/{id}": 20,
            # the account's apply lease, taken because the plan creates (reconciler/lease.py):
            # two writes per apply that creates, whatever its size (take it, then delete it)
            "POST /api/v1/leadLabels": 1,
            "DELETE /api/v1/leadLabels/{id}": 1,
        }

        api.reset_stats()
        again = run_cli("plan", str(project), "--detailed-exitcode", *endpoint)
        assert again.code == 0, again.out + again.err
        assert _writes(api.stats()) == {}
        assert len(api.list_all("note")) == 580 and len(api.list_all("person")) == 410
    finally:
        server.stop()
