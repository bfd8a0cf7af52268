"""The one table of kind-specific knowledge.

Everything that differs between organizations, persons, deals, notes and activities
lives here, as data: manifest section names, API paths per version, each field's type and
its v1/v2 names, which fields are references, the natural match keys identity uses, how a
kind is searched, which collection its lists are priced as, its home in export, and named
hooks for the few genuine API quirks (notes' per-parent pinned flags, activities' v1
listing). Other modules loop over this table and call field types (reconciler/fieldtypes/)
instead of branching on a kind's name, so adding a kind means one new entry here, its
schema (generated) and tests.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import fieldtypes, shape_rules
from reconciler.fieldtypes import (
    ACTIVITY_TYPE,
    ADDRESS,
    BOOL,
    CURRENCY_CODE,
    CUSTOM,
    DATE,
    DATETIME,
    DEAL_PRODUCTS,
    EMAILS,
    ENUM,
    FOLLOWERS,
    JSON_BOOL,
    LABELS,
    LEAD_VALUE,
    NUMBER,
    OPTION_LIST,
    ORG_PARENT,
    ORG_RELATED,
    PARTICIPANTS,
    PERCENT,
    PHONES,
    PIPELINE,
    POSITION,
    PRICES,
    REF,
    ROTTING,
    STAGE,
    STRING,
    TEXT,
    TIME,
    USER,
    VARIATIONS,
    VISIBILITY,
    VISIBILITY_IDS,
    VISIBILITY_NAMES,
    VISIBILITY_TEXT,
    FieldSpec,
    FieldType,
    as_bool,
)

if TYPE_CHECKING:
    from reconciler.manifest.model import Resource
    from reconciler.normalize import Context
    from reconciler.vocabulary import AccountSchema

__all__ = [
    "ADDRESS", "BOOL", "CUSTOM", "DATE", "EMAILS", "ENUM", "NUMBER", "PHONES", "PIPELINE", "REF", "STAGE",
    "STRING", "TEXT", "TIME", "USER", "VISIBILITY", "VISIBILITY_IDS", "VISIBILITY_NAMES", "FieldSpec",
    "FieldType", "KindHooks", "KindSpec", "SearchSpec",
]

PARENT = "@parent"  # in a match key: the declared parent (deal, person or org) and its id


@dataclass(frozen=True)
class SearchSpec:
    """How Pipedrive's search finds an object of this kind by a declared value."""

    term_field: str  # the manifest field whose (first) value is the search term
    api_fields: str  # Pipedrive's `fields` parameter, e.g. "email"


