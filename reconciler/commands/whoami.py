"""`reconciler whoami`: the account, user and connection that commands would change.

Why both APIs: ``/users/me`` names the company and the user but not the connection that
answered; the control API names the connection (the explicit ``--connection``, else the
oldest active one, which is the one the gateway picks) but not the company. A user about
to apply needs all three to be sure it is the right account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.config import Settings
from reconciler.embedded import SANDBOX_ENDPOINT, make_transport
from reconciler.pipedrive.control import Connection, control_endpoint, open_control
from reconciler.session import Account, open_client, read_account


@dataclass
class Identity:
    """What whoami reports: the account as plan/apply see it, plus the connection in use."""

    account: Account
    connection: Connection
    explicit: bool
    endpoint: str
    control_endpoint: str
    sandbox_db: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape: a superset of the plan JSON's ``account``, so scripts can compare them."""
        data = self.account.as_dict()
        data.update(
            {
                "app": self.connection.app,
                "connection_status": self.connection.status,
                "connection_source": "explicit" if self.explicit else "default",
                "endpoint": self.endpoint,
                "control_endpoint": self.control_endpoint,
            }
        )
        if self.sandbox_db is not None:
            data["sandbox_db"] = self.sandbox_db
        return data

    def lines(self) -> list[str]:
        """The text form: the same header plan/apply print first, then where it came from."""
        conn = self.connection
        why = (
            "chosen with --connection (or MATON_CONNECTION, or connection in reconciler.toml)"
            if self.explicit
            else "the gateway's default: the oldest active connection of this key"
        )
        where = f"embedded sandbox ({self.sandbox_db})" if self.sandbox_db is not None else self.endpoint
        return [
            self.account.header(),
            f"Connection: {conn.id} ({conn.app or 'unknown app'}, {conn.status or 'unknown status'}), {why}",
            f"Endpoint: {where}",
        ]


def describe(settings: Settings) -> Identity:
    """Ask the control API which connection is in use, then ``/users/me`` whose it is.

    The control API goes first because its errors are the precise ones: an unknown or
    deleted id, a connection still waiting for OAuth, or a key with no connection at all
    each get their own next step, which the data API's one 400 cannot give.
    """
    transport = make_transport(settings)
    # one transport for both clients: with --sandbox they must share one gateway and store
    try:
        with open_client(settings, transport) as client, open_control(settings, transport) as control:
            connection = control.resolve(settings.connection)
            account = read_account(client, settings, connection.id)  # no second look-up
    finally:
        if transport is not None:  # we made it, so we close it (the clients borrowed it)
            transport.close()
    return Identity(
        account=account,
        connection=connection,
        explicit=bool(settings.connection),
        endpoint=SANDBOX_ENDPOINT if settings.uses_sandbox else settings.endpoint,
        control_endpoint=control_endpoint(settings),
        sandbox_db=settings.sandbox_db,
    )
