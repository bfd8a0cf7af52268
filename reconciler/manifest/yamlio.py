"""YAML files → plain Python values with positions: the rules, and the node walker.

Why not `yaml.safe_load`: it forgets where values came from, silently keeps the last of
two duplicate keys, expands aliases without limit ("billion laughs"), and reads `14:00` as
the sexagesimal integer 840. Here scalars become values by rules fit for manifests (dates
and times stay the text the user wrote), duplicates are reported with the first line, and
alias expansion is capped. No constructor ever runs on a tag, so no YAML tag can execute
anything; an unknown tag is an error.

Two readers apply these rules. Most files are read from the parser's events by
`yamlevents` (fast: no node tree, positions only where kept). A file with anchors,
aliases or merge keys, or one that ends early, is *composed* (the C composer when libyaml
is present) and walked here by `Walker`, which gives every node a position and counts
alias expansions. Both hand the loader the same `Item`s and `Values`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifest.model import Position, Problem


def default_loader() -> type:
    """libyaml's loader when pyyaml was built with it, else the pure-Python one (same answers, slower)."""
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


Loader: type = default_loader()

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
TIMESTAMP, MAP, SEQ, MERGE = _T + "timestamp", _T + "map", _T + "seq", _T + "merge"

# Nodes a file may expand beyond its own size by repeating aliases. Generous for real use
# (`<<: *defaults` on thousands of resources), tiny next to a billion laughs (10^9).
ALIAS_EXPANSION_LIMIT = 100_000
MAX_DEPTH = 64  # manifests are about 5 levels deep; this bounds recursion, not users

_constructor = SafeConstructor()
# A key is read as the text written (`2027:` is the key "2027"), whatever type YAML gives it.
_KEY_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL, TIMESTAMP))

PathKey = tuple[Any, ...]


class FileAbort(Exception):
    """The rest of a file cannot be read sensibly; carries the one problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def short_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` → `!!python/object`, as the user wrote it."""
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _decode(display: str, data: bytes) -> str:
    """UTF-8 text (a leading BOM dropped); invalid bytes are reported where they are."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        col = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        bad = data[start : start + 1].hex()
        raise FileAbort(
            Problem(
                Position(display, line, col),
                f"invalid UTF-8: byte 0x{bad} cannot be decoded; save the file as UTF-8",
            )
        ) from None


def _tab_position(text: str, line_index: int) -> int | None:
    """The 1-based column of a tab in the indentation of a line, if there is one."""
    lines = text.split("\n")
    if not 0 <= line_index < len(lines):
        return None
    line = lines[line_index]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    where = indent.find("\t")
    return where + 1 if where >= 0 else None


def _syntax_problem(display: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Reword pyyaml's error: keep its mark and problem, explain the common causes."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    for candidate in (line, line - 1):
        tab = _tab_position(text, candidate)
        if tab is not None:
            return Problem(
                Position(display, candidate + 1, tab),
                "tab character in indentation: YAML indents with spaces only",
            )
    problem = exc.problem or exc.context or "invalid YAML"
    if problem == "but found another document":
        message = "a manifest file holds one YAML document, but a second one starts here ('---')"
    elif problem.startswith("found undefined alias"):  # the pure-Python parser adds the name
        name = problem[len("found undefined alias") :].strip().strip("'")
        alias = f" '*{name}'" if name else ""
        message = f"undefined alias{alias}: no anchor (&name) of that name appears before it"
    else:
        message = f"invalid YAML: {problem}"
        if exc.context and exc.context_mark is not None and exc.problem:
            message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return Problem(Position(display, line + 1, col + 1), message)


def parse_problem(display: str, text: str, exc: BaseException) -> Problem:
    """The one positioned problem for a file the parser (or composer) refused."""
    if isinstance(exc, yaml.MarkedYAMLError):
        return _syntax_problem(display, text, exc)
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow: point at it
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        return Problem(Position(display, line, col), f"invalid YAML: unacceptable character {what}: {exc.reason}")
    if isinstance(exc, RecursionError):
        return Problem(Position(display, 1, 1), "invalid YAML: nesting too deep")
    # unmarked: still one clear line (pyyaml's text spans several)
    return Problem(Position(display, 1, 1), "invalid YAML: " + " ".join(str(exc).split()))


def decode(display: str, data: bytes) -> str:
    """A file's text; FileAbort for bytes that are not UTF-8."""
    return _decode(display, data)