class KindHooks:
    """Named hooks for genuine API quirks of one kind; the defaults do nothing."""

    def read(self, record: Mapping[str, Any], out: dict[str, Any], version: str) -> None:
        """Add to a canonical object what its fields alone cannot read."""

    def write(self, changes: Mapping[str, Any], body: dict[str, Any], version: str) -> None:
        """Adjust a request body built field by field."""

    def plan_writes(self, declared_parent: str | None, live: Mapping[str, Any] | None,
                    writes: dict[str, Any]) -> None:
        """Add to a change's writes what the body will need besides the fields (apply has no manifest)."""

    def live_value(self, spec: FieldSpec, declared_parent: str | None, live: Mapping[str, Any]) -> Any:
        """The live value a declared field is compared with."""
        return spec.live(live)

    def list_params(self, version: str) -> dict[str, Any]:
        """Parameters every list call of this kind needs."""
        return {}

    def export(self, fields: dict[str, Any]) -> None:
        """Adjust the fields export writes for one object (what a manifest must not declare together)."""

    def check(self, declared: Mapping[str, Any], live: Mapping[str, Any] | None,
              writes: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """(problem, notice) about a planned change that Pipedrive would refuse, or that a
        reviewer should know; None when there is nothing to say."""
        return None, None

    def declare(self, schema: AccountSchema, res: Resource, target: Any, live: Mapping[str, Any] | None,
                ctx: Context) -> None:
        """Shape kinds: enter a declared object into the account's vocabulary as apply will leave
        it (`schema`, a planned copy), under its declared name; `target` is its id, or a
        placeholder when this plan creates it. Records then name it as if it existed."""

    def exportable(self, obj: Mapping[str, Any]) -> bool:
        """Whether export writes this live object (custom fields: not Pipedrive's system fields)."""
        return True

    def validate(self, declared: Mapping[str, Any]) -> tuple[str, str] | None:
        """(field, problem) that Pipedrive would refuse whatever the account holds: said by `validate`."""
        return None

    def export_key(self, obj: Mapping[str, Any], slug: str) -> str:
        """The key export gives an object, from the slug of its title."""
        return slug


class DealHooks(KindHooks):
    """Deals: Pipedrive refuses changes to an archived deal unless the same request unarchives
    it; keeps a lost reason only on a lost deal; and computes the value of a deal that has
    products (a value sent beside them is refused)."""

    def export(self, fields):
        if fields.get("products"):
            fields.pop("value", None)  # Pipedrive's sum of the products
        # Pipedrive's stamp of when the deal was lost: exported, it would be managed, and a deal
        # reopened in Pipedrive would be planned back to lost (issue 24). won_time is still
        # exported: issue 16 promises its round trip (tests/plan/test_deal_fields.py)
        fields.pop("lost_time", None)

    def check(self, declared, live, writes):
        if declared.get("value") is not None and declared.get("products"):
            return ("declares both value and products: Pipedrive computes a deal's value from its products; "
                    "remove value"), None
        status = declared.get("status", (live or {}).get("status"))
        if declared.get("lost_reason") is not None and status != "lost":
            return f"declares a lost_reason, which Pipedrive keeps only on a lost deal (status: {status or 'open'})", None
        if not live or not live.get("is_archived"):
            return None, None
        if declared.get("archived") is False:
            return None, None
        others = sorted(k for k in writes if k != "is_archived")
        if others:
            return ("is archived in Pipedrive, which refuses changes to archived deals: declare "
                    "`archived: false` to unarchive and change it, or leave "
                    f"{', '.join(others)} as Pipedrive has them"), None
        if "archived" not in declared:
            return None, "is archived in Pipedrive (found, not created again; declare `archived` to manage it)"
        return None, None


class NotePinned(KindHooks):
    """A note is pinned per parent (`pinned_to_deal_flag`...); the manifest's `pinned` means
    "pinned on the parent it declares", and notes are v1 only."""

    FLAGS = {"deal": "pinned_to_deal_flag", "person": "pinned_to_person_flag", "org": "pinned_to_organization_flag",
             "lead": "pinned_to_lead_flag"}

    @staticmethod
    def parent_of(obj: Mapping[str, Any]) -> str:
        """The parent a note's object (or a change's writes) names: a lead's notes name only the lead."""
        return "deal" if obj.get("deal_id") else "person" if obj.get("person_id") else \
            "lead" if obj.get("lead_id") else "org"

    def read(self, record, out, version):
        parent = self.parent_of(out)
        out["pinned"] = as_bool(record.get(self.FLAGS[parent]))
        out["pinned_flags"] = {name: as_bool(record.get(flag)) for name, flag in self.FLAGS.items()}

    def plan_writes(self, declared_parent, live, writes):
        if "pinned" not in writes:
            return
        parent = declared_parent
        if parent is None and live is not None:
            parent = self.parent_of(live)
        writes["_parent"] = parent or "deal"

    def write(self, changes, body, version):
        body.pop("pinned", None)
        body.pop("_parent", None)
        if "pinned" not in changes:
            return
        parent = changes.get("_parent") or self.parent_of(changes)
        parent = {"organization": "org"}.get(parent, parent)  # plans saved before 0.2 say "organization"
        body[self.FLAGS[parent]] = 1 if changes["pinned"] else 0

    def live_value(self, spec, declared_parent, live):
        if spec.api == "pinned" and declared_parent is not None and "pinned_flags" in live:
            return live["pinned_flags"].get(declared_parent, live.get("pinned"))
        return spec.live(live)


class ActivityHooks(KindHooks):
    """Activities: v1 lists only the API user's own unless asked for everyone's (user_id=0),
    or other owners' activities would look absent and be created again; and v2 sets the
    person through `participants` (its `person_id` is the primary participant, read-only
    by Pipedrive's migration guide), so a declared `person` is sent as the primary
    participant, which both readings of the v2 description accept."""

    def list_params(self, version):
        return {"user_id": 0} if version == "v1" else {}

    def write(self, changes, body, version):
        if version == "v2" and "person_id" in body:
            person = body.pop("person_id")
            if "participants" not in body:
                body["participants"] = [] if person is None else [{"person_id": person, "primary": True}]

    def check(self, declared, live, writes):
        person, participants = declared.get("person"), declared.get("participants")
        if person is not None and participants and (participants[0].key, participants[0].id) != (person.key, person.id):
            return "declares both person and participants: the person must be the first participant", None
        return None, None


@dataclass(frozen=True)
class KindSpec:
    """Everything the pipeline needs to know about one kind."""

    name: str  # singular, as in plan JSON: "deal"
    section: str  # manifest section: "deals"
    title_field: str  # the human name of an object: "title" for deals
    fields: tuple[FieldSpec, ...]
    v1_path: str | None  # "/api/v1/deals"
    v2_path: str | None  # None when the kind has no v2 API (notes)
    # Natural match keys, most specific first. Each rule is a tuple of manifest field names
    # (PARENT for the declared parent; a trailing "?" marks a part that may be empty); a
    # resource uses the first rule whose other parts it declares, and only that one.
    match_keys: tuple[tuple[str, ...], ...]
    # Parent reference fields, in the order identity and display prefer them.
    parents: tuple[str, ...] = ()
    # How many parent references a resource must declare: (min, max).
    parent_count: tuple[int, int] = (0, 3)
    # Parents a resource may not declare together, and why (an activity's deal or lead)
    exclusive_parents: tuple[tuple[str, ...], str] | None = None
    required_on_create: tuple[str, ...] = ()
    field_schema_path: str | None = None  # custom field schemas, e.g. "dealFields"
    search: SearchSpec | None = None  # Pipedrive's search for this kind, by a declared value
    order: int = 0  # creation order: parents before children
    id_type: type = int  # ids are opaque values: int for most kinds, str (UUID) for leads
    export_home: bool = False  # export writes one file per object of this kind, with what hangs off it
    # lists leave archived objects out; they are listed here instead (deals: /api/v2/deals/archived)
    archived_path: str | None = None
    v1_update: str = "PUT"  # how v1 updates this kind (leads, v1 only, take PATCH)
    labels_path: str | None = None  # labels from an endpoint of their own (leads), not the field schema
    # how v1 lists of this kind take `updated_since` and sort newest first (leads: RFC 3339, by add time)
    v1_time_format: str = "%Y-%m-%d %H:%M:%S"
    v1_newest_first: str = "id DESC"
    custom_fields_of: str | None = None  # a kind whose custom fields this one shares (leads: the deals')
    hooks: KindHooks = field(default_factory=KindHooks)
    # The account's shape (pipelines, stages, custom fields): a few objects, read whole (one list,
    # never by ids, search or parent), and entered into the planned vocabulary (hooks.declare)
    # before records are compared, since records name them.
    shape: bool = False
    # Creates made one after another in the order of a field, within groups of equal values of
    # another (stages of one pipeline, by `order`): Pipedrive places each new one last.
    create_sequence: tuple[str, str | None] | None = None
    # Pipedrive deletes these with their parent (a pipeline's stages): a delete of one waits
    # for its parent's delete in the same plan (and finds it gone) instead of going first.
    deleted_with_parent: bool = False
    # Pipedrive keeps at least one of these per parent (a pipeline keeps a stage): a plan that
    # would delete the last one of a parent it keeps is refused.
    keeps_one: bool = False
    # How a string id looks (custom fields: "deal:<40-hex key>"); None: a UUID (leads).
    id_pattern: str | None = None
    # Pipedrive can merge two objects of this kind (PUT /api/v1/{collection}/{id}/merge): the
    # merged-away one is gone and its related objects move to the survivor (reconciler/merges.py)
    mergeable: bool = False
    # the kind Pipedrive converts objects of this kind into (a lead into a deal: POST
    # /api/v2/leads/{id}/convert/deal); the new object names its source (deals' `source_lead_id`)
    converts_to: str | None = None
    # API fields that say a live object is this kind's locked one deleted and created again in the
    # UI, the only way Pipedrive edits an object it cannot update (webhooks; reconciler/merges.py)
    recreated_by: tuple[str, ...] = ()
    # API fields Pipedrive refuses in a create (a lead's is_archived): written by an update once
    # the object exists (reconciler/twophase.py)
    create_later: tuple[str, ...] = ()
    # what a delete does in Pipedrive, as plans and apply say it (activity types are "deactivated")
    deleted_as: str = "deleted"

    def field(self, name: str) -> FieldSpec | None:
        return self.fields_by_name.get(name)

    @functools.cached_property
    def fields_by_name(self) -> dict[str, FieldSpec]:
        """One look-up per declared field on the hot paths of a load and a plan (the first field of a name)."""
        by_name: dict[str, FieldSpec] = {}
        for spec in self.fields:
            by_name.setdefault(spec.name, spec)
        return by_name

    def _fields_overriding(self, hook: str) -> dict[str, FieldSpec]:
        """The fields whose type overrides FieldType's `hook`: the only ones it can answer for, so
        the walks over every field of 55,000 resources look at these alone (issue 28)."""
        base = getattr(fieldtypes.FieldType, hook)
        return {name: spec for name, spec in self.fields_by_name.items()
                if getattr(type(spec.type), hook) is not base}

    @functools.cached_property  # fields never change: computed once, read per object
    def reference_names(self) -> frozenset[str]:
        """Names of the fields whose type can hold references (FieldType.references)."""
        return frozenset(self._fields_overriding("references"))

    @functools.cached_property  # fields never change: computed once, read per object
    def currency_fields(self) -> dict[str, FieldSpec]:
        """The fields whose type can name a currency (FieldType.currencies), by name."""
        return self._fields_overriding("currencies")

    @functools.cached_property  # fields never change: computed once, read per object
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @functools.cached_property  # fields never change: computed once, read per object
    def ref_fields(self) -> tuple[FieldSpec, ...]:
        """Fields holding one reference (parents and links); see also FieldType.references."""
        return tuple(spec for spec in self.fields if spec.type is REF)

    @functools.cached_property  # fields never change: computed once, read per object
    def attached_fields(self) -> tuple[FieldSpec, ...]:
        """Fields written by calls of their own after the object's (see FieldType.attached)."""
        return tuple(spec for spec in self.fields if spec.type.attached)

    @property
    def collections(self) -> tuple[str, ...]:
        """The last path segment of this kind's list endpoints, for pricing calls."""
        return tuple({path.rsplit("/", 1)[-1] for path in (self.v1_path, self.v2_path) if path})

    def parse_id(self, value: Any) -> Any:
        """An id of this kind from an answer or a file, or ValueError."""
        if value.__class__ is int and self.id_type is int:
            return value  # as nearly every answer gives it
        if self.id_type is int:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError(f"not an id: {value!r}")
            return int(value)
        if not isinstance(value, str) or not value:
            raise ValueError(f"not an id: {value!r}")
        return value


class PositionNotice(KindHooks):
    """Pipelines and stages: Pipedrive's API cannot move one (fieldtypes.Position), so a live
    one shown elsewhere than its declared `order` is said, not planned."""

    what = "pipeline"

    def check(self, declared, live, writes):
        order = declared.get("order")
        if live is None or order is None or live.get("order_nr") in (None, order):
            return None, None
        return None, (f"is {self.what} number {live['order_nr']} in Pipedrive, the manifests say {order}: "
                      f"Pipedrive's API cannot reorder {self.what}s, so move it in Pipedrive (not counted as a "
                      "change)")


class PipelineHooks(PositionNotice):
    what = "pipeline"

    def declare(self, schema, res, target, live, ctx):
        shape_rules.declare_pipeline(schema, res.fields.get("name"), target, live)


class StageHooks(PositionNotice):
    what = "stage"

    def declare(self, schema, res, target, live, ctx):
        pipeline = res.fields.get("pipeline")
        pipeline_id = None if pipeline is None else REF.to_api_value(STAGE_PIPELINE, pipeline, ctx, res.fields, live)
        shape_rules.declare_stage(schema, pipeline_id, res.fields.get("name"), target, live)


class CustomFieldHooks(KindHooks):
    """Custom fields: one API per entity (dealFields, personFields...), identified by their key;
    options changed by their own calls (reconciler/pipedrive/fieldsapi.py, which the client
    dispatches to). Only custom fields are managed: Pipedrive's system fields cannot be changed,
    nor a field's type or entity. The rules are reconciler/shape_rules.py's."""

    def read(self, record, out, version):
        shape_rules.read_extra(record, out, version)

    def plan_writes(self, declared_parent, live, writes):
        shape_rules.plan_option_writes(live, writes)

    def check(self, declared, live, writes):
        return shape_rules.check_custom_field(declared, live, writes), None

    def declare(self, schema, res, target, live, ctx):
        shape_rules.declare_custom_field(schema, res, target, live, CUSTOM_FIELD_OPTIONS, ctx)

    def exportable(self, obj):
        return bool(obj.get("custom"))

    def export_key(self, obj, slug):
        return f"{obj.get('entity')}-{slug}"  # a deal's Region and a person's Region are two fields


# Fields Pipedrive's API cannot clear: the official v2 request models (npm pipedrive 33.x) do not take
# null for them, so `null` is refused at validate (FILE:LINE and this reason) and never sent (issue 27;
# tests/conformance/test_requests.py checks every body against the models).
CANNOT_CLEAR: dict[str, str] = {
    **{f"{kind}.visible_to": f"Pipedrive cannot clear it (Update{model}Request.visible_to is not nullable); "
       "every object is visible to someone" for kind, model in (("deal", "Deal"), ("person", "Person"),
                                                                ("organization", "Organization"),
                                                                ("product", "Product"))},
    "person.org": "Pipedrive cannot clear it (UpdatePersonRequest.org_id is not nullable); leave the key out "
                  "to stop managing it",
    "deal.probability": "Pipedrive cannot clear it (UpdateDealRequest.probability is not nullable); leave the "
                        "key out to stop managing it",
    "activity_type.color": "Pipedrive cannot clear it (UpdateActivityTypeRequest.color is not nullable); leave "
                           "the key out to stop managing it",
}
OWNER = FieldSpec("owner", USER, "owner_id", "The Pipedrive user who owns the object, by email.")
FOLLOWERS_FIELD = FieldSpec("followers", FOLLOWERS, "followers", "Followers of the record, e.g. [anna@example.com].")
OWNER_V1_USER = FieldSpec("owner", USER, "owner_id", "The Pipedrive user who owns the object, by email.",
                          v1_api="user_id")
VISIBLE_TO = FieldSpec(
    "visible_to",
    VISIBILITY,
    "visible_to",
    "Who can see the object: owner (1), company (3), owner_group (5) or company_group (7).",
    choices=tuple(VISIBILITY_IDS),
    nullable=False,  # CANNOT_CLEAR
)
CUSTOM_FIELDS = FieldSpec(
    "fields",
    CUSTOM,
    "custom_fields",
    "Custom fields by their name as shown in Pipedrive; enum and set options by their label; "
    "monetary fields as a number (the object's currency) or {value, currency}.",
)

ORGANIZATION = KindSpec(
    name="organization",
    section="organizations",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The organization's name, as shown in Pipedrive. Its natural match key: without an id pin or a lock entry, an existing organization with exactly this name is adopted.", nullable=False),
        FieldSpec("address", ADDRESS, "address", "The postal address, as one line, e.g. '123 Main St, Springfield'."),
        FieldSpec("labels", LABELS, "label_ids", "Labels by name, as shown in Pipedrive (e.g. [Hot, VIP]).",
                  ref_kind="organization"),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
        FOLLOWERS_FIELD,
        FieldSpec("parent", ORG_PARENT, "parent", "The organization's parent, e.g. acme-group.", ref_kind="organization"),
        FieldSpec("related", ORG_RELATED, "related", "Organizations related to this one, e.g. [globex]; those whose "
                  "manifests list this one are in the set too.", ref_kind="organization"),
    ),
    v1_path="/api/v1/organizations",
    v2_path="/api/v2/organizations",
    match_keys=(("name",),),
    required_on_create=("name",),
    field_schema_path="organizationFields",
    search=SearchSpec("name", "name"),
    order=0,
    export_home=True,
    mergeable=True,
    create_later=("parent", "related"),  # relationships: after every create (both ends may be new)
)

