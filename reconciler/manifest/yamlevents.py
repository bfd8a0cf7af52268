"""Manifest values straight from the YAML parser's events: no node tree, few positions.

Why: composing a node for every scalar and then walking the tree to give every value a
`Position` cost most of a plan's time on big manifests, although a plan keeps only a few
positions per resource. Here the parser's events (libyaml's when present) become values
directly, and a position is made only for what later stages keep or errors can point at:
section and resource keys, every field's value (depth 1 below a resource), and one level
below it (custom field names, list items). Schema errors never point deeper (a custom
field's value or an email address is the deepest thing our schemas check).

The rules are those of `yamlio.Walker` (which reads a composed node tree): the same
scalar rules (`14:00` and dates stay text, unknown tags are errors), the same duplicate-key
and complex-key messages, the same positions. What this reader does not do itself, it
hands back by raising `Restart`, and the caller reads the file again with the node walker:
anchors and aliases (the expansion cap needs the node graph), merge keys (`<<`), nesting
deeper than `MAX_DEPTH`, and anything that ends the file early (a top level that is not a
mapping, an empty file). Those are rare in manifests, and the walker's answer is then the
answer of today, exactly. A YAML syntax error propagates as the parser raised it.

The reader is pulled, not pushed: `root().pairs()` yields a mapping's entries one by one,
and an entry's value that the caller does not read is skipped, so that the loader decides
what to descend into (an unknown section's contents are never looked at, as before).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from reconciler.manifest.model import Position, Problem
from reconciler.manifest.yamlio import (
    _KEY_TAGS,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MAX_DEPTH,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    PathKey,
    Values,
    _constructor,
    short_tag,
)

_new = tuple.__new__  # Position(...) without the Python-level __new__ of a named tuple
_STARTS = (MappingStartEvent, SequenceStartEvent)
_ENDS = (MappingEndEvent, SequenceEndEvent)
_BOOLS = _constructor.bool_values


class Restart(Exception):
    """This file needs the node walker (anchors, aliases, merge keys, deep nesting, an early end)."""


def _unsupported(tag: str) -> str:
    return f"unsupported YAML tag '{short_tag(tag)}': manifests hold plain values only"


class EventDocument:
    """One file read from parser events; the loader pulls sections, resources and values from it."""

    __slots__ = ("file", "problems", "_loader", "_get", "_table", "_wild", "_tags", "_root_mark")

    def __init__(self, file: str, text: str, loader_class: type, cache: dict[str, tuple[str, str]] | None = None) -> None:
        """`cache` may be shared by the files of one load: plain scalar text -> (that text, its tag).

        It saves resolving the same text twice, and makes equal texts one string object
        (a plan of 55,000 resources holds "USD", "open" or a stage name thousands of times).
        """
        if getattr(loader_class, "yaml_path_resolvers", None):
            raise Restart  # tags that depend on the path: only the composer knows them
        self.file = file
        self.problems: list[Problem] = []
        self._loader = loader_class(text)
        self._get = self._loader.get_event
        resolvers = loader_class.yaml_implicit_resolvers
        self._table: dict[str | None, list] = resolvers
        self._wild: list = list(resolvers.get(None, []))
        self._tags: dict[str, tuple[str, str]] = {} if cache is None else cache
        self._root_mark = None

    def close(self) -> None:
        self._loader.dispose()

    # -- positions -------------------------------------------------------------------

    def position(self, event: Any) -> Position:
        mark = event.start_mark
        return Position(self.file, mark.line + 1, mark.column + 1)

    def error(self, event: Any, message: str) -> None:
        self.problems.append(Problem(self.position(event), message))

    # -- the document --------------------------------------------------------------

    def root(self) -> Item:
        """The top-level value; an empty stream or a non-mapping top is left to the walker."""
        self._get()  # stream start
        event = self._get()
        if not isinstance(event, DocumentStartEvent):
            raise Restart  # no document: "empty manifest", as the walker says it
        event = self._get()
        self._check(event)
        if event.__class__ is not MappingStartEvent:
            raise Restart  # the top level must be a mapping: the walker words it
        self._root_mark = event.start_mark
        return Item(self, event)

    def finish(self) -> None:
        """After the root was read: exactly one document, as the composer insists."""
        event = self._get()
        if not isinstance(event, DocumentEndEvent):  # pragma: no cover - the root was consumed
            raise Restart
        event = self._get()
        if not isinstance(event, StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", self._root_mark,
                                              "but found another document", event.start_mark)

    # -- events --------------------------------------------------------------------

    def _check(self, event: Any) -> None:
        """Anchors and aliases are the walker's (it caps their expansion)."""
        if event.__class__ is AliasEvent or getattr(event, "anchor", None) is not None:
            raise Restart

    def skip(self, event: Any) -> None:
        """Consume the rest of a value whose first event is `event`, unread."""
        self._check(event)
        if not isinstance(event, _STARTS):
            return
        depth = 1
        get = self._get
        while depth:
            event = get()
            if isinstance(event, _STARTS):
                self._check(event)
                depth += 1
                if depth > MAX_DEPTH:
                    raise Restart  # the composer's own limits decide, as before
            elif isinstance(event, _ENDS):
                depth -= 1
            else:
                self._check(event)

    def tag(self, event: ScalarEvent) -> str:
        """The resolved tag of a scalar, exactly as the composer resolves it."""
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        if not event.implicit[0]:
            return STR
        return (self._tags.get(event.value) or self.resolve(event.value))[1]

    def resolve(self, value: str) -> tuple[str, str]:
        """(value, tag) of a plain scalar by the loader's implicit resolvers; remembered."""
        found = STR
        for candidate, regexp in self._table.get(value[:1] if value else "", []) + self._wild:
            if regexp.match(value):
                found = candidate
                break
        hit = self._tags[value] = (value, found)
        return hit

    def scalar(self, event: ScalarEvent, tag: str) -> Any:
        """A scalar's value, by the walker's rules (dates, times and base 60 stay text)."""
        if tag == STR:
            return event.value
        if tag == NULL:
            return None
        value = event.value
        if tag == BOOL:
            return _BOOLS[value.lower()]
        if tag == INT or tag == FLOAT:
            if ":" in value:
                return value
            if tag == INT and value.isdigit() and (value[0] != "0" or len(value) == 1):
                return int(value)
            node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            if tag == INT:
                return _constructor.construct_yaml_int(node)
            return _constructor.construct_yaml_float(node)
        if tag == TIMESTAMP:
            return value
        self.error(event, _unsupported(tag))
        return value

    def key(self, event: Any, seen: dict[str, Any]) -> str | None:
        """A mapping key's text, or None (after reporting) when the entry is to be skipped."""
        if event.__class__ is ScalarEvent and event.tag is None and event.anchor is None and event.implicit[0]:
            key, tag = self._tags.get(event.value) or self.resolve(event.value)
            if tag == STR and key not in seen:  # a plain name seen once, as nearly every key: done
                seen[key] = event.start_mark
                return key
        if event.__class__ is not ScalarEvent:
            self._check(event)
            self.error(event, "a mapping key must be a plain name, got "
                       + ("a mapping" if event.__class__ is MappingStartEvent else "a list"))
            self.skip(event)
            return None
        if event.anchor is not None:
            raise Restart
        tag = self.tag(event)
        if tag == MERGE:
            raise Restart
        if tag not in _KEY_TAGS:
            self.error(event, _unsupported(tag))
            return None
        hit = self._tags.get(event.value) if event.implicit[0] else None
        # field names repeat in every resource: one string object each (the shared cache's, or interned)
        key = hit[0] if hit is not None else sys.intern(event.value)
        first = seen.get(key)
        if first is not None:
            self.error(event, f"duplicate key '{key}' (first defined at line {first.line + 1})")
            return None
        seen[key] = event.start_mark
        return key

    def value(self, event: Any, depth: int) -> Any:
        """A value below depth 2 of a resource: no positions, the walker's checks."""
        if depth > MAX_DEPTH:
            raise Restart
        cls = event.__class__
        if cls is ScalarEvent:
            if event.anchor is not None:
                raise Restart
            return self.scalar(event, self.tag(event))
        self._check(event)
        get = self._get
        if cls is SequenceStartEvent:
            if event.tag not in (None, "!", SEQ):
                self.error(event, _unsupported(event.tag))
            items = []
            while True:
                item = get()
                if item.__class__ is SequenceEndEvent:
                    return items
                items.append(self.value(item, depth + 1))
        if event.tag not in (None, "!", MAP):
            self.error(event, _unsupported(event.tag))
        result: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        while True:
            key_event = get()
            if key_event.__class__ is MappingEndEvent:
                return result
            key = self.key(key_event, seen)
            value_event = get()
            if key is None:
                self.skip(value_event)
                continue
            result[key] = self.value(value_event, depth + 1)


