"""Fuzzing `validate` and `plan` (issue 8): whatever they are fed, no traceback.

Hypothesis generates random YAML trees (built from the manifest vocabulary and from
noise), random text that is not even YAML, and random mutations of the valid example
manifests (lines deleted, duplicated, swapped, re-indented, truncated, values and keys
replaced). For each input, run in this process against a served sandbox:

- `validate` ends in exit 0, or in exit 1 with only `FILE:LINE:COL: error: MESSAGE` lines;
- `plan` then agrees: when validate failed, plan fails with the same lines and has made no
  API call at all (the sandbox's stats count zero requests); when validate passed, plan
  ends in exit 0, or in exit 1 with only `FILE:LINE:COL: error:` lines (names the account
  does not know, such as an unknown user or stage, can only be found online).

RECONCILER_FUZZ_EXAMPLES raises the number of examples per strategy (bench/bench_fuzz.py).
"""

from __future__ import annotations

import os
import re
import string
import tempfile
from collections import Counter
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import KEY, copy_examples, example_texts, invoke

EXAMPLES = int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
ERROR_LINE = re.compile(r"^.+:\d+:\d+: error: \S.*$")
PROGRESS_LINE = re.compile(r"^read \d+ [a-z]+ \([\d,]+ API calls, [\d,]+ tokens so far\)$")

WORDS = ["organizations", "persons", "deals", "notes", "activities", "name", "title", "org", "person", "deal",
         "emails", "phones", "value", "currency", "pipeline", "stage", "status", "owner", "visible_to", "fields",
         "content", "pinned", "subject", "type", "due_date", "due_time", "duration", "done", "id", "absent",
         "protect", "Industry", "Lead source", "Contract value", "Interests", "acme", "john-doe", "Sales",
         "Negotiation", "alice@example.com", "open", "won", "company", "2027-01-31", "14:00", "00:30"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS),
    st.text(max_size=20), st.dates().map(str),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=12), st.integers(-5, 5), st.booleans())
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=25)
manifest_like = st.dictionaries(
    st.sampled_from(["organizations", "persons", "deals", "notes", "activities", "unknown_section"]),
    st.dictionaries(st.one_of(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,8}", fullmatch=True), st.text(max_size=8)),
                    st.one_of(st.dictionaries(st.sampled_from(WORDS), trees, max_size=6), trees), max_size=3),
    max_size=4)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


