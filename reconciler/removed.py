"""`removed:` entries: letting go of an object without deleting it, reviewed in git.

As Terraform's `removed` block: a key that left the manifests and is listed under
`removed: [{from: deal.acme-old, destroy: false}]` is no longer managed. The plan says so,
apply drops the lock's entry (identity, protection, what was last applied), and the object
stays in Pipedrive as it is. Without the entry, a key that left the manifests is deleted
(its object was created or adopted by this project); `destroy: true` says that on purpose
and plans the delete as before. Before this, ops trimmed the lock by hand.
"""

from __future__ import annotations

from reconciler.lock import LockFile
from reconciler.manifest.model import Removal


def released_lock(lock: LockFile, removals: list[Removal]) -> tuple[LockFile, list[dict]]:
    """The lock as a plan sees it once the `destroy: false` keys are let go, and those keys
    ([{kind, key, id}]) for apply to forget. A key the lock does not hold needs nothing: its
    entry was applied before (or never recorded)."""
    keep = [r for r in removals if not r.destroy and lock.id_for(r.kind, r.key) is not None]
    if not keep:
        return lock, []
    view = LockFile(path=lock.path, account=lock.account,
                    resources={k: dict(v) for k, v in lock.resources.items()},
                    protected={k: set(v) for k, v in lock.protected.items()},
                    applied={k: dict(v) for k, v in lock.applied.items()})
    released: list[dict] = []
    for removal in keep:
        object_id = view.resources[removal.kind].pop(removal.key)
        view.applied.get(removal.kind, {}).pop(removal.key, None)
        view.protected.get(removal.kind, set()).discard(removal.key)
        released.append({"kind": removal.kind, "key": removal.key, "id": object_id})
    return view, released
