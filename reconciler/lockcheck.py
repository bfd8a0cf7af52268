"""Validating `reconciler.lock` and its journal as they are read: every problem named, none dropped.

A lock is edited by git merges and, sometimes, by hand. Whatever is wrong with it becomes
one line `FILE:LINE: error: …` (or `warning:` where going on is safe), never a traceback
and never a silent drop: a kind misspelt, an id that is not an id (`true` is not 1, "12"
is not 12), a format this version cannot read, an account that is not one, conflict
markers left by a merge. A journal (written only by apply) is checked the same way: a
line cut short by a crash or a line that makes no sense is skipped with a warning, since
replaying less of it only means the next plan adopts by natural key what was not
recorded; a journal of another account is never replayed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import kinds
from reconciler.appliedform import AppliedDigests, Packer

FORMAT_VERSION = 1
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})( |$)")
_KEY = re.compile(kinds.KEY_PATTERN)  # compiled once: a lock of an exported account has 55,000 keys


class LockError(Exception):
    """The lock file cannot be used; the message is one line per problem, naming the file and line."""


@dataclass
class LockContent:
    """What a valid lock holds."""

    account: dict | None = None
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    protected: dict[str, set[str]] = field(default_factory=dict)
    applied: dict[str, dict[str, Mapping[str, str]]] = field(default_factory=dict)  # appliedform.py
    vocabulary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _line_of(lines: list[str], *needles: str) -> int:
    """The 1-based line of the first needle, then of each next one after it (a key inside its kind)."""
    start = 0
    found = 1
    for needle in needles:
        for index in range(start, len(lines)):
            if needle in lines[index]:
                found, start = index + 1, index + 1
                break
    return found


def _kind_problem(kind_name: str) -> str:
    close = difflib.get_close_matches(kind_name, list(kinds.BY_NAME), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (kinds: {', '.join(kinds.BY_NAME)})"
    return f"unknown kind {kind_name!r}{hint}"


# The largest id a lock may hold: Pipedrive's ids are positive integers of 32 bits today and
# at most 64 bits (signed, as databases and Pipedrive's own API clients store them); anything
# beyond (10**30) is a mangled file, refused here rather than sent and answered with a 500.
MAX_ID = 2**63 - 1
# A lock is 4 levels deep (applied: kind, key, field). Deeper values are refused by the shape
# checks (an id, an account, digests), and what the parser cannot take (about 1,000 levels)
# is an error at the line where nesting passed this depth, never a RecursionError.
MAX_DEPTH = 16


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a duplicate (a second `"protected": {}`) is never
    last-wins, which would silently drop what the first said."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _packed_pairs(packer: Packer) -> Any:
    """The hook that makes every JSON object whose values are all strings compact as soon as it is
    parsed (appliedform.py): a resource's digests never exist as a dict of strings, so reading the
    lock of a 55,000-object export never holds all of them at once (its peak memory: 53 MB, not 121). Objects
    of strings elsewhere (a lead's ids, names of activity types) go back to dicts in _unpacked."""
    def hook(pairs: list[tuple[str, Any]]) -> Any:
        out = _unique_pairs(pairs)
        try:
            return packer.pack(out)
        except TypeError:  # a value that is not a string: an object of another part
            return out
    return hook


def _unpacked(value: Any) -> Any:
    """`value` with every compact object in it back to a dict (in place where it can)."""
    if isinstance(value, AppliedDigests):
        return value.as_dict()
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list | AppliedDigests):
                value[key] = _unpacked(item)
    elif isinstance(value, list):
        value[:] = [_unpacked(item) for item in value]
    return value


def _compact_only_in_applied(data: Any) -> Any:
    """The parsed lock with compact objects left only at applied.KIND.KEY (a resource's digests):
    everything else is as json.loads makes it, so the checks below see what they always saw."""
    if not isinstance(data, dict):
        return _unpacked(data)
    for part, value in data.items():
        if part == "applied" and isinstance(value, dict | AppliedDigests):
            value = data[part] = _shallow(value)
            for kind_name, entries in value.items():
                value[kind_name] = _shallow(entries)
        else:
            data[part] = _unpacked(value)
    return data


def _shallow(value: Any) -> Any:
    return value.as_dict() if isinstance(value, AppliedDigests) else value