PERSON = KindSpec(
    name="person",
    section="persons",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The person's full name. Matched together with org when the person has no email.", nullable=False),
        FieldSpec("org", REF, "org_id", "The organization the person works for.", ref_kind="organization",
                  nullable=False),  # CANNOT_CLEAR
        FieldSpec("emails", EMAILS, "emails", "Email addresses; the first one is primary and is the person's natural match key.", v1_api="email"),
        FieldSpec("phones", PHONES, "phones", "Phone numbers as text (quote them), e.g. '+1 555 0100'; the first one is primary.", v1_api="phone"),
        FieldSpec("labels", LABELS, "label_ids", "Labels by name, as shown in Pipedrive (e.g. [Hot, VIP]).",
                  ref_kind="person"),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
        FOLLOWERS_FIELD,
    ),
    v1_path="/api/v1/persons",
    v2_path="/api/v2/persons",
    match_keys=(("emails",), ("name", "org"), ("name",)),
    required_on_create=("name",),
    field_schema_path="personFields",
    search=SearchSpec("emails", "email"),
    order=1,
    mergeable=True,
)

PRODUCT = KindSpec(
    name="product",
    section="products",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The product's name. Its natural match key when it has no code.", nullable=False),
        FieldSpec("code", STRING, "code", "The product's code (SKU), e.g. WP-100; its natural match key."),
        FieldSpec("description", STRING, "description", "A description of the product."),
        FieldSpec("unit", STRING, "unit", "The unit it is sold in, e.g. licence, hour."),
        FieldSpec("tax", NUMBER, "tax", "The tax rate, a percentage.", empty=0),
        FieldSpec("prices", PRICES, "prices", "Prices, one per currency: [{price: 120, currency: USD, cost: 80}]."),
        FieldSpec("linkable", BOOL, "is_linkable", "Whether the product can be added to deals (Pipedrive's "
                  "active products); false keeps it in the catalogue without offering it.", nullable=False),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
        FieldSpec("variations", VARIATIONS, "variations", "Variations of the product, e.g. [{name: Large, prices: "
                  "[{price: 150, currency: USD}]}]."),
    ),
    v1_path=None,  # v1 products are out of support: v2 only
    v2_path="/api/v2/products",
    match_keys=(("code",), ("name",)),
    required_on_create=("name",),
    field_schema_path="productFields",
    search=SearchSpec("name", "name"),
    order=1,
)

