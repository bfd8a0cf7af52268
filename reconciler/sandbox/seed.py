"""Fill a sandbox connection with a realistic synthetic account, deterministically per seed.

Why: the reconciler's "read at least cost" and paging must be exercised at realistic sizes
(thousands of organizations, tens of thousands of deals and notes); and a test or benchmark
must get the same account for the same seed. Everything here derives from one
``random.Random(seed)``: names, values, stages, timestamps (relative to a fixed date, never
the clock), lead UUIDs. Rows go in with ``executemany`` so 55,000 objects take seconds.

Products, deal products and leads come last, drawn after every other kind, so adding them left
every organization, person, deal, note and activity of a seed exactly as it was. A deal product
is priced so that the deal's value stays what it was (Pipedrive calculates a deal's value from
its products).
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from .company import PIPELINES, USERS
from .pipedrive.html import sanitize_html
from .store import Store

FIRST_NAMES = (
    "Aaron Abigail Adam Aisha Alan Alexandra Amir Ana Andrew Anna Ben Beatriz Carlos Chen Chloe Daniel "
    "David Diana Elena Emma Ethan Fatima Felix Gabriel Grace Hannah Hugo Isabel Ivan James Jana Jonas "
    "Julia Karim Kate Lars Laura Leo Lina Lucas Maria Mark Marta Mei Mohamed Nadia Noah Olivia Omar Paul "
    "Priya Rafael Rita Sam Sara Sofia Tom Valentina Victor Yuki Zoe"
).split()
LAST_NAMES = (
    "Adams Alvarez Bauer Becker Brown Campbell Chen Costa Davies Dubois Evans Fischer Garcia Gomez Green "
    "Hansen Hughes Ivanova Jensen Johnson Kim Kowalski Larsen Lee Lopez Martin Meyer Miller Moreau Murphy "
    "Nielsen Novak O'Brien Patel Petrov Quinn Rossi Santos Schmidt Silva Singh Smith Tanaka Taylor Thomas "
    "Turner Walker Wang Weber Wilson Wright Young Zhang"
).split()
ORG_FIRST = (
    "Acme Apex Atlas Aurora Beacon Blue Bright Cedar Cobalt Crest Delta Ember Evergreen Falcon Fjord "
    "Granite Harbor Horizon Iron Juniper Keystone Lumen Maple Meridian Nimbus North Oak Orion Pine Pioneer "
    "Quartz Redwood River Sapphire Silver Sterling Summit Terra Titan Vertex Vista Willow Zenith"
).split()
ORG_SECOND = (
    "Analytics Bakery Brands Builders Capital Clinics Consulting Dynamics Energy Engineering Foods Freight "
    "Goods Health Industries Labs Logistics Manufacturing Media Medical Motors Networks Partners Pharma "
    "Retail Robotics Software Solutions Supply Systems Technologies Textiles Trading Ventures Works"
).split()
ORG_SUFFIX = ("Ltd", "Inc", "GmbH", "LLC", "AS", "SA", "BV", "Group", "Co")
CITIES = (
    ("London", "United Kingdom"),
    ("Berlin", "Germany"),
    ("Tallinn", "Estonia"),
    ("New York", "United States"),
    ("Austin", "United States"),
    ("Paris", "France"),
    ("Madrid", "Spain"),
    ("Lisbon", "Portugal"),
    ("Toronto", "Canada"),
    ("Sydney", "Australia"),
    ("Amsterdam", "Netherlands"),
    ("Stockholm", "Sweden"),
)
STREETS = "Main High Station Market Park Church Mill Harbour King Queen Oak Elm".split()
DEAL_TOPICS = (
    "renewal",
    "expansion",
    "pilot",
    "onboarding",
    "upgrade",
    "annual contract",
    "support plan",
    "integration project",
    "licence order",
    "consulting package",
)
NOTE_TEMPLATES = (
    "Call with {name}: discussed pricing and timeline.",
    "{name} asked for a revised proposal.\nSend it before Friday.",
    "Kickoff meeting went well. Next step: technical review.",
    "Budget approved by finance; waiting for the signed order.",
    "Competitor offer is 10% cheaper; {name} still prefers us.",
    "Sent the security questionnaire.\nFollow up next week.",
    "Demo scheduled with the operations team.",
    "Contract draft shared with legal.",
    "{name} is on holiday until the end of the month.",
    "Agreed on a two-phase rollout.\nPhase one starts in Q1.",
)
ACTIVITY_SUBJECTS = {
    "call": "Follow-up call",
    "meeting": "Review meeting",
    "task": "Prepare proposal",
    "deadline": "Proposal deadline",
    "email": "Send summary email",
    "lunch": "Lunch with the team",
}
CURRENCIES = ("USD",) * 7 + ("EUR", "EUR", "GBP")
PRODUCT_NAMES = (
    "Starter licence", "Pro licence", "Enterprise licence", "Onboarding package", "Training day",
    "Support plan", "Integration kit", "Hardware bundle", "Consulting hour", "Data migration",
    "Premium support", "Extra storage", "API add-on", "Analytics module", "Mobile add-on",
)
UNITS = ("seat", "hour", "day", "pcs", "month")
LEAD_TOPICS = ("inquiry", "demo request", "pricing question", "trial sign-up", "event contact", "referral")
EPOCH_DAY = 739_617  # date(2026, 1, 1).toordinal()


def _stamp(rng: random.Random, days_back: int) -> str:
    """A deterministic UTC timestamp up to ``days_back`` days before 2026-11-01."""
    from datetime import date

    day = date.fromordinal(EPOCH_DAY + 304 - rng.randrange(days_back))
    return f"{day.isoformat()}T{rng.randrange(7, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"


def _later(rng: random.Random, stamp: str) -> str:
    """A timestamp on or after ``stamp`` (update_time never precedes add_time)."""
    from datetime import date

    day = date.fromisoformat(stamp[:10]).toordinal() + rng.randrange(0, 60)
    day = min(day, EPOCH_DAY + 304)
    text = date.fromordinal(day).isoformat()
    if text == stamp[:10]:
        return stamp
    return f"{text}T{rng.randrange(7, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"


def _org_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{a} {b} {c}" for a in ORG_FIRST for b in ORG_SECOND for c in ORG_SUFFIX]
    rng.shuffle(combos)
    names = combos[:count]
    n = len(combos)
    while len(names) < count:  # more organizations than combinations: number the rest
        names.append(f"{combos[len(names) % n]} {len(names) // n + 1}")
    return names


# The small defaults of the kinds issue 16 added. Deal products are off unless asked for: a deal
# with products has its value calculated from them and refuses another, and today's tests and
# benchmarks edit seeded deals' values.
PRODUCTS, DEAL_PRODUCTS, LEADS = 10, 0, 15


def seed_database(
    path: str,
    *,
    organizations: int = 0,
    persons: int = 0,
    deals: int = 0,
    notes: int = 0,
    activities: int = 0,
    products: int = PRODUCTS,
    deal_products: int = DEAL_PRODUCTS,
    leads: int = LEADS,
    seed: int = 0,
    connection_id: str | None = None,
) -> dict[str, Any]:
    """Add a synthetic account's objects to a connection (the first one unless given).

    Returns the counts added plus the connection and company ids. The same seed on the same
    starting database gives the same objects. Products and leads have small defaults so that every
    seeded account has a few; deal products are made only when asked for (see DEAL_PRODUCTS).
    Deal products need deals and products, leads need organizations or persons, so fewer (or
    none) are made without them.
    """
    store = Store(path)
    try:
        return seed_store(
            store,
            organizations=organizations,
            persons=persons,
            deals=deals,
            notes=notes,
            activities=activities,
            products=products,
            deal_products=deal_products,
            leads=leads,
            seed=seed,
            connection_id=connection_id,
        )
    finally:
        store.close()


def seed_store(
    store: Store,
    *,
    organizations: int = 0,
    persons: int = 0,
    deals: int = 0,
    notes: int = 0,
    activities: int = 0,
    products: int = PRODUCTS,
    deal_products: int = DEAL_PRODUCTS,
    leads: int = LEADS,
    seed: int = 0,
    connection_id: str | None = None,
) -> dict[str, Any]:
    """:func:`seed_database` on an open store (why: tests seed in-memory stores)."""
    connections = store.list_connections()
    if connection_id is None:
        if not connections:
            raise ValueError("the sandbox has no connection to seed")
        connection = connections[0]
    else:
        found = store.get_connection(connection_id)
        if found is None:
            raise ValueError(f"unknown connection {connection_id}")
        connection = found
    cid = connection["company_id"]
    rng = random.Random(seed)
    fields = store.select(cid, "field")
    custom = {(f["entity"], f["name"]): f for f in fields if f["is_custom"]}
    labels = {f["entity"]: [o["id"] for o in f["options"] or []] for f in fields if f["key"] == "label"}
    user_ids = list(range(1, len(USERS) + 1))
    stages = store.select(cid, "stage")
    industry = custom.get(("organization", "Industry"))
    lead_source = custom.get(("deal", "Lead source"))
    contract = custom.get(("deal", "Contract value"))
    interests = custom.get(("person", "Interests"))

    with store.transaction():
        # organizations ------------------------------------------------------------
        first = store.next_ids(cid, "organization", organizations) if organizations else 0
        orgs = []
        for i, name in enumerate(_org_names(rng, organizations)):
            city, country = rng.choice(CITIES)
            street = f"{rng.randrange(1, 250)} {rng.choice(STREETS)} Street"
            added = _stamp(rng, 600)
            doc: dict[str, Any] = {
                "id": first + i,
                "name": name,
                "owner_id": rng.choice(user_ids),
                "address": {
                    "value": f"{street}, {city}, {country}",
                    "route": street,
                    "locality": city,
                    "country": country,
                    "formatted_address": f"{street}, {city}, {country}",
                },
                "visible_to": 3,
                "label_ids": [rng.choice(labels["organization"])] if rng.random() < 0.3 else [],
                "picture_id": None,
                "custom_fields": {},
                "add_time": added,
                "update_time": _later(rng, added),
                "is_deleted": False,
            }
            if industry and rng.random() < 0.8:
                doc["custom_fields"][industry["key"]] = rng.choice(industry["options"])["id"]
            orgs.append(doc)
        store.insert_many(cid, "organization", orgs)
        org_names = {o["id"]: o["name"] for o in orgs}
        domains = {o["id"]: o["name"].split()[0].lower() + o["name"].split()[1].lower()[:4] for o in orgs}

        # persons ---------------------------------------------------------------------
        first = store.next_ids(cid, "person", persons) if persons else 0
        people = []
        for i in range(persons):
            given, family = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            org = rng.choice(orgs) if orgs and rng.random() < 0.9 else None
            domain = f"{domains[org['id']]}.example" if org else "mail.example"
            local = f"{given}.{family}".lower().replace("'", "")
            added = _stamp(rng, 500)
            doc = {
                "id": first + i,
                "name": f"{given} {family}",
                "first_name": given,
                "last_name": family,
                "owner_id": org["owner_id"] if org else rng.choice(user_ids),
                "org_id": org["id"] if org else None,
                # the id keeps emails unique, which the reconciler's identity relies on
                "emails": [{"value": f"{local}{first + i}@{domain}", "primary": True, "label": "work"}],
                "phones": [
                    {"value": f"+1 555 {rng.randrange(10**6, 10**7)}", "primary": True, "label": "work"}
                ]
                if rng.random() < 0.7
                else [],
                "visible_to": 3,
                "label_ids": [rng.choice(labels["person"])] if rng.random() < 0.2 else [],
                "picture_id": None,
                "custom_fields": {},
                "add_time": added,
                "update_time": _later(rng, added),
                "is_deleted": False,
            }
            if interests and rng.random() < 0.4:
                chosen = rng.sample(interests["options"], rng.randrange(1, 3))
                doc["custom_fields"][interests["key"]] = sorted(o["id"] for o in chosen)
            people.append(doc)
        store.insert_many(cid, "person", people)

        # deals -------------------------------------------------------------------------
        first = store.next_ids(cid, "deal", deals) if deals else 0
        deal_docs = []
        for i in range(deals):
            person = rng.choice(people) if people and rng.random() < 0.85 else None
            org_id = person["org_id"] if person else (rng.choice(orgs)["id"] if orgs else None)
            org_name = org_names.get(org_id) if org_id else None
            stage = rng.choice(stages)
            roll = rng.random()
            status = "open" if roll < 0.7 else ("won" if roll < 0.9 else "lost")
            added = _stamp(rng, 400)
            closed = _later(rng, added) if status != "open" else None
            year = 2026 + rng.randrange(0, 2)
            label = org_name or (person["name"] if person else "Direct")
            currency = rng.choice(CURRENCIES)
            doc = {
                "id": first + i,
                "title": f"{label} {rng.choice(DEAL_TOPICS)} {year}",
                "creator_user_id": 1,
                "owner_id": person["owner_id"] if person else rng.choice(user_ids),
                "value": rng.randrange(5, 500) * 100,
                "currency": currency,
                "person_id": person["id"] if person else None,
                "org_id": org_id,
                "pipeline_id": stage["pipeline_id"],
                "stage_id": stage["id"],
                "status": status,
                "probability": None,
                "lost_reason": rng.choice(("Price", "Timing", "Chose competitor", "No budget"))
                if status == "lost"
                else None,
                "visible_to": 3,
                "close_time": closed,
                "won_time": closed if status == "won" else None,
                "lost_time": closed if status == "lost" else None,
                "expected_close_date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                if rng.random() < 0.8
                else None,
                "label_ids": [rng.choice(labels["deal"])] if rng.random() < 0.25 else [],
                "stage_change_time": None,
                "origin": "API",
                "custom_fields": {},
                "add_time": added,
                "update_time": closed or _later(rng, added),
                "is_deleted": False,
            }
            if lead_source and rng.random() < 0.7:
                doc["custom_fields"][lead_source["key"]] = rng.choice(lead_source["options"])["id"]
            if contract and rng.random() < 0.4:
                doc["custom_fields"][contract["key"]] = {"value": doc["value"] * 12, "currency": currency}
            deal_docs.append(doc)
        store.insert_many(cid, "deal", deal_docs)

        # notes ---------------------------------------------------------------------------
        first = store.next_ids(cid, "note", notes) if notes else 0
        note_docs = []
        for i in range(notes):
            doc = {
                "id": first + i,
                "user_id": rng.choice(user_ids),
                "deal_id": None,
                "person_id": None,
                "org_id": None,
                "lead_id": None,
                "pinned_to_deal_flag": False,
                "pinned_to_person_flag": False,
                "pinned_to_organization_flag": False,
                "pinned_to_lead_flag": False,
                "last_update_user_id": None,
                "is_deleted": False,
            }
            roll = rng.random()
            if deal_docs and roll < 0.6:
                parent = rng.choice(deal_docs)
                doc["deal_id"] = parent["id"]
                doc["pinned_to_deal_flag"] = rng.random() < 0.05
                who = parent["title"].split()[0]
            elif people and roll < 0.85:
                parent = rng.choice(people)
                doc["person_id"] = parent["id"]
                who = parent["first_name"]
            elif orgs:
                parent = rng.choice(orgs)
                doc["org_id"] = parent["id"]
                who = parent["name"].split()[0]
            else:
                continue
            doc["content"] = sanitize_html(rng.choice(NOTE_TEMPLATES).format(name=who))
            added = _later(rng, parent["add_time"])
            doc["add_time"] = added
            doc["update_time"] = _later(rng, added)
            note_docs.append(doc)
        store.insert_many(cid, "note", note_docs)

        # activities --------------------------------------------------------------------
        first = store.next_ids(cid, "activity", activities) if activities else 0
        activity_docs = []
        for i in range(activities):
            kind = rng.choice(tuple(ACTIVITY_SUBJECTS))
            deal = rng.choice(deal_docs) if deal_docs else None
            person_id = deal["person_id"] if deal else (rng.choice(people)["id"] if people else None)
            org_id = deal["org_id"] if deal else None
            if not (deal or person_id or org_id) and orgs:
                org_id = rng.choice(orgs)["id"]
            added = _stamp(rng, 300)
            done = rng.random() < 0.5
            activity_docs.append(
                {
                    "id": first + i,
                    "subject": ACTIVITY_SUBJECTS[kind],
                    "type": kind,
                    "owner_id": deal["owner_id"] if deal else rng.choice(user_ids),
                    "creator_user_id": 1,
                    "deal_id": deal["id"] if deal else None,
                    "lead_id": None,
                    "person_id": person_id,
                    "org_id": org_id,
                    "project_id": None,
                    "due_date": _later(rng, added)[:10],
                    "due_time": f"{rng.randrange(8, 18):02d}:{rng.choice(('00', '30'))}",
                    "duration": rng.choice(("00:15", "00:30", "01:00")),
                    "busy": False,
                    "done": done,
                    "marked_as_done_time": _later(rng, added) if done else None,
                    "location": None,
                    "participants": [{"person_id": person_id, "primary": True}] if person_id else [],
                    "attendees": [],
                    "public_description": None,
                    "priority": None,
                    "note": None,
                    "add_time": added,
                    "update_time": _later(rng, added),
                    "is_deleted": False,
                }
            )
        store.insert_many(cid, "activity", activity_docs)
        product_docs = _products(store, cid, rng, products, user_ids)
        line_docs = _deal_products(store, cid, rng, deal_products, deal_docs, product_docs)
        lead_docs = _leads(store, cid, rng, leads, orgs, people, user_ids, lead_source)

    return {
        "connection_id": connection["connection_id"],
        "company_id": cid,
        "organizations": len(orgs),
        "persons": len(people),
        "deals": len(deal_docs),
        "notes": len(note_docs),
        "activities": len(activity_docs),
        "products": len(product_docs),
        "deal_products": len(line_docs),
        "leads": len(lead_docs),
        "pipelines": len(PIPELINES),
    }


def _products(store: Store, cid: int, rng: random.Random, count: int, user_ids: list[int]) -> list[dict[str, Any]]:
    """A small catalogue: codes, units, tax, a category, one or two prices, a few recurring items."""
    fields = {f["key"]: f for f in store.select(cid, "field", where={"category": "product"})}
    categories = [o["id"] for o in (fields.get("category") or {}).get("options") or []]
    first = store.next_ids(cid, "product", count) if count else 0
    docs = []
    for i in range(count):
        name = PRODUCT_NAMES[i % len(PRODUCT_NAMES)] + (f" {i // len(PRODUCT_NAMES) + 1}" if i >= len(PRODUCT_NAMES) else "")
        price = rng.randrange(5, 200) * 10
        prices = [{"currency": "USD", "price": price, "cost": price // 3, "direct_cost": None, "notes": ""}]
        if rng.random() < 0.5:
            prices.append({"currency": "EUR", "price": round(price * 0.9), "cost": price // 3, "direct_cost": None,
                           "notes": ""})
        recurring = rng.random() < 0.3
        added = _stamp(rng, 500)
        docs.append({
            "id": first + i, "name": name, "code": f"SKU-{1000 + first + i}", "description": None,
            "unit": rng.choice(UNITS), "tax": rng.choice((0, 0, 10, 20)),
            "category": rng.choice(categories) if categories and rng.random() < 0.8 else None,
            "owner_id": rng.choice(user_ids), "is_linkable": True, "visible_to": 3, "prices": prices,
            "billing_frequency": "monthly" if recurring else "one-time",
            "billing_frequency_cycles": 12 if recurring else None, "custom_fields": {},
            "add_time": added, "update_time": _later(rng, added), "is_deleted": False,
        })
    store.insert_many(cid, "product", docs)
    return docs


def _deal_products(
    store: Store, cid: int, rng: random.Random, count: int, deals: list[dict[str, Any]], products: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One product line on each of ``count`` deals, priced so that the deal's value is unchanged."""
    if not deals or not products:
        return []
    chosen = rng.sample(deals, min(count, len(deals)))
    first = store.next_ids(cid, "deal_product", len(chosen))
    docs = []
    for i, deal in enumerate(chosen):
        product = rng.choice(products)
        quantity = rng.choice((1, 2, 4, 5))  # deal values are multiples of 100, so the price stays whole
        docs.append({
            "id": first + i, "deal_id": deal["id"], "product_id": product["id"], "product_variation_id": None,
            "name": product["name"], "order_nr": 1, "item_price": deal["value"] // quantity, "quantity": quantity,
            "discount": 0, "discount_type": "percentage", "tax": 0, "tax_method": "none", "comments": None,
            "is_enabled": True, "currency": deal["currency"], "billing_frequency": "one-time",
            "billing_frequency_cycles": None, "billing_start_date": None, "sum": deal["value"],
            "add_time": _later(rng, deal["add_time"]), "update_time": deal["update_time"], "is_deleted": False,
        })
    for doc in docs:
        doc["update_time"] = max(doc["update_time"], doc["add_time"])
    store.insert_many(cid, "deal_product", docs)
    return docs


