"""The Pipedrive client over both sandbox transports: every error case and every fault kind.

Each test runs twice: over the in-process httpx transport and over `sandbox serve`'s real
HTTP server on loopback, with the same client code above both (issue 4).
"""

from __future__ import annotations

import contextlib
import time

import pytest

from reconciler.pipedrive.client import PipedriveClient
from reconciler.pipedrive.errors import (
    AmbiguousWriteError,
    ApiValidationError,
    AuthError,
    NoConnectionError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from reconciler.pipedrive.http import HttpClient
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.gateway import SandboxGateway
from reconciler.sandbox.server import start_server
from reconciler.sandbox.transport import SandboxTransport

KEY = "test-key-7f3a9c"


@contextlib.contextmanager
def sandbox(mode, tmp_path, *, faults=(), rate_limit=None, key=KEY, connection=None, client_key=KEY,
            timeout=5.0, api_version="v2"):
    gateway = SandboxGateway(str(tmp_path / "sb.db"), api_key=key, rate_limit=rate_limit,
                             faults=[Fault.parse(f) for f in faults], fault_seed=1,
                             serve_deprecated_v1=api_version == "v1")
    trace: list[str] = []
    if mode == "inprocess":
        http = HttpClient("http://127.0.0.1/pipedrive", api_key=client_key, connection=connection,
                          transport=SandboxTransport(gateway), rate_limit=1000, timeout=timeout,
                          trace=trace.append, sleep=lambda s: None)
        try:
            yield PipedriveClient(http, api_version=api_version), gateway, trace
        finally:
            http.close()
            gateway.close()
    else:
        server = start_server(gateway, timeout_hold=10)
        http = HttpClient(server.url + "/pipedrive", api_key=client_key, connection=connection,
                          rate_limit=1000, timeout=timeout, trace=trace.append, sleep=lambda s: None)
        try:
            yield PipedriveClient(http, api_version=api_version), gateway, trace
        finally:
            http.close()
            server.stop()
            gateway.close()


MODES = ["inprocess", "http"]


@pytest.mark.parametrize("mode", MODES)
def test_reads_and_writes_round_trip(mode, tmp_path):
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        org = client.create("organization", {"name": "Acme"})
        assert org["name"] == "Acme"
        client.update("organization", org["id"], {"name": "Acme Corp"})
        assert client.get("organization", org["id"])["name"] == "Acme Corp"
        assert [o["id"] for o in client.get_many("organization", [org["id"], 999999])] == [org["id"]]
        client.delete("organization", org["id"])
        assert client.get("organization", org["id"]) is None
        assert client.stats.api_calls == 6
        assert client.stats.tokens > 0


@pytest.mark.parametrize("mode", MODES)
def test_wrong_key_is_401_with_an_actionable_message(mode, tmp_path):
    with sandbox(mode, tmp_path, client_key="wrong-key") as (client, _gw, _trace):
        with pytest.raises(AuthError, match="MATON_API_KEY") as info:
            client.me()
        assert "wrong-key" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_missing_key_is_401(mode, tmp_path):
    with sandbox(mode, tmp_path, client_key="") as (client, _gw, _trace):
        with pytest.raises(AuthError):
            client.me()


@pytest.mark.parametrize("mode", MODES)
def test_unknown_connection_is_the_gateway_400(mode, tmp_path):
    with sandbox(mode, tmp_path, connection="no-such-connection") as (client, _gw, _trace):
        with pytest.raises(NoConnectionError, match="--connection"):
            client.me()


@pytest.mark.parametrize("mode", MODES)
def test_no_connection_at_all(mode, tmp_path):
    with sandbox(mode, tmp_path) as (client, gateway, _trace):
        for conn in gateway.store.list_connections():
            gateway.store.delete_connection(conn["connection_id"])
        with pytest.raises(NoConnectionError, match="connections create"):
            client.me()


@pytest.mark.parametrize("mode", MODES)
def test_404_names_kind_and_id(mode, tmp_path):
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        with pytest.raises(NotFoundError, match="deal 424242"):
            client.update("deal", 424242, {"title": "x"})


@pytest.mark.parametrize("mode", MODES)
def test_validation_error_carries_pipedrive_words(mode, tmp_path):
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        with pytest.raises(ApiValidationError) as info:
            client.create("deal", {"title": "x", "stage_id": 987654})
        assert str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_persistent_429_explains_the_limit(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["rate-429:1"]) as (client, _gw, _trace):
        with pytest.raises(RateLimitedError, match="10 requests a second"):
            client.me()


@pytest.mark.parametrize("mode", MODES)
def test_persistent_500_on_reads_is_retried_then_reported(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["error-500:1"]) as (client, _gw, trace):
        with pytest.raises(ServerError):
            client.users()
        assert client.stats.retries >= 3


@pytest.mark.parametrize("mode", MODES)
def test_reads_survive_intermittent_faults(mode, tmp_path):
    faults = ["error-500:0.3", "rate-429:0.2"]
    with sandbox(mode, tmp_path, faults=faults) as (client, _gw, _trace):
        for _ in range(10):
            assert client.me()["company_id"]


@pytest.mark.parametrize("mode", MODES)
def test_timeout_on_a_read_is_retried_then_reported(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["timeout:1"], timeout=0.3) as (client, _gw, _trace):
        with pytest.raises(TransportError, match="timed out"):
            client.users()


@pytest.mark.parametrize("mode", MODES)
def test_create_is_never_retried_blindly_after_a_drop(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["drop-after-commit:1"]) as (client, gateway, _trace):
        with pytest.raises(AmbiguousWriteError):
            client.create("organization", {"name": "Only Once"})
        # the write happened exactly once, and the client did not try again
        posts = gateway.stats()["by_route"].get("POST /api/v2/organizations", 0)
        assert posts == 1
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        names = [o["name"] for o in client.list("organization")]
        assert names.count("Only Once") == 1


@pytest.mark.parametrize("mode", MODES)
def test_create_after_a_timeout_is_ambiguous_and_wrote_nothing(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["timeout:1"], timeout=0.3) as (client, _gw, _trace):
        with pytest.raises(AmbiguousWriteError):
            client.create("organization", {"name": "Maybe"})
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        assert [o for o in client.list("organization") if o["name"] == "Maybe"] == []


@pytest.mark.parametrize("mode", MODES)
def test_create_after_a_500_is_ambiguous(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["error-500:1"]) as (client, _gw, _trace):
        with pytest.raises(AmbiguousWriteError):
            client.create("organization", {"name": "Maybe"})


@pytest.mark.parametrize("mode", MODES)
def test_update_and_delete_are_retried_through_drops(mode, tmp_path):
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        org = client.create("organization", {"name": "Retry Me"})
    with sandbox(mode, tmp_path, faults=["drop-after-commit:0.5"]) as (client, _gw, _trace):
        client.update("organization", org["id"], {"name": "Retried"})
        client.delete("organization", org["id"])
    with sandbox(mode, tmp_path) as (client, _gw, _trace):
        assert client.get("organization", org["id"]) is None


@pytest.mark.parametrize("mode", MODES)
def test_debug_trace_never_contains_the_key(mode, tmp_path):
    with sandbox(mode, tmp_path, faults=["error-500:0.3"]) as (client, _gw, trace):
        client.me()
        client.create("organization", {"name": "Traced"})
        client.list("organization")
    assert trace
    assert not any(KEY in line for line in trace)


@pytest.mark.parametrize("api_version", ["v1", "v2"])
def test_both_api_versions_give_the_same_canonical_shape(api_version, tmp_path):
    with sandbox("inprocess", tmp_path, api_version=api_version) as (client, _gw, _trace):
        org = client.create("organization", {"name": "Shape", "address": "1 Main St"})
        person = client.create("person", {"name": "P", "org_id": org["id"],
                                           "emails": [{"value": "p@x.com", "primary": True, "label": "work"}]})
        got = client.get("person", person["id"])
        assert got["org_id"] == org["id"]
        assert [c["value"] for c in got["emails"]] == ["p@x.com"]
        assert client.get("organization", org["id"])["address"] == "1 Main St"


def test_server_rate_limit_is_followed(tmp_path):
    """The server's limit at 5 rps: the client (told 1000 rps) paces itself by the
    x-ratelimit headers (or Retry-After when it does hit a 429) and gets everything through."""
    gateway = SandboxGateway(str(tmp_path / "sb.db"), api_key=KEY, rate_limit=5)
    server = start_server(gateway)
    http = HttpClient(server.url + "/pipedrive", api_key=KEY, rate_limit=1000, timeout=5)
    try:
        client = PipedriveClient(http)
        started = time.monotonic()
        for _ in range(12):
            client.me()
        assert time.monotonic() - started >= 1.5
        assert gateway.stats()["requests"] == client.stats.api_calls
    finally:
        http.close()
        server.stop()
        gateway.close()