class Item:
    """A value of the document the loader may read: the top, a section, a resource."""

    __slots__ = ("doc", "event", "used")

    def __init__(self, doc: EventDocument, event: Any) -> None:
        self.doc = doc
        self.event = event
        self.used = False

    @property
    def pos(self) -> Position:
        return self.doc.position(self.event)

    @property
    def is_mapping(self) -> bool:
        return self.event.__class__ is MappingStartEvent

    @property
    def is_null(self) -> bool:
        return self.event.__class__ is ScalarEvent and self.doc.tag(self.event) == NULL

    def describe(self) -> str:
        """The value's shape in words, as `yamlio.describe_node` says it."""
        cls = self.event.__class__
        if cls is MappingStartEvent:
            return "a mapping"
        if cls is SequenceStartEvent:
            return "a list"
        return "null" if self.is_null else f"'{self.event.value}'"

    def pairs(self) -> Iterator[tuple[str, Position, Item]]:
        """A mapping's entries in order; each value not read by the caller is skipped.

        As in the walker, the tag of the top and of a section is not checked (only values are).
        """
        doc = self.doc
        self.used = True
        get = doc._get
        tags = doc._tags
        file = doc.file
        seen: dict[str, Any] = {}
        while True:
            key_event = get()
            cls = key_event.__class__
            if cls is MappingEndEvent:
                return
            key = None
            if cls is ScalarEvent and key_event.tag is None and key_event.anchor is None and key_event.implicit[0]:
                key, tag = tags.get(key_event.value) or doc.resolve(key_event.value)
                if tag == STR and key not in seen:  # a plain name seen once (a resource's key): done here
                    seen[key] = key_event.start_mark
                else:
                    key = doc.key(key_event, seen)
            else:
                key = doc.key(key_event, seen)
            value_event = get()
            if key is None:
                doc.skip(value_event)
                continue
            if value_event.__class__ is not ScalarEvent:
                if value_event.__class__ is AliasEvent or value_event.anchor is not None:
                    raise Restart  # as doc._check says
            elif value_event.anchor is not None:
                raise Restart
            item = Item(doc, value_event)
            mark = key_event.start_mark  # doc.position(key_event), without the call
            yield key, _new(Position, (file, mark.line + 1, mark.column + 1)), item
            if not item.used:
                doc.skip(value_event)

    def read(self) -> Values:
        """A resource's fields as plain values, with positions one and two levels down.

        The hot loop of a plan: the common cases (a plain key, an untagged scalar) are
        handled inline; everything else goes through the document's general methods.
        """
        doc = self.doc
        self.used = True
        event = self.event
        file = doc.file
        if event.tag not in (None, "!", MAP):
            doc.error(event, _unsupported(event.tag))
        get = doc._get
        tag_of = doc.tag
        tags = doc._tags
        scalar = doc.scalar
        data: dict[str, Any] = {}
        positions: dict[PathKey, Position] = {}
        keys: dict[str, Any] = {}  # field name -> its key's mark: also the duplicate check
        plain: dict[PathKey, str] = {}
        while True:
            key_event = get()
            cls = key_event.__class__
            if cls is MappingEndEvent:
                return Values(data, positions, keys, plain, file)
            if cls is ScalarEvent and key_event.tag is None and key_event.anchor is None and key_event.implicit[0]:
                name, tag = tags.get(key_event.value) or doc.resolve(key_event.value)
                if tag == STR and name not in keys:  # the cache's string: one object per name
                    keys[name] = key_event.start_mark
                else:
                    name = doc.key(key_event, keys)
            else:
                name = doc.key(key_event, keys)
            event = get()
            if name is None:
                doc.skip(event)
                continue
            path = (name,)
            mark = event.start_mark
            positions[path] = _new(Position, (file, mark.line + 1, mark.column + 1))
            cls = event.__class__
            if cls is ScalarEvent:
                if event.anchor is not None:
                    raise Restart
                if event.tag is None:
                    text = event.value
                    if not event.implicit[0]:
                        data[name] = text  # quoted: a string whatever it looks like
                        continue
                    text, tag = tags.get(text) or doc.resolve(text)
                    if tag == STR:
                        data[name] = text
                        continue
                else:
                    tag = tag_of(event)
                result = scalar(event, tag)
                if result is not None and not event.style and not isinstance(result, str):
                    plain[path] = event.value
                data[name] = result
                continue
            doc._check(event)
            if cls is SequenceStartEvent:
                if event.tag not in (None, "!", SEQ):
                    doc.error(event, _unsupported(event.tag))
                items: list[Any] = []
                index = 0
                while True:
                    item = get()
                    if item.__class__ is SequenceEndEvent:
                        break
                    items.append(self._below(item, (name, index), positions, plain))
                    index += 1
                data[name] = items
                continue
            if event.tag not in (None, "!", MAP):
                doc.error(event, _unsupported(event.tag))
            mapping: dict[str, Any] = {}
            inner_seen: dict[str, Any] = {}
            while True:
                inner_key = get()
                if inner_key.__class__ is MappingEndEvent:
                    break
                sub = doc.key(inner_key, inner_seen)
                inner = get()
                if sub is None:
                    doc.skip(inner)
                    continue
                mapping[sub] = self._below(inner, (name, sub), positions, plain)
            data[name] = mapping

    def _below(self, event: Any, path: PathKey, positions: dict[PathKey, Position], plain: dict[PathKey, str]) -> Any:
        """A value two levels below a resource (a list item, a custom field): positioned."""
        doc = self.doc
        mark = event.start_mark
        positions[path] = Position(doc.file, mark.line + 1, mark.column + 1)
        if event.__class__ is ScalarEvent:
            if event.anchor is not None:
                raise Restart
            result = doc.scalar(event, doc.tag(event))
            if result is not None and not event.style and not isinstance(result, str):
                plain[path] = event.value
            return result
        return doc.value(event, 2)
