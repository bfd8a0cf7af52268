"""pull rewrites changed values where they stand (reconciler/manifest/spans.py, issue #28): the result
is byte for byte what the round-trip editor wrote before, wherever both can write it; line endings,
comments and spacing stay; anything that is not a one-line scalar is left to the round-trip editor."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest.spans import rewrite
from reconciler.pull import Edit, _dump, _load, _set

TEXT = """\
# the team's deals
deals:
  big-one:
    title: Acme renewal
    value: 1500
    currency: 'USD'
    stage: "Negotiation"
    expected_close_date: 2027-01-31
    active: true
    note: Größe über alles
    fields:
      Lead source: Event
      Score: 4.5
  other:
    title: Other  # renewed every year
    tags: [a, b]
"""

CASES = [
    ("title", "Acme renewal, phase 2"),
    ("title", "123"),  # would read as a number: quoted
    ("title", "a: b"),
    ("title", "#1 deal"),
    ("title", "Ünïcode ✓"),
    ("value", 2000),
    ("value", 2500.5),
    ("currency", "EUR"),
    ("currency", "it's"),
    ("stage", "Proposal Made"),
    ("stage", 'say "hi"'),
    ("expected_close_date", "2027-02-15"),
    ("active", False),
    ("note", "Kleinigkeit"),
    ("fields.Lead source", "Website"),
    ("fields.Score", 5),
]


def _ruamel(tmp_path: Path, text: str, label: str, value) -> str:
    path = tmp_path / "deals.yaml"
    path.write_text(text, encoding="utf-8")
    yaml, data, _ = _load(str(path))
    _set(data, Edit(str(path), "deal", "big-one", label, value, "drift"))
    return _dump(yaml, data)


def _path(label: str) -> tuple[str, ...]:
    if label.startswith("fields."):
        return ("deals", "big-one", "fields", label[len("fields."):])
    return ("deals", "big-one", label)


@pytest.mark.parametrize(("label", "value"), CASES)
def test_a_value_rewritten_in_place_is_what_the_round_trip_editor_wrote(tmp_path, label, value):
    ours = rewrite(TEXT, [(_path(label), value)])
    assert ours is not None
    assert ours == _ruamel(tmp_path, TEXT, label, value)


def test_text_that_reads_as_a_bool_is_quoted_as_the_manifests_reader_needs(tmp_path):
    """The manifests are read by PyYAML (YAML 1.1), where a plain `yes` is true: the round-trip editor
    (YAML 1.2) wrote it plain, turning a title into a bool; it is quoted now."""
    import yaml

    ours = rewrite(TEXT, [(_path("title"), "yes")])
    assert "    title: 'yes'\n" in ours
    assert yaml.safe_load(ours)["deals"]["big-one"]["title"] == "yes"
    assert yaml.safe_load(_ruamel(tmp_path, TEXT, "title", "yes"))["deals"]["big-one"]["title"] is True


def test_only_the_values_characters_change_and_crlf_stays():
    """Also beside a comment: the round-trip editor moved a comment to keep its column; the comment
    and the spaces before it now stay as written."""
    crlf = TEXT.replace("\n", "\r\n")
    out = rewrite(crlf, [(_path("title"), "New title"), (_path("fields.Lead source"), "Website"),
                         (("deals", "other", "title"), "Another title")])
    assert out == crlf.replace("title: Acme renewal\r\n", "title: New title\r\n", 1).replace(
        "Lead source: Event", "Lead source: Website", 1).replace(
        "title: Other  # renewed", "title: Another title  # renewed", 1)


@pytest.mark.parametrize(("path", "value"), [
    (("deals", "other", "tags"), ["a"]),  # a list: a structure
    (("deals", "big-one", "title"), None),  # emptied
    (("deals", "big-one", "title"), "two\nlines"),
    (("deals", "big-one", "missing"), "x"),  # not in the file
])
def test_what_is_not_a_one_line_scalar_is_left_to_the_round_trip_editor(path, value):
    assert rewrite(TEXT, [(path, value)]) is None


def test_values_in_flow_collections_anchors_and_block_scalars_are_left_to_the_round_trip_editor():
    text = "deals:\n  a:\n    fields: {Lead source: Event}\n    title: &t Anchored\n    note: |\n      block\n"
    assert rewrite(text, [(("deals", "a", "fields", "Lead source"), "Web")]) is None
    assert rewrite(text, [(("deals", "a", "title"), "New")]) is None
    assert rewrite(text, [(("deals", "a", "note"), "one line")]) is None
