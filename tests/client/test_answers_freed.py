"""An answer's body is freed when the answer is dropped, without the cyclic collector (issue 19).

A plan runs with the collector off (commands.common.kept_to_the_end); httpx binds each
answer to its stream and back, so every page read (up to ~0.4 MB) stayed in memory until
the process ended: 40 MB of a 55,000-object plan.
"""

from __future__ import annotations

import gc

from reconciler.pipedrive.http import HttpClient
from tests.conftest import KEY


def _unreachable_after(requests: int, client: HttpClient) -> int:
    gc.collect()
    gc.disable()
    try:
        for _ in range(requests):
            client.request("GET", "/api/v1/users/me")
        return gc.collect()
    finally:
        gc.enable()


def test_answers_over_http_leave_no_cycle(http_sandbox) -> None:
    with HttpClient(http_sandbox.endpoint, api_key=KEY) as client:
        client.request("GET", "/api/v1/users/me")  # the connection, once
        assert _unreachable_after(20, client) < 20  # one cycle per answer was ~30 objects each
