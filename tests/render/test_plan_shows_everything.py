"""Plans show everything, by key (issue 26, item 1).

Reproduced before: a deal's products and an activity's participants printed as
`Reference(kind='product', key='robot-arm', id=None, pos=Position(...))` in text, markdown
and the plan JSON (and the JSON still passed the schema); a quantity 2 → 3 was invisible;
every value was cut at 80 characters, so "March 2027" → "March 2029" near the end of a long
note showed identical before and after; an option the plan removes showed as its raw id
(`fields.Lead source: 11 → "Cold call"`); the PR comment left out a delete's orphans and the
plan's warnings, and a plan refused by max_deletes had no comment at all.

Here the examples are applied to a sandbox, then Pipedrive and the manifests are both
changed, and the plan is read the three ways a reviewer meets it. The PR comment is
rendered with a CommonMark renderer (markdown-it-py), as GitHub and GitLab render it.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from reconciler.plan import Change, Plan
from reconciler.render import render_markdown, render_text
from reconciler.render.values import word_diff
from tests.conftest import InProcess, check_plan_json, copy_examples, invoke
from tests.render.test_markdown import read

LONG = ("Three plants in the Midwest; procurement signs anything above 10k. The renewal is due at the end of "
        "the fiscal year, and the CFO asked us to hold the current pricing until March 2027 at the latest.")


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _first_state(data: dict) -> None:
    data["notes"]["acme-org-profile"]["content"] = LONG
    data["activities"]["acme-pilot-demo"]["participants"] = ["jane-roe"]


def _second_state(data: dict) -> None:
    data["notes"]["acme-org-profile"]["content"] = LONG.replace("March 2027", "March 2029")
    data["activities"]["acme-pilot-demo"]["participants"] = ["jane-roe", "john-doe"]
    data["deals"]["acme-robotics-pilot"]["products"] = [{"product": "robot-arm", "quantity": 3, "item_price": 6000}]
    data["deals"]["acme-robotics-pilot"]["fields"]["Lead source"] = "Cold call"
    # the plan removes the option "Event" that two live deals use, and moves both off it
    data["custom_fields"] = {"deal-lead-source": {"kind": "deal", "name": "Lead source", "type": "enum",
                                                  "options": ["Referral", "Website", "Cold call", "Partner"]}}


def _initech(data: dict) -> None:
    data["deals"]["initech-fleet-tracking"]["fields"]["Lead source"] = "Website"
    data["persons"]["joanna-lee"]["absent"] = True  # deleted, with a note made in Pipedrive pointing at her
    del data["activities"]["initech-lunch"]


def _scenario(tmp_path: Path) -> tuple[Path, str]:
    project = copy_examples(tmp_path / "crm")
    db = str(tmp_path / "s.db")
    _edit(project / "accounts" / "acme.yaml", _first_state)
    first = invoke(["apply", str(project), "--sandbox", db, "--auto-approve"])
    assert first.code == 0, first.both
    sandbox = InProcess(db)
    try:
        deals = {d["title"]: d["id"] for d in sandbox.call("GET", "/api/v2/deals")}
        persons = {p["name"]: p["id"] for p in sandbox.call("GET", "/api/v2/persons")}
        # drift: the sales team renamed a deal in Pipedrive
        sandbox.call("PATCH", f"/api/v2/deals/{deals['Acme renewal 2027']}", json={"title": "Acme renewal 2027 (EU)"})
        # an archived deal the manifests do not say is archived: the plan warns about it
        sandbox.call("PATCH", f"/api/v2/deals/{deals['Globex premium support upgrade']}", json={"is_archived": True})
        # a note made in Pipedrive on a person the plan deletes: an orphan
        sandbox.call("POST", "/api/v1/notes", json={"content": "called back", "person_id": persons["Joanna Lee"]})
    finally:
        sandbox.close()
    _edit(project / "accounts" / "acme.yaml", _second_state)
    _edit(project / "accounts" / "initech.yaml", _initech)
    return project, db


def test_plan_text_json_and_comment_show_every_change_by_key(tmp_path: Path) -> None:
    project, db = _scenario(tmp_path)
    base = ["plan", str(project), "--sandbox", db, "--max-deletes", "1"]

    data = check_plan_json(json.loads(invoke([*base, "--format", "json"]).out))
    assert "Reference(" not in json.dumps(data)
    fields = {(c["kind"], c["key"]): c["fields"] for c in data["changes"]}
    products = fields[("deal", "acme-robotics-pilot")]["products"]
    assert products["detail"] == {"items": [{
        "key": "robot-arm", "before": {"product": "robot-arm", "quantity": 2, "item_price": 6000},
        "after": {"product": "robot-arm", "quantity": 3, "item_price": 6000}}], "unchanged": 0}
    participants = fields[("activity", "acme-pilot-demo")]["participants"]
    assert participants["after"] == ["jane-roe", "john-doe"]
    assert participants["detail"] == {"added": ["john-doe"], "removed": []}
    assert fields[("deal", "acme-robotics-pilot")]["fields.Lead source"] == {"before": "Event", "after": "Cold call"}
    assert fields[("deal", "initech-fleet-tracking")]["fields.Lead source"]["before"] == "Event"
    deletes = {c["key"]: c for c in data["changes"] if c["action"] == "delete"}
    assert set(deletes) == {"joanna-lee", "initech-lunch"}
    assert len(deletes["joanna-lee"]["orphans"]) == 1

    text = invoke([*base]).out
    assert "~ robot-arm × 2 @ 6,000 → robot-arm × 3 @ 6,000" in text
    assert "products: 1 line changed" in text
    assert "[-2027-]{+2029+}" in text and "March" in text
    assert 'fields.Lead source: "Event" → "Cold call"' in text
    assert "Reference(" not in text

    result = invoke([*base, "--format", "markdown", "--detailed-exitcode"])
    assert result.code == 1  # refused: 2 deletes, more than --max-deletes 1 ...
    comment = result.out  # ... and the comment is still the whole plan, saying why
    reader = read(comment)
    shown = "".join(reader.all_text)
    assert "Refused: the plan deletes 2 objects, more than max_deletes 1" in "".join(reader.outside)
    assert "robot-arm × 2 @ 6,000 → robot-arm × 3 @ 6,000" in shown
    assert "[-2027-]{+2029+}" in shown
    assert 'participants: ["jane-roe"] → ["jane-roe", "john-doe"] +"john-doe"' in shown
    assert "person.joanna-lee" in shown and "orphans 1 objects not in the manifests: note " in shown
    assert "drift: changed in Pipedrive" in shown and "Acme renewal 2027 (EU)" in shown
    assert "is archived in Pipedrive" in shown  # the warning the text plan prints on stderr
    assert "Reference(" not in shown
    assert not reader.comments and "script" not in reader.tags


def test_a_long_text_shows_its_changed_words_never_a_cut() -> None:
    before = "x " * 100 + "until March 2027 at the latest."
    after = before.replace("2027", "2029")
    plan = Plan(changes=[Change("update", "note", "n", 1, fields={"content": {"before": before, "after": after}})])
    for rendered in (render_text(plan).replace("\\[", "["), render_markdown(plan, limit=60_000, url=None)):
        assert "until March [-2027-]{+2029+} at the latest." in rendered
    created = Plan(changes=[Change("create", "note", "n", None, fields={"content": {"before": None, "after": after}})])
    for rendered in (render_text(created), render_markdown(created, limit=60_000, url=None)):
        assert "until March 2029 at the latest." in rendered  # a create shows its whole text, never cut
    assert word_diff("a b c", "a b c d") == "a b c{+ d+}"
    assert word_diff("one\ntwo", "one\nthree") == "one\\n[-two-]{+three+}"


def test_the_comment_carries_the_plans_warnings_and_hints() -> None:
    hint = "who changed the 40 drifted objects was not looked up (it would cost 40 calls, 400 tokens): " \
           "pass --drift-details to fetch it"
    plan = Plan(changes=[Change("delete", "organization", "acme", 7, reason="removed from the manifests",
                                orphans=["person 12", "note 40"])], warnings=[hint, "deal.x is archived @everyone"])
    reader = read(render_markdown(plan, limit=60_000, url=None))
    shown = "".join(reader.all_text)
    assert "--drift-details" in shown and "is archived" in shown
    assert "orphans 2 objects not in the manifests: person 12, note 40" in shown
    assert "@everyone" not in "".join(reader.outside)