DEAL = KindSpec(
    name="deal",
    section="deals",
    title_field="title",
    fields=(
        FieldSpec("title", STRING, "title", "The deal's title. Matched together with org (else person) to adopt an existing deal.", nullable=False),
        FieldSpec("value", NUMBER, "value", "The deal's value, a number in the deal's currency; null means 0.",
                  empty=0),
        FieldSpec("currency", CURRENCY_CODE, "currency", "ISO 4217 currency code of the value, e.g. USD; one of "
                  "the account's currencies (checked at plan time)."),
        FieldSpec("org", REF, "org_id", "The organization the deal is with.", ref_kind="organization"),
        FieldSpec("person", REF, "person_id", "The contact person of the deal.", ref_kind="person"),
        FieldSpec("pipeline", PIPELINE, "pipeline_id", "The pipeline, by name, e.g. Sales.", nullable=False),
        FieldSpec("stage", STAGE, "stage_id", "The stage, by name, within the deal's pipeline, e.g. Negotiation.", nullable=False),
        FieldSpec(
            "status", ENUM, "status", "The deal's status: open, won or lost.", choices=("open", "won", "lost"), nullable=False
        ),
        FieldSpec("expected_close_date", DATE, "expected_close_date", "The date the deal is expected to close, YYYY-MM-DD."),
        FieldSpec("probability", PERCENT, "probability", "The deal's success probability, a percentage (0-100).",
                  nullable=False),  # CANNOT_CLEAR
        FieldSpec("lost_reason", STRING, "lost_reason", "Why the deal was lost (status lost only)."),
        FieldSpec("won_time", DATETIME, "won_time", "When the deal was won (status won), UTC."),
        FieldSpec("lost_time", DATETIME, "lost_time", "When the deal was lost (status lost), UTC."),
        FieldSpec("products", DEAL_PRODUCTS, "products", "Products on the deal: [{product: KEY, quantity: N, "
                  "item_price: X, discount: Y}]; the deal's value is then Pipedrive's sum of them.", ref_kind="product"),
        FieldSpec("labels", LABELS, "label_ids", "Labels by name, as shown in Pipedrive (e.g. [Hot, VIP]).",
                  ref_kind="deal", v1_api="label"),

        FieldSpec("archived", BOOL, "is_archived", "Whether the deal is archived: hidden from the pipeline, and "
                  "not editable in Pipedrive until unarchived (false unarchives it). Undeclared, an archived deal "
                  "is still found, never created again.", nullable=False),
        OWNER_V1_USER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
        FOLLOWERS_FIELD,
    ),
    v1_path="/api/v1/deals",
    v2_path="/api/v2/deals",
    archived_path="/api/v2/deals/archived",
    hooks=DealHooks(),
    match_keys=(("title", "org"), ("title", "person"), ("title",)),
    parents=("org", "person"),
    required_on_create=("title",),
    field_schema_path="dealFields",
    search=SearchSpec("title", "title"),
    order=2,
    mergeable=True,
)

