"""Notes and activities whose declared lead Pipedrive converted to a deal.

Converting a lead (`POST /api/v2/leads/{id}/convert/deal`) moves its notes and activities to the
new deal ("related entities (notes, files, emails, activities, ...) are transferred during the
process to the target entity", the official client's LeadsApi.convertLeadToDeal) and deletes the
lead; reconciler/merges.py follows the lead to that deal. A note or activity still declaring
`lead: KEY` would then name a lead that is gone: planned as written, it would either fail to
resolve or move the note back to nothing. What Pipedrive did is what the user asked for by
converting, so, for the plan, such a child's parent is the deal the lead became (`deal: {id: N}`):
an existing child is found there and left alone, a new one is created on that deal. Its `pinned`
is left as Pipedrive carried it (a pin is per parent, and conversion is Pipedrive's to do); a
created one is pinned on the deal. Plans do not rewrite the manifests (the lead keeps its key
and its `followed` entry says what it became); `pull` does (reconciler/converted_leads.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from reconciler.manifest.model import Reference, Resource

if TYPE_CHECKING:
    from reconciler.identity import Identity

LEAD_FIELD = "lead"  # the field of notes and activities naming their lead


def follow_converted_leads(resources: list[Resource], ident: Identity) -> tuple[list[Resource], list[str]]:
    """The resources with each child of a converted lead pointed at the lead's deal, and a notice
    per child so pointed; the same list (no copy) when no declared lead was converted."""
    deals = {key: became.new_id for (kind, key), (became, _owner) in ident.followed.items()
             if kind == "lead" and became.how == "converted"}
    if not deals:
        return resources, []
    out: list[Resource] = []
    notices: list[str] = []
    for res in resources:
        ref = res.fields.get(LEAD_FIELD)
        if not isinstance(ref, Reference) or ref.key not in deals or res.fields.get("deal") is not None:
            out.append(res)
            continue
        fields = {("deal" if name == LEAD_FIELD else name): value for name, value in res.fields.items()
                  if not (name == "pinned" and (res.kind, res.key) in ident.ids)}
        fields["deal"] = Reference(kind="deal", key=None, id=deals[ref.key], pos=ref.pos)
        positions = {("deal" if name == LEAD_FIELD else name): pos for name, pos in res.field_pos.items()}
        out.append(dataclasses.replace(res, fields=fields, field_pos=positions))
        notices.append(f"{res.kind}.{res.key} names lead.{ref.key}, which Pipedrive converted to deal "
                       f"{deals[ref.key]}: it is on that deal now (Pipedrive moved it there); name the deal instead")
    return out, notices
