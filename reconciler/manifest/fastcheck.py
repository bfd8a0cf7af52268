"""A fast yes/no check for the subset of JSON Schema our kind schemas use.

jsonschema explains errors well but costs ~0.1 ms a resource, over a second for 10,000
resources, and nearly every resource is valid. This compiles the same schema dicts into
plain Python predicates: when a resource passes, it is valid; when it fails, the loader
asks jsonschema for the messages. A keyword this module does not know makes `compile`
refuse (None), so the loader falls back to jsonschema for everything: never a silent
gap. `format` is an annotation in draft 2020-12 unless a format checker is configured,
and none is, so it is ignored here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "format", "default", "examples", "$comment"})


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, (int, float))
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise Unsupported(f"type {name!r}")


_PLAIN_TYPES = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}


def _type_check(names: tuple[str, ...]) -> Check:
    """One isinstance call for the common case; numbers need bool (a subclass of int) kept out."""
    python_types = tuple(_PLAIN_TYPES[n] for n in names if n in _PLAIN_TYPES)
    number, integer = "number" in names, "integer" in names
    if not number and not integer:
        return lambda v: isinstance(v, python_types)

    def check(v: Any) -> bool:
        if isinstance(v, python_types):
            return True  # a bool only when "boolean" is one of the names
        cls = v.__class__
        if cls is bool:
            return False
        if isinstance(v, int):
            return True
        if isinstance(v, float):
            return number or v.is_integer()
        return False

    return check


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return a == b


def _both(first: Check, second: Check) -> Check:
    return lambda v: first(v) and second(v)


def _every(checks: list[Check]) -> Check:
    """One predicate that holds when all hold; pairs without a loop (most schemas have two)."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        return _both(checks[0], checks[1])

    def every(v: Any, cs: tuple[Check, ...] = tuple(checks)) -> bool:
        for check in cs:
            if not check(v):
                return False
        return True

    return every


def _items(item: Check) -> Check:
    def items(v: Any) -> bool:
        if isinstance(v, list):
            for x in v:
                if not item(x):
                    return False
        return True

    return items


def _any_of(options: list[Check]) -> Check:
    def any_of(v: Any, cs: tuple[Check, ...] = tuple(options)) -> bool:
        for check in cs:
            if check(v):
                return True
        return False

    return any_of


def _enum(options: list[Any]) -> Check:
    """Membership in a set when every option is text (or null): most enums (status, visible_to)."""
    if all(o is None or o.__class__ is str for o in options):
        texts = frozenset(o for o in options if o is not None)
        if None in options:
            return lambda v: v is None or (v.__class__ is str and v in texts)
        return lambda v: v.__class__ is str and v in texts
    return lambda v, options=tuple(options): any(_json_equal(v, o) for o in options)


def _typed_scalar(schema: dict[str, Any]) -> Check | None:
    """One predicate for the commonest field schemas: a plain type with one string rule or an enum.

    The general path would make a type check and a rule check and a third function to join
    them; on a 55,000-resource load that is most of this module's time.
    """
    rules = [k for k in schema if k not in ANNOTATIONS]
    names = schema.get("type")
    names = names if isinstance(names, list) else [names]
    if not rules or rules[0] != "type" or len(rules) > 2 or not all(isinstance(n, str) for n in names):
        return None
    for name in names:
        _is_type(None, name)  # raises on an unknown type name
    if len(rules) == 1:
        return _type_check(tuple(names))
    if not all(n in _PLAIN_TYPES for n in names):
        return None
    types = tuple(_PLAIN_TYPES[n] for n in names)
    rule, arg = rules[1], schema[rules[1]]
    if rule == "pattern":
        search = re.compile(arg).search
        return lambda v: isinstance(v, types) and (not isinstance(v, str) or search(v) is not None)
    if rule == "minLength":
        return lambda v: isinstance(v, types) and (not isinstance(v, str) or len(v) >= arg)
    if rule == "enum":
        member = _enum(arg)
        return lambda v: isinstance(v, types) and member(v)
    return None


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    quick = _typed_scalar(schema)
    if quick is not None:
        return quick
    checks: list[Check] = []
    for keyword, arg in schema.items():
        if keyword in ANNOTATIONS:
            continue
        if keyword == "type":
            names = arg if isinstance(arg, list) else [arg]
            for name in names:
                _is_type(None, name)  # raises on an unknown type name
            checks.append(_type_check(tuple(names)))
        elif keyword == "enum":
            checks.append(_enum(arg))
        elif keyword == "const":
            checks.append(lambda v, c=arg: _json_equal(v, c))
        elif keyword == "pattern":
            regex = re.compile(arg)
            checks.append(lambda v, r=regex: not isinstance(v, str) or r.search(v) is not None)
        elif keyword == "minLength":
            checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) >= n)
        elif keyword == "minimum":
            checks.append(lambda v, n=arg: isinstance(v, bool) or not isinstance(v, (int, float)) or v >= n)
        elif keyword == "exclusiveMinimum":
            checks.append(lambda v, n=arg: isinstance(v, bool) or not isinstance(v, (int, float)) or v > n)
        elif keyword == "maximum":
            checks.append(lambda v, n=arg: isinstance(v, bool) or not isinstance(v, (int, float)) or v <= n)
        elif keyword == "required":
            checks.append(lambda v, keys=tuple(arg): not isinstance(v, dict) or all(k in v for k in keys))
        elif keyword == "items":
            checks.append(_items(_compile(arg)))
        elif keyword == "anyOf":
            checks.append(_any_of([_compile(s) for s in arg]))
        elif keyword in ("properties", "additionalProperties"):
            continue  # handled together below
        else:
            raise Unsupported(keyword)
    if "properties" in schema or "additionalProperties" in schema:
        props = {name: _compile(s) for name, s in (schema.get("properties") or {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = _compile(extra)

        def check_object(v: Any, props=props, extra_check=extra_check) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                check = props.get(key)
                if check is None:
                    if not extra_check(value):
                        return False
                elif not check(value):
                    return False
            return True

        checks.append(check_object)
    if not checks:
        return lambda value: True
    return _every(checks)


def compile_schema(schema: dict) -> Check | None:
    """A predicate equivalent to `Draft202012Validator(schema).is_valid`, or None if unsupported."""
    try:
        return _compile(schema)
    except Unsupported:
        return None