NOTE = KindSpec(
    name="note",
    section="notes",
    title_field="content",
    fields=(
        FieldSpec("deal", REF, "deal_id", "The deal the note is attached to. A note has exactly one parent: deal, person, org or lead.", ref_kind="deal"),
        FieldSpec("person", REF, "person_id", "The person the note is attached to. A note has exactly one parent: deal, person, org or lead.", ref_kind="person"),
        FieldSpec("org", REF, "org_id", "The organization the note is attached to. A note has exactly one parent: deal, person, org or lead.", ref_kind="organization"),
        FieldSpec("lead", REF, "lead_id", "The lead the note is attached to (a key in `leads:`, or {id: UUID}); a lead "
                  "converted to a deal in Pipedrive takes its notes along, and plans leave them on the deal. A "
                  "note has exactly one parent: deal, person, org or lead.", ref_kind="lead", uuid_ref=True),
        FieldSpec(
            "content",
            TEXT,
            "content",
            "The note's text, as plain text: it is escaped before it is sent (Pipedrive stores HTML), so "
            "text such as <john@acme.com> is kept as written; formatting added in Pipedrive is not compared.",
            nullable=False,
        ),
        FieldSpec("pinned", BOOL, "pinned", "Whether the note is pinned to the top of its parent's timeline.", nullable=False),
    ),
    v1_path="/api/v1/notes",
    v2_path=None,
    match_keys=((PARENT, "content"),),
    parents=("deal", "person", "org", "lead"),
    parent_count=(1, 1),
    required_on_create=("content",),
    order=3,
    hooks=NotePinned(),
)