def _too_deep(text: str) -> int | None:
    """The 1-based line where `text` nests deeper than MAX_DEPTH, or None (a scan outside strings)."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
    return None


def strict_json(text: str, packer: Packer | None = None) -> Any:
    """JSON as the lock and journal take it: ValueError (with `lineno` where known) for invalid
    JSON, a key twice in one object, or nesting deeper than the parser goes. With `packer`, every
    object of strings alone is made compact as it is parsed (see _packed_pairs)."""
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs if packer is None else _packed_pairs(packer))
    except _Duplicate as dup:
        error = ValueError(f"the key {json.dumps(dup.key)} appears twice in one object (JSON readers keep "
                           "the last silently); keep one")
        error.lineno = _second_line(text, dup.key)  # type: ignore[attr-defined]
        raise error from None
    except RecursionError:  # deeper than the parser goes (about 1,000 levels): where it passed MAX_DEPTH
        error = ValueError(f"nested more than {MAX_DEPTH} levels deep")
        error.lineno = _too_deep(text) or 1  # type: ignore[attr-defined]
        raise error from None


def _second_line(text: str, key: str) -> int:
    """The line of the second `"key":` in the text (where a duplicate most likely is)."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    found = 0
    for number, line in enumerate(text.splitlines(), start=1):
        found += len(pattern.findall(line))
        if found >= 2:
            return number
    return 1


def _brief(value: Any) -> str:
    """A value for a message: JSON, cut to 60 characters."""
    try:
        return json.dumps(value)[:60]
    except (ValueError, TypeError, RecursionError):
        return repr(type(value).__name__)


def valid_id(kind_name: str, value: Any) -> bool:
    """An id of that kind exactly as apply writes it: a positive integer (up to MAX_ID), or a UUID for leads."""
    spec = kinds.BY_NAME[kind_name]
    if spec.id_type is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
    return isinstance(value, str) and bool(re.fullmatch(spec.id_pattern or UUID_ID, value))


UUID_ID = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"


def _id_shape(kind_name: str) -> str:
    spec = kinds.BY_NAME[kind_name]
    if spec.id_type is int:
        return f"a positive integer up to {MAX_ID}"
    return f"matching {spec.id_pattern}" if spec.id_pattern else "a UUID"


