"""One run's wiring: settings → client → account → manifests → live state → plan.

The steps each command's operation (reconciler/operations/) puts in sequence: opening the
client, reading the account, planning (`plan_run`), a saved plan's checks, the refusals
before the first write and the account's lease. Tests and benchmarks drive the same steps,
over any transport.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler import kinds
from reconciler.config import ConfigError, Settings
from reconciler.embedded import SANDBOX_ENDPOINT, SANDBOX_KEY, borrowed, make_transport
from reconciler.identity import Identity, IdentityError, match, same_key_problems
from reconciler.live import LiveState, read_live
from reconciler.lock import LockFile, lock_path_for
from reconciler.manifest import load_manifests
from reconciler.manifest.files import manifests_digest
from reconciler.manifest.model import FileReads, Manifest, Problem, Resource
from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.http import HttpClient, stderr_trace
from reconciler.pipedrive.schema import AccountSchema
from reconciler.plan import Plan, PlanError, PlanPass, build_plan
from reconciler.renames import add_aliases, forget_kept, notices, recorded, renames_used
from reconciler.shape import OptionInUse, check_option_removals

__all__ = ["SANDBOX_ENDPOINT", "SANDBOX_KEY", "Account", "ManifestErrors", "PlanRun", "load", "make_transport",
           "open_client", "plan_run", "read_account", "select_targets"]


class ApplyRefused(Exception):
    """Apply will not start (another account, a stale or changed plan, too many deletes); nothing was written."""


class ManifestErrors(Exception):
    """The manifests have problems; nothing was sent to the API."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the manifests")
        self.problems = problems


@dataclass
class Account:
    company_id: int | None
    company_name: str | None
    user_name: str | None
    user_email: str | None
    connection: str | None
    sandbox: bool = False
    default_currency: str | None = None  # the user's (/users/me): money declared in it needs no check

    def header(self) -> str:
        where = f"connection {self.connection or '(default)'}"
        if self.sandbox:
            where = f"embedded sandbox, {where}"
        return (f"Account: {self.company_name} (company {self.company_id}) as {self.user_name} "
                f"<{self.user_email}>, {where}")

    def as_dict(self) -> dict:
        return {
            "company_id": self.company_id,
            "company_name": self.company_name,
            "user": {"name": self.user_name, "email": self.user_email},
            "connection": self.connection,
            "sandbox": self.sandbox,
        }


@contextlib.contextmanager
def open_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> Iterator[PipedriveClient]:
    if transport is None:
        transport = make_transport(settings)  # the embedded sandbox's owns its gateway; None: the network
    else:
        transport = borrowed(transport)  # the caller's: it closes it
    if settings.uses_sandbox:
        endpoint, key = SANDBOX_ENDPOINT, SANDBOX_KEY
    else:
        endpoint, key = settings.endpoint, settings.api_key.reveal()
        if not key and transport is None:
            raise ConfigError(
                "MATON_API_KEY is not set: export your key from maton.ai (it is never printed or saved), "
                "or use --sandbox to try the embedded sandbox"
            )
    http = HttpClient(
        endpoint,
        api_key=key,
        connection=settings.connection,
        timeout=settings.timeout,
        rate_limit=settings.rate_limit,
        transport=transport,
        trace=stderr_trace if settings.debug else None,
        retry_budget=settings.retry_budget,
    )
    try:
        yield PipedriveClient(http, api_version=settings.api_version)
    finally:
        http.close()  # closes the transport, and the embedded sandbox when the transport is ours


def read_account(client: PipedriveClient, settings: Settings, connection: str | None = None) -> Account:
    """The account a run changes: /users/me, and the connection id the gateway will use.

    `connection` is the id when the caller already knows it (whoami resolved it).
    """
    me = client.me()
    return Account(
        company_id=me.get("company_id"),
        company_name=me.get("company_name"),
        user_name=me.get("name"),
        user_email=me.get("email"),
        connection=connection or settings.connection or _default_connection(client, settings),
        sandbox=settings.uses_sandbox,
        default_currency=me.get("default_currency"),
    )


def _default_connection(client: PipedriveClient, settings: Settings) -> str | None:
    """Best effort: the oldest active connection, as the gateway picks it; never fails a run."""
    from reconciler.pipedrive.control import open_control
    from reconciler.pipedrive.errors import PipedriveError

    try:
        with open_control(settings, transport=client.http.transport) as control:
            default = control.default()
        return default.id if default else None
    except (PipedriveError, ConfigError, httpx.HTTPError):
        return None