ACTIVITY = KindSpec(
    name="activity",
    section="activities",
    title_field="subject",
    fields=(
        FieldSpec("subject", STRING, "subject", "The activity's subject, e.g. 'Follow-up call'. Matched with due_date and parent.", nullable=False),
        FieldSpec("type", ACTIVITY_TYPE, "type", "The activity type's key: call, meeting, task, deadline, email, "
                  "lunch, or one the account added."),
        FieldSpec("due_date", DATE, "due_date", "The day the activity is due, YYYY-MM-DD."),
        FieldSpec("due_time", TIME, "due_time", "The time the activity is due, HH:MM on a 24-hour clock."),
        FieldSpec("duration", TIME, "duration", "How long the activity lasts, HH:MM, e.g. '00:30'."),
        FieldSpec("deal", REF, "deal_id", "The deal the activity belongs to. An activity needs at least one of deal, person, org, lead.", ref_kind="deal"),
        FieldSpec("person", REF, "person_id", "The person the activity is with. An activity needs at least one of deal, person, org, lead.", ref_kind="person"),
        FieldSpec("org", REF, "org_id", "The organization the activity is with. An activity needs at least one of deal, person, org, lead.", ref_kind="organization"),
        FieldSpec("lead", REF, "lead_id", "The lead the activity is for (a key in `leads:`, or {id: UUID}); an "
                  "activity is linked to a deal or a lead, not both. A lead converted to a deal in Pipedrive takes "
                  "its activities along, and plans leave them on the deal.", ref_kind="lead", uuid_ref=True),
        FieldSpec("participants", PARTICIPANTS, "participants", "The persons taking part, by key or {id: N}; the "
                  "first is primary (and is the activity's person).", ref_kind="person"),
        FieldSpec("done", BOOL, "done", "Whether the activity is marked done.", nullable=False),
        FieldSpec("note", TEXT, "note", "Free text attached to the activity, as plain text (escaped before it is "
                  "sent; Pipedrive stores HTML)."),
        FieldSpec("location", ADDRESS, "location", "Where it takes place, as one line (an address)."),
        FieldSpec("busy", BOOL, "busy", "Whether the activity marks its owner busy in the calendar.", v1_api="busy_flag",
                  nullable=False),
        FieldSpec("public_description", STRING, "public_description", "A description shown to the participants "
                  "(calendar invitations)."),
        OWNER_V1_USER,
    ),
    v1_path="/api/v1/activities",
    v2_path="/api/v2/activities",
    match_keys=(("subject", "due_date?", PARENT),),
    parents=("deal", "person", "org", "lead"),
    parent_count=(1, 4),
    exclusive_parents=(("deal", "lead"), "Pipedrive links an activity to a deal or to a lead (a lead's activities "
                       "move to its deal when it is converted)"),
    required_on_create=("subject",),
    order=4,
    hooks=ActivityHooks(),
)

