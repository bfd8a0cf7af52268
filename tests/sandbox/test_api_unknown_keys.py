"""Unknown or misspelt keys, one way for every kind (issue 27): v2 validates every body and refuses a key
outside the official request model with a 400 (a misspelt key is never dropped with a 200); v1, which
coerces its input, ignores unknown standard keys on every kind it serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PD

from conftest import assert_error

from reconciler.sandbox.pipedrive.base import v2_request_keys
from reconciler.sandbox.pipedrive.model import V2_SANDBOX_ONLY

MODELS = Path(__file__).resolve().parents[1] / "conformance" / "models_v2.json"
CREATES = {
    "deals": {"title": "Typo deal"},
    "persons": {"name": "Typo person"},
    "organizations": {"name": "Typo org"},
    "activities": {"subject": "Typo call", "type": "call"},
    "products": {"name": "Typo product"},
    "pipelines": {"name": "Typo pipeline"},
}


@pytest.mark.parametrize("path", sorted(CREATES))
def test_v2_refuses_a_misspelt_key_on_create_and_update(pd_current: PD, path: str) -> None:
    pd = pd_current
    assert_error(pd.post(f"/api/v2/{path}", {**CREATES[path], "titel": "x"}), 400, "'titel' is not allowed")
    made = pd.post(f"/api/v2/{path}", CREATES[path])
    assert made.status == 200, made.body
    assert_error(pd.patch(f"/api/v2/{path}/{made.data['id']}", {"vlaue": 5}), 400, "'vlaue' is not allowed")


def test_v2_stages_refuse_a_misspelt_key(pd_current: PD) -> None:
    assert_error(pd_current.post("/api/v2/stages", {"name": "S", "pipeline_id": 1, "colour": "red"}), 400,
                 "'colour' is not allowed")


def test_v1_ignores_unknown_standard_keys_on_every_kind(pd: PD) -> None:
    org = pd.post("/api/v1/organizations", {"name": "V1 org", "titel": "x"})
    assert org.status == 201, org.body
    deal = pd.post("/api/v1/deals", {"title": "V1 deal", "vlaue": 5})
    assert deal.status == 201 and deal.data["value"] == 0
    note = pd.post("/api/v1/notes", {"content": "n", "org_id": org.data["id"], "colour": "red"})
    assert note.status == 201, note.body


def _official(models: tuple[str, ...]) -> set[str]:
    data = json.loads(MODELS.read_text(encoding="utf-8"))["models"]

    def fields(node: dict) -> set[str]:
        if node.get("type") == "ref":
            return fields(data[node["ref"]])
        if node.get("kind") == "allOf":
            return set().union(*(fields(part) for part in node["of"]))
        return set(node.get("fields", {}))

    return set().union(*(fields({"type": "ref", "ref": name}) for name in models))


@pytest.mark.parametrize(("kind", "models"), [
    ("deal", ("AddDealRequest", "UpdateDealRequest")),
    ("person", ("AddPersonRequest", "UpdatePersonRequest")),
    ("organization", ("AddOrganizationRequest", "UpdateOrganizationRequest")),
    ("activity", ("AddActivityRequest",)),
])
def test_the_v2_keys_taken_are_the_official_request_models(kind: str, models: tuple[str, ...]) -> None:
    assert v2_request_keys(kind) - set(V2_SANDBOX_ONLY.get(kind, ())) == _official(models)
