"""The client keeps no cookies (issue 28): Pipedrive's API is authenticated by the key alone.

Reading each answer's cookies cost a urllib request, an email message of its headers and a
cookie-policy pass per answer (~6% of a 1,000-create apply's CPU), for nothing we use.
"""

from __future__ import annotations

import httpx

from reconciler.pipedrive.http import HttpClient


def test_a_cookie_an_answer_sets_is_never_sent_back() -> None:
    seen: list[str | None] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, json={"success": True, "data": {"id": 1}},
                              headers={"set-cookie": "session=abc; Path=/"})

    with HttpClient("http://gateway.test/pipedrive", api_key="k", transport=httpx.MockTransport(server)) as client:
        client.request("GET", "/api/v1/users/me")
        client.request("POST", "/api/v2/organizations", json_body={"name": "Acme"})
        assert seen == [None, None]
        assert not client._http.cookies  # nothing kept, so nothing to send or to leak
