"""A product's variations: [{name: Large, prices: [{price: 150, currency: USD}]}] (issue 27).

Pipedrive keeps them as objects of their own under the product (v2
`/api/v2/products/{id}/variations`: list, add, update, delete), so, like a deal's products, they
are written after the product by calls of their own (reconciler/pipedrive/attached.py) and read for
the products that declare them (one list call each), and by `export` for every product it writes
(docs/costs.md: no cheaper list exists).

The list is the whole set: a variation is known by its name (a renamed one is removed and added),
one not listed is deleted. Its prices are a product's prices (one per currency, only the keys
written are managed, reconciler/fieldtypes/composites.py `Prices`); a variation declared without
`prices` leaves its prices as Pipedrive has them.

Canonical values: desired `[{name, prices?}]`, live `[{id, name, prices}]`.
"""

from __future__ import annotations

from typing import Any

from reconciler.fieldtypes.base import FieldType, ValueProblem
from reconciler.fieldtypes.composites import PRICES


def _by_name(items: Any) -> dict[str, dict]:
    return {str(item.get("name")): item for item in items or []}


class Variations(FieldType):
    """A product's variations, each a name and its prices."""

    name = "product variations"
    attached = True
    # no list answer carries or counts variations (the official client's products list has no
    # include_fields): export reads every product's, one call each, unless `--without variations`
    read_per_object = "variations"

    def schema(self, spec):
        prices, _ = PRICES.schema(spec)
        item = {"type": "object", "properties": {"name": {"type": "string", "minLength": 1},
                                                 "prices": prices},
                "required": ["name"], "additionalProperties": False}
        return ({"type": "array", "items": item},
                "Each {name, prices} (prices as the product's: one per currency); the whole set: a variation "
                "not listed is deleted.")

    def expectation(self, spec):
        return "a list of {name, prices}"

    def convert(self, spec, value, pos):
        names = [str(item["name"]) for item in value]
        if any(len(name) > 255 for name in names):
            raise ValueProblem(f"field '{spec.name}': a variation's name has at most 255 characters (Pipedrive's limit)")
        if len(set(names)) != len(names):
            raise ValueProblem(f"field '{spec.name}' has two variations named alike: a variation is known by its name")
        return [{**item, **({"prices": PRICES.convert(spec, item["prices"], pos)} if "prices" in item else {})}
                for item in value]

    def to_api(self, spec, value, ctx, declared, live):
        return [{"name": item["name"], **({"prices": PRICES.to_api(spec, item["prices"], ctx, declared, live)}
                                          if "prices" in item else {})} for item in value]

    def from_api(self, spec, value, ctx):
        return [{"name": item.get("name"), "prices": PRICES.from_api(spec, item.get("prices"), ctx)}
                for item in sorted(value or [], key=lambda item: str(item.get("name")))]

    def export(self, spec, value, ctx, obj):
        # a variation without prices is written as a product without prices is: `prices` left out
        return [item if item.get("prices") else {"name": item["name"]} for item in value]

    def _differs(self, spec: Any, want: dict, have: dict) -> bool:
        return "prices" in want and not PRICES.same(spec, want["prices"], have.get("prices"))

    def same(self, spec, desired, live):
        want, have = _by_name(desired), _by_name(live)
        return set(want) == set(have) and not any(self._differs(spec, w, have[n]) for n, w in want.items())

    def comparable(self, spec, value, like=None):
        shape = _by_name(like if like is not None else value)
        out = []
        for name, item in sorted(_by_name(value).items()):
            declared = shape.get(name)
            if declared is not None and "prices" not in declared:
                out.append([name])  # prices left as Pipedrive has them
            else:
                out.append([name, PRICES.comparable(spec, item.get("prices"),
                                                    declared.get("prices") if declared else None)])
        return out

    def attached_ops(self, spec, desired, live):
        want, have = _by_name(desired), _by_name(live)
        return {
            "add": [item for name, item in want.items() if name not in have],
            "update": [{"id": have[name]["id"], "prices": item["prices"]} for name, item in want.items()
                       if name in have and self._differs(spec, item, have[name])],
            "delete": [item["id"] for name, item in have.items() if name not in want],
        }

    def match_value(self, spec, value):
        return None

    match_live = match_value


VARIATIONS = Variations()
