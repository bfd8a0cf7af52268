"""The event reader (yamlevents) says exactly what the node walker (yamlio.Walker) says.

Manifests are read from the parser's events, with positions only where they are kept; the
node walker, which composes a tree and positions every node, is the reference (and still
reads files with anchors, aliases and merge keys). For every input here, valid or not,
both readers must give the same problems (text and position) and the same resources
(fields, meta keys, every kept position), with libyaml and with the pure-Python parser.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import load_manifests, loader, yamlevents, yamlio
from tests.conftest import example_texts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.y*ml"))
EXAMPLES = example_texts("accounts")  # read from a private copy of examples/ (tests.conftest)
VALID = ROOT / "tests" / "fixtures" / "valid"
LOADERS = [pytest.param(yaml.SafeLoader, id="pure-python")]
if hasattr(yaml, "CSafeLoader"):
    LOADERS.insert(0, pytest.param(yaml.CSafeLoader, id="libyaml"))


def _outcome(paths: list[Path]) -> tuple[list[str], list[tuple]]:
    manifest, problems = load_manifests(paths)
    resources = [(r.kind, r.key, r.fields, r.id, r.absent, r.protect, r.pos, r.field_pos) for r in manifest.resources]
    return [str(p) for p in problems], resources


def _walker_only(*_args, **_kwargs):
    raise yamlevents.Restart


def both(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    """(event reader's outcome, node walker's outcome) for the same files."""
    events = _outcome(paths)
    with monkeypatch.context() as patch:
        patch.setattr(loader, "_read_events", _walker_only)
        walked = _outcome(paths)
    return events, walked


@pytest.fixture(params=LOADERS)
def parser(request, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(yamlio, "Loader", request.param)
    return request.param


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixtures_read_the_same(path: Path, parser: type, monkeypatch: pytest.MonkeyPatch) -> None:
    events, walked = both([path], monkeypatch)
    assert events == walked


def _write_examples(directory: Path) -> list[Path]:
    paths = []
    for name, text in EXAMPLES.items():
        paths.append(directory / name)
        paths[-1].write_text(text, encoding="utf-8")
    return paths


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_read_the_same(name: str, parser: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / name
    path.write_text(EXAMPLES[name], encoding="utf-8")
    events, walked = both([path], monkeypatch)
    assert events == walked


EDGE_CASES = {
    "tagged mappings": "!!map\norganizations: !foo\n  acme: !!map {name: A}\n  b: !bar {name: B}\n",
    "tags everywhere": "deals:\n  d:\n    title: !!str 12\n    value: !!int '0x1F'\n    fields: {a: !!float '1', "
                       "b: !x y, c: [!!binary aGk=, !!null '']}\n    stage: !!timestamp 2027-01-01\n",
    "explicit non-specific tags": "deals:\n  d: ! {title: ! 12, value: !!bool yes}\n",
    "keys of every type": "deals:\n  d:\n    title: T\n    fields: {2027: a, true: b, ~: c, 1.5: d, "
                          "2027-01-01: e, '': f, !!str g: h}\n",
    "unsupported key tags": "deals:\n  d:\n    title: T\n    !foo k: v\n    fields: {!bar x: 1}\n!baz s: 1\n",
    "complex keys everywhere": "? [a]\n: 1\ndeals:\n  ? {x: 1}\n  : {title: T}\n  d:\n    ? [k]\n    : v\n"
                               "    fields: {? [m] : 1, n: 2}\n",
    "duplicates at every level": "deals:\n  d:\n    title: T\n    title: U\n    fields: {a: 1, a: 2}\n"
                                 "    emails: [a@b.c]\n  d:\n    title: V\ndeals:\n  e: {title: W}\n",
    "scalars": "deals:\n  d:\n    title: 'x'\n    value: 0123\n    currency: NO\n    status: On\n"
               "    fields: {a: 1_000, b: .inf, c: -.NaN, d: 0b101, e: -0x1f, f: 1:30, g: 14:00, h: 1e5, "
               "i: 2027-01-31, j: 2027-01-31 10:00:00, k: +12, l: -3, m: 0, n: 1., o: .5, p: ~, q: null, "
               "r: '', s: \"14:00\", t: |\n        block\n      , u: >-\n        folded\n      }\n",
    "quoting suggestions": "activities:\n  a:\n    subject: S\n    due_time: 9:30\n    duration: 100\n"
                           "    deal: {id: 1}\n    type: yes\n    done: maybe\n",
    "nulls and empties": "organizations:\npersons: ~\ndeals:\n  d:\n  e: ~\n  f: []\n  g: {}\n  h: text\n",
    "a list at the top": "- organizations\n- deals\n",
    "a scalar at the top": "just text\n",
    "an empty document": "---\n...\n",
    "comments only": "# nothing\n",
    "empty": "",
    "two documents": "deals:\n  d: {title: T}\n---\ndeals: {}\n",
    "two empty documents": "---\n---\n",
    "a syntax error after problems": "deals:\n  d: {title: T, bogus: 1}\n  e: [unclosed\n",
    "a tab": "deals:\n  d:\n\ttitle: T\n",
    "deep in an unknown section": "widgets:\n  a: " + "[" * 80 + "]" * 80 + "\n",
    "deep in a resource": "deals:\n  d:\n    title: T\n    fields: {a: " + "[" * 70 + "]" * 70 + "}\n",
    "deeper than libyaml allows": "deals:\n  d:\n    fields: {a: " + "[" * 1100 + "]" * 1100 + "}\n",
    "anchors and merges": "x: &d {owner: alice@example.com}\ndeals:\n  d: {<<: *d, title: T}\n",
    "an inline merge": "deals:\n  d:\n    <<: {title: T, value: x}\n    value: 1\n",
    "an alias without anchor": "deals:\n  d: {title: *nope}\n",
    "an anchor late in the file": "deals:\n" + "".join(f"  d{i}: {{title: T{i}}}\n" for i in range(50))
                                  + "  z: &z {title: Z}\n",
    "a BOM": "\ufeffdeals:\n  d: {title: T}\n",
    "control character": "deals:\n  d:\n    title: x\x1f\n",
    "unknown fields and sections": "deal:\n  x: {}\norganisations: {}\ndeals:\n  Bad Key: {}\n  d: {titel: T, "
                                   "Lead source: x, fields: [a]}\n",
    "custom field shapes": "deals:\n  d:\n    title: T\n    fields:\n      Interests: [a, 3, {b: c}]\n"
                           "      Money: {value: ten, currency: USD, extra: 1}\n      Plain: {x: 1}\n",
    "references": "persons:\n  p: {name: P, org: {id: 0}}\n  q: {name: Q, org: {key: acme}}\n"
                  "  r: {name: R, org: Acme Corp}\n  s: {name: S, org: 42}\n",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_read_the_same(name: str, parser: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(EDGE_CASES[name], encoding="utf-8")
    events, walked = both([path], monkeypatch)
    assert events == walked


def test_invalid_utf8_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"deals:\n  d: {title: caf\xe9}\n")
    events, walked = both([path], monkeypatch)
    assert events == walked and "invalid UTF-8" in events[0][0]


def test_manifests_without_anchors_never_need_the_walker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is the path: examples/ and the valid fixtures are read from events alone."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the node walker was used")

    monkeypatch.setattr(loader, "NodeDocument", refuse)
    for path in _write_examples(tmp_path) + sorted(VALID.rglob("*.y*ml")):
        if b"&" not in path.read_bytes():
            load_manifests([path])


WORDS = ["organizations", "persons", "deals", "notes", "activities", "name", "title", "org", "person", "deal",
         "emails", "phones", "value", "currency", "pipeline", "stage", "status", "owner", "visible_to", "fields",
         "content", "pinned", "subject", "type", "due_date", "due_time", "duration", "done", "id", "absent",
         "protect", "Industry", "Interests", "acme", "Sales", "open", "company", "2027-01-31", "14:00", "NO", "~"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.sampled_from(WORDS),
                    st.text(max_size=12), st.dates().map(str))
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)),
                                                    children, max_size=5)), max_leaves=30)
documents = st.dictionaries(
    st.sampled_from(["organizations", "persons", "deals", "notes", "activities", "widgets"]),
    st.one_of(st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True),
                              st.one_of(st.dictionaries(st.sampled_from(WORDS), trees, max_size=6), trees),
                              max_size=4), trees),
    max_size=4)
FUZZ = settings(max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@FUZZ
@given(tree=documents, flow=st.sampled_from([None, True, False]), loader_class=st.sampled_from(
    [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])))
def test_random_manifests_read_the_same(tree, flow, loader_class, tmp_path_factory, monkeypatch) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.yaml"
    path.write_text(yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(yamlio, "Loader", loader_class)
    events, walked = both([path], monkeypatch)
    assert events == walked


@FUZZ
@given(text=st.text(alphabet=string.printable + "{}[]!|>'\"-:#~?,", max_size=160),
       prefix=st.sampled_from(["", "deals:\n  d:\n    title: T\n    ", "organizations:\n  ", "persons:\n  p:\n    "]))
def test_random_text_reads_the_same(text, prefix, tmp_path_factory, monkeypatch) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.yaml"
    path.write_text(prefix + text, encoding="utf-8")
    events, walked = both([path], monkeypatch)
    assert events == walked


def test_without_libyaml_the_pure_python_parser_reads_the_same(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A pyyaml built without libyaml has no CSafeLoader: the pure-Python parser is chosen, same answers."""
    paths = _write_examples(tmp_path)
    expected = _outcome(paths)
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    chosen = yamlio.default_loader()
    assert chosen is yaml.SafeLoader
    monkeypatch.setattr(yamlio, "Loader", chosen)
    assert _outcome(paths) == expected
