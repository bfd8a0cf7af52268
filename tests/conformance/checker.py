"""Check a JSON answer against a model of Pipedrive's official client (the kept models_v?.json).

The facts come from scripts/gen_conformance.py; this module only reads them. A model is an
object (fields, each with a type), an intersection of models (``allOf``, merged), a union
(``oneOf``: any alternative fits), an enum, or an alias. Types are primitives (string, number,
boolean), ``object``/``any``, arrays, maps, inline objects, references and enums, each possibly
nullable.

What counts as a difference (one :class:`Finding` each, keyed so that the allow-list can name it):

- ``missing``: a field the model names is absent from the answer,
- ``type``: a present field has another type (or a value outside the enum),
- ``null``: a required field is null where the model does not say it may be,
- ``extra``: the answer has a field the model does not name.

A null in a field the model marks optional (``?``) is accepted and counted apart: Pipedrive
answers null for empty optional values (``next_cursor`` on the last page, an activity without a
due time) and the generated models rarely say ``| null``.

Objects whose only field is an upper-case placeholder (``USER_ID``, ``PERSON_ID``) are maps keyed
by that id, as v1's ``related_objects`` are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$")


def load(version: str) -> dict[str, Any]:
    return json.loads((HERE / f"models_{version}.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Finding:
    """One difference: where (model and field), what kind, and the answer's path for the message."""

    version: str
    model: str
    field: str
    kind: str
    where: str
    detail: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.version, self.model, self.field, self.kind)

    def __str__(self) -> str:
        return f"{self.version} {self.model}.{self.field}: {self.kind} at {self.where} {self.detail}".rstrip()


@dataclass
class Tally:
    """What was checked: models (by name) and fields (model.field pairs), and every finding."""

    models: set[tuple[str, str]] = field(default_factory=set)
    fields: set[tuple[str, str, str]] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    optional_nulls: set[tuple[str, str, str]] = field(default_factory=set)


