"""The JSON codec gives the standard library's answers, with orjson and without it (the fallback).

orjson is optional (`pip install 'pipedrive-reconciler[fast]'`): every test here runs twice, once with
whatever is installed and once with orjson hidden, as on a machine without it.
"""

from __future__ import annotations

import json

import pytest

from reconciler import jsoncodec

SAMPLES = [
    {"success": True, "data": [{"id": 1, "title": "Acme & Co — ünïcode", "value": 1.5, "tags": None}]},
    {"a": [1, -2, 3.25, True, False, None, "x\n\t\"\\/\u2028"], "b": {"c": {}}, "d": []},
    {"big": 2**70, "neg": -(2**70)},  # beyond 64 bits: orjson refuses, the standard library writes them
    [],
    "text",
    0,
]


@pytest.fixture(params=["installed", "without orjson"])
def codec(request, monkeypatch: pytest.MonkeyPatch):
    if request.param == "without orjson":
        monkeypatch.setattr(jsoncodec, "orjson", None)
    return jsoncodec


@pytest.mark.parametrize("value", SAMPLES)
def test_round_trip_and_compact_text(codec, value) -> None:
    encoded = codec.dumps(value)
    assert isinstance(encoded, bytes)
    assert codec.loads(encoded) == value
    assert json.loads(encoded) == value
    if not any(isinstance(v, float) for v in _leaves(value)):
        assert encoded == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_non_string_keys_are_written_as_the_standard_library_writes_them(codec) -> None:
    assert codec.dumps({1: "a", "b": 2}) == b'{"1":"a","b":2}'


@pytest.mark.parametrize("text", [b'{"a": 1', b"", b"nope", b'{"a": "\xff"}', "{'a': 1}"])
def test_invalid_documents_raise_value_error(codec, text) -> None:
    with pytest.raises(ValueError):
        codec.loads(text)


def test_what_json_accepts_beyond_the_standard_is_still_accepted(codec) -> None:
    """NaN and huge integers: orjson refuses them, the standard library's answer stands."""
    value = codec.loads(b'{"n": NaN, "i": 123456789012345678901234567890}')
    assert value["n"] != value["n"] and value["i"] == 123456789012345678901234567890


def test_str_and_bytes_inputs(codec) -> None:
    assert codec.loads('{"a": "é"}') == codec.loads('{"a": "é"}'.encode()) == {"a": "é"}


def test_unencodable_values_raise_type_error(codec) -> None:
    with pytest.raises(TypeError):
        codec.dumps({"a": object()})


def test_client_and_sandbox_work_without_orjson(in_process, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path (client decode, sandbox request decode, stored rows, answers) on the standard library."""
    monkeypatch.setattr(jsoncodec, "orjson", None)
    with in_process.client() as client:
        created = client.create("organization", {"name": "Codec Org é"})
        assert client.get("organization", created["id"])["name"] == "Codec Org é"
        assert "Codec Org é" in [o["name"] for o in client.list("organization")]
