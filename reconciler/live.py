"""Read live state at the least cost in calls and tokens.

Per kind, the reader picks the cheapest way to get what identity and diffing need:
- ids known (pins, lock): direct fetches when few (v2 `ids` batches of 100; for notes,
  which have no v2 and no ids filter, one GET each); when many, a scan in id order that
  stops once every wanted id is past, and switches to direct fetches as soon as the
  ids still wanted would cost less than the pages still to read;
- resources with no known id (natural match keys): the first page, newest ids first; if
  the account has more, its size is estimated from that page (ids count up from 1 in an
  account) and the rest is either scanned or the unknown resources are found by
  Pipedrive's search (one call each) and fetched in one ids batch;
- notes and activities whose parents are known and few: listed per parent.
Kinds no resource and no lock entry mentions are not read at all.

Where a choice weighs calls of different types (searches or single GETs against list
pages) it is made by `costs.weighed_choice`, which weighs both costs users pay: the calls
(time, at the account's rate limit) and the tokens (against the daily budget, at every price
the unconfirmed figures could really be); when the budget left is scarce, tokens alone.
The rule and its reasons: docs/costs.md.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Container, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import identity, kinds
from reconciler.lock import LockFile
from reconciler.manifest.model import Resource
from reconciler.pipedrive import costs
from reconciler.pipedrive.client import IDS_BATCH, PAGE_LIMIT, Page, PipedriveClient

DIRECT_CALLS_MAX = 5  # up to this many v2 ids batches are made without trying a scan (one price: list)
PARENT_LISTS_MAX = 5  # at most this many parents' children are listed per parent instead of scanned


_ABSENT = object()


class LiveObjects(MutableMapping):
    """One kind's live objects by id, each made canonical when first looked at.

    A plan often reads a whole kind to find a part of it (a scan in pages of 500 for 2,000
    notes among 20,000): the records it never looks at are kept as the API answered them,
    and converting them (adapters.from_api) is left out. Looking at an object (`objects[id]`,
    `.get`, `.values()`, `.items()`) converts it once; `in`, `len` and iteration over the ids
    convert nothing. Order is the order the objects were added, as with a dict.
    """

    __slots__ = ("_items", "_canon", "_parse_id")

    def __init__(self, canon: Callable[[dict], dict], parse_id: Callable[[Any], Any]) -> None:
        self._items: dict[Any, Any] = {}  # id -> canonical object, or (record,) not converted yet
        self._canon = canon
        self._parse_id = parse_id

    def add_records(self, records: Iterable[dict], wanted: Container[Any] = ()) -> None:
        """Records of an answer: those of `wanted` ids converted now (they will be looked at,
        and a canonical object is smaller than its record), the others only when looked at."""
        items, parse_id, canon = self._items, self._parse_id, self._canon
        for record in records:
            object_id = parse_id(record["id"])
            items[object_id] = canon(record) if object_id in wanted else (record,)

    def __getitem__(self, object_id: Any) -> dict:
        value = self._items[object_id]
        if value.__class__ is tuple:
            value = self._items[object_id] = self._canon(value[0])
        return value

    def get(self, object_id: Any, default: Any = None) -> Any:
        """`objects.get(id)`, without the generic Mapping's detour through an exception."""
        value = self._items.get(object_id, _ABSENT)
        if value is _ABSENT:
            return default
        if value.__class__ is tuple:
            value = self._items[object_id] = self._canon(value[0])
        return value

    def __setitem__(self, object_id: Any, obj: dict) -> None:
        self._items[object_id] = obj

    def __delitem__(self, object_id: Any) -> None:
        del self._items[object_id]

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<LiveObjects: {len(self._items)}>"


@dataclass
class LiveState:
    objects: dict[str, LiveObjects] = field(default_factory=dict)  # kind -> id -> canonical
    complete: set[str] = field(default_factory=set)  # kinds read in full
    # the manifests' `{id: N}` references (id_references): each kind's reading asked for these
    # ids with its own, so one not among the objects is not in the account (archived deals included)
    references: dict[str, dict[Any, list[tuple[Resource, str, Any]]]] = field(default_factory=dict)


