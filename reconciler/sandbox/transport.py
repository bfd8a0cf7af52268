"""An httpx transport that talks to a :class:`SandboxGateway` in this process.

The client code above an :class:`httpx.Client` stays exactly the same whether it talks
to Maton, to ``sandbox serve`` over loopback, or to this transport: only the transport
differs. That is what makes ``--sandbox`` and the tests exercise the real client.

Faults surface as the exceptions a real network would raise, so the client's error
handling is exercised too:

- ``timeout`` raises :class:`httpx.ReadTimeout` at once (nothing was written); waiting
  out the client's configured timeout in-process would only slow tests down.
- ``drop-after-commit`` raises :class:`httpx.RemoteProtocolError` after the write.

Thread-safe: it holds no state of its own, and the gateway is thread-safe.
"""

from __future__ import annotations

from email.utils import formatdate

import httpx

from reconciler.sandbox.faults import DROP_AFTER_COMMIT, TIMEOUT
from reconciler.sandbox.gateway import SandboxGateway


class SandboxTransport(httpx.BaseTransport):
    """Route every request of an httpx client to ``gateway``; the URL's host is ignored.

    A transport made with ``owns_gateway`` owns the gateway and its store, as httpx's
    transports own their connections: ``close()`` (which httpx calls when the client using
    it closes) closes them. One shared by several clients (the data and the control API of
    one run) gives each a ``borrowed()`` view, which closes nothing; the owner closes it once.
    """

    def __init__(self, gateway: SandboxGateway, *, owns_gateway: bool = False) -> None:
        self.gateway = gateway
        self.owns_gateway = owns_gateway

    def borrowed(self) -> SandboxTransport:
        """The same gateway for another client, without the right to close it."""
        return SandboxTransport(self.gateway)

    def close(self) -> None:
        if self.owns_gateway:
            self.gateway.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        url = request.url
        result = self.gateway.handle(
            request.method,
            url.path,
            list(url.params.multi_items()),
            request.headers,
            body if body or request.method in ("POST", "PUT", "PATCH") else None,
        )
        if result.fault == TIMEOUT:
            raise httpx.ReadTimeout("sandbox fault: the gateway gave no answer (timeout)", request=request)
        if result.fault == DROP_AFTER_COMMIT:
            raise httpx.RemoteProtocolError(
                "sandbox fault: server disconnected without sending a response (drop-after-commit)",
                request=request,
            )
        return httpx.Response(
            result.status,
            # every HTTP server says its time (the loopback server's send_response does too)
            headers=[*result.headers.items(), ("date", formatdate(usegmt=True))],
            content=result.body,
            request=request,
        )
