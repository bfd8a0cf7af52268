"""Whether a saved plan may be applied: signed with this key for this account, made for the
project it would change, and deleting nothing the lock protects.

A saved plan travels (a CI artifact, a file on a shared disk): whoever can edit it could,
with an unkeyed digest, recompute the digest and have apply delete a protected object or
write what review never saw. So `plan --out` signs the plan with an HMAC under a key derived
from the API key and the account id (the sandbox's key counts as a key): no one without the
key can make a plan apply accepts, and a plan made for one account never verifies on another.

What the plan says is still not trusted where the project's own state knows better:
protections are read from the lock on disk, never from the plan (a delete of any object the
lock protects is refused, whatever key the plan names it by); and a plan whose project is no
longer where it was made (its lock's directory or its manifests gone, or applied from
another project's directory) is refused rather than writing a new one-entry lock there.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from reconciler.lock import LockFile
from reconciler.pipedrive.client import PipedriveClient
from reconciler.plan import KEYED, Plan, PlanError

PURPOSE = b"reconciler saved plan v1\0"


def signing_key(client: PipedriveClient, company_id: Any) -> bytes:
    """The key saved plans of this account are signed with (derived; the API key stays in the client)."""
    return client.http.derive_key(PURPOSE + str(company_id).encode())


def sign(plan: Plan, client: PipedriveClient) -> None:
    """Sign the plan for saving (`plan --out`): its JSON then carries an HMAC digest."""
    plan.signing_key = signing_key(client, (plan.account or {}).get("company_id"))


def verify(plan: Plan, client: PipedriveClient, company_id: Any) -> None:
    """Refuse a saved plan not signed with this key for this account (or changed since)."""
    if plan.saved_body is None or not (plan.saved_digest or "").startswith(KEYED):
        raise PlanError("the plan is not signed (made by an older version, or not written by "
                        "`reconciler plan --out`): make a new plan")
    expected = KEYED + hmac.new(signing_key(client, company_id), plan.saved_body.encode(),
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(plan.saved_digest)):
        raise PlanError("the plan was changed after it was written, or made with another API key or for another "
                        "account (its signature does not match): make a new plan, never edit one")


def check_project(plan: Plan, cwd: Path | None = None) -> None:
    """Refuse a plan whose project is gone from where it was made, or applied from another project."""
    if not plan.lock_file:
        return
    lock_file = Path(plan.lock_file)
    project = lock_file.parent
    if not lock_file.is_absolute() or not project.is_dir():
        raise PlanError(f"the plan was made for the project in {project}, which is not there any more (moved, or "
                        "another machine): make a new plan where the project is")
    missing = [p for p in plan.manifest_paths if not Path(p).exists()]
    if missing:
        raise PlanError("the manifests the plan was made from are gone (" + ", ".join(missing) + "): make a new "
                        "plan where the project is")
    here = (cwd or Path.cwd()) / lock_file.name
    if here.exists() and here.resolve() != lock_file.resolve():
        raise PlanError(f"the plan was made for the project in {project}, not the one in {here.parent}: apply it "
                        "from its own project, or make a new plan here")


def check_protections(plan: Plan, lock: LockFile) -> None:
    """Refuse a delete of any object the lock protects, whatever key the plan gives it."""
    protected = {(kind_name, lock.id_for(kind_name, key)): key
                 for kind_name, keys in lock.protected.items() for key in keys}
    hits = [f"{c.kind} {protected[(c.kind, c.id)]!r} (id {c.id})" for c in plan.changes
            if c.action == "delete" and (c.kind, c.id) in protected]
    if hits:
        raise PlanError("the plan deletes what the lock protects (protect: true): " + ", ".join(hits)
                        + "; refusing to apply it")
