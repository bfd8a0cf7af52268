"""load_manifests: PATHs → Manifest plus every problem, sorted by position.

Steps, each reporting problems instead of raising: find the files; read each from the
YAML parser's events (yamlevents; the node walker of yamlio for anchors, aliases and merge
keys); walk kind sections and resource keys; validate each resource against its kind's
JSON Schema and translate every schema error into a one-line message at the offending
value; convert values into the model's shapes; then the semantic checks (checks.py). A
file that cannot be read at all turns off the reference checks, since the keys it would
have declared are unknown and every reference to them would be a false alarm.

jsonschema is imported only when a resource fails the compiled quick check (fastcheck):
valid manifests never pay for it.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from reconciler import filter_rules, kinds
from reconciler.fieldtypes import FieldType, ValueProblem
from reconciler.kinds import FieldSpec, KindSpec
from reconciler.manifest import checks, schema, yamlio
from reconciler.manifest.checks import suggest
from reconciler.manifest.files import collect_files
from reconciler.manifest.model import (
    FileRead,
    FileReads,
    Manifest,
    Move,
    Position,
    Problem,
    Removal,
    Resource,
)
from reconciler.manifest.yamlevents import EventDocument, Restart
from reconciler.manifest.yamlio import FileAbort, NodeDocument, PathKey, Values

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from reconciler.manifest.yamlevents import Item

_KEY_RE = re.compile(kinds.KEY_PATTERN)
_SECTIONS = ", ".join(k.section for k in kinds.KINDS)


def load_manifests(paths: Sequence[str | os.PathLike[str]],
                   overlay: str | os.PathLike[str] | None = None,
                   reads: FileReads | None = None) -> tuple[Manifest, list[Problem]]:
    """Read every manifest under PATHs; return the resources and all problems at once.

    `overlay` is an environment's directory of manifests (`--env NAME`), merged over the
    others by kind and key, field by field (reconciler/manifest/overlay.py); the checks that
    need a whole resource (parents, what a create needs) and the references run on the merged
    set. Never raises for a user's mistake. Resources are returned even when problems exist
    (fields with invalid values left out), so callers can still report on them, but only
    a problem-free result should ever be planned or applied.

    `reads`: each file's reading, kept by a caller that loads the same paths again in one run
    (pull, after it rewrote some files): a file whose bytes are those of its kept reading is taken
    from it, not parsed again, and this load's readings are kept in it for the next. The checks
    across files (references, moves) run on the whole set as always.
    """
    problems: list[Problem] = []
    files = collect_files(paths, problems)
    cache: dict[str, tuple[str, str]] = {}  # plain scalars already resolved, shared by the files
    hashes: dict[str, bytes] = {}
    reading = _Reading(cache, hashes, reads)
    found_all = not problems
    moves: list[Move] = []
    unreadable: set[tuple[str, str]] = set()
    resources, complete = _read_all(files, problems, reading, partial=False, moves=moves, unreadable=unreadable)
    complete = complete and found_all
    shown = [display for display, _ in files]
    if overlay is not None:
        from reconciler.manifest.overlay import merge

        overlay_problems: list[Problem] = []
        overlay_files = collect_files([overlay], overlay_problems, frozenset(), allow_empty=True)
        problems.extend(overlay_problems)
        layer, ok = _read_all(overlay_files, problems, reading, partial=True)
        complete = complete and ok and not overlay_problems
        resources, touched = merge(resources, layer)
        for res in touched:
            problems.extend(checks.resource_problems(kinds.kind(res.kind), res, _declared_keys(res)))
        shown += [display for display, _ in overlay_files]
    removals = [entry for entry in moves if isinstance(entry, Removal)]
    moves = [entry for entry in moves if isinstance(entry, Move)]
    manifest = Manifest(resources=resources, files=shown, moves=moves, removals=removals, hashes=hashes)
    problems.extend(checks.move_problems(manifest))
    problems.extend(checks.removal_problems(manifest))
    problems.extend(filter_rules.condition_problems(manifest))
    if complete:
        # a file YAML could not parse does not hide the other files' reference errors: the
        # keys its text seems to declare are not reported missing (they may well be there)
        problems.extend(checks.reference_problems(manifest, maybe_declared=unreadable))
    problems.sort(key=lambda p: (p.pos.file, p.pos.line, p.pos.col, p.message))
    return manifest, problems


@dataclass
class _Reading:
    """What one load shares across its files: plain scalars already resolved (`cache`), each file's
    sha256 (`hashes`, Manifest.hashes) and, when the caller keeps them, the files' readings (`reads`)."""

    cache: dict[str, tuple[str, str]]
    hashes: dict[str, bytes]
    reads: FileReads | None


