"""How a run reaches the embedded sandbox (`--sandbox`): its transport, address and key.

Both the data client (session) and the control client (pipedrive/control) need these;
they live here, below both, so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.config import Settings

SANDBOX_KEY = "sandbox"
SANDBOX_ENDPOINT = "http://127.0.0.1/pipedrive"


def make_transport(settings: Settings) -> httpx.BaseTransport | None:
    """The embedded sandbox when asked for; None means real network."""
    if not settings.uses_sandbox:
        return None
    from reconciler.sandbox.gateway import SandboxGateway
    from reconciler.sandbox.transport import SandboxTransport

    db = Path(settings.sandbox_db or "")
    db.parent.mkdir(parents=True, exist_ok=True)
    return SandboxTransport(SandboxGateway(str(db), api_key=SANDBOX_KEY), owns_gateway=True)


def borrowed(transport: httpx.BaseTransport | None) -> httpx.BaseTransport | None:
    """A transport another client may use without closing it: the embedded sandbox's is closed
    once, by its owner (SandboxTransport.close); other transports are shared as they are."""
    from reconciler.sandbox.transport import SandboxTransport

    return transport.borrowed() if isinstance(transport, SandboxTransport) else transport
