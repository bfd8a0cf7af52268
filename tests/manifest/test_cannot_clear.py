"""What Pipedrive cannot clear is refused at validate, never sent (issue 27): a deal's (person's,
organization's, product's) `visible_to: null`, a person's `org: null` and a deal's `probability: null`
each got a 400 from Pipedrive ("cannot be empty") that lost every other change of the same request;
the official request models do not take null for them. `validate` names FILE:LINE and the reason."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import invoke


def test_nulls_pipedrive_cannot_clear_are_refused_at_validate(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    crm.mkdir()
    (crm / "records.yaml").write_text(
        "deals:\n"
        "  renewal:\n"
        "    title: Renewal\n"
        "    visible_to: null\n"
        "    probability: null\n"
        "persons:\n"
        "  ann:\n"
        "    name: Ann\n"
        "    org: null\n"
        "organizations:\n"
        "  acme:\n"
        "    name: Acme\n"
        "    visible_to: null\n",
        encoding="utf-8",
    )
    result = invoke(["validate", str(crm)])
    assert result.code == 1
    lines = [line for line in result.both.splitlines() if "error:" in line]
    assert len(lines) == 4, result.both
    assert "records.yaml:4:" in lines[0] and "UpdateDealRequest.visible_to is not nullable" in lines[0]
    assert "records.yaml:5:" in lines[1] and "UpdateDealRequest.probability is not nullable" in lines[1]
    assert "records.yaml:9:" in lines[2] and "UpdatePersonRequest.org_id is not nullable" in lines[2]
    assert "records.yaml:13:" in lines[3] and "UpdateOrganizationRequest.visible_to" in lines[3]
    assert "Traceback" not in result.both


def test_cleared_labels_are_sent_as_an_empty_list() -> None:
    from reconciler import kinds
    from reconciler.pipedrive import adapters

    assert adapters.to_api("lead", {"label_ids": None}, "v1") == {"label_ids": []}
    assert adapters.to_api("deal", {"label_ids": None}, "v2") == {"label_ids": []}
    assert kinds.kind("deal").field("labels") is not None
