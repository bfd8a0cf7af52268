"""What a plan records of a changed value: manifest language all the way down, and keyed item changes.

Why a module of its own: the planner compares canonical API values, but reviewers read the
plan in the manifests' language. A declared value can hold references deep inside it (a
deal's products name a product, an activity's participants name persons); shown as they
are, they printed as Python objects (`Reference(kind='product', ...)`). And a list of
attached objects is a set of lines keyed by what they attach: a quantity changed on one
line is that line changed, not the whole list removed and added again. This module turns
both into plain JSON values the renderers and the plan JSON share.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifest.model import Reference

# the deal-products field's item key (reconciler.fieldtypes.DealProducts): the product it attaches
ITEM_KEY = "product"
_NUMBERS = ("quantity", "item_price", "discount", "tax")


def manifest_value(value: Any) -> Any:
    """A declared value as the plan shows it: every reference as its key, or {id: N}."""
    if isinstance(value, Reference):
        return value.key if value.key is not None else {"id": value.id}
    if isinstance(value, list | tuple):
        if not any(isinstance(item, Reference | dict) for item in value):
            return value  # a list of plain values keeps its items (an option list's renames)
        return [manifest_value(item) for item in value]
    if isinstance(value, dict) and any(isinstance(item, Reference | dict | list) for item in value.values()):
        return {key: manifest_value(item) for key, item in value.items()}
    return value


def is_item_list(value: Any) -> bool:
    """A list of attached lines keyed by what each attaches (a deal's products)."""
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) and ITEM_KEY in i for i in value)


def item_name(item: dict) -> str:
    """The line's key: the product's manifest key, or "id N" for one the manifests do not declare."""
    target = item.get(ITEM_KEY)
    if isinstance(target, dict):
        return f"id {target.get('id')}"
    return str(target)


def _keyed(items: list[dict]) -> dict[str, dict]:
    """Lines by key; a product attached twice is "robot-arm", then "robot-arm #2"."""
    out: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for item in items:
        name = item_name(item)
        seen[name] = seen.get(name, 0) + 1
        out[name if seen[name] == 1 else f"{name} #{seen[name]}"] = item
    return out


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _line_differs(before: dict, after: dict) -> bool:
    """As apply decides it (DealProducts._differs): the declared keys only, a missing number is 0."""
    for key, value in after.items():
        if key == ITEM_KEY:
            continue
        current = before.get(key)
        if key in _NUMBERS:
            if _number(value) != _number(current if current is not None else 0):
                return True
        elif value != current:
            return True
    return False


def item_changes(before: Any, after: Any) -> dict | None:
    """{items: [{key, before, after}], unchanged: N} for two lists of keyed lines; None otherwise.

    Only the lines that change are listed: `before` null for a line added, `after` null for
    one removed. Unchanged lines are counted, never shown as removed and added again.
    """
    if not (is_item_list(after) or is_item_list(before)):
        return None
    if not all(isinstance(v, list) for v in (before or [], after or [])):
        return None
    old, new = _keyed(before or []), _keyed(after or [])
    if not all(ITEM_KEY in i for i in [*old.values(), *new.values()]):
        return None
    items: list[dict] = []
    unchanged = 0
    for key, line in new.items():
        was = old.get(key)
        if was is None:
            items.append({"key": key, "before": None, "after": line})
        elif _line_differs(was, line):
            items.append({"key": key, "before": was, "after": line})
        else:
            unchanged += 1
    items.extend({"key": key, "before": line, "after": None} for key, line in old.items() if key not in new)
    return {"items": items, "unchanged": unchanged}


def change_detail(before: Any, after: Any) -> dict[str, list] | None:
    """What was added to and removed from a list value (emails, phones, set options), by key
    where the value has keys (deal products, participants: item_changes).

    deepdiff runs only here, on the few fields whose plain equality already failed.
    """
    keyed = item_changes(before, after)
    if keyed is not None:
        return keyed
    if not (isinstance(before, list) and isinstance(after, list)):
        return None
    from deepdiff import DeepDiff

    diff = DeepDiff(before, after, ignore_order=True)
    added = list(diff.get("iterable_item_added", {}).values())
    removed = list(diff.get("iterable_item_removed", {}).values())
    for change in diff.get("values_changed", {}).values():
        added.append(change["new_value"])
        removed.append(change["old_value"])
    if not added and not removed:
        return {"reordered": list(after)}
    # an item that says which old item it replaces (a renamed option keeps its id: fieldtypes.Renamed)
    renamed = [[item.was, str(item)] for item in after
               if getattr(item, "was", None) in removed and item in added and item.was not in after]
    if renamed:
        added = [a for a in added if not any(a == new for _, new in renamed)]
        removed = [r for r in removed if not any(r == old for old, _ in renamed)]
        return {"added": added, "removed": removed, "renamed": renamed}
    return {"added": added, "removed": removed}