def _valid_account(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    if not set(value) <= {"company_id", "company_name"}:
        return False
    company = value.get("company_id")
    name = value.get("company_name")
    return (company is None or (isinstance(company, int) and not isinstance(company, bool)
                                and 0 < company <= MAX_ID)) and (name is None or isinstance(name, str))


def parse_lock(path: Path, text: str) -> LockContent:
    """A lock file's text → its content; LockError listing every problem at once."""
    where = str(path)
    lines: list[str] = []  # split only when a marker or a problem needs a line number
    markers: list[int] = []
    if any(marker in text for marker in ("<" * 7, "=" * 7, ">" * 7)):  # a 55,000-key lock: 0.1 s less
        lines = text.splitlines()
        markers = [n + 1 for n, line in enumerate(lines) if _CONFLICT.match(line)]
    if markers:
        raise LockError(
            f"{where}:{markers[0]}: error: the lock has git conflict markers (lines "
            f"{', '.join(map(str, markers[:6]))}): a merge left both sides in it. Keep the entries of both "
            "sides (every \"key\": id line), remove the marker lines, then run `reconciler plan`; a key "
            "present on both sides with different ids should keep the id of the side whose apply ran last"
        )
    packer = Packer()
    try:
        data = strict_json(text, packer)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        raise LockError(f"{where}:{line}: error: not valid JSON ({getattr(exc, 'msg', exc)}); fix it, or "
                        "remove the file (the lock is never needed to avoid duplicates)") from None
    data = _compact_only_in_applied(data)
    if not isinstance(data, dict):
        raise LockError(f"{where}:1: error: not a reconciler lock file (a JSON object is expected)")
    problems: list[str] = []
    content = LockContent()

    def problem(line: int | tuple[str, ...], message: str) -> None:
        """Record a problem; its line is looked up only now (a valid lock costs no scan)."""
        if isinstance(line, tuple) and not lines:
            lines.extend(text.splitlines())
        number = _line_of(lines, *line) if isinstance(line, tuple) else line
        problems.append(f"{where}:{number}: error: {message}")

    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        problem(('"format_version"',),
                f"format_version {version!r} cannot be read by this version of reconciler (it reads "
                f"{FORMAT_VERSION}): upgrade reconciler, or make the lock again with export")
    known = {"format_version", "account", "resources", "protected", "applied", "vocabulary"}
    for extra in sorted(set(data) - known):
        problem((f'"{extra}"',), f"unknown key {extra!r} (keys: {', '.join(sorted(known))})")
    account = data.get("account")
    if not _valid_account(account):
        problem(('"account"',),
                "account must be {company_id: N, company_name: TEXT} or null, got " + _brief(account))
    else:
        content.account = account
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        problem(('"resources"',), "resources must map kinds to {key: id}")
        resources = {}
    for kind_name, entries in resources.items():
        kind_line = ('"resources"', f'"{kind_name}"')
        if kind_name not in kinds.BY_NAME:
            problem(kind_line, _kind_problem(kind_name))
            continue
        if not isinstance(entries, dict):
            problem(kind_line, f"resources.{kind_name} must map keys to ids")
            continue
        good: dict[str, Any] = {}
        holders: dict[Any, str] = {}
        for key, object_id in entries.items():
            line = ('"resources"', f'"{kind_name}"', f'"{key}"')
            if not _KEY.match(key):
                problem(line, f"{key!r} is not a valid key")
            elif not valid_id(kind_name, object_id):
                problem(line, f"{kind_name} {key!r}: {_brief(object_id)} is not a {kind_name} id "
                              f"({_id_shape(kind_name)})")
            elif object_id in holders:
                problem(line, f"{kind_name} {key!r} has id {object_id}, which {holders[object_id]!r} holds "
                              "(an id names one key)")
            else:
                good[key] = object_id
                holders[object_id] = key
        content.resources[kind_name] = good
    protected = data.get("protected", {})
    if not isinstance(protected, dict):
        problem(('"protected"',), "protected must map kinds to lists of keys")
        protected = {}
    for kind_name, keys in protected.items():
        line = ('"protected"', f'"{kind_name}"')
        if kind_name not in kinds.BY_NAME:
            problem(line, _kind_problem(kind_name))
        elif not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            problem(line, f"protected.{kind_name} must be a list of keys")
        else:
            content.protected[kind_name] = set(keys)
    applied = data.get("applied", {})
    if not isinstance(applied, dict):
        problem(('"applied"',), "applied must map kinds to {key: {field: digest}}")
        applied = {}
    for kind_name, entries in applied.items():
        kind_line = ('"applied"', f'"{kind_name}"')
        if kind_name not in kinds.BY_NAME:
            problem(kind_line, _kind_problem(kind_name))
            continue
        if not isinstance(entries, dict):
            problem(kind_line, f"applied.{kind_name} must map keys to {{field: digest}}")
            continue
        good_fields: dict[str, Mapping[str, str]] = {}
        for key, fields in entries.items():
            if isinstance(fields, AppliedDigests) or (  # made compact as it was parsed
                    isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())):
                good_fields[key] = fields  # a dict here: digests not all of one length
                continue
            problem(('"applied"', f'"{kind_name}"', f'"{key}"'),
                    f"applied.{kind_name}.{key} must map field names to digests (strings)")
        content.applied[kind_name] = good_fields
    content.vocabulary = _vocabulary(data.get("vocabulary", {}), problem)
    if problems:
        raise LockError("\n".join(problems))
    return content


def _vocabulary(value: Any, problem: Any) -> dict[str, Any]:
    """The names the manifests were applied with (reconciler/vocabulary.py): pipeline {name: id},
    stage {pipeline id: {name: id}}, option {field key: {label: id}}, activity_type {name: key},
    label {kind: {name: id}}, currency {code: id}, user {email: id}, team {name: id}."""
    shapes = {"pipeline": 1, "stage": 2, "option": 2, "activity_type": 1, "label": 2, "currency": 1, "user": 1,
              "team": 1}
    out: dict[str, Any] = {}
    if not isinstance(value, dict):
        problem(('"vocabulary"',), "vocabulary must map pipeline, stage and option to names and ids")
        return out
    for what, entries in value.items():
        depth = shapes.get(what)
        inner = list(entries.values()) if depth == 2 and isinstance(entries, dict) else [entries]
        if depth is None or not all(isinstance(e, dict) and all(isinstance(i, int | str) for i in e.values())
                                    for e in inner):
            problem(('"vocabulary"', f'"{what}"'), f"vocabulary.{what} is not one of pipeline {{name: id}}, "
                    "stage {pipeline id: {name: id}}, option {field key: {label: id}}, activity_type {name: key}, label {kind: {name: id}}, "
                    "currency {code: id}, user {email: id}, team {name: id}")
            continue
        out[what] = entries
    return out


