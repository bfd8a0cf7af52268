"""TLS: certificates trusted for https endpoints, loaded once per process (issue 19).

Loading the certificate bundle costs ~35 ms of CPU, and a plan opens two clients (data and
control); a plain-http endpoint (the sandbox on loopback) never negotiates TLS at all.
"""

from __future__ import annotations

import ssl

from reconciler.pipedrive.http import HttpClient, tls_context
from tests.conftest import KEY


def test_an_https_endpoint_verifies_against_the_trusted_certificates() -> None:
    context = tls_context("https://gateway.maton.ai/pipedrive")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_the_certificates_are_loaded_once_for_every_client() -> None:
    assert tls_context("https://gateway.maton.ai/pipedrive") is tls_context("HTTPS://ctrl.maton.ai")


def test_a_plain_http_endpoint_trusts_nothing_and_loads_nothing() -> None:
    context = tls_context("http://127.0.0.1:8765/pipedrive")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0


def test_a_client_of_an_http_endpoint_still_works(http_sandbox) -> None:
    with HttpClient(http_sandbox.endpoint, api_key=KEY) as http:
        assert http.request("GET", "/api/v1/users/me")["data"]["id"]