def _read_all(files: list[tuple[str, str]], problems: list[Problem], reading: _Reading,
              *, partial: bool, moves: list[Move] | None = None,
              unreadable: set[tuple[str, str]] | None = None) -> tuple[list[Resource], bool]:
    """The resources of these files, each key once per kind (a second is a problem).

    `unreadable` receives the (kind, key) pairs that files YAML could not parse seem to declare.
    """
    resources: list[Resource] = []
    first: dict[tuple[str, str], Resource] = {}
    complete = True
    for display, real in files:
        file_problems: list[Problem] = []
        file_resources, ok = _read_or_reuse(display, real, file_problems, reading, partial=partial, moves=moves,
                                            unreadable=unreadable)
        problems.extend(file_problems)
        complete = complete and ok
        for res in file_resources:
            earlier = first.get((res.kind, res.key))
            if earlier is not None:
                problems.append(
                    Problem(
                        res.pos,
                        f"duplicate {res.kind} key '{res.key}': already declared at "
                        f"{earlier.pos.file}:{earlier.pos.line}:{earlier.pos.col}",
                    )
                )
                continue
            first[(res.kind, res.key)] = res
            resources.append(res)
    return resources, complete


def _declared_keys(res: Resource) -> dict[str, Any]:
    """What a merged resource declares, as the whole-resource checks read a resource's mapping."""
    data: dict[str, Any] = dict(res.fields)
    for name in kinds.META_FIELDS:
        if name in res.field_pos:
            data[name] = getattr(res, name)  # a Resource holds each meta key under its own name
    return data