def id_references(resources: Iterable[Resource]) -> dict[str, dict[Any, list[tuple[Resource, str, Any]]]]:
    """The `{id: N}` references the manifests make (parents, participants, products), by kind and
    id, with the resource and field making each: the reader fetches them with the kind's own ids
    (no call of their own), and the plan reports those the account lacks."""
    out: dict[str, dict[Any, list[tuple[Resource, str, Any]]]] = {}
    for res in resources:
        spec = kinds.kind(res.kind)
        names = spec.reference_names  # the fields whose type can hold references
        for name, value in res.fields.items():
            if name not in names:
                continue  # a type that never holds references (most fields): no look-up, no call
            field_spec = spec.field(name)
            for ref in field_spec.type.references(field_spec, value):
                if ref.id is not None:
                    out.setdefault(ref.kind, {}).setdefault(ref.id, []).append((res, name, ref))
    return out


class LiveReader:
    def __init__(
        self,
        client: PipedriveClient,
        resources: list[Resource],
        lock: LockFile | None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.resources = resources
        self.lock = lock
        self.progress = progress or (lambda message: None)
        self.state = LiveState()

    def read(self) -> LiveState:
        by_kind: dict[str, list[Resource]] = {spec.name: [] for spec in kinds.KINDS}
        for res in self.resources:
            by_kind[res.kind].append(res)
        referenced = self.state.references = id_references(self.resources)
        for spec in sorted(kinds.KINDS, key=lambda s: s.order):
            declared = by_kind[spec.name]
            lock_entries = self.lock.resources.get(spec.name, {}) if self.lock else {}
            named = set(referenced.get(spec.name, ()))
            if not declared and not lock_entries and not named:
                continue
            self.progress(f"reading {spec.section}")
            self._read_kind(spec, declared, lock_entries, named)
            count = len(self.state.objects.get(spec.name, {}))
            self.progress(f"read {count:,} {spec.name if count == 1 else spec.section}")
        return self.state

    # -- one kind --------------------------------------------------------------------

    def _read_kind(self, spec: kinds.KindSpec, declared: list[Resource], lock_entries: dict[str, Any],
                   named: set[Any]) -> None:
        """One kind's objects: those pinned, locked or named by `{id: N}` (in the same calls),
        and those the unknown resources may be."""
        objects = self.state.objects.setdefault(spec.name, LiveObjects(self.client.canonical(spec.name),
                                                                       spec.parse_id))
        if spec.shape:  # pipelines, stages, custom fields: a handful, read whole in a call or two
            self._scan(spec)
            return
        wanted: set[Any] = {res.id for res in declared if res.id is not None}
        wanted |= set(lock_entries.values())
        wanted |= named
        unknown = [res for res in declared if res.id is None and res.key not in lock_entries]
        if unknown:
            self._find_unknown(spec, unknown, wanted)
        else:
            self._fetch_ids(spec, wanted)
            # lock entries whose objects are gone: find those resources by natural keys
            missing = [
                res for res in declared
                if res.id is None and lock_entries.get(res.key) is not None and lock_entries[res.key] not in objects
            ]
            if missing:
                self._find_unknown(spec, missing, set())
        if spec.archived_path:
            self._read_archived(spec, declared, wanted)

    def _read_archived(self, spec: kinds.KindSpec, declared: list[Resource], wanted: set[Any]) -> None:
        """Archived objects (deals) a resource may be: v2 lists leave them out.

        Only what would otherwise be missed is read: ids pinned or locked that the lists did
        not return, then, for resources whose natural key no live object has (they would be
        created again), the archived list of their few parents or, failing that, all of it.
        An archived deal is thus found and adopted (or unarchived), never duplicated.
        """
        objects = self.state.objects[spec.name]
        missing_ids = {i for i in wanted if i not in objects}
        if missing_ids:
            for obj in self.client.get_many(spec.name, missing_ids, archived=True):
                objects[obj["id"]] = obj
        lock_ids = self.lock.resources.get(spec.name, {}) if self.lock else {}
        candidates = [res for res in declared if res.id is None and lock_ids.get(res.key) not in objects]
        if not candidates:
            return  # every resource is found by its id: no natural key to look for
        found = {key for obj in objects.values() for key in identity.live_keys(spec.name, obj)}
        known = self._known_ids(spec)
        unmatched = [
            res for res in candidates
            if not any(key in found for key in identity.desired_keys(res, known))
            and identity.desired_keys(res, known)
        ]
        if not unmatched:
            return
        parents: set[tuple[str, Any]] = set()
        for res in unmatched:
            parent = next((p for p in spec.parents if res.fields.get(p) is not None), None)
            ref = res.fields.get(parent) if parent else None
            parent_id = None if ref is None else (ref.id if ref.id is not None else known.get((ref.kind, ref.key)))
            if parent_id is None:
                parents = set()
                break
            parents.add((parent, parent_id))
        filters = [{_filter(spec, parent): parent_id} for parent, parent_id in sorted(parents)]
        if not filters or len(filters) > PARENT_LISTS_MAX:
            filters = [{}]
        for params in filters:
            for page in self.client.record_pages(spec.name, params, archived=True):
                objects.add_records(page)

    def _per_call(self, spec: kinds.KindSpec) -> int:
        """How many known ids one direct call fetches: a v2 `ids` batch, or one v1 GET."""
        return IDS_BATCH if self.client.version_for(spec.name) == "v2" else 1

    def _fetch_ids(self, spec: kinds.KindSpec, ids: set[Any]) -> None:
        objects = self.state.objects[spec.name]
        ids = {i for i in ids if i not in objects}
        if not ids:
            return
        if self._direct_first(spec, len(ids), ids):
            self._fetch_direct(spec, ids)
        elif spec.id_type is not int:
            self._scan(spec)  # UUIDs (leads) have no order to stop a scan early at
        else:
            self._scan_for_ids(spec, ids)

    def _direct_calls(self, spec: kinds.KindSpec, count: int) -> costs.Calls:
        """The calls fetching `count` known ids directly makes: v2 ids batches, or v1 single GETs."""
        if self._per_call(spec) == 1:
            return {"get_single": count}
        return {"get_list": math.ceil(count / IDS_BATCH)}

    def _direct_first(self, spec: kinds.KindSpec, count: int, ids: Iterable[Any] = ()) -> bool:
        """Fetch these known ids directly rather than start a scan?

        v2 batches and list pages cost the same, so a few batches win, and so do batches
        that are at most half the pages a scan up to the highest id would take if ids counted
        up from 1 without gaps (so even with half the ids deleted the scan would be no cheaper;
        otherwise the scan's first page shows how dense they are). For v1 GETs (notes)
        the prices differ and the account's size is unknown: the choice is the one least far
        from the best, whether the kind fits on one page or takes many.
        """
        if self._per_call(spec) != 1:
            batches = math.ceil(count / IDS_BATCH)
            highest = max((i for i in ids if isinstance(i, int)), default=0)
            if highest and spec.id_type is int and math.ceil(highest / PAGE_LIMIT) < batches:
                return False  # an id-sorted scan stops at the highest id: at most these pages, gaps or not
            return batches <= max(DIRECT_CALLS_MAX, math.ceil(highest / PAGE_LIMIT) // 2)
        direct = self._direct_calls(spec, count)
        one_page, then_direct = {"get_list": 1}, {"get_list": 1, **direct}
        choice = self._choose({"direct": [direct, direct], "scan": [one_page, then_direct]}, spec)
        return choice == "direct"

    def _choose(self, options: dict[str, list[costs.Calls]], spec: kinds.KindSpec) -> str:
        """The option weighing best in calls and tokens, with the budget left as last seen."""
        return costs.weighed_choice(options, self.client.version_for(spec.name), self.client.stats.daily_left)

    def _fetch_direct(self, spec: kinds.KindSpec, ids: set[Any]) -> None:
        objects = self.state.objects[spec.name]
        if self.client.version_for(spec.name) == "v2":
            for obj in self.client.get_many(spec.name, ids):
                objects[obj["id"]] = obj
            return
        for object_id in sorted(ids):
            obj = self.client.get(spec.name, object_id)
            if obj is not None:
                objects[obj["id"]] = obj

    def _scan_for_ids(self, spec: kinds.KindSpec, ids: set[Any]) -> None:
        """Many known ids: scan in id order, switching to direct fetches when they get cheaper.

        The total number of objects is unknown (Pipedrive's lists give no count), so after
        each page the pages still needed are estimated from the id span one page covered,
        and compared with the direct calls the remaining ids would take. A wanted id at or
        below the last id seen and not on a page no longer exists.
        """
        objects = self.state.objects[spec.name]
        params = ({"sort_by": "id", "sort_direction": "asc"} if self.client.version_for(spec.name) == "v2"
                  else {"sort": "id ASC"})
        ordered = sorted(ids)
        done = 0  # ordered[done:] are the ids still to come (pages come in id order)
        read = 0
        for page in self.client.record_pages(spec.name, params):
            read += 1
            objects.add_records(page, ids)
            if not page:
                continue
            first, last = spec.parse_id(page[0]["id"]), spec.parse_id(page[-1]["id"])
            done = bisect.bisect_right(ordered, last, done)
            if done == len(ordered):
                return
            span = max(1, last - first + 1)
            pages_left = math.ceil((ordered[-1] - last) / span)
            direct = self._direct_calls(spec, len(ordered) - done)
            options = {"scan": [{"get_list": read + pages_left}],  # pages read so far are in both
                       "direct": [{**direct, "get_list": read + direct.get("get_list", 0)}]}
            if self._choose(options, spec) == "direct":
                self._fetch_direct(spec, set(ordered[done:]))
                return
        self.state.complete.add(spec.name)  # read from the first id to the end

    def _scan(self, spec: kinds.KindSpec, pages: Iterator[Page] | None = None) -> None:
        """List the whole kind, pages of 500 (or go on with `pages`, a listing `_probe` began)."""
        objects = self.state.objects[spec.name]
        for page in pages if pages is not None else self.client.record_pages(spec.name):
            objects.add_records(page)
        self.state.complete.add(spec.name)

    def _probe(self, spec: kinds.KindSpec) -> tuple[Page, Iterator[Page]] | None:
        """The kind's first page, newest first (kept), and the rest of that listing; None when the
        first page was the only one (the kind is then complete)."""
        pages = self.client.record_pages(spec.name, self.client.newest_first(spec.name))
        first = next(pages, Page())
        self.state.objects[spec.name].add_records(first)
        if not first.more:
            self.state.complete.add(spec.name)
            return None
        return first, pages

    def _find_unknown(self, spec: kinds.KindSpec, unknown: list[Resource], wanted: set[Any]) -> None:
        if spec.name in self.state.complete:
            return
        if spec.parents and self._list_per_parent(spec, unknown, wanted):
            return
        terms = self._search_terms(spec, unknown)
        if terms is None:
            self._scan(spec)
            return
        probed = self._probe(spec)
        if probed is None:
            return
        first, pages = probed
        # whether the searches find the objects (one ids batch to fetch them) or not (they are new)
        # (the first page is in both, so the choice weighs whole costs, as users pay them)
        searched = {"search": len(terms), "get_list": 1}
        batch = self._direct_calls(spec, len(terms))
        search = [{**searched, **{k: searched.get(k, 0) + v for k, v in batch.items()}}, searched]
        scan = {"get_list": 1 + _pages_left([spec.parse_id(record["id"]) for record in first])}
        if self._choose({"scan": [scan, scan], "search": search}, spec) == "scan":
            self._scan(spec, pages)  # the same listing, on from its second page
            return
        assert spec.search is not None
        found: set[Any] = set(wanted)
        for term in terms:
            found.update(self.client.search_ids(spec.name, term, spec.search.api_fields, exact=True))
        self._fetch_ids(spec, found)

    @staticmethod
    def _search_terms(spec: kinds.KindSpec, unknown: list[Resource]) -> list[str] | None:
        """What to search each unknown resource by, or None when one has nothing searchable."""
        if spec.search is None:
            return None
        terms = []
        for res in unknown:
            value = res.fields.get(spec.search.term_field)
            if isinstance(value, list):
                value = value[0] if value else None
            if not value:
                return None  # only a scan can find it
            terms.append(str(value))
        return terms

    def _list_per_parent(self, spec: kinds.KindSpec, unknown: list[Resource], wanted: set[Any]) -> bool:
        """Children of a few known parents: one list call per parent instead of a scan."""
        parents: set[tuple[str, Any]] = set()
        known = self._known_ids(spec)
        for res in unknown:
            parent = next((p for p in spec.parents if res.fields.get(p) is not None), None)
            if parent is None:
                return False
            ref = res.fields[parent]
            pid = ref.id if ref.id is not None else known.get((ref.kind, ref.key))
            if pid is None:
                continue  # the parent is new: so is the child
            parents.add((parent, pid))
        if len(parents) > PARENT_LISTS_MAX and not self._lists_beat_scan(spec, len(parents)):
            return spec.name in self.state.complete  # a small kind was read whole by the probe
        for parent, pid in sorted(parents):
            self._scan_filtered(spec, {_filter(spec, parent): pid})
        self._fetch_ids(spec, wanted)
        return True

    def _lists_beat_scan(self, spec: kinds.KindSpec, lists: int) -> bool:
        """Many parents: list the kind's first page (newest first) to see how large it is, then either
        go on with the scan or list per parent, whichever takes fewer calls (the same type of call:
        fewer calls are fewer tokens too). A kind on one page is then complete; the probe is kept."""
        probed = self._probe(spec)
        if probed is None:
            return False
        first, pages = probed
        if lists < _pages_left([spec.parse_id(record["id"]) for record in first]):
            return True
        self._scan(spec, pages)
        return False

    def _scan_filtered(self, spec: kinds.KindSpec, params: dict) -> None:
        objects = self.state.objects[spec.name]
        for page in self.client.record_pages(spec.name, params):
            objects.add_records(page)

    def _known_ids(self, spec: kinds.KindSpec) -> dict[tuple[str, str], Any]:
        """Ids of the parents matched so far (a kind's ancestors are read before it)."""
        ancestors: set[str] = set()
        todo = [spec]
        while todo:
            for ref in todo.pop().ref_fields:
                if ref.ref_kind and ref.ref_kind not in ancestors:
                    ancestors.add(ref.ref_kind)
                    todo.append(kinds.kind(ref.ref_kind))
        parent_resources = [r for r in self.resources if r.kind in ancestors]
        try:
            return identity.match(parent_resources, self.state.objects, self.lock).ids
        except identity.IdentityError:
            return {}


def _pages_left(first: list[Any]) -> int:
    """Pages still to read after a first page of the newest ids (`first`: its ids), estimated from it.

    Ids count up from 1 in an account, so the page's id span says how densely the ids below
    it are used; at least one more page, since the page said more follow.
    """
    ids = [object_id for object_id in first if isinstance(object_id, int)]
    if not ids:
        return 1
    newest, oldest = max(ids), min(ids)
    density = len(ids) / max(1, newest - oldest + 1)
    below = (oldest - 1) * density
    return max(1, math.ceil(below / PAGE_LIMIT))


def _filter(spec: kinds.KindSpec, parent: str) -> str:
    """The list parameter that filters a kind by a parent: its field's API name (org_id, organization_id)."""
    field_spec = spec.field(parent)
    return field_spec.api if field_spec is not None else f"{parent}_id"


def read_live(
    client: PipedriveClient,
    resources: list[Resource],
    lock: LockFile | None,
    progress: Callable[[str], None] | None = None,
) -> LiveState:
    """Everything identity and diffing need for these resources, at the least cost."""
    return LiveReader(client, resources, lock, progress).read()
