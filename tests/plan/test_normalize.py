"""Normalization round trips (issue 5, "Must show"), with hypothesis.

normalize.py promises that `to_api` and `from_api` are inverse ("a round trip is the
identity") and that `same` says equal things are equal. Checked here both ways, against
the real vocabulary of the sandbox's default company (users, pipelines and stages,
custom fields with their option ids), which is read once through the real client:

- manifest → API → manifest gives back the manifest value (in its canonical spelling);
- API → manifest → API gives a value `same` finds equal to the live one (what export and
  plan rely on: a manifest written from live values plans clean);
- note text as Pipedrive stores it (the sandbox's sanitiser) reads back as the same text.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler import kinds
from reconciler.normalize import Context, Placeholder, plain_key, text_key, text_to_api
from reconciler.pipedrive.schema import AccountSchema, CustomField
from reconciler.sandbox.pipedrive.html import sanitize_html
from tests.conftest import INDUSTRIES, INTERESTS, LEAD_SOURCES, PIPELINES, USERS, VISIBILITY, InProcess

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEYS = {("organization", "acme"): 11, ("person", "john-doe"): 21, ("deal", "big-deal"): 31}


@pytest.fixture(scope="module")
def schema() -> Iterator[AccountSchema]:
    sandbox = InProcess()
    try:
        with sandbox.client() as client:
            yield AccountSchema.load(client, {"organization", "person", "deal"})
    finally:
        sandbox.close()


def _ctx(schema: AccountSchema) -> Context:
    by_id = {(k, i): key for (k, key), i in KEYS.items()}
    return Context(schema=schema, resolve_key=lambda kind, key: KEYS.get((kind, key)),
                   key_for_id=lambda kind, object_id: by_id.get((kind, object_id)))


def _ref(kind: str, key: str | None = None, object_id: int | None = None):
    from reconciler.manifest.model import Position, Reference

    return Reference(kind, key, object_id, Position("t.yaml", 1, 1))


# Each field type converts and compares (reconciler/fieldtypes/); these name its methods
# as the round-trip promises speak of them.
def to_api(spec, value, ctx, declared, live):
    return spec.type.to_api_value(spec, value, ctx, declared, live)


def from_api(spec, value, ctx):
    return spec.type.from_api_value(spec, value, ctx)


def same(spec, desired, live):
    return spec.type.same(spec, desired, live)


def custom_to_api(custom: CustomField, value, currency: str):
    """A custom value as the planner converts it for an object whose currency is `currency`."""
    ctx = Context(schema=None, resolve_key=lambda kind, key: None, key_for_id=lambda kind, i: None)  # type: ignore[arg-type]
    return to_api(custom.spec, value, ctx, {"currency": currency}, None)


def custom_from_api(custom: CustomField, value):
    return from_api(custom.spec, value, None)  # type: ignore[arg-type]  (no names needed)


def custom_same(custom: CustomField, desired, live):
    return same(custom.spec, desired, live)


def _spec(kind: str, name: str) -> kinds.FieldSpec:
    spec = kinds.kind(kind).field(name)
    assert spec is not None
    return spec


# -- manifest -> API -> manifest ---------------------------------------------------------------

text = st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?'\"&<>/#%()-_\n\té€ü", max_size=60)
emails = st.lists(st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,5})?@[a-z]{1,8}\.(com|org|ee)", fullmatch=True),
                  max_size=3, unique_by=str.lower)
phones = st.lists(st.from_regex(r"\+?[0-9][0-9 ]{3,12}[0-9]", fullmatch=True), max_size=3, unique=True)
stage_pairs = st.sampled_from([(p, s) for p, stages in PIPELINES.items() for s in stages])
numbers = st.one_of(st.integers(-10**9, 10**9), st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 2)))


@SETTINGS
@given(owner=st.sampled_from(USERS), visible=st.sampled_from(VISIBILITY), pair=stage_pairs, mails=emails,
       numbers_=phones, value=numbers, ref=st.sampled_from(["acme", None]))
def test_manifest_to_api_and_back_is_the_identity(schema, owner, visible, pair, mails, numbers_, value, ref) -> None:
    ctx = _ctx(schema)
    pipeline, stage = pair
    declared = {"pipeline": pipeline, "stage": stage}
    cases = [
        (_spec("deal", "owner"), owner, owner),
        (_spec("deal", "visible_to"), visible, visible),
        (_spec("deal", "pipeline"), pipeline, pipeline),
        (_spec("deal", "stage"), stage, stage),
        (_spec("person", "emails"), mails, mails),
        (_spec("person", "phones"), numbers_, numbers_),
        (_spec("deal", "value"), value, value),
        (_spec("deal", "org"), _ref("organization", ref) if ref else None, ref),
        (_spec("deal", "org"), _ref("organization", None, 777), {"id": 777}),
    ]
    for spec, manifest_value, shown in cases:
        api = to_api(spec, manifest_value, ctx, declared, None)
        assert json.loads(json.dumps(api)) == api, f"{spec.name}: API values are plain JSON"
        back = from_api(spec, api, ctx)
        if spec.type == kinds.NUMBER and isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        if spec.type in (kinds.EMAILS, kinds.PHONES) and not shown:
            assert back in ([], None)
            continue
        assert back == shown, f"{spec.name}: {manifest_value!r} -> {api!r} -> {back!r}"
        assert same(spec, api, api)


def test_a_reference_to_an_object_this_plan_creates_is_never_the_same_as_live(schema) -> None:
    assert not same(_spec("deal", "org"), Placeholder("organization.new"), 11)
    assert not same(_spec("deal", "org"), Placeholder("organization.new"), None)


custom_values = st.one_of(
    st.tuples(st.just(("organization", "Industry")), st.sampled_from(INDUSTRIES)),
    st.tuples(st.just(("deal", "Lead source")), st.sampled_from(LEAD_SOURCES)),
    st.tuples(st.just(("person", "Interests")), st.lists(st.sampled_from(INTERESTS), unique=True)),
    st.tuples(st.just(("deal", "Contract value")), numbers),
    st.tuples(st.just(("deal", "Contract value")),
              st.fixed_dictionaries({"value": numbers, "currency": st.sampled_from(["USD", "EUR", "GBP"])})),
)


@SETTINGS
@given(case=custom_values, hint=st.sampled_from(["USD", "EUR"]))
def test_custom_fields_round_trip(schema, case, hint) -> None:
    (kind, name), value = case
    custom = schema.custom_field(kind, name)
    api = custom_to_api(custom, value, hint)
    back = custom_from_api(custom, api)
    if custom.field_type == "set":
        # an empty list is sent as null (Pipedrive's v2 refuses []), and reads back as empty
        assert sorted(back or []) == sorted(value)
    elif custom.field_type == "monetary":
        want = value if isinstance(value, dict) else {"value": value, "currency": hint}
        assert back == {"value": int(want["value"]) if float(want["value"]).is_integer() else want["value"],
                        "currency": want["currency"]}
    else:
        assert back == value
    assert custom_same(custom, api, api)
    # and from the live side: what export would write plans clean
    again = custom_to_api(custom, back, hint)
    assert custom_same(custom, again, api)


# -- API -> manifest -> API ---------------------------------------------------------------------


@SETTINGS
@given(owner=st.sampled_from(USERS), pair=stage_pairs, visible=st.sampled_from(sorted(kinds.VISIBILITY_NAMES)),
       contacts=st.lists(st.tuples(st.from_regex(r"[a-z]{1,6}@[a-z]{1,6}\.com", fullmatch=True), st.booleans(),
                                   st.sampled_from(["work", "home", "other"])), max_size=4, unique_by=lambda c: c[0]),
       value=st.one_of(st.integers(0, 10**7), st.floats(0, 1e7, allow_nan=False), st.none()))
def test_live_to_manifest_and_back_plans_clean(schema, owner, pair, visible, contacts, value) -> None:
    ctx = _ctx(schema)
    pipeline_id = schema.pipeline_id(pair[0])
    live = {
        "owner_id": schema.user_id(owner),
        "pipeline_id": pipeline_id,
        "stage_id": schema.stage_id(pair[1], pipeline_id),
        "visible_to": visible,
        "value": value,
        # Pipedrive has at most one primary contact; it may come anywhere in the list
        "emails": [{"value": v, "primary": i == 0 and p, "label": label} for i, (v, p, label) in enumerate(contacts)],
        "org_id": 11,
    }
    names = {"owner_id": ("deal", "owner"), "pipeline_id": ("deal", "pipeline"), "stage_id": ("deal", "stage"),
             "visible_to": ("deal", "visible_to"), "value": ("deal", "value"), "emails": ("person", "emails"),
             "org_id": ("deal", "org")}
    declared = {"pipeline": pair[0]}
    for api_name, (kind, field) in names.items():
        spec = _spec(kind, field)
        manifest_value = from_api(spec, live[api_name], ctx)
        if spec.type == kinds.REF:
            if isinstance(manifest_value, dict):
                manifest_value = _ref(spec.ref_kind, None, manifest_value["id"])
            else:
                manifest_value = _ref(spec.ref_kind, manifest_value)
        again = to_api(spec, manifest_value, ctx, declared, live)
        assert same(spec, again, live[api_name]), f"{field}: {live[api_name]!r} -> {manifest_value!r} -> {again!r}"


# -- text as Pipedrive stores it ---------------------------------------------------------------


@SETTINGS
@given(content=text)
@example(content="Kickoff: pricing & timeline agreed.\nSecond line  \n")
@example(content="a < b > c")
@example(content="Reply to <john@acme.com> today")
@example(content="typed literally: &amp;lt; and &lt;br&gt; and <b>not bold</b>")
def test_plain_text_stored_by_pipedrive_reads_back_the_same(content) -> None:
    """Manifest text is plain text: whatever it holds, Pipedrive keeps it (no markup is lost)."""
    stored = sanitize_html(text_to_api(content))
    assert text_key(stored) == plain_key(content), f"{content!r} stored as {stored!r}"


@SETTINGS
@given(content=st.text(alphabet="ab &;<>#lt1\r\n", max_size=20))
@example(content="a\rb")
def test_text_key_reads_carriage_returns_as_pipedrive_does(content) -> None:
    assert text_key(sanitize_html(text_to_api(content))) == plain_key(content)


@SETTINGS
@given(content=st.text(alphabet=string.ascii_letters + " &;#<>/\n", max_size=40))
@example(content="5 &lt; 6")
@example(content="typed literally: &amp;lt; and &lt;br&gt;")
@example(content="<b>bold</b> and <i>italic</i> typed in Pipedrive's editor")
def test_text_shown_from_live_plans_clean(content) -> None:
    """What export writes for a note (from_api), planned again (to_api, same), is no change."""
    stored = sanitize_html(content)
    spec = _spec("note", "content")
    shown = from_api(spec, stored, None)  # type: ignore[arg-type]  (text needs no context)
    desired = to_api(spec, shown, None, {}, None)  # type: ignore[arg-type]
    assert same(spec, desired, stored), f"live {stored!r} shows as {shown!r}, which plans as a change"