LEAD = KindSpec(
    name="lead",
    section="leads",
    title_field="title",
    fields=(
        FieldSpec("title", STRING, "title", "The lead's title. Matched together with org (else person).", nullable=False),
        FieldSpec("org", REF, "organization_id", "The organization the lead is about. A lead needs an org or a person.",
                  ref_kind="organization"),
        FieldSpec("person", REF, "person_id", "The person the lead is about. A lead needs an org or a person.",
                  ref_kind="person"),
        FieldSpec("value", LEAD_VALUE, "value", "The lead's potential value: a number, or {amount, currency}."),
        FieldSpec("expected_close_date", DATE, "expected_close_date", "When it is expected to close, YYYY-MM-DD."),
        FieldSpec("labels", LABELS, "label_ids", "Lead labels by name, e.g. [Hot].", ref_kind="lead"),
        FieldSpec("archived", JSON_BOOL, "is_archived", "Whether the lead is archived; undeclared, an archived lead is "
                  "still found, never created again.", nullable=False),
        OWNER,
        FieldSpec("visible_to", VISIBILITY_TEXT, "visible_to", VISIBLE_TO.description, choices=tuple(VISIBILITY_IDS)),
        FieldSpec("fields", CUSTOM, "custom_fields", "Custom fields by name: leads have the deals' custom fields."),
    ),
    v1_path="/api/v1/leads",  # leads exist only in v1
    v2_path=None,
    archived_path="/api/v1/leads/archived",
    match_keys=(("title", "org"), ("title", "person"), ("title",)),
    parents=("org", "person"),
    parent_count=(1, 2),
    required_on_create=("title",),
    order=2,  # before notes and activities, which may hang off a lead
    id_type=str,  # UUIDs
    v1_update="PATCH",
    labels_path="/api/v1/leadLabels",
    custom_fields_of="deal",
    converts_to="deal",
    create_later=("is_archived",),
    v1_time_format="%Y-%m-%dT%H:%M:%SZ",
    v1_newest_first="add_time DESC",
)

# -- the account's shape: created before, and deleted after, the records that use it ---------------

PIPELINE_KIND = KindSpec(
    name="pipeline",
    section="pipelines",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The pipeline's name, unique in the account; deals name it in "
                  "`pipeline:`. Its natural match key: an existing pipeline of this name is adopted, and "
                  "renaming one keeps its deals.", nullable=False),
        FieldSpec("deal_probability", BOOL, "is_deal_probability_enabled",
                  "Whether deals in this pipeline have a success probability.", v1_api="deal_probability",
                  nullable=False),
        FieldSpec("order", POSITION, "order_nr", "Where the pipeline is shown among the account's pipelines "
                  "(Pipedrive's order_nr). New pipelines are created in this order, after the existing ones; "
                  "Pipedrive's API cannot move a live one, so a difference is a warning, not a change.",
                  nullable=False),
    ),
    v1_path="/api/v1/pipelines",
    v2_path="/api/v2/pipelines",
    match_keys=(("name",),),
    required_on_create=("name",),
    order=-3,
    shape=True,
    create_sequence=("order", None),
    hooks=PipelineHooks(),
)

STAGE_PIPELINE = FieldSpec("pipeline", REF, "pipeline_id", "The pipeline the stage belongs to; moving a stage "
                           "to another pipeline moves its deals with it.", ref_kind="pipeline", nullable=False)

STAGE_KIND = KindSpec(
    name="stage",
    section="stages",
    title_field="name",
    fields=(
        STAGE_PIPELINE,
        FieldSpec("name", STRING, "name", "The stage's name, unique in its pipeline; deals name it in `stage:`. "
                  "Matched together with the pipeline to adopt an existing stage.", nullable=False),
        FieldSpec("order", POSITION, "order_nr", "Where the stage is shown in its pipeline (Pipedrive's "
                  "order_nr, lowest first). New stages are created in this order, after the existing ones; "
                  "Pipedrive's API cannot move a live one, so a difference is a warning, not a change.",
                  nullable=False),
        FieldSpec("probability", NUMBER, "deal_probability", "The success probability of deals in this "
                  "stage, 0 to 100 (used when the pipeline has deal_probability on).", nullable=False),
        FieldSpec("rotting_days", ROTTING, "days_to_rotten", "After how many days without activity a deal in "
                  "this stage rots; null turns rotting off."),
    ),
    v1_path="/api/v1/stages",
    v2_path="/api/v2/stages",
    match_keys=(("pipeline", "name"),),
    parents=("pipeline",),
    parent_count=(1, 1),
    required_on_create=("name",),
    order=-2,
    shape=True,
    create_sequence=("order", "pipeline"),
    deleted_with_parent=True,
    keeps_one=True,
    hooks=StageHooks(),
)

