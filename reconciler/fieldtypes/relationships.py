"""Organization relationships: an organization's `parent:` and its `related:` organizations (issue 27).

Pipedrive keeps them as objects of their own (v1 `/api/v1/organizationRelationships`, current):
a `parent` relationship has an owner (the parent) and a linked organization (the daughter); a
`related` one links two organizations either way round. So, like a deal's products, they are
written after the organization by calls of their own (reconciler/pipedrive/attached.py), and
read for the organizations that declare them (one list call each, `?org_id=`), and by `export`
for every organization it writes (docs/costs.md: no cheaper list exists).

Manifest form, on the organization that is the daughter or one of the pair:
`parent: other-org-key` (one organization, or null: no parent) and `related: [keys]` (the whole
set of its related organizations). Both ends may be created in the same apply (the relationship
waits for both ids). A related pair declared from both ends is one relationship: the writer adds it
only when Pipedrive does not hold it yet, and both ends then see it (no duplicate).

Canonical values: live, `{org, id}` (the other organization, the relationship's id) or None for
the parent, a list of them for `related`; desired, the other organization's id (a Placeholder for
one this apply creates) or a list of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.fieldtypes.base import Drop, FieldType, ValueProblem
from reconciler.fieldtypes.references import REF, SingleReference, ref_value
from reconciler.manifest.model import Reference
from reconciler.normalize import Placeholder


def _org(item: Any) -> Any:
    """The other organization of a live relationship ({org, id}) or of a desired id."""
    return item.get("org") if isinstance(item, dict) else item


class OrgParent(SingleReference):
    """An organization's parent organization: a key, {id: N}, or null for none."""

    name = "organization parent"
    attached = True
    # no list answer carries or counts relationships (the official client's only list takes one
    # org_id): export reads every organization's, one call each, unless `--without relationships`
    read_per_object = "relationships"

    def schema(self, spec):
        ref, _ = REF.schema(spec)
        return ref, "The parent organization, by key or {id: N}; null: none (a parent relationship in Pipedrive)."

    def expectation(self, spec):
        return "the key of an organization or {id: N}"

    def to_api(self, spec, value, ctx, declared, live):
        return REF.to_api(spec, value, ctx, declared, live)

    def from_api(self, spec, value, ctx):
        return REF.from_api(spec, _org(value), ctx)

    def export(self, spec, value, ctx, obj):
        _check_listed(spec, [value], ctx)
        return REF.export(spec, value, ctx, obj)  # an organization export left out stays {id: N}

    def same(self, spec, desired, live):
        if isinstance(desired, Placeholder):
            return False
        return desired == _org(live)

    def comparable(self, spec, value, like=None):
        return None if value is None else str(_org(value))

    def attached_ops(self, spec, desired, live):
        if desired is not None and not isinstance(desired, Placeholder) and desired == _org(live):
            return {"add": [], "delete": []}
        return {"add": [] if desired is None else [{"type": "parent", "org": desired}],
                "delete": [] if live is None else [live["id"]]}

    def match_value(self, spec, value):
        return None

    match_live = match_value


class OrgRelated(FieldType):
    """An organization's related organizations: the whole set, by key or {id: N}."""

    name = "organization related"
    attached = True
    read_per_object = "relationships"  # the same list call as the parent's (one per organization)

    def schema(self, spec):
        ref, _ = REF.schema(spec)
        return ({"type": "array", "items": ref},
                "Related organizations, by key or {id: N}: the whole set (one not listed is unlinked).")

    def expectation(self, spec):
        return "a list of organization keys (or {id: N})"

    def convert(self, spec, value, pos):
        refs = [ref_value(spec.ref_kind or "", item, pos) for item in value]
        named = [(r.key, r.id) for r in refs]
        if len(set(named)) != len(named):
            raise ValueProblem(f"field '{spec.name}' lists an organization twice")
        return refs

    def references(self, spec, value):
        for item in value or []:
            if isinstance(item, Reference):
                yield item

    def to_api(self, spec, value, ctx, declared, live):
        return [REF.to_api(spec, item, ctx, declared, live) for item in value]

    def from_api(self, spec, value, ctx):
        shown = [REF.from_api(spec, _org(item), ctx) for item in value or []]
        return sorted(shown, key=lambda item: (isinstance(item, dict), str(item)))

    def export(self, spec, value, ctx, obj):
        _check_listed(spec, value, ctx)
        return value

    def same(self, spec, desired, live):
        if any(isinstance(item, Placeholder) for item in desired or []):
            return False
        return self.comparable(spec, desired) == self.comparable(spec, live)

    def comparable(self, spec, value, like=None):
        return sorted({str(_org(item)) for item in value or []})

    def attached_ops(self, spec, desired, live):
        wanted = [item for item in desired or []]
        have = {str(_org(item)): item for item in live or []}
        known = {str(item) for item in wanted if not isinstance(item, Placeholder)}
        return {"add": [{"type": "related", "org": item} for item in wanted
                        if isinstance(item, Placeholder) or str(item) not in have],
                "delete": [item["id"] for key, item in have.items() if key not in known]}

    def match_value(self, spec, value):
        return None

    match_live = match_value


def _check_listed(spec: Any, shown: list[Any], ctx: Any) -> None:
    """Drop (leave undeclared, with a warning) relationships to an organization the account no longer
    lists while export writes every organization: no manifest can name it, and the plan would refuse
    `{id: N}` (as a deal's line whose product was deleted, reconciler/fieldtypes/composites.py)."""
    gone = [item["id"] for item in shown if isinstance(item, dict)]
    if gone and spec.ref_kind in ctx.exported:
        raise Drop(f"a relationship names organization id {gone[0]}, which the account no longer lists")


ORG_PARENT = OrgParent()
ORG_RELATED = OrgRelated()


def with_implied_related(declared: list[Any], planned: list[Any]) -> list[Any]:
    """`planned` with each organization's `related:` completed by the organizations whose manifests list it.

    Why: a related relationship has two ends, and `related:` is the whole set of an organization's.
    When Y lists X and X lists only Z, X's whole set is {Y, Z}: without this, X's plan would unlink Y
    and Y's would link it again, every apply. Only keys are followed (an `{id: N}` names no manifest).
    `declared` is every resource of the manifests, `planned` those this plan compares (--target).
    A completed organization is a new Resource: the loaded ones stay as the files say, so a later
    load may share them (loader: files unchanged since an earlier load are not read again).
    """
    listing: dict[str, list[Reference]] = {}
    for res in declared:
        if res.kind == "organization" and not res.absent and isinstance(res.fields.get("related"), list):
            for ref in res.fields["related"]:
                if isinstance(ref, Reference) and ref.key:
                    listing.setdefault(ref.key, []).append(Reference("organization", res.key, None, ref.pos))
    if not listing:
        return planned
    completed = list(planned)
    for index, res in enumerate(planned):
        if res.kind != "organization" or not isinstance(res.fields.get("related"), list):
            continue
        have = {ref.key for ref in res.fields["related"] if isinstance(ref, Reference)}
        extra = [ref for ref in listing.get(res.key, []) if ref.key not in have]
        if extra:
            completed[index] = replace(res, fields={**res.fields, "related": [*res.fields["related"], *extra]})
    return completed
