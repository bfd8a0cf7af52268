"""The default company every new sandbox connection starts with (docs/sandbox-company.md).

Why a fixed company: examples and tests name users, pipelines, stages and custom fields by
their human names, so every connection must hold exactly these. What differs per connection
is what differs between real Pipedrive accounts: the company id and the custom-field hashes
(40 hex characters), so code that hard-codes one account's hashes is caught.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Store(Protocol):
    """What installing a company needs of the store (why a protocol: the store creates companies,
    so this module must not import it back)."""

    def transaction(self) -> AbstractContextManager[Any]: ...

    def next_ids(self, company_id: int, kind: str, count: int = 1) -> int: ...

    def insert_many(self, company_id: int, kind: str, records: Iterable[dict[str, Any]]) -> int: ...

COMPANY_NAME = "Example Sales Ltd"
COMPANY_DOMAIN = "examplesales"
DEFAULT_CURRENCY = "USD"
BASE_TIME = "2026-01-05T09:00:00Z"  # when the default company "was set up"

# (name, email, is_admin); the first is the API user that /users/me returns.
USERS: tuple[tuple[str, str, bool], ...] = (
    ("Alice Anderson", "alice@example.com", True),
    ("Bob Brown", "bob@example.com", False),
    ("Carol Clark", "carol@example.com", False),
)
API_USER_ID = 1

PIPELINES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sales", ("Lead In", "Qualified", "Contact Made", "Proposal Made", "Negotiation")),
    ("Partners", ("Prospect", "Onboarding", "Active")),
)

ACTIVITY_TYPES: tuple[tuple[str, str], ...] = (
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("task", "Task"),
    ("deadline", "Deadline"),
    ("email", "Email"),
    ("lunch", "Lunch"),
)

# Teams (Pipedrive's v1 legacyTeams, which goals may be assigned to): (name, manager's user id, member ids).
TEAMS: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ("Field sales", 2, (2, 3)),
    ("Inside sales", 1, (1,)),
)

# Custom fields per entity: (name, field_type, option labels).
CUSTOM_FIELDS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "organization": (
        ("Industry", "enum", ("Manufacturing", "Software", "Retail", "Healthcare", "Finance", "Logistics")),
    ),
    "deal": (
        ("Lead source", "enum", ("Referral", "Website", "Cold call", "Event", "Partner")),
        ("Contract value", "monetary", ()),
    ),
    "person": (("Interests", "set", ("Product updates", "Events", "Newsletter", "Beta program")),),
}

# Pipedrive's built-in fields per entity, as its field-schema endpoints list them:
# (key, name, field_type, option labels). ``label`` holds the label options that
# ``label_ids`` refer to; a product's ``category`` holds its category options.
PERSON_LABELS = ("Customer", "Hot lead", "Warm lead", "Cold lead")
PRODUCT_CATEGORIES = ("Hardware", "Software", "Services")
# The three lead labels Pipedrive creates in every new company: (name, color).
LEAD_LABELS: tuple[tuple[str, str], ...] = (("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue"))
STANDARD_FIELDS: dict[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]] = {
    "deal": (
        ("title", "Title", "varchar", ()),
        ("creator_user_id", "Creator", "user", ()),
        ("user_id", "Owner", "user", ()),
        ("value", "Value", "monetary", ()),
        ("currency", "Currency", "varchar_options", ()),
        ("org_id", "Organization", "org", ()),
        ("person_id", "Contact person", "people", ()),
        ("pipeline", "Pipeline", "double", ()),
        ("stage_id", "Stage", "stage", ()),
        ("status", "Status", "status", ("Open", "Won", "Lost", "Deleted")),
        ("probability", "Probability", "double", ()),
        ("lost_reason", "Lost reason", "varchar_options", ()),
        ("visible_to", "Visible to", "visible_to", ()),
        ("expected_close_date", "Expected close date", "date", ()),
        ("add_time", "Deal created", "date", ()),
        ("update_time", "Update time", "date", ()),
        ("close_time", "Deal closed on", "date", ()),
        ("won_time", "Won time", "date", ()),
        ("lost_time", "Lost time", "date", ()),
        ("label", "Label", "set", ("Hot", "Warm", "Cold")),
    ),
    "person": (
        ("name", "Name", "varchar", ()),
        ("first_name", "First name", "varchar", ()),
        ("last_name", "Last name", "varchar", ()),
        ("org_id", "Organization", "org", ()),
        ("email", "Email", "varchar", ()),
        ("phone", "Phone", "phone", ()),
        ("owner_id", "Owner", "user", ()),
        ("visible_to", "Visible to", "visible_to", ()),
        ("add_time", "Person created", "date", ()),
        ("update_time", "Update time", "date", ()),
        ("label", "Label", "set", PERSON_LABELS),
    ),
    "organization": (
        ("name", "Name", "varchar", ()),
        ("owner_id", "Owner", "user", ()),
        ("address", "Address", "address", ()),
        ("visible_to", "Visible to", "visible_to", ()),
        ("people_count", "People", "int", ()),
        ("add_time", "Organization created", "date", ()),
        ("update_time", "Update time", "date", ()),
        ("label", "Label", "set", PERSON_LABELS),
    ),
    "product": (
        ("name", "Name", "varchar", ()),
        ("code", "Product code", "varchar", ()),
        ("description", "Description", "text", ()),
        ("unit", "Unit", "varchar", ()),
        ("tax", "Tax", "double", ()),
        ("category", "Category", "enum", PRODUCT_CATEGORIES),
        ("active_flag", "Active", "boolean", ()),
        ("selectable", "Selectable", "boolean", ()),
        ("visible_to", "Visible to", "visible_to", ()),
        ("owner_id", "Owner", "user", ()),
        ("prices", "Price", "price_list", ()),
        ("billing_frequency", "Billing frequency", "billing_frequency", ()),
        ("add_time", "Product created", "date", ()),
        ("update_time", "Update time", "date", ()),
    ),
}


def field_record(
    store: Store,
    company_id: int,
    *,
    entity: str,
    key: str,
    name: str,
    field_type: str,
    labels: tuple[str, ...] | list[str],
    is_custom: bool,
    order_nr: int,
    field_id: int | None = None,
    stamp: str = BASE_TIME,
) -> dict[str, Any]:
    """One field-schema document; option ids come from one per-company counter, as in Pipedrive."""
    options = None
    if labels:
        first = store.next_ids(company_id, "field_option", len(labels))
        options = [{"id": first + i, "label": label} for i, label in enumerate(labels)]
    return {
        "id": field_id if field_id is not None else store.next_ids(company_id, "field"),
        "entity": entity,
        "key": key,
        "name": name,
        "field_type": field_type,
        "options": options,
        "is_custom": is_custom,
        "order_nr": order_nr,
        "add_time": stamp,
        "update_time": stamp,
        "is_deleted": False,
        "mandatory_flag": False,
        "edit_flag": is_custom,
        "important_flag": False,
        "bulk_edit_allowed": True,
        "searchable_flag": field_type in ("varchar", "text", "varchar_auto", "address", "phone"),
        "filtering_allowed": True,
        "sortable_flag": True,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": True,
        "last_updated_by_user_id": API_USER_ID if is_custom else None,
    }


def new_field_key() -> str:
    """A custom field's key: 40 hex characters, random per company like Pipedrive's hashes."""
    return secrets.token_hex(20)


def new_uuid() -> str:
    """A lead's or lead label's id: a random UUID, as Pipedrive gives them."""
    return str(uuid.uuid4())


def install_default_company(store: Store, company_id: int) -> None:
    """Write the default company's users, pipelines, stages, activity types, teams, fields and lead labels."""
    with store.transaction():
        users = []
        for i, (name, email, admin) in enumerate(USERS, start=1):
            users.append(
                {
                    "id": i,
                    "name": name,
                    "email": email,
                    "is_admin": admin,
                    "active_flag": True,
                    "activated": True,
                    "default_currency": DEFAULT_CURRENCY,
                    "locale": "en_US",
                    "lang": 1,
                    "timezone_name": "UTC",
                    "timezone_offset": "+00:00",
                    "role_id": 1,
                    "phone": None,
                    "icon_url": None,
                    "last_login": BASE_TIME,
                    "has_created_company": i == API_USER_ID,
                    "add_time": BASE_TIME,
                    "update_time": BASE_TIME,
                    "is_deleted": False,
                }
            )
        store.insert_many(company_id, "user", users)

        pipelines, stages = [], []
        stage_id = 0
        for p_index, (p_name, stage_names) in enumerate(PIPELINES, start=1):
            pipelines.append(
                {
                    "id": p_index,
                    "name": p_name,
                    "order_nr": p_index,
                    "is_deal_probability_enabled": False,
                    "is_selected": p_index == 1,
                    "add_time": BASE_TIME,
                    "update_time": BASE_TIME,
                    "is_deleted": False,
                }
            )
            for s_index, s_name in enumerate(stage_names, start=1):
                stage_id += 1
                stages.append(
                    {
                        "id": stage_id,
                        "name": s_name,
                        "order_nr": s_index,
                        "pipeline_id": p_index,
                        "deal_probability": 100,
                        "is_deal_rot_enabled": False,
                        "days_to_rotten": None,
                        "add_time": BASE_TIME,
                        "update_time": BASE_TIME,
                        "is_deleted": False,
                    }
                )
        store.insert_many(company_id, "pipeline", pipelines)
        store.insert_many(company_id, "stage", stages)

        types = [
            {
                "id": i,
                "key_string": key,
                "name": name,
                "icon_key": key,
                "color": None,
                "order_nr": i,
                "is_custom_flag": False,
                "active_flag": True,
                "add_time": BASE_TIME,
                "update_time": BASE_TIME,
                "is_deleted": False,
            }
            for i, (key, name) in enumerate(ACTIVITY_TYPES, start=1)
        ]
        store.insert_many(company_id, "activity_type", types)
        store.insert_many(company_id, "team", [
            {"id": i, "name": name, "description": "", "manager_id": manager, "users": list(members),
             "active_flag": 1, "deleted_flag": 0, "created_by_user_id": API_USER_ID, "add_time": BASE_TIME,
             "update_time": BASE_TIME, "is_deleted": False}
            for i, (name, manager, members) in enumerate(TEAMS, start=1)])

        fields = []
        for entity, standard in STANDARD_FIELDS.items():
            order = 0
            for key, name, field_type, labels in standard:
                order += 1
                fields.append(
                    field_record(
                        store,
                        company_id,
                        entity=entity,
                        key=key,
                        name=name,
                        field_type=field_type,
                        labels=labels,
                        is_custom=False,
                        order_nr=order,
                    )
                )
            for name, field_type, labels in CUSTOM_FIELDS.get(entity, ()):
                order += 1
                fields.append(
                    field_record(
                        store,
                        company_id,
                        entity=entity,
                        key=new_field_key(),
                        name=name,
                        field_type=field_type,
                        labels=labels,
                        is_custom=True,
                        order_nr=order,
                    )
                )
        store.insert_many(company_id, "field", fields)
        store.insert_many(
            company_id,
            "lead_label",
            [
                {"id": new_uuid(), "seq": seq, "name": name, "color": color, "add_time": BASE_TIME,
                 "update_time": BASE_TIME, "is_deleted": False}
                for seq, (name, color) in enumerate(LEAD_LABELS, start=store.next_ids(company_id, "lead_label", 3))
            ],
        )
