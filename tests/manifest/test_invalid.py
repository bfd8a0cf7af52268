"""Every mistake in tests/fixtures/invalid/ gives exactly the expected error lines.

The table below is the specification of the messages users see: each entry is one fixture
(a file, or a directory read as one PATH) and the exact `FILE:LINE:COL: error: MESSAGE`
lines `reconciler validate` prints for it, in order. Paths are shown as given, relative to
the fixtures directory, exactly as a user running from there would see them.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from reconciler.manifest import load_manifests

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invalid"

EXPECTED: dict[str, list[str]] = {
    "activity-without-parent.yaml": [
        "activity-without-parent.yaml:2:3: error: activity 'floating' needs at least one parent: declare one of deal, person, org, lead",
    ],
    "alias-bomb.yaml": [
        "alias-bomb.yaml:5:49: error: aliases expand to more than 100000 nodes: refusing to read further (an alias bomb, or anchors reused far too often)",
    ],
    "bad-custom-fields.yaml": [
        "bad-custom-fields.yaml:5:18: error: custom field 'Interests' must be a list of option labels, but item 2 is number 3",
        "bad-custom-fields.yaml:10:23: error: custom field 'Contract value' must be {value: N, currency: CODE}, but 'currency' is missing",
        "bad-custom-fields.yaml:11:20: error: custom field 'Lead source' must be {value: N, currency: CODE}, but it has 'label'",
        "bad-custom-fields.yaml:12:17: error: custom field 'Discount' must be {value: N, currency: CODE}, but value is string 'ten'",
        "bad-custom-fields.yaml:16:13: error: field 'fields' must be a mapping of custom field names to values, got string 'Software'",
    ],
    "bad-date-format.yaml": [
        "bad-date-format.yaml:4:26: error: field 'expected_close_date' must be a date YYYY-MM-DD, got string '31/01/2027'",
    ],
    "bad-email.yaml": [
        "bad-email.yaml:4:37: error: field 'emails' item 2 must be an email address, got string 'john at acme'",
    ],
    "bad-id.yaml": [
        "bad-id.yaml:3:9: error: 'id' must be a positive integer (a Pipedrive id), got number -3",
        "bad-id.yaml:6:9: error: 'id' must be a positive integer (a Pipedrive id), got string '1234'",
    ],
    "bad-key.yaml": [
        "bad-key.yaml:2:3: error: invalid key 'Acme Corp': a key is 1 to 128 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (try 'acme-corp')",
        "bad-key.yaml:4:3: error: invalid key '-acme': a key is 1 to 128 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (try 'acme')",
    ],
    "bad-meta-bool.yaml": [
        "bad-meta-bool.yaml:4:13: error: 'absent' must be true or false, got string 'maybe'",
        "bad-meta-bool.yaml:5:14: error: 'protect' must be true or false, got number 1",
    ],
    "bad-owner.yaml": [
        "bad-owner.yaml:4:12: error: field 'owner' must be a user's email address, got string 'alice'",
    ],
    "bad-ref-shape.yaml": [
        "bad-ref-shape.yaml:4:10: error: field 'org' must be the key of an organization or {id: N} with N a positive integer, got number 42",
        "bad-ref-shape.yaml:7:10: error: field 'org' must be the key of an organization or {id: N} with N a positive integer, got {id: 0}",
        "bad-ref-shape.yaml:10:10: error: field 'org' must be the key of an organization or {id: N} with N a positive integer, got {key: acme}",
    ],
    "bad-status.yaml": [
        "bad-status.yaml:4:13: error: field 'status' must be one of open, won, lost, got string 'Open'; did you mean 'open'?",
    ],
    "bad-time.yaml": [
        "bad-time.yaml:5:15: error: field 'due_time' must be a time HH:MM (24-hour), got string '2pm'",
        "bad-time.yaml:6:15: error: field 'duration' must be a time HH:MM (24-hour), got string '25:00'",
    ],
    "bad-visibility.yaml": [
        "bad-visibility.yaml:4:17: error: field 'visible_to' must be one of owner, company, owner_group, company_group, got string 'everyone'",
    ],
    "comments-only.yaml": [
        "comments-only.yaml:1:1: error: empty manifest: expected a mapping of kind sections (organizations, persons, products, deals, notes, activities, leads, pipelines, stages, custom_fields, activity_types, labels, filters, goals, webhooks)",
    ],
    "complex-key.yaml": [
        "complex-key.yaml:2:5: error: a mapping key must be a plain name, got a list",
    ],
    "custom-field-outside-fields.yaml": [
        "custom-field-outside-fields.yaml:4:5: error: unknown organization field 'Industry'; custom fields go under 'fields:'",
    ],
    "dangling-reference.yaml": [
        "dangling-reference.yaml:7:10: error: field 'org' names organization 'acmee', which no manifest declares; did you mean 'acme'?",
        "dangling-reference.yaml:11:13: error: field 'person' names person 'jon-doe', which no manifest declares; did you mean 'john-doe'?",
    ],
    "duplicate-across-files": [
        "duplicate-across-files/b.yaml:6:3: error: duplicate organization key 'acme': already declared at duplicate-across-files/a.yaml:2:3",
    ],
    "duplicate-field.yaml": [
        "duplicate-field.yaml:5:5: error: duplicate key 'name' (first defined at line 3)",
    ],
    "duplicate-key.yaml": [
        "duplicate-key.yaml:6:3: error: duplicate key 'acme' (first defined at line 2)",
    ],
    "emails-not-list.yaml": [
        "emails-not-list.yaml:4:13: error: field 'emails' must be a list of email addresses, got string 'john@acme.example.com'; write a list: [john@acme.example.com]",
    ],
    "empty-dir": [
        "empty-dir:1:1: error: no manifests (*.yaml, *.yml) in this directory",
    ],
    "empty-name.yaml": [
        "empty-name.yaml:3:11: error: field 'name' must be a non-empty string, got string ''",
    ],
    "empty.yaml": [
        "empty.yaml:1:1: error: empty manifest: expected a mapping of kind sections (organizations, persons, products, deals, notes, activities, leads, pipelines, stages, custom_fields, activity_types, labels, filters, goals, webhooks)",
    ],
    "impossible-date.yaml": [
        "impossible-date.yaml:4:26: error: field 'expected_close_date' is not a real date: '2027-02-30' (day is out of range for month)",
    ],
    "invalid-utf8.yaml": [
        "invalid-utf8.yaml:3:15: error: invalid UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8",
    ],
    "merge-not-mapping.yaml": [
        "merge-not-mapping.yaml:3:10: error: a merge key ('<<') takes a mapping or a list of mappings, got 'Acme'",
        "merge-not-mapping.yaml:3:16: error: a merge key ('<<') takes a mapping or a list of mappings, got 'Corp'",
    ],
    "missing-required.yaml": [
        "missing-required.yaml:2:3: error: deal 'untitled' has no 'title', which is needed to create it (or pin an existing object with id: N)",
    ],
    "norway-problem.yaml": [
        "norway-problem.yaml:4:15: error: field 'currency' must be a string, got boolean false (YAML reads NO as false); quote it (\"NO\") if you mean the text",
    ],
    "note-two-parents.yaml": [
        "note-two-parents.yaml:12:10: error: a note has exactly one parent, but note 'both' declares 2: person, org",
    ],
    "note-without-parent.yaml": [
        "note-without-parent.yaml:2:3: error: note 'orphan' needs exactly one parent: declare one of deal, person, org, lead",
    ],
    "null-name.yaml": [
        "null-name.yaml:3:11: error: field 'name' cannot be null: it must be a non-empty string",
    ],
    "protect-and-absent.yaml": [
        "protect-and-absent.yaml:5:13: error: 'protect: true' and 'absent: true' contradict each other: a protected object can never be deleted; remove one of them",
    ],
    "python-tag.yaml": [
        "python-tag.yaml:3:11: error: unsupported YAML tag '!!python/object/apply:os.system': manifests hold plain values only",
    ],
    "recursive-alias.yaml": [
        "recursive-alias.yaml:2:9: error: recursive alias: a node contains itself",
    ],
    "reference-to-absent.yaml": [
        "reference-to-absent.yaml:8:10: error: field 'org' names organization 'old-acme', which is declared absent: true (at reference-to-absent.yaml:2) and will be deleted",
    ],
    "resource-null.yaml": [
        "resource-null.yaml:2:3: error: organization 'acme' must be a mapping of fields, got nothing",
    ],
    "resource-scalar.yaml": [
        "resource-scalar.yaml:2:9: error: organization 'acme' must be a mapping of fields, got 'Acme Corporation'",
    ],
    "section-not-mapping.yaml": [
        "section-not-mapping.yaml:2:3: error: section 'organizations' must be a mapping of keys to organizations, got a list",
    ],
    "sexagesimal-number.yaml": [
        "sexagesimal-number.yaml:4:12: error: field 'value' must be a number, got string '1:30'",
        "sexagesimal-number.yaml:5:12: error: field 'stage' must be a stage name, got number 2; quote it (\"2\") if you mean the text",
    ],
    "singular-section.yaml": [
        "singular-section.yaml:1:1: error: unknown kind section 'organization'; did you mean 'organizations'?",
    ],
    "tab-indent-field.yaml": [
        "tab-indent-field.yaml:4:1: error: tab character in indentation: YAML indents with spaces only",
    ],
    "tab-indent.yaml": [
        "tab-indent.yaml:2:1: error: tab character in indentation: YAML indents with spaces only",
    ],
    "top-level-list.yaml": [
        "top-level-list.yaml:1:1: error: the top level must be a mapping of kind sections (organizations, persons, products, deals, notes, activities, leads, pipelines, stages, custom_fields, activity_types, labels, filters, goals, webhooks), got a list",
    ],
    "top-level-scalar.yaml": [
        "top-level-scalar.yaml:1:1: error: the top level must be a mapping of kind sections (organizations, persons, products, deals, notes, activities, leads, pipelines, stages, custom_fields, activity_types, labels, filters, goals, webhooks), got 'just some text'",
    ],
    "two-documents.yaml": [
        "two-documents.yaml:4:1: error: a manifest file holds one YAML document, but a second one starts here ('---')",
    ],
    "unclosed-flow.yaml": [
        "unclosed-flow.yaml:5:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence started at line 4)",
    ],
    "undefined-alias.yaml": [
        "undefined-alias.yaml:4:12: error: undefined alias: no anchor (&name) of that name appears before it",
    ],
    "unknown-field.yaml": [
        "unknown-field.yaml:4:5: error: unknown organization field 'adress'; did you mean 'address'?",
    ],
    "unknown-section-far.yaml": [
        "unknown-section-far.yaml:1:1: error: unknown kind section 'widgets' (sections: organizations, persons, products, deals, notes, activities, leads, pipelines, stages, custom_fields, activity_types, labels, filters, goals, webhooks)",
    ],
    "unknown-section.yaml": [
        "unknown-section.yaml:1:1: error: unknown kind section 'organisations'; did you mean 'organizations'?",
    ],
    "unknown-tag.yaml": [
        "unknown-tag.yaml:4:14: error: unsupported YAML tag '!secret': manifests hold plain values only",
    ],
    "unterminated-quote.yaml": [
        "unterminated-quote.yaml:4:1: error: invalid YAML: found unexpected end of stream (while scanning a quoted scalar started at line 3)",
    ],
    "value-not-finite.yaml": [
        "value-not-finite.yaml:4:12: error: field 'value' must be a finite number, got inf",
    ],
    "value-not-number.yaml": [
        "value-not-number.yaml:4:12: error: field 'value' must be a number, got string 'abc'",
    ],
    "wrong-kind-reference.yaml": [
        "wrong-kind-reference.yaml:7:13: error: 'acme' is an organization, but 'person' must name a person",
    ],
    "does-not-exist.yaml": [
        "does-not-exist.yaml:1:1: error: no such file or directory",
    ],
}

# Names in the table that are not files in the fixtures directory on purpose.
NOT_ON_DISK = {"does-not-exist.yaml"}


def test_every_fixture_has_an_expectation() -> None:
    on_disk = set(os.listdir(FIXTURES))
    assert on_disk == set(EXPECTED) - NOT_ON_DISK
    assert len(on_disk) >= 35


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_fixture(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    _manifest, problems = load_manifests([name])
    assert [str(p) for p in problems] == EXPECTED[name]


def test_problems_from_many_paths_come_sorted_by_file_line_col(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    names = ["unknown-field.yaml", "bad-time.yaml", "bad-email.yaml"]
    _manifest, problems = load_manifests(names)
    keys = [(p.pos.file, p.pos.line, p.pos.col) for p in problems]
    assert keys == sorted(keys)
    assert {str(p) for p in problems} == {line for n in names for line in EXPECTED[n]}


def _peak_bytes(load) -> tuple[object, int]:
    """What `load()` returns and the most memory it held at once: a bound that does not depend
    on how loaded the machine is (speed belongs to bench/; issue 26 removed a 2-second limit
    that failed at 2.24 s on a busy machine)."""
    tracemalloc.start()
    try:
        result = load()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Expanded, the bombs below are 10^9 and 10^12 nodes (gigabytes); refused before expanding,
# loading them holds a few megabytes.
EXPANSION_MEMORY = 50 * 1024 * 1024


def test_alias_bomb_fails_fast() -> None:
    (_manifest, problems), peak = _peak_bytes(lambda: load_manifests([FIXTURES / "alias-bomb.yaml"]))
    assert peak < EXPANSION_MEMORY, f"{peak:,} bytes: the aliases were expanded"
    assert len(problems) == 1 and "alias" in problems[0].message


def test_bigger_alias_bomb_fails_fast(tmp_path: Path) -> None:
    # 12 levels of 10 would be 10^12 nodes if expanded.
    lines = [
        "organizations:",
        "  acme:",
        "    name: Acme",
        "    fields:",
        "      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    for level in range(1, 12):
        lines.append(f"      l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    (_manifest, problems), peak = _peak_bytes(lambda: load_manifests([path]))
    assert peak < EXPANSION_MEMORY, f"{peak:,} bytes: the aliases were expanded"
    assert [p.message.split(":")[0] for p in problems] == ["aliases expand to more than 100000 nodes"]


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(
        f'organizations:\n  acme:\n    name: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    _manifest, problems = load_manifests([path])
    assert problems and not marker.exists()


def test_a_problem_in_one_file_does_not_hide_problems_in_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    _manifest, problems = load_manifests(["tab-indent.yaml", "bad-owner.yaml"])
    assert [str(p) for p in problems] == EXPECTED["bad-owner.yaml"] + EXPECTED["tab-indent.yaml"]


def test_same_messages_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pure-Python loader (no libyaml) gives the same lines, bar pyyaml's own syntax wording."""
    import yaml

    from reconciler.manifest import yamlio

    monkeypatch.setattr(yamlio, "Loader", yaml.SafeLoader)
    monkeypatch.chdir(FIXTURES)
    for name, expected in EXPECTED.items():
        got = [str(p) for p in load_manifests([name])[1]]
        if any("invalid YAML:" in line or "undefined alias" in line for line in expected):
            assert [line.split(": error: ")[0] for line in got] == [line.split(": error: ")[0] for line in expected]
        else:
            assert got == expected, name


def test_deep_nesting_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("deals:\n  d:\n    title: x\n    fields:\n      a: " + "[" * 70 + "]" * 70 + "\n")
    _manifest, problems = load_manifests([path])
    assert [p.message for p in problems] == ["nesting deeper than 64 levels"]