def load(paths: list[str], overlay: str | None = None, reads: FileReads | None = None) -> Manifest:
    """The manifests, or ManifestErrors; `reads` keeps each file's reading for the next load of
    the same paths in this run, which parses only the files whose bytes changed (loader)."""
    manifest, problems = load_manifests(paths, overlay, reads)
    if problems:
        raise ManifestErrors(problems)
    return manifest


def select_targets(manifest: Manifest, targets: list[str],
                   lock: LockFile | None = None) -> tuple[list[Resource], set[tuple[str, str]]]:
    """`--target kind.key`: those resources and every resource they reference, transitively.

    A target that is no longer in the manifests but is in the lock is a deletion the user
    wants to apply alone: it is returned in the second set (kind, key), and planned as
    "removed from the manifests".
    """
    if not targets:
        return list(manifest.resources), set()
    wanted: dict[tuple[str, str], Resource] = {}
    lock_only: set[tuple[str, str]] = set()
    stack: list[tuple[str, str]] = []
    for target in targets:
        kind_name, _, key = target.partition(".")
        spec = kinds.BY_NAME.get(kind_name) or kinds.BY_SECTION.get(kind_name)
        res = manifest.get(spec.name, key) if spec else None
        if res is None:
            if spec is not None and lock is not None and lock.id_for(spec.name, key) is not None:
                lock_only.add((spec.name, key))
                continue
            raise PlanError(f"--target {target}: no such resource in the manifests or the lock "
                            "(use KIND.KEY, e.g. deal.acme-renewal)")
        stack.append((res.kind, res.key))
    while stack:
        kind_name, key = stack.pop()
        if (kind_name, key) in wanted:
            continue
        res = manifest.get(kind_name, key)
        if res is None:
            continue
        wanted[(kind_name, key)] = res
        for name, value in res.fields.items():
            spec = kinds.kind(kind_name).field(name)
            for ref in spec.type.references(spec, value) if spec is not None else ():
                if ref.key:
                    stack.append((ref.kind, ref.key))
    return [r for r in manifest.resources if (r.kind, r.key) in wanted], lock_only


@dataclass
class PlanRun:
    plan: Plan
    account: Account
    lock: LockFile
    identity: Identity
    client: PipedriveClient  # bound to the account schema the plan was made with: apply writes through it
    foreign_lock: dict | None = None  # the account of a lock that belongs to another one
    # names renamed in Pipedrive since the lock recorded them: (what, scope, old name) -> new name
    renamed: dict | None = None
    live: LiveState | None = None  # what the plan read: a plan of edited manifests can reuse it (pull)
    currencies: dict | None = None  # the currency codes the manifests use that the account has (checked)

    @property
    def warnings(self) -> list[str]:
        return self.plan.warnings


