"""Issue 24, reproduction 2: no false drift or conflict right after a create or an apply.

Each case applies a value, changes only the manifests, and checks the plan shows an ordinary
change (neither drift nor conflict), that `--on-drift fail` lets it through and that
`--on-drift keep` makes it: nobody touched Pipedrive.
"""

from __future__ import annotations

from tests.examples_project import ExamplesProject

REGION = """custom_fields:
  deal-region:
    kind: deal
    name: Region
    type: enum
    options: {options}
"""


def marked(plan: dict) -> list[str]:
    """Every field the plan marks drift or conflict, as KIND.KEY FIELD."""
    return [f"{c['kind']}.{c['key']} {name}" for c in plan["changes"] for name, diff in c["fields"].items()
            if diff.get("drift") or diff.get("conflict")] + \
        [f"{k['kind']}.{k['key']} {name}" for k in plan.get("kept", []) for name in k["fields"]]


def manifests_only_change(project: ExamplesProject) -> dict:
    """The plan after a change made in the manifests alone: ordinary, and applied under every policy."""
    plan = project.plan_json()
    assert plan["changes"] and marked(plan) == [], plan["changes"]
    assert project.run("plan", "--on-drift", "fail").code == 0
    result = project.run("apply", "--auto-approve", "--on-drift", "keep")
    assert result.code == 0, result.err
    assert project.run("plan", "--detailed-exitcode").code == 0
    return plan


def test_options_added_or_renamed_after_the_field_was_created(project: ExamplesProject) -> None:
    shape = project.path / "shape.yaml"
    shape.write_text(REGION.format(options="[EMEA, Americas, APAC]"))
    assert project.run("apply", "--auto-approve").code == 0
    shape.write_text(REGION.format(options="[{label: Europe, was: EMEA}, Americas, APAC, LATAM]"))
    manifests_only_change(project)
    fields = project.api("GET", "/api/v1/dealFields", params={"limit": 500})
    region = next(f for f in fields if f["name"] == "Region")
    assert [o["label"] for o in region["options"]] == ["Europe", "Americas", "APAC", "LATAM"]


def test_one_of_two_deal_product_lines_removed(project: ExamplesProject) -> None:
    two = ("      - {product: robot-arm, quantity: 2, item_price: 6000}\n"
           "      - {product: robot-arm, quantity: 1, item_price: 5000}\n")
    project.edit("acme.yaml", "      - {product: robot-arm, quantity: 2, item_price: 6000}\n", two)
    assert project.run("apply", "--auto-approve").code == 0
    project.edit("acme.yaml", two, "      - {product: robot-arm, quantity: 2, item_price: 6000}\n")
    manifests_only_change(project)


def test_a_monetary_field_changed_from_value_and_currency_to_a_number(project: ExamplesProject) -> None:
    project.edit("acme.yaml", "      Contract value: {value: 150000, currency: USD}\n",
                 "      Contract value: 160000\n")
    manifests_only_change(project)


def test_a_product_tax_declared_null_is_stored_as_0_and_stays_converged(project: ExamplesProject) -> None:
    project.edit("acme.yaml", "    unit: unit\n", "    unit: unit\n    tax: 8\n")
    assert project.run("apply", "--auto-approve").code == 0
    project.edit("acme.yaml", "    tax: 8\n", "    tax: null\n")
    manifests_only_change(project)
