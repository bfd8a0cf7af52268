"""What the engine SENDS, checked against the official request models (issue 27).

The answers are checked in test_models.py; this module checks the other direction. Every request
the engine makes goes through a recording httpx transport in front of the in-process sandbox; each
JSON body is then checked against the request model the official client names for that endpoint
(models_v?.json, generated from npm ``pipedrive``), with the rules a request must meet, stricter
than an answer's:

- ``extra``: a key the model does not name (Pipedrive's v2 refuses it);
- ``missing``: a key the model marks required is absent;
- ``null``: a null where the model does not mark the field nullable, required or not (a null is a
  value the server must accept; an optional field is optional to send, not nullable);
- ``type``: a present value of another type, or outside the enum.

Custom field values (``custom_fields`` is a map of anything in the models) are checked against the
v2 formats of Pipedrive's migration guide (:func:`custom_value_problem`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from .checker import Checker, Tally


@dataclass
class Sent:
    """One request the engine made: method, API version, the endpoint template, its body and the answer."""

    method: str
    version: str
    path: str
    template: str | None
    body: Any
    status: int


@dataclass
class Recorder(httpx.BaseTransport):
    """An httpx transport that records every request (and its answer's status) and passes it on."""

    inner: httpx.BaseTransport
    templates: dict[str, list[tuple[str, re.Pattern[str], str]]]
    sent: list[Sent] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        path = request.url.path.split("/pipedrive", 1)[-1]
        found = re.match(r"^/(?:api/)?(v1|v2)(/.*)$", path)
        version, rest = (found.group(1), found.group(2)) if found else ("?", path)
        body = None
        if request.content:
            try:
                body = json.loads(request.content)
            except ValueError:
                body = request.content.decode("utf-8", "replace")
        template = next((t for m, regex, t in self.templates.get(version, []) if m == request.method
                         and regex.match(rest)), None)
        self.sent.append(Sent(request.method, version, rest, template, body, response.status_code))
        return response


def templates(facts: dict[str, dict[str, Any]]) -> dict[str, list[tuple[str, re.Pattern[str], str]]]:
    """Each version's official endpoints as (method, path regex, template), literal paths first."""
    out: dict[str, list[tuple[str, re.Pattern[str], str]]] = {}
    for version, data in facts.items():
        rows = []
        for endpoint in data["endpoints"]:
            regex = re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", endpoint["path"]) + "/?$")
            rows.append((endpoint["method"], regex, endpoint["path"]))
        rows.sort(key=lambda row: row[2].count("{"))
        out[version] = rows
    return out


class RequestChecker(Checker):
    """A :class:`Checker` with a request's rules: optional keys may be absent, never null unless nullable."""

    def _check_fields(self, value: dict[str, Any], fields: dict[str, Any], name: str, tally: Tally,
                      where: str) -> None:
        for fname, entry in fields.items():
            if fname not in value:
                if entry.get("required"):
                    self._find(tally, name, fname, "missing", where)
                continue
            tally.fields.add((self.version, name, fname))
            self._check_type(value[fname], entry, tally, f"{where}.{fname}", owner=name, fname=fname)
        for extra in value:
            if extra not in fields:
                self._find(tally, name, extra, "extra", f"{where}.{extra}")

    def _check_type(self, value: Any, t: dict[str, Any], tally: Tally, where: str, *, owner: str,
                    fname: str) -> bool:
        if value is None and not t.get("nullable") and t["type"] not in ("any", "null"):
            self._find(tally, owner, fname, "null", where)
            return True
        return super()._check_type(value, t, tally, where, owner=owner, fname=fname)

    def _check_ref(self, value: Any, name: str, tally: Tally, where: str, *, owner: str, fname: str,
                   nullable: bool, optional: bool = False) -> bool:
        if value is None and fname != "(root)":
            if not nullable:
                self._find(tally, owner, fname, "null", where)
            return True
        return super()._check_ref(value, name, tally, where, owner=owner, fname=fname, nullable=nullable,
                                  optional=False)


TIME_KEYS = {"time": {"value", "timezone_id", "timezone_name"},
             "timerange": {"value", "until", "timezone_id", "timezone_name"},
             "daterange": {"value", "until"}}


def custom_value_problem(field_type: str, value: Any) -> str | None:
    """What is wrong with one v2 custom field value of this type, per the migration guide (None if fine)."""
    if value is None:
        return None  # every custom field is cleared with null in v2
    if field_type == "set":
        if not isinstance(value, list) or not value or not all(isinstance(v, int) for v in value):
            return "a multi-option value is a non-empty array of option ids (null clears it)"
    elif field_type == "enum":
        if not isinstance(value, int) or isinstance(value, bool):
            return "a single-option value is an option id"
    elif field_type == "monetary":
        if not isinstance(value, dict) or set(value) - {"value", "currency"} or "value" not in value:
            return "a monetary value is {value, currency}"
    elif field_type in TIME_KEYS:
        if not isinstance(value, dict) or set(value) - TIME_KEYS[field_type] or "value" not in value:
            return f"a {field_type} value is an object with {sorted(TIME_KEYS[field_type])}"
    elif field_type == "address":
        if not isinstance(value, dict) or "value" not in value:
            return "an address value is an object with value"
    elif field_type in ("double", "int"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "a number"
    elif field_type in ("user", "org", "people"):
        if not isinstance(value, int) or isinstance(value, bool):
            return "an id"
    elif not isinstance(value, str):
        return "a string"
    return None
