"""An environment's overlay merged over the manifests: by kind and key, field by field.

One manifest set serves several accounts (`[environments.NAME]` in reconciler.toml); what
differs per account (a deal's owner in production, a test organization only in staging)
lives in the environment's overlay directory. A resource of the overlay whose kind and key
the manifests declare replaces only the fields it declares (custom fields under `fields:`
one by one, as they are compared one by one), and its `id`, `absent`, `protect` and
`ignore_changes` when it declares them; any other overlay resource is added. Positions stay
where each value was written, so a problem points at the overlay's line when the overlay's
value is wrong.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler import kinds
from reconciler.manifest.model import Resource


def _merged(base: Resource, layer: Resource) -> Resource:
    spec = kinds.kind(base.kind)
    fields = dict(base.fields)
    for name, value in layer.fields.items():
        field_spec = spec.field(name)
        old = fields.get(name)
        if field_spec is not None and field_spec.type is kinds.CUSTOM and isinstance(old, dict) \
                and isinstance(value, dict):
            fields[name] = {**old, **value}
        else:
            fields[name] = value
    # each meta key the overlay declares wins (a Resource holds each under the key's own name)
    meta = {name: getattr(layer, name) for name in kinds.META_FIELDS if name in layer.field_pos}
    return replace(base, fields=fields, field_pos={**base.field_pos, **layer.field_pos}, **meta)


def merge(base: list[Resource], layer: list[Resource]) -> tuple[list[Resource], list[Resource]]:
    """(the merged resources, in the manifests' order with the overlay's new ones last; the
    resources the overlay touched, for the checks of whole resources)."""
    index = {(res.kind, res.key): i for i, res in enumerate(base)}
    merged = list(base)
    touched: list[Resource] = []
    for res in layer:
        at = index.get((res.kind, res.key))
        if at is None:
            merged.append(res)
            touched.append(res)
            continue
        merged[at] = _merged(merged[at], res)
        touched.append(merged[at])
    return merged, touched