def _leads(
    store: Store, cid: int, rng: random.Random, count: int, orgs: list[dict[str, Any]],
    people: list[dict[str, Any]], user_ids: list[int], lead_source: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Leads on existing persons or organizations, some with a value, labels, a lead source; a few archived."""
    if not orgs and not people:
        return []
    labels = [label["id"] for label in store.select(cid, "lead_label", order=(("seq", "ASC"),))]
    first_seq = store.next_ids(cid, "lead", count) if count else 0
    docs = []
    for i in range(count):
        person = rng.choice(people) if people and (not orgs or rng.random() < 0.6) else None
        org_id = person["org_id"] if person else rng.choice(orgs)["id"]
        who = person["name"] if person else next(o["name"] for o in orgs if o["id"] == org_id)
        added = _stamp(rng, 200)
        doc: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "seq": first_seq + i,
            "title": f"{who} {rng.choice(LEAD_TOPICS)}", "owner_id": person["owner_id"] if person else rng.choice(user_ids),
            "creator_id": 1, "label_ids": [rng.choice(labels)] if labels and rng.random() < 0.6 else [],
            "person_id": person["id"] if person else None, "org_id": org_id, "source_name": "API", "origin": "API",
            "origin_id": None, "channel": None, "channel_id": None, "source_deal_id": None,
            "is_archived": rng.random() < 0.1, "was_seen": rng.random() < 0.5,
            "value": {"amount": rng.randrange(5, 300) * 100, "currency": rng.choice(CURRENCIES)}
            if rng.random() < 0.6 else None,
            "expected_close_date": f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            if rng.random() < 0.4 else None,
            "next_activity_id": None, "visible_to": 3, "custom_fields": {},
            "add_time": added, "update_time": _later(rng, added), "is_deleted": False,
        }
        if lead_source and rng.random() < 0.5:
            doc["custom_fields"][lead_source["key"]] = rng.choice(lead_source["options"])["id"]
        docs.append(doc)
    store.insert_many(cid, "lead", docs)
    return docs
