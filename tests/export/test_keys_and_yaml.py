"""Keys derived from names, and the YAML the export writes, checked value by value.

Why property tests for the emitter: export writes its own YAML for speed, so every string
a Pipedrive user could type must load back, with yaml.safe_load, as exactly itself.
"""

from __future__ import annotations

import re

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import kinds
from reconciler.export import Flow, FlowList, Quoted, assign_keys, emit_scalar, render_file, slugify

KEY_RE = re.compile(kinds.KEY_PATTERN)


def test_slugify_is_readable() -> None:
    assert slugify("Acme Corporation, Inc.") == "acme-corporation-inc"
    assert slugify("Café Müller") == "cafe-muller"
    assert slugify("  --  ") == ""
    assert slugify("日本") == ""
    long = slugify("word " * 40)
    assert len(long) <= 60 and not long.endswith("-")


def _orgs(*names: str) -> dict[int, dict]:
    return {i + 1: {"id": i + 1, "name": name} for i, name in enumerate(names)}


def test_suffix_only_on_collision_and_oldest_keeps_the_bare_key() -> None:
    keys = assign_keys(kinds.ORGANIZATION, _orgs("Acme", "Globex", "Acme", "Acme"), {})
    assert keys == {1: "acme", 2: "globex", 3: "acme-3", 4: "acme-4"}


def test_a_name_that_looks_like_a_suffixed_key_keeps_its_own() -> None:
    keys = assign_keys(kinds.ORGANIZATION, _orgs("Acme", "Acme", "Acme 2"), {})
    assert keys[3] == "acme-2" and keys[2] == "acme-2-2"
    assert len(set(keys.values())) == 3


def test_nameless_objects_get_the_kind() -> None:
    keys = assign_keys(kinds.ORGANIZATION, _orgs("!!!", "", "???"), {})
    assert keys == {1: "organization", 2: "organization-2", 3: "organization-3"}


def test_reserved_keys_win() -> None:
    keys = assign_keys(kinds.ORGANIZATION, _orgs("Acme", "Acme"), {}, reserved={2: "acme", 9: "gone"})
    assert keys == {2: "acme", 1: "acme-1"}


def test_adding_objects_later_renames_none() -> None:
    before = assign_keys(kinds.ORGANIZATION, _orgs("Acme", "Acme", "Zeta"), {})
    after = assign_keys(kinds.ORGANIZATION, _orgs("Acme", "Acme", "Zeta", "Acme", "Zeta"), {})
    assert all(after[i] == key for i, key in before.items())


def test_children_are_keyed_under_their_parent() -> None:
    deals = {7: {"id": 7, "title": "Big deal"}}
    keys = {"deal": {7: "big-deal"}}
    notes = {1: {"id": 1, "deal_id": 7, "content": "<p>Kickoff: agreed &amp; signed today</p>"}}
    assert assign_keys(kinds.NOTE, notes, keys) == {1: "big-deal-kickoff-agreed-signed"}
    del deals


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=30), st.text(max_size=40), min_size=1, max_size=4))
def test_keys_are_always_valid_and_unique(names: dict[str, str]) -> None:
    objects = {i + 1: {"id": i + 1, "name": name} for i, name in enumerate(list(names) * 3)}
    keys = assign_keys(kinds.ORGANIZATION, objects, {})
    assert len(set(keys.values())) == len(objects)
    assert all(KEY_RE.match(k) for k in keys.values())


SCALARS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["yes", "No", "ON", "null", "~", "true", "1e3", "0x1f", "1:20", "2026-01-01", "12:30",
                     "- a", "? x", "a: b", "a #b", "[x]", "{y}", "*a", "&b", "!t", "%p", "@h", "`q", "'s'",
                     '"d"', "a,b", " lead", "trail ", "", ".5", "+1 555", "=", "<<", "\u2028", "\x85", "\ufeff"]),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@settings(max_examples=500, deadline=None)
@given(SCALARS)
def test_every_scalar_loads_back_as_itself(value: object) -> None:
    for flow in (False, True):
        text = emit_scalar(value, flow)
        wrapped = f"k: [{text}]" if flow else f"k: {text}"
        assert yaml.safe_load(wrapped) == {"k": [value] if flow else value}, (value, text)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
        st.fixed_dictionaries(
            {"name": TEXT, "content": TEXT},
            optional={
                "fields": st.dictionaries(TEXT, st.one_of(SCALARS, st.lists(TEXT, max_size=3)), max_size=3),
                "emails": st.lists(TEXT, max_size=3),
                "org": st.integers(min_value=1, max_value=10**9),
            },
        ),
        max_size=4,
    )
)
def test_whole_files_load_back(resources: dict[str, dict]) -> None:
    def wrap(fields: dict) -> dict:
        out = dict(fields)
        if "emails" in out:
            out["emails"] = FlowList(out["emails"])
        if "org" in out:
            out["org"] = Flow({"id": out["org"]})
        if "fields" in out:
            out["fields"] = {k: FlowList(v) if isinstance(v, list) else v for k, v in out["fields"].items()}
        return out

    document = {"organizations": {key: wrap(fields) for key, fields in resources.items()}}
    text = render_file(document, "# header: 'x'\n")
    assert yaml.safe_load(text) == {"organizations": {k: _plain(v) for k, v in resources.items()}}


def _plain(fields: dict) -> dict:
    out = dict(fields)
    if "org" in out:
        out["org"] = {"id": out["org"]}
    return out


def test_multiline_text_is_a_literal_block_and_phones_are_quoted() -> None:
    text = render_file({"notes": {"n": {"content": "one\ntwo\n  three"}},
                        "persons": {"p": {"phones": FlowList([Quoted("+1 555 0100")])}}}, "")
    assert "content: |-\n      one\n      two\n        three" in text
    assert 'phones: ["+1 555 0100"]' in text
    assert text.index("persons:") < text.index("notes:")  # parents first, as apply creates them