# The entities that have custom fields Pipedrive lets an API create, and their field schemas
# (activity fields are read-only: Pipedrive has no API that adds one).
CUSTOM_FIELD_ENTITIES = {"deal": "dealFields", "person": "personFields", "organization": "organizationFields",
                         "product": "productFields"}
# Pipedrive's custom field types that an API may create (the v2 add-field enum).
CUSTOM_FIELD_TYPES = ("varchar", "varchar_auto", "text", "double", "monetary", "date", "daterange", "time",
                      "timerange", "enum", "set", "user", "org", "people", "phone", "address")
CUSTOM_FIELD_OPTIONS = FieldSpec(
    "options", OPTION_LIST, "options",
    "The options of an enum (single option) or set (multiple options) field, in order, by label. Records "
    "name them by label. `{label: NEW, was: OLD}` renames an option and keeps its id, so records using it "
    "keep their value; an option left out is removed from the field and from every record that used it "
    "(refused while live records use it, unless the plan changes them or --allow-option-removal).",
    nullable=False,
)

CUSTOM_FIELD_KIND = KindSpec(
    name="custom_field",
    section="custom_fields",
    title_field="name",
    fields=(
        FieldSpec("kind", ENUM, "entity", "What the field belongs to: deal, person, organization or product "
                  "(Pipedrive has no API to add activity fields). It cannot change.",
                  choices=tuple(CUSTOM_FIELD_ENTITIES), nullable=False),
        FieldSpec("name", STRING, "field_name", "The field's name, unique among the kind's fields; records "
                  "name it under `fields:`. Renaming keeps its key, so every value stays.", v1_api="name",
                  nullable=False),
        FieldSpec("type", ENUM, "field_type", "Pipedrive's field type: varchar (text), varchar_auto, text "
                  "(large text), double (number), monetary, date, daterange, time, timerange, enum (one "
                  "option), set (several options), user, org, people, phone or address. It cannot change.",
                  choices=CUSTOM_FIELD_TYPES, nullable=False),
        CUSTOM_FIELD_OPTIONS,
        FieldSpec("add_form", BOOL, "add_visible_flag", "Whether the field is shown in the form that adds a "
                  "new object (Pipedrive's ui_visibility.add_visible_flag; false for new fields).", nullable=False),
    ),
    v1_path=None,
    v2_path=None,
    match_keys=(("kind", "name"),),
    required_on_create=("kind", "name", "type"),
    order=-1,
    shape=True,
    id_type=str,
    id_pattern=r"^(deal|person|organization|product):[0-9a-f]{40}$",
    hooks=CustomFieldHooks(),
)

# The account's configuration kinds (activity types, labels, filters, goals, webhooks) live beside the table.
from reconciler.kinds_admin import (  # noqa: E402  (they build on the classes above)
    ACTIVITY_TYPE_KIND,
    FILTER_KIND,
    GOAL_KIND,
    LABEL_KIND,
    WEBHOOK_KIND,
)

KINDS: tuple[KindSpec, ...] = (ORGANIZATION, PERSON, PRODUCT, DEAL, NOTE, ACTIVITY, LEAD, PIPELINE_KIND, STAGE_KIND,
                               CUSTOM_FIELD_KIND, ACTIVITY_TYPE_KIND, LABEL_KIND, FILTER_KIND, GOAL_KIND, WEBHOOK_KIND)
BY_NAME: dict[str, KindSpec] = {k.name: k for k in KINDS}
BY_SECTION: dict[str, KindSpec] = {k.section: k for k in KINDS}

# Keys every resource may carry besides its kind's fields.
META_FIELDS = ("id", "absent", "protect", "ignore_changes")
# What each meta key means, for the JSON Schemas and editors' hover text.
META_DESCRIPTIONS = {
    "id": "Pins the resource to an existing Pipedrive object by its id; identity never looks further.",
    "absent": "true declares that the object must not exist: apply deletes it if it does.",
    "protect": "true makes every plan that would delete the object fail.",
    "ignore_changes": "Fields set when the object is created and never compared or written afterwards "
                      "(custom fields as `fields.NAME`, every custom field as `fields`), or `all` for a "
                      "create-only resource. Replaces the kind's default from reconciler.toml "
                      "([ignore_changes]); `[]` manages every declared field again.",
}

KEY_PATTERN = fieldtypes.KEY_PATTERN


def kind(name: str) -> KindSpec:
    """Look a kind up by singular name or section name."""
    if name in BY_NAME:
        return BY_NAME[name]
    return BY_SECTION[name]