def replay_journal(path: Path, lines: list[str], content: LockContent) -> None:
    """Apply a journal left by an apply that did not finish, warning about what it skips.

    Checked against the lock as it replays: the journal must name the lock's account first
    (an account of its own, or none where the lock has one, and nothing is replayed); a line
    may not give a key an id another key holds (apply journals the other key's removal
    first), nor remove a protected key (apply never journals one: protections are saved
    before the journal starts). Such a line is skipped with a warning, never applied.
    """
    where = str(path)
    named_account = False
    for number, line in enumerate(lines, start=1):
        last = number == len(lines)
        try:
            entry = strict_json(line)
        except json.JSONDecodeError:
            reason = "cut short (an apply was interrupted while writing it)" if last else "not valid JSON"
            content.warnings.append(f"{where}:{number}: warning: journal line {reason}; ignored")
            continue
        except ValueError as exc:  # a key twice, nested too deep
            content.warnings.append(f"{where}:{number}: warning: journal line not valid ({exc}); ignored")
            continue
        problem = _journal_problem(entry)
        if problem is None and not named_account and "account" not in entry:
            problem = "an entry before the journal's account line"
        if problem is None and "set" in entry:
            kind_name, key, object_id = entry["set"]
            holder = next((k for k, v in content.resources.get(kind_name, {}).items() if v == object_id and k != key),
                          None)
            if holder is not None:
                problem = f"{kind_name} {key!r} would take id {object_id}, which {holder!r} holds (an id names one key)"
        if problem is None and "del" in entry and entry["del"][1] in content.protected.get(entry["del"][0], set()):
            problem = f"{entry['del'][0]} {entry['del'][1]!r} is protected (protect: true): a journal never removes it"
        if problem:
            content.warnings.append(f"{where}:{number}: warning: {problem}; ignored")
            continue
        if "account" in entry:
            account = entry["account"]
            mine = (content.account or {}).get("company_id")
            if content.account and (account or {}).get("company_id") != mine:
                content.warnings.append(
                    f"{where}:{number}: warning: the journal belongs to company {(account or {}).get('company_id')}, "
                    f"not to the lock's company {mine}; it is not replayed (ids repeat across accounts)")
                return
            content.account = content.account or account
            named_account = True
        elif "set" in entry:
            kind_name, key, object_id = entry["set"]
            content.resources.setdefault(kind_name, {})[key] = object_id
        elif "del" in entry:
            kind_name, key = entry["del"]
            content.resources.get(kind_name, {}).pop(key, None)
            content.applied.get(kind_name, {}).pop(key, None)
        elif "applied" in entry:
            kind_name, key, fields = entry["applied"]
            content.applied.setdefault(kind_name, {})[key] = dict(fields)


def _journal_problem(entry: Any) -> str | None:
    """What is wrong with one journal entry, or None."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return "a journal entry is one of {account}, {set}, {del}, {applied}"
    (verb, value), = entry.items()
    if verb == "account":
        return None if _valid_account(value) else "the journal's account is not one"
    if verb == "set":
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], str)):
            return "a set entry is [kind, key, id]"
        if value[0] not in kinds.BY_NAME:
            return _kind_problem(value[0])
        if not valid_id(value[0], value[2]):
            return f"{_brief(value[2])} is not a {value[0]} id"
        return None
    if verb == "del":
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            return "a del entry is [kind, key]"
        return None if value[0] in kinds.BY_NAME else _kind_problem(value[0])
    if verb == "applied":
        ok = (isinstance(value, list) and len(value) == 3 and value[0] in kinds.BY_NAME and isinstance(value[1], str)
              and isinstance(value[2], dict) and all(isinstance(v, str) for v in value[2].values()))
        return None if ok else "an applied entry is [kind, key, {field: digest}]"
    return f"unknown journal entry {verb!r}"