def plan_run(
    client: PipedriveClient,
    settings: Settings,
    paths: list[str],
    *,
    targets: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    manifest: Manifest | None = None,
    on_drift: str | None = None,
    drift_only: bool = False,
    record: bool = True,
    reuse: PlanRun | None = None,
    applying: bool = True,
) -> PlanRun:
    """Everything `plan` does, returning the plan and what apply needs with it.

    Fields that drifted are attributed (who changed them, when: reconciler/drift.py) as
    settings.drift_details says; `drift_only` keeps only what changed in Pipedrive. `record`
    False (a plan only shown) leaves out what apply would record in the lock (`applied`).
    `reuse`: an earlier run against the same account whose reads stand (pull's plan of the files
    it just edited): its account, schema and live objects are used and nothing is read again;
    the plan's extras that only read (option checks, orphans, drift details) are left out.
    `applying` False (pull, whose plan is never applied): the names recorded are the account's, not
    the plan's (a type renamed in git is renamed in Pipedrive by the next apply, not by pull).
    """
    from reconciler.drift import attribute
    from reconciler.drift import drift_only as only_drift
    from reconciler.gone_history import explain_gone

    manifest = manifest or load(paths, settings.overlay)
    account = reuse.account if reuse is not None else read_account(client, settings)
    lock_path = lock_path_for(paths[0], settings.environment).absolute()
    # a re-plan of pull's edits: the lock the first plan read is the file's still (pull holds the
    # project's lock; what it changed, it saved), unless that one belonged to another account
    lock = reuse.lock if reuse is not None and reuse.foreign_lock is None else LockFile.read(lock_path)
    warnings: list[str] = list(lock.warnings)
    used_lock: LockFile | None = lock
    foreign = None
    if lock.account and account.company_id is not None and lock.account.get("company_id") != account.company_id:
        foreign = lock.account
        warnings.append(
            f"{lock_path_for(paths[0], settings.environment)} belongs to company {lock.account.get('company_id')} "
            f"({lock.account.get('company_name')}), not to this account ({account.company_id}); "
            "it is ignored: ids repeat across accounts"
        )
        used_lock = None
    moved: list[dict] = []
    if used_lock is not None and manifest.moves:
        used_lock, moved = _moved_lock(used_lock, manifest.moves)
    released: list[dict] = []
    if used_lock is not None and manifest.removals and not targets:  # `removed:` (reconciler/removed.py)
        from reconciler.removed import released_lock

        used_lock, released = released_lock(used_lock, manifest.removals)
    resources, lock_only = select_targets(manifest, targets or [], used_lock)
    from reconciler.fieldtypes.relationships import with_implied_related

    resources = with_implied_related(manifest.resources, resources)  # a related pair is one relationship (issue 27)
    scope = None
    if targets:
        scope = sorted(f"{kind_name}.{key}" for kind_name, key in {(r.kind, r.key) for r in resources} | lock_only)
        if used_lock is not None:
            # a targeted plan deletes nothing it was not pointed at
            used_lock = _lock_restricted(used_lock, {(r.kind, r.key) for r in resources} | lock_only)
    same_key = same_key_problems(resources, used_lock)
    if same_key:
        raise PlanError(f"{len(same_key)} problem(s) in the manifests", same_key)
    kinds_needed = {r.kind for r in resources}
    server_time = client.http.server_now()  # the server's clock, never ours (issue 12: clock skew)
    read_started = server_time.strftime("%Y-%m-%dT%H:%M:%SZ") if server_time is not None else None
    schema = reuse.client.schema if reuse is not None else AccountSchema.load(client, kinds_needed)
    if reuse is not None:  # the schema read the first time already holds the aliases
        renamed = reuse.renamed or {}
    else:
        renamed = add_aliases(schema, lock.vocabulary) if used_lock is not None else {}  # renamed in Settings
    from reconciler.currencies import check as check_currencies  # before anything else is read or written

    recorded_currencies = (used_lock.vocabulary if used_lock else {}).get("currency") or {}
    currencies, wrong = check_currencies(client, resources, account.default_currency, recorded_currencies) \
        if reuse is None else (reuse.currencies or recorded_currencies, [])
    if wrong:
        raise PlanError(f"{len(wrong)} problem(s) in the manifests", wrong)
    client = client.using(schema)
    live = reuse.live if reuse is not None and reuse.live is not None else read_live(client, resources, used_lock,
                                                                                      progress)
    missing = _missing_references(live)  # reported with the plan's own problems
    from reconciler.merges import find_followed  # objects merged or converted in Pipedrive

    follow = find_followed(client, resources, live.objects, used_lock)
    warnings.extend(follow.warnings)
    try:
        ident = match(resources, live.objects, used_lock, follow.followed)
    except IdentityError as exc:
        found = sorted([*exc.problems, *missing], key=lambda p: (p.pos.file, p.pos.line, p.pos.col))
        raise PlanError(f"{len(found)} problem(s) matching live objects", found) from None
    if reuse is None:
        _read_attached(client, resources, live.objects, ident)
    orphaned = _orphans(client, resources, ident, warnings) if reuse is None else {}
    read = [*paths, *([settings.overlay] if settings.overlay else [])]  # what the manifests are
    passes: list[PlanPass] = []
    if reuse is None:  # a re-plan of pull's own edits (reuse) reads nothing more
        passes += [_option_removals(client, settings.allow_option_removal), _data_loss(client, settings)]
    passes.append(_rename_notices(resources, schema, renamed))
    if reuse is None:
        passes.append(functools.partial(attribute, client, live=live.objects, schema=schema,
                                        wanted=settings.drift_details))
        passes.append(functools.partial(explain_gone, client, lock=used_lock))  # who/when deleted or merged
    if drift_only:
        passes.append(only_drift)
    plan = build_plan(resources, live.objects, ident, schema, used_lock, settings.max_deletes, orphaned, missing,
                      on_drift=on_drift or settings.on_drift, ignore_changes=settings.ignore_changes,
                      record=record and not drift_only, passes=passes, report_only=drift_only,
                      account=account.as_dict(), stats=client.stats.as_dict(), lock_file=str(lock_path),
                      created_at=read_started, warnings=warnings, scope=scope, moved=moved, released=released,
                      manifest_paths=[str(Path(p).absolute()) for p in read],
                      manifests_digest=manifests_digest(read, manifest.hashes))
    if used_lock is None:
        lock = LockFile(path=lock_path)
    lock.account = {"company_id": account.company_id, "company_name": account.company_name}
    if record and not drift_only and not targets:  # what apply or pull saves: the names as the plan leaves them
        lock.vocabulary, lock.pending_vocabulary = recorded(resources, (plan.schema if applying else None) or schema)
        forget_kept(lock.vocabulary, plan.kept)
        if currencies:  # the codes the manifests use that the account has: not read again
            lock.vocabulary["currency"] = currencies
    return PlanRun(plan=plan, account=account, lock=lock, identity=ident, client=client, foreign_lock=foreign,
                   renamed=renamed, live=live, currencies=currencies)


