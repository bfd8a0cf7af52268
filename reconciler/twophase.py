"""Writes a create cannot carry: sent by an update once the object exists (`Change.later`).

Two cases, both valid manifests that one apply must converge on:

- **Reference cycles.** An organization's people-type custom field ("Main contact") naming a
  person who works at that organization: each create needs the other's id, so neither could
  start (apply used to skip both, "its dependencies form a cycle", on every run). Only custom
  fields can close a cycle (the standard references all point from child to parent), so the
  cycle is cut at a custom field: the create goes without it, and the field is set by an
  update in apply's second phase, once every create is made. The plan says so (a warning),
  and so does `validate` when the manifests declare the field's type (`manifest_cycles`).
- **Fields Pipedrive refuses in a create** (`KindSpec.create_later`): a lead's `is_archived`
  ("not allowed" in the POST): the lead is created, then archived.

The second phase is an update of the same object; its digests are recorded in the lock once
it is made (a failure there leaves the create recorded, and the next plan finishes the job).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.normalize import placeholders_in

if TYPE_CHECKING:
    from reconciler.manifest.model import Manifest
    from reconciler.plan import Change

CUSTOM = "custom_fields"  # where a change's writes hold custom field values (FieldSpec.container)
REFERENCE_TYPES = {"people": "person", "org": "organization"}  # custom field types naming records


def split_writes(changes: list[Change]) -> list[str]:
    """Move what a create cannot carry into `later`; returns what the plan should say."""
    notices: list[str] = []
    for change in changes:
        if change.action != "create":
            continue
        for api in kinds.kind(change.kind).create_later:
            if api in change.writes:
                change.later[api] = change.writes.pop(api)
                # what waits in `later` waits for every create (the second phase), not for one of them
                # (an organization's relationships: both ends may be new, each naming the other)
                waiting = {p.address for p in placeholders_in(change.later[api])}
                still = {p.address for p in placeholders_in(change.writes)}
                change.depends_on[:] = [d for d in change.depends_on if d not in waiting or d in still]
    by_address = {c.address: c for c in changes if c.action != "delete"}
    while True:
        cycle = _find_cycle(by_address)
        if cycle is None:
            return notices
        for index, address in enumerate(cycle):
            target = cycle[(index + 1) % len(cycle)]
            labels = _defer_custom(by_address[address], target)
            if labels:
                path = " → ".join([*cycle[index:], *cycle[:index], address])
                notices.append(f"a reference cycle ({path}): {address} is written without "
                               f"{', '.join(labels)}, set by a second write once {target} exists")
                break
        else:
            return notices  # no custom field closes it: apply reports the cycle (a plan never has one)


def _find_cycle(by_address: dict[str, Change]) -> list[str] | None:
    """One cycle of `depends_on` among the changes, in dependency order, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(address: str) -> list[str] | None:
        state[address] = 1
        path.append(address)
        for need in by_address[address].depends_on:
            if need not in by_address or need == address:
                continue
            if state.get(need) == 1:
                return path[path.index(need):]
            if need not in state:
                found = visit(need)
                if found:
                    return found
        path.pop()
        state[address] = 2
        return None

    for address in by_address:
        if address not in state:
            found = visit(address)
            if found:
                return found
    return None


def _defer_custom(change: Change, target: str) -> list[str]:
    """Move the custom field values that name `target` to `later`; the labels moved."""
    values = change.writes.get(CUSTOM)
    if not isinstance(values, dict):
        return []
    moved = [key for key, value in values.items() if any(p.address == target for p in placeholders_in(value))]
    if not moved:
        return []
    later = change.later.setdefault(CUSTOM, {})
    for key in moved:
        later[key] = values.pop(key)
    if not values:
        del change.writes[CUSTOM]
    if not any(p.address == target for p in placeholders_in(change.writes)):
        change.depends_on.remove(target)
    key = target.split(".", 1)[1]  # the manifests name the target by its key: that is the field's value
    labels = [label for label, diff in change.fields.items()
              if label.startswith("fields.") and key in _keys(diff.get("after"))]
    return labels if len(labels) == len(moved) else [f"{len(moved)} custom field(s) naming {target}"]


def _keys(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def manifest_cycles(manifest: Manifest) -> list[str]:
    """Reference cycles `validate` can see offline: through custom fields whose type the
    manifests declare (people, org), and the standard references. Said, not refused: apply cuts them."""
    types: dict[tuple[str, str], str] = {}
    for res in manifest.resources:
        if res.kind == "custom_field" and res.fields.get("type") in REFERENCE_TYPES:
            types[(str(res.fields.get("kind")), str(res.fields.get("name")))] = REFERENCE_TYPES[res.fields["type"]]
    declared = {(r.kind, r.key) for r in manifest.resources if not r.absent}
    edges: dict[str, list[str]] = {}
    for res in manifest.resources:
        spec = kinds.BY_NAME.get(res.kind)
        if spec is None or res.absent:
            continue
        entity = spec.custom_fields_of or res.kind
        targets = edges.setdefault(f"{res.kind}.{res.key}", [])
        for name, value in res.fields.items():
            field_spec = spec.field(name)
            if field_spec is not None and field_spec.api in spec.create_later:
                continue  # written after every create: it closes no cycle
            for ref in field_spec.type.references(field_spec, value) if field_spec is not None else ():
                if ref.key and (ref.kind, ref.key) in declared:
                    targets.append(f"{ref.kind}.{ref.key}")
        for name, value in (res.fields.get("fields") or {}).items() if isinstance(res.fields.get("fields"), dict) \
                else ():
            ref_kind = types.get((entity, str(name)))
            if ref_kind and isinstance(value, str) and (ref_kind, value) in declared:
                targets.append(f"{ref_kind}.{value}")
    seen: set[frozenset[str]] = set()
    notices = []
    for start in edges:
        cycle = _cycle_from(start, edges)
        if cycle and frozenset(cycle) not in seen:
            seen.add(frozenset(cycle))
            notices.append(f"a reference cycle ({' → '.join([*cycle, cycle[0]])}): apply creates one of them "
                           "without the custom field that closes it, then sets that field (two writes)")
    return notices


def _cycle_from(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """The shortest cycle through `start`, breadth first, or None."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in edges.get(node, ()):
                if nxt == start:
                    cycle = [node]
                    while cycle[-1] != start:
                        cycle.append(parents[cycle[-1]])
                    return list(reversed(cycle))
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return None