class Checker:
    """Checks values against one version's models."""

    def __init__(self, version: str, facts: dict[str, Any] | None = None) -> None:
        self.version = version
        self.facts = facts or load(version)
        self.models: dict[str, dict[str, Any]] = self.facts["models"]
        self._merged: dict[str, dict[str, Any] | None] = {}

    # -- models -----------------------------------------------------------------------
    def object_fields(self, name: str) -> dict[str, Any] | None:
        """A model's fields with ``allOf``/``extends``/aliases merged; None when it is no object."""
        if name in self._merged:
            return self._merged[name]
        model = self.models.get(name)
        out: dict[str, Any] | None = None
        if model is None:
            out = None
        elif model["kind"] == "object":
            out = {}
            for parent in model.get("extends", []):
                out.update(self.object_fields(parent) or {})
            out.update(model["fields"])
        elif model["kind"] == "allOf":
            out = {}
            for part in model["of"]:
                if part["type"] == "ref":
                    out.update(self.object_fields(part["ref"]) or {})
                elif part["type"] == "object":
                    out.update(part["fields"])
        elif model["kind"] == "alias" and model["type"]["type"] == "ref":
            out = self.object_fields(model["type"]["ref"])
        self._merged[name] = out
        return out

    # -- checking ---------------------------------------------------------------------
    def check(self, value: Any, model: str, tally: Tally, where: str = "$") -> None:
        """Check ``value`` against the named model, adding to ``tally``."""
        self._check_ref(value, model, tally, where, owner=model, fname="(root)", nullable=False)

    def _find(self, tally: Tally, model: str, fname: str, kind: str, where: str, detail: str = "") -> None:
        tally.findings.append(Finding(self.version, model, fname, kind, where, detail))

    def _check_ref(
        self, value: Any, name: str, tally: Tally, where: str, *, owner: str, fname: str, nullable: bool,
        optional: bool = False,
    ) -> bool:
        model = self.models.get(name)
        if model is None:
            raise KeyError(f"{self.version}: model {name} is not in the kept JSON")
        if model["kind"] == "enum":
            return self._check_type(
                value, {"type": "enum", "values": model["values"], "nullable": nullable}, tally, where,
                owner=owner, fname=fname,
            )
        if model["kind"] == "oneOf":
            for option in model["of"]:
                trial = Tally()
                if self._check_type(value, option, trial, where, owner=owner, fname=fname) and not trial.findings:
                    self._merge(tally, trial)
                    return True
            self._find(tally, owner, fname, "type", where, f"fits none of {name}'s alternatives")
            return False
        if model["kind"] == "alias" and model["type"]["type"] != "ref":
            return self._check_type(value, model["type"], tally, where, owner=owner, fname=fname)
        fields = self.object_fields(name)
        if fields is None:
            raise KeyError(f"{self.version}: model {name} has kind {model['kind']}")
        if value is None:
            if optional:
                tally.optional_nulls.add((self.version, owner, fname))
            elif not nullable:
                self._find(tally, owner, fname, "null", where)
            return True
        if not isinstance(value, dict):
            self._find(tally, owner, fname, "type", where, f"expected object {name}, got {type(value).__name__}")
            return False
        tally.models.add((self.version, name))
        placeholders = [f for f in fields if PLACEHOLDER.match(f)]
        if len(fields) == 1 and placeholders:
            entry = fields[placeholders[0]]
            for key, item in value.items():
                self._check_type(item, entry, tally, f"{where}.{key}", owner=name, fname=placeholders[0])
            return True
        self._check_fields(value, fields, name, tally, where)
        return True

    def _check_fields(self, value: dict[str, Any], fields: dict[str, Any], name: str, tally: Tally, where: str) -> None:
        for fname, entry in fields.items():
            tally.fields.add((self.version, name, fname))
            if fname not in value:
                self._find(tally, name, fname, "missing", where)
                continue
            self._check_type(value[fname], entry, tally, f"{where}.{fname}", owner=name, fname=fname)
        for extra in value:
            if extra not in fields:
                self._find(tally, name, extra, "extra", f"{where}.{extra}")

    def _check_type(self, value: Any, t: dict[str, Any], tally: Tally, where: str, *, owner: str, fname: str) -> bool:
        kind = t["type"]
        nullable = bool(t.get("nullable"))
        optional = t.get("required") is False
        if kind == "ref":
            return self._check_ref(value, t["ref"], tally, where, owner=owner, fname=fname, nullable=nullable,
                                   optional=optional)
        if value is None:
            if optional and not nullable:
                tally.optional_nulls.add((self.version, owner, fname))
            elif not nullable and kind not in ("any", "null"):
                self._find(tally, owner, fname, "null", where)
            return True
        ok = True
        if kind == "string":
            ok = isinstance(value, str)
        elif kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "object":
            ok = isinstance(value, dict | list)
        elif kind in ("any", "null"):
            ok = True
        elif kind == "enum":
            ok = value in t["values"] and type(value) is type(t["values"][0]) if t["values"] else True
            if not ok:
                self._find(tally, owner, fname, "type", where, f"{value!r} not in {t['values']}")
                return False
        elif kind == "array":
            if not isinstance(value, list):
                ok = False
            else:
                for index, item in enumerate(value):
                    self._check_type(item, t["items"], tally, f"{where}[{index}]", owner=owner, fname=fname)
        elif kind == "map":
            if not isinstance(value, dict):
                ok = False
            else:
                for key, item in value.items():
                    self._check_type(item, t["values"], tally, f"{where}.{key}", owner=owner, fname=fname)
        elif kind == "union":
            for option in t["of"]:
                trial = Tally()
                if self._check_type(value, option, trial, where, owner=owner, fname=fname) and not trial.findings:
                    self._merge(tally, trial)
                    return True
            ok = False
        elif kind == "allOf":
            for part in t["of"]:
                self._check_type(value, part, tally, where, owner=owner, fname=fname)
        else:
            raise AssertionError(f"unknown type {kind}")
        if kind == "object" and "fields" in t and isinstance(value, dict):
            self._check_fields(value, t["fields"], f"{owner}.{fname}", tally, where)
        if not ok:
            self._find(tally, owner, fname, "type", where, f"expected {kind}, got {type(value).__name__}")
        return ok

    @staticmethod
    def _merge(into: Tally, other: Tally) -> None:
        into.models |= other.models
        into.fields |= other.fields
        into.findings.extend(other.findings)
        into.optional_nulls |= other.optional_nulls