def _data_loss(client: PipedriveClient, settings: Settings) -> PlanPass:
    """The pass that counts what the plan's custom field, pipeline and stage deletes take from
    records, and refuses them without --allow-data-loss (reconciler/shapeloss.py); before any write."""
    from reconciler.shapeloss import (
        DataLossRefused,
        check_data_loss,
        count_data_loss,
        counted_deletes,
        lost_records,
    )

    def check(plan: Plan) -> None:
        count_data_loss(client, plan)
        try:
            plan.warnings.extend(check_data_loss(plan, allow=settings.allow_data_loss))
        except DataLossRefused as exc:
            raise PlanError(str(exc)) from None
        lost = lost_records(plan)
        if lost and plan.summary["delete"] <= settings.max_deletes < counted_deletes(plan):
            plan.warnings.append(f"the plan deletes {plan.summary['delete']} objects and data of {lost} records, "
                                 f"more than --max-deletes {settings.max_deletes}: apply will refuse it unless the "
                                 "limit is raised")

    return check


def _rename_notices(resources: list[Resource], schema: AccountSchema, renamed: dict) -> PlanPass:
    """The pass that says where the manifests still use a name renamed in Pipedrive since the lock
    recorded it (reconciler/renames.py)."""

    def say(plan: Plan) -> None:
        plan.warnings.extend(notices(renames_used(resources, schema, renamed), renamed))

    return say


def _option_removals(client: PipedriveClient, allow: bool) -> PlanPass:
    """The pass that refuses (or, allowed, warns about) options a shape change removes while live
    records use them; it reads those records only then."""

    def check(plan: Plan) -> None:
        try:
            plan.warnings.extend(check_option_removals(client, plan, allow=allow))
        except OptionInUse as exc:
            raise PlanError(str(exc)) from None

    return check


def _read_attached(client: PipedriveClient, resources: list[Resource], objects: dict[str, dict],
                   ident: Identity) -> None:
    """Read the attached values (a deal's products) of the live objects whose resources declare them."""
    matched = ident.ids  # built once: a property that makes a dict
    by_kind: dict[str, list[Resource]] = {}
    for res in resources:
        if kinds.kind(res.kind).attached_fields:
            by_kind.setdefault(res.kind, []).append(res)  # one walk of the resources, not one per attached field
    for spec in kinds.KINDS:
        for attached in spec.attached_fields:  # each for the objects that declare it (followers: a call each)
            ids = {matched[(r.kind, r.key)] for r in by_kind.get(spec.name, ())
                   if (r.kind, r.key) in matched and attached.name in r.fields}
            live = objects.get(spec.name, {})
            client.read_attached(spec.name, {i: live[i] for i in ids if i in live}, {attached.name})