class Checker:
    """One project directory and one served sandbox, reused across examples."""

    def __init__(self, http_sandbox, tally: Counter | None = None) -> None:
        self.sandbox = http_sandbox
        self.env = {"MATON_API_KEY": KEY}
        self.tally = tally if tally is not None else Counter()  # outcomes, for bench/bench_fuzz.py

    def check(self, files: dict[str, str | bytes]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "project"
            project.mkdir()
            for name, body in files.items():
                target = project / name
                if isinstance(body, bytes):
                    target.write_bytes(body)
                else:
                    target.write_text(body, encoding="utf-8", errors="surrogateescape")
            validated = invoke(["validate", str(project)], env=self.env)
            assert validated.code in (0, 1), validated
            if validated.code == 1:
                bad = [line for line in _lines(validated.both) if not ERROR_LINE.match(line)]
                assert not bad and _lines(validated.both), f"validate printed non-error lines: {bad}"
            self.sandbox.gateway.reset_stats()
            planned = invoke(["plan", str(project), "--endpoint", self.sandbox.endpoint], env=self.env)
            assert planned.code in (0, 1), planned
            requests = self.sandbox.gateway.stats()["requests"]
            self.tally["inputs"] += 1
            self.tally["api calls on invalid input"] += requests if validated.code == 1 else 0
            if validated.code == 1:
                self.tally["invalid"] += 1
                self.tally["error lines"] += len(_lines(validated.both))
                assert planned.code == 1, "validate failed but plan passed"
                assert _lines(planned.err) == _lines(validated.both), "plan and validate disagree"
                assert requests == 0, f"plan of invalid manifests made {requests} API calls"
            elif planned.code == 1:
                self.tally["valid, refused by plan"] += 1
                # what plan read before it found the problem (one count line per kind off a
                # terminal) is progress, not a problem; every other line must be FILE:LINE:COL
                bad = [line for line in _lines(planned.err)
                       if not ERROR_LINE.match(line) and not PROGRESS_LINE.match(line)]
                assert not bad, f"plan failed with non-FILE:LINE:COL lines: {bad}"
            else:
                self.tally["valid, planned"] += 1


@SETTINGS
@given(tree=trees)
def test_random_yaml_trees(http_sandbox, tree) -> None:
    Checker(http_sandbox).check({"fuzz.yaml": yaml.safe_dump(tree, allow_unicode=True)})


@SETTINGS
@given(tree=manifest_like)
@example(tree={"deals": {"x": {"title": "T", "value": float("nan")}}})
@example(tree={"deals": {"x": {"title": "T", "value": 2**80}}})
def test_random_manifest_shaped_trees(http_sandbox, tree) -> None:
    Checker(http_sandbox).check({"fuzz.yaml": yaml.safe_dump(tree, allow_unicode=True)})


@SETTINGS
@given(text=st.one_of(st.text(max_size=200),
                      st.text(alphabet=string.printable + "{}[]&*!|>'\"-:#%@`\t\x00\ufeff", max_size=200),
                      st.binary(max_size=120)))
@example(text="deals:\n  a: &x {title: T}\n  b: *x\n")
@example(text="deals: !!python/object/apply:os.system ['true']\n")
@example(text="deals:\n  a:\n    title: T\n    <<: {value: 1}\n")
@example(text=b"\xff\xfe\x00d\x00e")
@example(text="deals:\n\ta: {}\n")
@example(text="[" * 200)
def test_random_text(http_sandbox, text) -> None:
    Checker(http_sandbox).check({"fuzz.yaml": text})


MUTATIONS = ["delete", "duplicate", "swap", "indent", "dedent", "truncate", "insert", "replace_value", "replace_key"]


@st.composite
def mutated_examples(draw) -> dict[str, str]:
    files = example_texts("accounts")
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        lines = files[name].split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(MUTATIONS))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 4)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "truncate":
            lines = lines[:i] + [lines[i][: draw(st.integers(0, len(lines[i])))]]
        elif op == "insert":
            lines.insert(i, draw(st.text(alphabet=string.printable, max_size=30)))
        elif op in ("replace_value", "replace_key") and ":" in lines[i]:
            head, _, tail = lines[i].partition(":")
            word = draw(st.one_of(st.sampled_from(WORDS), st.text(alphabet=string.printable, max_size=10)))
            lines[i] = f"{head}: {word}" if op == "replace_value" else f"{head[: len(head) - len(head.lstrip())]}{word}:{tail}"
        files[name] = "\n".join(lines)
    return files


@SETTINGS
@given(files=mutated_examples())
def test_mutated_example_manifests(http_sandbox, files) -> None:
    Checker(http_sandbox).check(files)


def test_the_unmutated_examples_plan_cleanly(http_sandbox) -> None:
    """The baseline of the mutations: the examples themselves validate and plan (25 creates)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy_examples(Path(tmp) / "p")
        result = invoke(["plan", str(Path(tmp) / "p"), "--endpoint", http_sandbox.endpoint],
                        env={"MATON_API_KEY": KEY})
        assert result.code == 0 and "Plan: 27 to create" in result.out


def test_a_problem_on_line_100_keeps_its_position(tmp_path) -> None:
    """Found by fuzzing: rich turned ':100:' into an emoji, so 'FILE:100:COL' lost its line."""
    lines = ["deals:"] + [f"  d{i}: {{title: T{i}}}" for i in range(98)] + ["  bad: {title: x, valu: 1}"]
    (tmp_path / "m.yaml").write_text("\n".join(lines) + "\n")
    result = invoke(["validate", str(tmp_path)])
    assert result.code == 1
    assert f"{tmp_path / 'm.yaml'}:100:19: error: unknown deal field 'valu'" in result.out


def test_a_control_character_is_one_positioned_line(tmp_path) -> None:
    (tmp_path / "m.yaml").write_text("deals:\n  a:\n    title: x\n    bad\x1f: 1\n")
    result = invoke(["validate", str(tmp_path)])
    assert _lines(result.out) == [f"{tmp_path / 'm.yaml'}:4:8: error: invalid YAML: unacceptable character "
                                  "#x001f: control characters are not allowed"]
