"""Opening and closing IMAP connections, shared by the channel and the IDLE watcher."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["NETWORK_ERRORS", "disconnect", "login", "password_for"]

# What imapclient and the socket beneath it raise when the server or the network fails.
NETWORK_ERRORS = (IMAPClientError, OSError, ssl.SSLError, socket.timeout, EOFError)


def password_for(config: SourceConfig, environ: Mapping[str, str]) -> str:
    """The source's password from the variable ``config.password_env`` names; ConfigError
    when it is not set."""
    password = environ.get(config.password_env)
    if password is None:
        raise ConfigError(
            f"source {config.name!r}: environment variable {config.password_env} is not set"
        )
    return password


def login(
    host: str, port: int, *, tls: bool, timeout: float, username: str, password: str
) -> IMAPClient:
    """A logged-in client; raises one of :data:`NETWORK_ERRORS` (the socket closed)."""
    client = IMAPClient(host, port=port, ssl=tls, timeout=timeout)
    try:
        client.login(username, password)
    except NETWORK_ERRORS:
        disconnect(client, logout=False)
        raise
    return client


def disconnect(client: IMAPClient, *, logout: bool = True) -> None:
    """Log out (or, when that fails or ``logout`` is false, just close the socket); never
    raises."""
    if logout:
        try:
            client.logout()
            return
        except NETWORK_ERRORS:
            pass
    with contextlib.suppress(*NETWORK_ERRORS):
        client.shutdown()