def _missing_references(live: LiveState) -> list[Problem]:
    """`{id: N}` references to objects the account does not have: found at plan time, with the
    manifest's position, not refused by Pipedrive halfway through an apply. The reader asked
    for each with its kind's own ids (live.references), so one it did not find is missing."""
    problems: list[Problem] = []
    for kind_name, refs in live.references.items():
        found = live.objects.get(kind_name, {})
        for object_id, uses in refs.items():
            if object_id in found:
                continue
            for res, name, ref in uses:
                problems.append(Problem(ref.pos or res.field_pos.get(name, res.pos),
                                        f"field '{name}' names {kind_name} id {object_id}, which does not exist in "
                                        "this account"))
    return problems


def _orphans(client: PipedriveClient, resources: list[Resource], ident: Identity,
             warnings: list[str]) -> dict:
    """The live objects outside the manifests that the plan's deletes would leave pointing at
    a deleted parent (reconciler/orphans.py); read only when the plan deletes."""
    from reconciler.orphans import CHECK_MAX, children_of

    matched = ident.ids
    doomed = [(kind_name, object_id) for kind_name, _key, object_id in ident.orphans]
    doomed += [(r.kind, matched[(r.kind, r.key)]) for r in resources if r.absent and (r.kind, r.key) in matched]
    if not doomed:
        return {}
    known = {(kind_name, object_id) for (kind_name, _key), object_id in matched.items()} | set(doomed)
    found, unchecked = children_of(client, doomed, known)
    if unchecked:
        warnings.append(f"{unchecked} more deleted objects were not checked for live objects that point at them "
                        f"(the first {CHECK_MAX} were)")
    return found


def _moved_lock(lock: LockFile, moves: list) -> tuple[LockFile, list[dict]]:
    """The lock as the `moved` entries say (the old key's id under the new key), and the moves
    still to record: an entry whose new key is already in the lock was applied before."""
    moved_lock = LockFile(path=lock.path, account=lock.account,
                          resources={k: dict(v) for k, v in lock.resources.items()},
                          protected={k: set(v) for k, v in lock.protected.items()},
                          applied={k: dict(v) for k, v in lock.applied.items()})
    moved: list[dict] = []
    taken = [move for move in moves if move.old in lock.resources.get(move.kind, {})
             and move.new in lock.resources.get(move.kind, {})]
    if taken:  # the new key names another object already: moving onto it would lose that one
        raise PlanError(f"{len(taken)} problem(s) in the manifests", [Problem(move.pos, (
            f"moved: {move.kind}.{move.old} → {move.kind}.{move.new}: {move.kind}.{move.new} is already in the lock "
            f"(id {lock.resources[move.kind][move.new]}; {move.kind}.{move.old} is id "
            f"{lock.resources[move.kind][move.old]}): a key names one object. Remove the entry, or the lock's "
            f"{move.new!r} first (delete that resource, apply), then move")) for move in taken])
    for move in moves:
        entries = moved_lock.resources.get(move.kind, {})
        object_id = entries.get(move.old)
        if object_id is None or move.new in entries:
            continue
        entries[move.new] = entries.pop(move.old)
        if move.old in moved_lock.protected.get(move.kind, set()):
            moved_lock.protected[move.kind].discard(move.old)
            moved_lock.protected[move.kind].add(move.new)
        moved.append({"kind": move.kind, "from": move.old, "to": move.new, "id": object_id})
    return moved_lock, moved


def _lock_restricted(lock: LockFile, keep: set[tuple[str, str]]) -> LockFile:
    restricted = LockFile(path=lock.path, account=lock.account,
                          protected={k: set(v) for k, v in lock.protected.items()})
    for kind_name, key, object_id in lock.entries():
        if (kind_name, key) in keep:
            restricted.resources.setdefault(kind_name, {})[key] = object_id
            if key in lock.applied.get(kind_name, {}):
                restricted.applied.setdefault(kind_name, {})[key] = lock.applied[kind_name][key]
    return restricted


def other_account(other: dict, account: Account) -> str:
    """'company 1 (A), but this connection is company 2 (B)': for refusals across accounts."""
    return (f"company {other.get('company_id')} ({other.get('company_name')}), but this connection is "
            f"company {account.company_id} ({account.company_name})")