def _read_or_reuse(display: str, real: str, problems: list[Problem], reading: _Reading, *, partial: bool,
                   moves: list[Move] | None, unreadable: set[tuple[str, str]] | None) -> tuple[list[Resource], bool]:
    """One file's resources and whether it could be read whole: parsed, or taken from its kept
    reading when its bytes are the same (their sha256), with the problems, moves and unreadable
    keys that reading found."""
    try:
        with open(real, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        problems.append(Problem(Position(display, 1, 1), f"cannot read the file: {exc.strerror or exc}"))
        return [], False
    digest = reading.hashes[real] = hashlib.sha256(data).digest()
    kept = reading.reads
    if kept is None:  # a plain load keeps nothing: the file goes straight into the caller's lists
        return _read_file(display, data, problems, reading.cache, partial=partial, moves=moves, unreadable=unreadable)
    found = kept.get((display, real, partial))
    if found is None or found.digest != digest:
        file_moves: list[Move] = []
        file_unreadable: set[tuple[str, str]] = set()
        first = len(problems)
        resources, ok = _read_file(display, data, problems, reading.cache, partial=partial, moves=file_moves,
                                   unreadable=file_unreadable if unreadable is not None else None)
        found = FileRead(digest, tuple(resources), ok, tuple(problems[first:]), tuple(file_moves),
                         frozenset(file_unreadable))
    else:
        problems.extend(found.problems)
    kept[(display, real, partial)] = found
    if moves is not None:
        moves.extend(found.moves)
    if unreadable is not None:
        unreadable.update(found.unreadable)
    return list(found.resources), found.complete


def _read_file(display: str, data: bytes, problems: list[Problem],
               cache: dict[str, tuple[str, str]] | None = None, *, partial: bool = False,
               moves: list[Move] | None = None,
               unreadable: set[tuple[str, str]] | None = None) -> tuple[list[Resource], bool]:
    """One file's resources from its bytes, and whether the whole file could be read."""
    doc: EventDocument | NodeDocument | None = None
    file_moves: list[Move] = []
    text = ""
    try:
        text = yamlio.decode(display, data)
        try:
            resources, ok, doc = _read_events(display, text, cache, partial=partial, moves=file_moves)
        except Restart:
            # anchors, aliases, merge keys, deep nesting or an early end: the node walker's answer
            doc = NodeDocument(display, text, aliases_possible=b"&" in data)
            file_moves.clear()
            resources, ok = _read_sections(doc, doc.root(), partial=partial, moves=file_moves)
    except FileAbort as abort:
        if doc is not None:
            problems.extend(doc.problems)
        problems.append(abort.problem)
        if unreadable is None or not text:
            return [], False
        unreadable.update(harvest_keys(text))
        return [], True  # the other files' references are still checked (see load_manifests)
    problems.extend(doc.problems)
    if moves is not None:
        moves.extend(file_moves)
    return resources, ok


_SECTION_LINE = re.compile(r"^([A-Za-z_]+)\s*:")
_KEY_LINE = re.compile(r"^( +)([a-z0-9][a-z0-9._-]{0,127})\s*:")


def harvest_keys(text: str) -> set[tuple[str, str]]:
    """The (kind, key) pairs a file YAML could not parse seems to declare, read line by line.

    Only so that its neighbours' references to them are not reported as missing: a key
    written at the first indentation under a kind section counts.
    """
    found: set[tuple[str, str]] = set()
    kind: str | None = None
    indent: int | None = None
    for line in text.splitlines():
        section = _SECTION_LINE.match(line)
        if section:
            spec = kinds.BY_SECTION.get(section.group(1))
            kind, indent = (spec.name if spec else None), None
            continue
        key = _KEY_LINE.match(line)
        if key and kind is not None:
            width = len(key.group(1))
            if indent is None:
                indent = width
            if width == indent:
                found.add((kind, key.group(2)))
    return found


def _read_events(display: str, text: str, cache: dict[str, tuple[str, str]] | None = None,
                 *, partial: bool = False, moves: list[Move] | None = None) -> tuple[list[Resource], bool, EventDocument]:
    """The fast path: sections and resources straight from the parser's events.

    A syntax error anywhere is the file's only problem, as when the whole file was composed
    before anything was walked; Restart asks for the node walker.
    """
    try:
        doc = EventDocument(display, text, yamlio.Loader, cache)
    except (yaml.YAMLError, RecursionError) as exc:
        raise FileAbort(yamlio.parse_problem(display, text, exc)) from None
    try:
        resources, ok = _read_sections(doc, doc.root(), partial=partial, moves=moves)
        doc.finish()
    except (yaml.YAMLError, RecursionError) as exc:
        raise FileAbort(yamlio.parse_problem(display, text, exc)) from None
    except FileAbort:
        raise Restart from None  # the walker words it, after composing the whole file
    finally:
        doc.close()
    return resources, ok, doc


def _error(doc: EventDocument | NodeDocument, pos: Position, message: str) -> None:
    doc.problems.append(Problem(pos, message))


def _read_sections(doc: EventDocument | NodeDocument, root: Item, *,
                   partial: bool = False, moves: list[Move] | None = None) -> tuple[list[Resource], bool]:
    """Each section's resources; `partial`: an overlay's, checked as whole resources once merged."""
    if not root.is_mapping:
        raise FileAbort(
            Problem(
                root.pos,
                f"the top level must be a mapping of kind sections ({_SECTIONS}), got {root.describe()}",
            )
        )
    resources: list[Resource] = []
    ok = True
    for section, key_pos, section_item in root.pairs():
        if section == MOVED:
            _read_moves(doc, section_item, moves if moves is not None else [])
            continue
        if section == REMOVED:  # collected with the moves: both are top-level lists about keys
            _read_removed(doc, section_item, moves if moves is not None else [])  # type: ignore[arg-type]
            continue
        kind = kinds.BY_SECTION.get(section)
        if kind is None:
            ok = False
            choices = [k.section for k in kinds.KINDS]
            if section in kinds.BY_NAME:
                hint = f"; did you mean '{kinds.BY_NAME[section].section}'?"
            else:
                hint = suggest(section, choices) or f" (sections: {_SECTIONS})"
            _error(doc, key_pos, f"unknown kind section '{section}'{hint}")
            continue
        if section_item.is_null:
            continue  # an empty section declares nothing
        if not section_item.is_mapping:
            ok = False
            _error(
                doc,
                section_item.pos,
                f"section '{section}' must be a mapping of keys to {kind.section}, got {section_item.describe()}",
            )
            continue
        for key, res_key_pos, res_item in section_item.pairs():
            if not _KEY_RE.match(key):
                _error(doc, res_key_pos, _bad_key_message(key))
                continue
            res = _read_resource(doc, kind, key, res_key_pos, res_item, partial=partial)
            if res is not None:
                resources.append(res)
    return resources, ok


MOVED = "moved"


def _read_moves(doc: EventDocument | NodeDocument, item: Item, moves: list[Move]) -> None:
    """`moved: [{from: KIND.KEY, to: KIND.KEY}, ...]`: keys renamed, identities carried over."""
    if item.is_null:
        return
    if isinstance(doc, EventDocument):
        raise Restart  # a list at the top: the node walker reads it (files with moves are few and small)
    values = item.read()
    data = values.data
    if not isinstance(data, list):
        _error(doc, item.pos, f"'moved' must be a list of {{from: KIND.KEY, to: KIND.KEY}}, got {item.describe()}")
        return
    for index, entry in enumerate(data):
        pos = values.positions.get((index,), item.pos)
        if not isinstance(entry, dict) or set(entry) != {"from", "to"}:
            _error(doc, pos, "each 'moved' entry is {from: KIND.KEY, to: KIND.KEY}")
            continue
        ends = []
        for end in ("from", "to"):
            text = entry[end]
            where = values.positions.get((index, end), pos)
            kind_name, _, key = str(text).partition(".") if isinstance(text, str) else ("", "", "")
            spec = kinds.BY_NAME.get(kind_name) or kinds.BY_SECTION.get(kind_name)
            if spec is None or not _KEY_RE.match(key):
                _error(doc, where, f"moved '{end}' must be KIND.KEY (e.g. organization.acme), got {text!r}")
                break
            ends.append((spec.name, key))
        else:
            (old_kind, old_key), (new_kind, new_key) = ends
            if old_kind != new_kind:
                _error(doc, pos, f"moved from {old_kind}.{old_key} to {new_kind}.{new_key}: a key moves within its kind")
                continue
            moves.append(Move(old_kind, old_key, new_key, pos))


REMOVED = "removed"


def _read_removed(doc: EventDocument | NodeDocument, item: Item, out: list[Removal]) -> None:
    """`removed: [{from: KIND.KEY, destroy: false}, ...]`: keys let go without (or with) deleting."""
    if item.is_null:
        return
    if isinstance(doc, EventDocument):
        raise Restart  # a list at the top: the node walker reads it, as for `moved`
    values = item.read()
    data = values.data
    shape = "{from: KIND.KEY, destroy: false|true}"
    if not isinstance(data, list):
        _error(doc, item.pos, f"'removed' must be a list of {shape}, got {item.describe()}")
        return
    for index, entry in enumerate(data):
        pos = values.positions.get((index,), item.pos)
        if not isinstance(entry, dict) or "from" not in entry or not set(entry) <= {"from", "destroy"}:
            _error(doc, pos, f"each 'removed' entry is {shape}")
            continue
        destroy = entry.get("destroy", False)
        if not isinstance(destroy, bool):
            _error(doc, values.positions.get((index, "destroy"), pos),
                   f"removed 'destroy' must be true or false, got {destroy!r}")
            continue
        text = entry["from"]
        kind_name, _, key = str(text).partition(".") if isinstance(text, str) else ("", "", "")
        spec = kinds.BY_NAME.get(kind_name) or kinds.BY_SECTION.get(kind_name)
        if spec is None or not _KEY_RE.match(key):
            _error(doc, values.positions.get((index, "from"), pos),
                   f"removed 'from' must be KIND.KEY (e.g. deal.acme-old), got {text!r}")
            continue
        out.append(Removal(spec.name, key, destroy, pos))


def _bad_key_message(key: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", key.lower()).strip("-._")[:128]
    hint = f" (try '{slug}')" if slug and _KEY_RE.match(slug) else ""
    return (
        f"invalid key '{key}': a key is 1 to 128 lowercase letters, digits, '.', '_' or '-', "
        f"starting with a letter or digit{hint}"
    )


def _read_resource(doc: EventDocument | NodeDocument, kind: KindSpec, key: str, key_pos: Position,
                   item: Item, *, partial: bool = False) -> Resource | None:
    if not item.is_mapping:
        got = "nothing" if item.is_null else item.describe()
        _error(doc, item.pos if got != "nothing" else key_pos, f"{kind.name} '{key}' must be a mapping of fields, got {got}")
        return None
    seen_before = len(doc.problems)
    values = item.read()
    data = values.data
    positions = values.positions
    bad: set[str] = set()
    quick = schema.quick_check(kind.name)
    if quick is None or not quick(data):  # valid: jsonschema is only asked to explain what is not
        # A value already reported while reading (an unsupported tag) is not reported twice.
        reported = {p.pos for p in doc.problems[seen_before:]}
        bad = _schema_problems(doc, kind, values, reported)
    res = Resource(
        kind=kind.name,
        key=key,
        fields={},
        id=None,
        absent=False,
        protect=False,
        pos=key_pos,
        field_pos={},
    )
    meta = kinds.META_FIELDS
    readers = _field_readers(kind)
    fields, field_pos = res.fields, res.field_pos
    for name, value in data.items():
        pos = positions[(name,)]
        if name in bad:
            continue
        reader = readers.get(name)
        if reader is None:
            if name in meta:
                field_pos[name] = pos
                if name == "id":
                    res.id = int(value)
                elif name == "absent":
                    res.absent = bool(value)
                elif name == "ignore_changes":
                    res.ignore_changes = _ignore_changes(doc, kind, value, pos, positions)
                else:
                    res.protect = bool(value)
            continue
        spec, convert, holds_custom = reader
        if value is not None and convert is not None:
            try:  # each field type converts its own values (reconciler/fieldtypes/)
                value = convert(spec.type, spec, value, pos)
            except ValueProblem as problem:
                doc.problems.append(Problem(pos, str(problem)))
                continue
        fields[name] = value
        field_pos[name] = pos
        if holds_custom and isinstance(value, dict):
            for custom in value:
                field_pos[sys.intern(f"fields.{custom}")] = positions[(name, custom)]
    if not partial:
        doc.problems.extend(checks.resource_problems(kind, res, data))
    return res


def _ignore_changes(doc: EventDocument | NodeDocument, kind: KindSpec, value: Any, pos: Position,
                    positions: dict[PathKey, Position]) -> tuple[str, ...] | str:
    """`ignore_changes: all` or a list of this kind's field labels; a wrong name is reported
    where it is written (custom field names are checked by plan, which knows the account)."""
    if value == "all":
        return "all"
    names = [f for f in kind.field_names]
    good: list[str] = []
    for index, label in enumerate(value):
        where = positions.get(("ignore_changes", index), pos)
        base = label.split(".", 1)[0] if label.startswith("fields.") else label
        if base not in names or (base == "fields" and label != "fields" and not label[len("fields."):].strip()):
            choices = [n for n in names if n != "fields"] + (["fields.NAME"] if "fields" in names else [])
            hint = suggest(label, choices) or f" (fields: {', '.join(choices)}, or all)"
            doc.problems.append(Problem(where, f"ignore_changes: unknown {kind.name} field '{label}'{hint}"))
        elif label in good:
            doc.problems.append(Problem(where, f"ignore_changes: '{label}' is listed twice"))
        else:
            good.append(label)
    return tuple(good)


_AS_IS = FieldType.convert  # a type that keeps the YAML value as it is: nothing to call
_READERS: dict[str, tuple[KindSpec, dict[str, tuple[FieldSpec, Any, bool]]]] = {}


def _field_readers(kind: KindSpec) -> dict[str, tuple[FieldSpec, Any, bool]]:
    """A kind's fields by name (the first of a name, as KindSpec.field) as _read_resource takes
    them: (spec, its type's convert or None when the type keeps the YAML value, whether it holds
    custom fields). One look-up per declared field instead of four attribute chains: a plan
    of 55,000 resources reads 370,000 fields.

    Kept per kind object, so that a kinds table changed at run time is seen.
    """
    found = _READERS.get(kind.name)
    if found is None or found[0] is not kind:
        table: dict[str, tuple[FieldSpec, Any, bool]] = {}
        for name, spec in kind.fields_by_name.items():
            if name in kinds.META_FIELDS:
                continue  # read as the meta key it is, as before
            convert = type(spec.type).convert
            table[name] = (spec, None if convert is _AS_IS else convert, spec.type is kinds.CUSTOM)
        found = _READERS[kind.name] = (kind, table)
    return found[1]


def _at(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part]
    return data


def _schema_problems(doc: EventDocument | NodeDocument, kind: KindSpec, values: Values,
                     already: set[Position]) -> set[str]:
    """Report every schema error of one resource (which failed the quick check); return the top-level keys found bad."""
    data = values.data
    positions = values.positions
    bad: set[str] = set()
    reported: set[PathKey] = set()
    known = (*kinds.META_FIELDS, *kind.field_names)
    for error in schema.validator(kind.name).iter_errors(data):
        path: PathKey = tuple(error.absolute_path)
        if not path:
            if error.validator == "additionalProperties":
                for name in data:
                    if name not in known and (name,) not in reported:
                        reported.add((name,))
                        bad.add(name)
                        doc.problems.append(Problem(values.key_pos((name,)), _unknown_field(kind, name, known)))
            continue
        bad.add(path[0])
        if path in reported:
            continue
        reported.add(path)
        pos = positions.get(path) or positions[path[:1]]
        if pos in already:
            continue
        doc.problems.append(Problem(pos, _field_message(kind, path, _at(data, path), values.plain.get(path), error)))
    return bad


def _unknown_field(kind: KindSpec, name: str, known: tuple[str, ...]) -> str:
    hint = suggest(name, known)
    if not hint and kind.field("fields") is not None and (name != name.lower() or " " in name):
        hint = "; custom fields go under 'fields:'"
    return f"unknown {kind.name} field '{name}'{hint or ' (fields: ' + ', '.join(known) + ')'}"


def _describe(value: Any, raw: str | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = f"boolean {str(value).lower()}"
        return text if raw is None or raw == str(value).lower() else f"{text} (YAML reads {raw} as {str(value).lower()})"
    if isinstance(value, int | float):
        return f"number {raw if raw is not None else value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict) and value and len(value) <= 3 and all(
        v is None or isinstance(v, str | int | float) for v in value.values()
    ):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    return "a mapping"


def _flow(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _custom_detail(value: Any) -> str | None:
    """What exactly is wrong inside a custom field's list or {value, currency} mapping."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, str):
                return f"a list of option labels, but item {index + 1} is {_describe(item, None)}"
    if isinstance(value, dict):
        extra = sorted(set(value) - {"value", "currency"})
        if extra:
            return f"{{value: N, currency: CODE}}, but it has '{extra[0]}'"
        missing = [k for k in ("value", "currency") if k not in value]
        if missing:
            return f"{{value: N, currency: CODE}}, but '{missing[0]}' is missing"
        if isinstance(value["value"], bool) or not isinstance(value["value"], int | float):
            return f"{{value: N, currency: CODE}}, but value is {_describe(value['value'], None)}"
        return f"{{value: N, currency: CODE}}, but currency is {_describe(value['currency'], None)}"
    return None


def _field_message(kind: KindSpec, path: PathKey, value: Any, raw: str | None, error: ValidationError) -> str:
    name = path[0]
    got = _describe(value, raw)
    quote = f"; quote it (\"{raw}\") if you mean the text" if raw is not None else ""
    if name == "id":
        return f"'id' must be a positive integer (a Pipedrive id), got {got}"
    if name == "ignore_changes":
        return f"'ignore_changes' must be all or a list of field names (custom fields as fields.NAME), got {got}"
    if name in kinds.META_FIELDS:
        return f"'{name}' must be true or false, got {got}"
    spec = kind.field(name)
    if spec is None:  # cannot happen: unknown fields fail at the top level
        return f"invalid value for '{name}': {error.message}"
    if spec.type == kinds.CUSTOM and len(path) >= 2:
        detail = _custom_detail(value)
        if detail is not None:
            return f"custom field '{path[1]}' must be {detail}"
        return (
            f"custom field '{path[1]}' must be text, a number, true/false, null, a list of option labels "
            f"or {{value: N, currency: CODE}}, got {got}"
        )
    item = getattr(spec.type, "item_expectation", None)
    if item is not None and len(path) >= 2:
        return f"field '{name}' item {int(path[1]) + 1} must be {item}, got {got}{quote}"
    expect = spec.type.expectation(spec)  # each field type says what it takes (reconciler/fieldtypes/)
    if value is None:
        reason = kinds.CANNOT_CLEAR.get(f"{kind.name}.{name}")
        return f"field '{name}' cannot be null: " + (f"{reason}; " if reason else "") + f"it must be {expect}"
    message = f"field '{name}' must be {expect}, got {got}"
    if spec.type.quote_hint and raw is not None:
        message += quote
    else:
        message += spec.type.hint(spec, value)
    return message
