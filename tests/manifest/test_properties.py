"""Properties that must hold for every input, checked with hypothesis.

- Any manifest we can generate from valid parts loads with no problem, keeps every key,
  and gives back the exact values written (names that look like numbers, booleans, dates
  or times included: the YAML dumper quotes them, and the loader must keep them text).
- No input at all, however broken, makes load_manifests raise: it reports problems.
"""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import Problem, Reference, load_manifests

keys = st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,20}\Z", fullmatch=True)
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)
tricky_names = st.one_of(
    names, st.sampled_from(["yes", "NO", "null", "~", "14:00", "2027-01-31", "1e3", "0x1f", ".inf"])
)
emails = st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.(com|org)\Z", fullmatch=True)
dates = st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}").filter(lambda s: len(s) == 10)
times = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}")


@st.composite
def manifests(draw: st.DrawFn) -> dict:
    org_keys = draw(st.lists(keys, min_size=1, max_size=5, unique=True))
    person_keys = draw(st.lists(keys, max_size=5, unique=True))
    deal_keys = draw(st.lists(keys, max_size=4, unique=True))
    doc: dict = {"organizations": {}, "persons": {}, "deals": {}, "activities": {}}
    for key in org_keys:
        doc["organizations"][key] = {
            "name": draw(tricky_names),
            "visible_to": draw(st.sampled_from(["owner", "company"])),
        }
    for key in person_keys:
        doc["persons"][key] = {
            "name": draw(tricky_names),
            "org": draw(st.sampled_from(org_keys)),
            "emails": draw(st.lists(emails, max_size=2)),
        }
    for key in deal_keys:
        doc["deals"][key] = {
            "title": draw(tricky_names),
            "value": draw(st.one_of(st.integers(0, 10**9), st.floats(0, 1e9, allow_nan=False))),
            "org": draw(
                st.one_of(st.sampled_from(org_keys), st.builds(lambda n: {"id": n}, st.integers(1, 10**6)))
            ),
            "expected_close_date": draw(dates),
            "fields": {
                "Lead source": draw(st.sampled_from(["Referral", "Website"])),
                "Seats": draw(st.integers(0, 99)),
            },
        }
    for i, key in enumerate(org_keys):
        doc["activities"][f"act-{i}"] = {"subject": draw(tricky_names), "org": key, "due_time": draw(times)}
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=manifests(), split=st.booleans())
def test_generated_valid_manifests_load_and_round_trip(doc: dict, split: bool, tmp_path: Path) -> None:
    for old in tmp_path.glob("*.yaml"):
        old.unlink()
    if split:  # one file per section: references must work across files
        for section, body in doc.items():
            (tmp_path / f"{section}.yaml").write_text(yaml.safe_dump({section: body}, allow_unicode=True))
    else:
        (tmp_path / "all.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    manifest, problems = load_manifests([tmp_path])
    assert problems == []
    assert len(manifest.resources) == sum(len(body) for body in doc.values())
    for section, body in doc.items():
        kind = section[:-1] if section != "activities" else "activity"
        for key, fields in body.items():
            res = manifest.get(kind, key)
            assert res is not None
            for name, value in fields.items():
                got = res.fields[name]
                if isinstance(got, Reference):
                    got = {"id": got.id} if got.key is None else got.key
                assert got == value, (kind, key, name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=string.printable + "\t:-[]{}&*!|>'\"#%@`ü", max_size=200))
def test_any_text_gives_problems_never_an_exception(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    _manifest, problems = load_manifests([path])
    assert all(isinstance(p, Problem) and p.pos.line >= 1 and p.pos.col >= 1 for p in problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=manifests(), data=st.data())
def test_mutated_manifests_give_problems_never_an_exception(
    doc: dict, data: st.DataObject, tmp_path: Path
) -> None:
    # Replace one field value with a value of a random wrong-ish type.
    section = data.draw(st.sampled_from([s for s, body in doc.items() if body]))
    key = data.draw(st.sampled_from(sorted(doc[section])))
    field = data.draw(st.sampled_from(sorted(doc[section][key])))
    doc[section][key][field] = data.draw(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    )
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _manifest, problems = load_manifests([path])
    assert all(isinstance(p, Problem) for p in problems)