def compose(display: str, data: bytes | str) -> Node:
    """Decode and compose one manifest file; raise FileAbort with a positioned problem."""
    text = data if isinstance(data, str) else _decode(display, data)
    try:
        root = yaml.compose(text, Loader=Loader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise FileAbort(parse_problem(display, text, exc)) from None
    if root is None:
        raise FileAbort(
            Problem(
                Position(display, 1, 1),
                f"empty manifest: expected a mapping of kind sections ({sections()})",
            )
        )
    return root


def sections() -> str:
    """The kind sections a manifest may hold, from the kinds table: for messages."""
    from reconciler import kinds  # the kinds table imports the model this module shares

    return ", ".join(spec.section for spec in kinds.KINDS)


def describe_node(node: Node) -> str:
    """A node's shape in words, for "must be X, got Y" messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "null" if node.tag == NULL else f"'{node.value}'"


@dataclass
class Walker:
    """Walks one file's node graph; collects problems; caps alias expansion.

    A node reached a second time was reached through an alias (or a merge key): each such
    visit counts, and past ALIAS_EXPANSION_LIMIT the file is abandoned, so a billion-laughs
    file costs a fraction of a second and bounded memory.
    """

    file: str
    problems: list[Problem] = field(default_factory=list)
    # False when the file has no '&' at all: with no anchor there can be no alias, and the
    # per-node bookkeeping (a tenth of a second per 10,000 resources) can be skipped.
    aliases_possible: bool = True
    _seen: set[int] = field(default_factory=set)
    _expanded: int = 0
    _active: set[int] = field(default_factory=set)

    def pos(self, node: Node) -> Position:
        """The 1-based position of a node's first character."""
        mark = node.start_mark
        return Position(self.file, mark.line + 1, mark.column + 1)

    def error(self, node: Node, message: str) -> None:
        """Record a problem at a node."""
        self.problems.append(Problem(self.pos(node), message))

    def _visit(self, node: Node) -> None:
        if not self.aliases_possible:
            return
        ident = id(node)
        if ident in self._seen:
            self._expanded += 1
            if self._expanded > ALIAS_EXPANSION_LIMIT:
                raise FileAbort(
                    Problem(
                        self.pos(node),
                        f"aliases expand to more than {ALIAS_EXPANSION_LIMIT} nodes: refusing to read "
                        "further (an alias bomb, or anchors reused far too often)",
                    )
                )
        else:
            self._seen.add(ident)

    def pairs(self, node: MappingNode, depth: int = 0) -> list[tuple[str, Node, Node]]:
        """A mapping's (key, key node, value node) triples, merge keys (`<<`) resolved.

        Explicit keys win over merged ones, as YAML specifies; two explicit keys with the
        same text are an error naming the first line (pyyaml would silently keep the last).
        """
        explicit: dict[str, tuple[str, Node, Node]] = {}
        merged: dict[str, tuple[str, Node, Node]] = {}
        for key_node, value_node in node.value:
            self._visit(key_node)
            if isinstance(key_node, ScalarNode) and key_node.tag == MERGE:
                self._merge(value_node, merged, depth)
                continue
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"a mapping key must be a plain name, got {describe_node(key_node)}")
                continue
            if key_node.tag not in _KEY_TAGS:
                self.error(key_node, f"unsupported YAML tag '{short_tag(key_node.tag)}': manifests hold plain values only")
                continue
            key = key_node.value
            first = explicit.get(key)
            if first is not None:
                self.error(key_node, f"duplicate key '{key}' (first defined at line {first[1].start_mark.line + 1})")
                continue
            explicit[key] = (key, key_node, value_node)
        if not merged:
            return list(explicit.values())
        return [*(v for k, v in merged.items() if k not in explicit), *explicit.values()]

    def _merge(self, value_node: Node, into: dict[str, tuple[str, Node, Node]], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FileAbort(Problem(self.pos(value_node), f"nesting deeper than {MAX_DEPTH} levels"))
        self._visit(value_node)
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.error(source, f"a merge key ('<<') takes a mapping or a list of mappings, got {describe_node(source)}")
                continue
            if id(source) in self._active:
                raise FileAbort(Problem(self.pos(source), "recursive alias: a mapping merges itself"))
            self._active.add(id(source))
            try:
                for triple in self.pairs(source, depth + 1):
                    into.setdefault(triple[0], triple)  # earlier sources win, as YAML specifies
            finally:
                self._active.discard(id(source))

    def scalar(self, node: ScalarNode) -> Any:
        """A scalar's value. Dates, times and sexagesimal numbers stay the text written."""
        tag = node.tag
        if tag == STR:
            return node.value
        if tag == NULL:
            return None
        if tag == BOOL:
            return _constructor.construct_yaml_bool(node)
        if tag in (INT, FLOAT):
            if ":" in node.value:  # YAML 1.1 base 60: `14:00` is 840; the user meant the text
                return node.value
            if tag == INT:
                return _constructor.construct_yaml_int(node)
            return _constructor.construct_yaml_float(node)
        if tag == TIMESTAMP:  # `2027-01-31`: keep "2027-01-31", which is what DATE wants
            return node.value
        self.error(node, f"unsupported YAML tag '{short_tag(tag)}': manifests hold plain values only")
        return node.value

    def value(
        self,
        node: Node,
        path: PathKey,
        positions: dict[PathKey, Position],
        key_positions: dict[PathKey, Position],
        plain: dict[PathKey, str],
        depth: int = 0,
    ) -> Any:
        """A node as plain Python (dict, list, scalars); records each path's position.

        `plain` receives the text of every unquoted scalar that did not become a string, so
        type errors can suggest quoting (`currency: NO` is false in YAML 1.1).
        """
        if depth > MAX_DEPTH:
            raise FileAbort(Problem(self.pos(node), f"nesting deeper than {MAX_DEPTH} levels"))
        self._visit(node)
        positions[path] = self.pos(node)
        if isinstance(node, ScalarNode):
            result = self.scalar(node)
            if not isinstance(result, str) and result is not None and not node.style:
                plain[path] = node.value
            return result
        ident = id(node)
        if ident in self._active:
            raise FileAbort(Problem(self.pos(node), "recursive alias: a node contains itself"))
        self._active.add(ident)
        try:
            if isinstance(node, SequenceNode):
                if node.tag != SEQ:
                    self.error(node, f"unsupported YAML tag '{short_tag(node.tag)}': manifests hold plain values only")
                return [
                    self.value(item, (*path, i), positions, key_positions, plain, depth + 1)
                    for i, item in enumerate(node.value)
                ]
            if node.tag != MAP:
                self.error(node, f"unsupported YAML tag '{short_tag(node.tag)}': manifests hold plain values only")
            result_map: dict[str, Any] = {}
            for key, key_node, value_node in self.pairs(node, depth):
                key_positions[(*path, key)] = self.pos(key_node)
                result_map[key] = self.value(value_node, (*path, key), positions, key_positions, plain, depth + 1)
            return result_map
        finally:
            self._active.discard(ident)


class Values:
    """A resource's fields as plain values, and where they were written.

    `positions` maps a path below the resource (`("emails", 1)`) to the value's position;
    the event reader fills it for the first two levels only (fields, then list items and
    custom fields), the walker for every level. `plain` holds the text of unquoted scalars
    that did not become strings (`currency: NO` is false in YAML 1.1), for messages that
    suggest quoting. A key's position is made only when asked (for unknown fields).
    """

    __slots__ = ("data", "positions", "keys", "plain", "file")

    def __init__(self, data: dict[str, Any], positions: dict[PathKey, Position], keys: dict[str, Any],
                 plain: dict[PathKey, str], file: str) -> None:
        self.data = data
        self.positions = positions
        self.keys = keys  # field name -> its key's Position, or the parser's mark of it
        self.plain = plain
        self.file = file

    def key_pos(self, path: PathKey) -> Position:
        """The position of the key that names a field (`path` is `(name,)`)."""
        found = self.keys[path[0]]
        if isinstance(found, Position):
            return found
        return Position(self.file, found.line + 1, found.column + 1)


class NodeItem:
    """A composed node seen as the loader's `Item` (what `yamlevents.Item` is for events)."""

    __slots__ = ("walker", "node")

    def __init__(self, walker: Walker, node: Node) -> None:
        self.walker = walker
        self.node = node

    @property
    def pos(self) -> Position:
        return self.walker.pos(self.node)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, MappingNode)

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, ScalarNode) and self.node.tag == NULL

    def describe(self) -> str:
        return describe_node(self.node)

    def pairs(self) -> Iterator[tuple[str, Position, NodeItem]]:
        walker = self.walker
        for key, key_node, value_node in walker.pairs(self.node):
            yield key, walker.pos(key_node), NodeItem(walker, value_node)

    def read(self) -> Values:
        positions: dict[PathKey, Position] = {}
        keys: dict[PathKey, Position] = {}
        plain: dict[PathKey, str] = {}
        data = self.walker.value(self.node, (), positions, keys, plain)
        fields = {path[0]: pos for path, pos in keys.items() if len(path) == 1}
        return Values(data, positions, fields, plain, self.walker.file)


class NodeDocument:
    """A whole file composed into nodes and walked (anchors, aliases, merge keys)."""

    def __init__(self, file: str, text: str, aliases_possible: bool = True) -> None:
        self.walker = Walker(file, aliases_possible=aliases_possible)
        self.problems = self.walker.problems
        self.text = text

    def root(self) -> NodeItem:
        return NodeItem(self.walker, compose(self.walker.file, self.text))

    def error(self, item: NodeItem, message: str) -> None:
        self.walker.error(item.node, message)

    def finish(self) -> None:
        """Nothing to check: composing already insisted on a single document."""

    def close(self) -> None:
        """Nothing to release."""