def saved_plan_run(client: PipedriveClient, settings: Settings, plan: Plan) -> PlanRun:
    """What `apply --plan` applies: the saved plan, once every check before the first write passed.

    Refused when it was made for another account, when the manifests it was made from
    (if they are still where they were) changed since, or when a live object it touches
    changed (apply.check_fresh). The lock written is the one of the project the plan was
    made for (its absolute path), wherever apply runs from.
    """
    from reconciler import plantrust
    from reconciler.apply import check_fresh

    if plan.drift_only:
        raise ApplyRefused("the plan is a drift report (plan --drift-only): it is never applied; make a plan "
                           "without --drift-only")
    account = read_account(client, settings)
    planned = plan.account or {}
    if planned.get("company_id") != account.company_id:
        raise ApplyRefused(f"the plan was made for {other_account(planned, account)}; refusing to apply it here")
    plantrust.verify(plan, client, account.company_id)
    if plan.manifests_digest and plan.manifest_paths and all(Path(p).exists() for p in plan.manifest_paths):
        now = manifests_digest(plan.manifest_paths)
        if now is not None and now != plan.manifests_digest:
            raise ApplyRefused("the manifests the plan was made from have changed since ("
                               + ", ".join(plan.manifest_paths) + "): make a new plan")
    schema = AccountSchema.load(client, {c.kind for c in plan.changes})
    client = client.using(schema)
    check_fresh(client, plan)
    from reconciler.shapeloss import DataLossRefused, check_data_loss, count_data_loss

    count_data_loss(client, plan)  # counted again now: records may have moved in since the plan was made
    try:
        check_data_loss(plan, allow=settings.allow_data_loss)
    except DataLossRefused as exc:
        raise ApplyRefused(str(exc)) from None
    lock_path = Path(plan.lock_file or "reconciler.lock")
    lock = LockFile.read(lock_path)
    if not lock.belongs_to(account.company_id):
        lock = LockFile(path=lock_path)
    plantrust.check_protections(plan, lock)
    lock.account = {"company_id": account.company_id, "company_name": account.company_name}
    return PlanRun(plan=plan, account=account, lock=lock, identity=Identity(), client=client)


def check_apply(run: PlanRun, *, max_deletes: int, allow_account_change: bool = False) -> None:
    """The refusals apply makes before its first write, whatever asks for it (CLI or tests)."""
    if run.foreign_lock and not allow_account_change:
        raise ApplyRefused(f"{run.lock.path} belongs to {other_account(run.foreign_lock, run.account)}. Pass "
                           "--allow-account-change to apply here and start a new lock for this account.")
    from reconciler.shapeloss import lost_records

    deletes = sum(1 for c in run.plan.changes if c.action == "delete")
    lost = lost_records(run.plan)  # records a custom field, pipeline or stage delete takes data from
    if deletes + lost > max_deletes:
        what = f"{deletes} objects" + (f" and data of {lost} records" if lost else "")
        raise ApplyRefused(f"the plan deletes {what}, more than --max-deletes {max_deletes}; "
                           "raise --max-deletes if that is intended")


def take_lease(run: PlanRun, replan: Callable[[], PlanRun] | None,
               say: Callable[[str], None] | None = None) -> tuple[PlanRun, contextlib.AbstractContextManager]:
    """The account's apply lease, when the plan creates something (reconciler/lease.py).

    Once it is held, the creates are checked against what appeared since live state was
    read: another apply may have made them while this one planned or waited. A plan made
    from manifests is then made again (the other apply's objects are adopted, not created
    twice); a saved plan is refused as stale. Returns the run to apply and the lease, which
    the caller holds (a `with` block) for the whole apply; a null context when no lease is needed.
    """
    from reconciler import lease
    from reconciler.apply import StalePlanError, created_since, plan_read_at

    if not any(change.action == "create" for change in run.plan.changes):
        return run, contextlib.nullcontext()
    holder = lease.acquire(run.client, say=say, record=Path(str(run.lock.path) + ".lease"))
    try:
        read_at = plan_read_at(run.plan)
        quiet = holder.quiet_since is not None and read_at is not None and holder.quiet_since < read_at
        appeared = [] if quiet else created_since(run.client, run.plan)
        if appeared:
            if replan is None:
                raise StalePlanError("the saved plan is stale: these objects were created since it was made: "
                                     + ", ".join(appeared) + ". Make a new plan.")
            run = replan()
    except BaseException:
        holder.release()
        raise
    return run, holder
