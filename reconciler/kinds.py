"""The one table of kind-specific knowledge.

Everything that differs between organizations, persons, deals, notes and activities
lives here: manifest section names, API paths per version, how each manifest field maps
to the canonical (v2-shaped) API field, which fields are references, and the natural
match keys identity uses. Other modules loop over this table instead of branching on a
kind's name, so adding a kind means one new entry here, one schema and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Field value types, used by the loader (how to read a YAML scalar), by normalize
# (how to compare) and by the schemas generator.
STRING = "string"
TEXT = "text"  # long text, compared after Pipedrive's HTML normalisation
NUMBER = "number"
DATE = "date"  # YYYY-MM-DD
TIME = "time"  # HH:MM
BOOL = "bool"
EMAILS = "emails"  # list of strings; the first is primary
PHONES = "phones"
REF = "ref"  # a key of another kind in the manifests, or {id: N}
USER = "user"  # a Pipedrive user, by email
VISIBILITY = "visibility"  # owner | company | owner_group | company_group
PIPELINE = "pipeline"  # by name
STAGE = "stage"  # by name, within the deal's pipeline
ENUM = "enum"  # a fixed set of strings, see FieldSpec.choices
CUSTOM = "custom"  # the `fields` mapping: custom fields by name

VISIBILITY_IDS = {"owner": 1, "company": 3, "owner_group": 5, "company_group": 7}
VISIBILITY_NAMES = {v: k for k, v in VISIBILITY_IDS.items()}


@dataclass(frozen=True)
class FieldSpec:
    """One manifest field: its type, the canonical API field it maps to, its docs."""

    name: str
    type: str
    api: str  # canonical (v2-shaped) API field name
    description: str
    ref_kind: str | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = True
    # What `null` ("empty") means to Pipedrive when it is not null itself: a deal's value
    # cannot be empty, it is 0 when unset.
    empty: Any = None


@dataclass(frozen=True)
class KindSpec:
    """Everything the pipeline needs to know about one kind."""

    name: str  # singular, as in plan JSON: "deal"
    section: str  # manifest section: "deals"
    title_field: str  # the human name of an object: "title" for deals
    fields: tuple[FieldSpec, ...]
    v1_path: str  # "/api/v1/deals"
    v2_path: str | None  # None when the kind has no v2 API (notes)
    # Natural match keys, tried in order; each is a tuple of manifest field names that must
    # all be declared (non-null) for that rule to apply.
    match_keys: tuple[tuple[str, ...], ...]
    # Parent reference fields, in the order identity and display prefer them.
    parents: tuple[str, ...] = ()
    # How many parent references a resource must declare: (min, max).
    parent_count: tuple[int, int] = (0, 3)
    required_on_create: tuple[str, ...] = ()
    field_schema_path: str | None = None  # custom field schemas, e.g. "dealFields"
    search_item_type: str | None = None  # /api/v2/<kind>/search
    order: int = 0  # creation order: parents before children
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def ref_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.type == REF)


OWNER = FieldSpec("owner", USER, "owner_id", "The Pipedrive user who owns the object, by email.")
VISIBLE_TO = FieldSpec(
    "visible_to",
    VISIBILITY,
    "visible_to",
    "Who can see the object: owner (1), company (3), owner_group (5) or company_group (7).",
    choices=tuple(VISIBILITY_IDS),
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
        FieldSpec("address", STRING, "address", "The postal address, as one line, e.g. '123 Main St, Springfield'."),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
    ),
    v1_path="/api/v1/organizations",
    v2_path="/api/v2/organizations",
    match_keys=(("name",),),
    required_on_create=("name",),
    field_schema_path="organizationFields",
    search_item_type="organization",
    order=0,
)

PERSON = KindSpec(
    name="person",
    section="persons",
    title_field="name",
    fields=(
        FieldSpec("name", STRING, "name", "The person's full name. Matched together with org when the person has no email.", nullable=False),
        FieldSpec("org", REF, "org_id", "The organization the person works for.", ref_kind="organization"),
        FieldSpec("emails", EMAILS, "emails", "Email addresses; the first one is primary and is the person's natural match key."),
        FieldSpec("phones", PHONES, "phones", "Phone numbers as text (quote them), e.g. '+1 555 0100'; the first one is primary."),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
    ),
    v1_path="/api/v1/persons",
    v2_path="/api/v2/persons",
    match_keys=(("emails",), ("name", "org")),
    required_on_create=("name",),
    field_schema_path="personFields",
    search_item_type="person",
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
        FieldSpec("currency", STRING, "currency", "ISO 4217 currency code of the value, e.g. USD."),
        FieldSpec("org", REF, "org_id", "The organization the deal is with.", ref_kind="organization"),
        FieldSpec("person", REF, "person_id", "The contact person of the deal.", ref_kind="person"),
        FieldSpec("pipeline", PIPELINE, "pipeline_id", "The pipeline, by name, e.g. Sales.", nullable=False),
        FieldSpec("stage", STAGE, "stage_id", "The stage, by name, within the deal's pipeline, e.g. Negotiation.", nullable=False),
        FieldSpec(
            "status", ENUM, "status", "The deal's status: open, won or lost.", choices=("open", "won", "lost"), nullable=False
        ),
        FieldSpec("expected_close_date", DATE, "expected_close_date", "The date the deal is expected to close, YYYY-MM-DD."),
        FieldSpec("lost_reason", STRING, "lost_reason", "Why the deal was lost (status lost only)."),
        OWNER,
        VISIBLE_TO,
        CUSTOM_FIELDS,
    ),
    v1_path="/api/v1/deals",
    v2_path="/api/v2/deals",
    match_keys=(("title", "org"), ("title", "person")),
    parents=("org", "person"),
    required_on_create=("title",),
    field_schema_path="dealFields",
    search_item_type="deal",
    order=2,
)

NOTE = KindSpec(
    name="note",
    section="notes",
    title_field="content",
    fields=(
        FieldSpec("deal", REF, "deal_id", "The deal the note is attached to. A note has exactly one parent: deal, person or org.", ref_kind="deal"),
        FieldSpec("person", REF, "person_id", "The person the note is attached to. A note has exactly one parent: deal, person or org.", ref_kind="person"),
        FieldSpec("org", REF, "org_id", "The organization the note is attached to. A note has exactly one parent: deal, person or org.", ref_kind="organization"),
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
    match_keys=(("@parent", "content"),),
    parents=("deal", "person", "org"),
    parent_count=(1, 1),
    required_on_create=("content",),
    order=3,
)

ACTIVITY = KindSpec(
    name="activity",
    section="activities",
    title_field="subject",
    fields=(
        FieldSpec("subject", STRING, "subject", "The activity's subject, e.g. 'Follow-up call'. Matched with due_date and parent.", nullable=False),
        FieldSpec("type", STRING, "type", "The activity type's key: call, meeting, task, deadline, email, lunch."),
        FieldSpec("due_date", DATE, "due_date", "The day the activity is due, YYYY-MM-DD."),
        FieldSpec("due_time", TIME, "due_time", "The time the activity is due, HH:MM on a 24-hour clock."),
        FieldSpec("duration", TIME, "duration", "How long the activity lasts, HH:MM, e.g. '00:30'."),
        FieldSpec("deal", REF, "deal_id", "The deal the activity belongs to. An activity needs at least one of deal, person, org.", ref_kind="deal"),
        FieldSpec("person", REF, "person_id", "The person the activity is with. An activity needs at least one of deal, person, org.", ref_kind="person"),
        FieldSpec("org", REF, "org_id", "The organization the activity is with. An activity needs at least one of deal, person, org.", ref_kind="organization"),
        FieldSpec("done", BOOL, "done", "Whether the activity is marked done.", nullable=False),
        FieldSpec("note", TEXT, "note", "Free text attached to the activity, as plain text (escaped before it is "
                  "sent; Pipedrive stores HTML)."),
        OWNER,
    ),
    v1_path="/api/v1/activities",
    v2_path="/api/v2/activities",
    match_keys=(("subject", "due_date", "@parent"),),
    parents=("deal", "person", "org"),
    parent_count=(1, 3),
    required_on_create=("subject",),
    order=4,
)

KINDS: tuple[KindSpec, ...] = (ORGANIZATION, PERSON, DEAL, NOTE, ACTIVITY)
BY_NAME: dict[str, KindSpec] = {k.name: k for k in KINDS}
BY_SECTION: dict[str, KindSpec] = {k.section: k for k in KINDS}

# Keys every resource may carry besides its kind's fields.
META_FIELDS = ("id", "absent", "protect")
# What each meta key means, for the JSON Schemas and editors' hover text.
META_DESCRIPTIONS = {
    "id": "Pins the resource to an existing Pipedrive object by its id; identity never looks further.",
    "absent": "true declares that the object must not exist: apply deletes it if it does.",
    "protect": "true makes every plan that would delete the object fail.",
}

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"


def kind(name: str) -> KindSpec:
    """Look a kind up by singular name or section name."""
    if name in BY_NAME:
        return BY_NAME[name]
    return BY_SECTION[name]
