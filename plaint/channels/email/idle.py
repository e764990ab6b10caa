"""Waiting for new mail with IMAP IDLE (RFC 2177).

The watcher only says *that* a folder may have new mail; fetching stays with
:class:`~plaint.channels.email.imap.ImapChannel` (run by the ``poll_source`` actor, under
its lock), so IDLE adds speed, never a second path by which mail is taken in. Each
:meth:`ImapIdleWatcher.wait` is one IDLE command of at most ``timeout`` seconds (servers
drop an IDLE after 30 minutes; callers wait in short slices so they can stop promptly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient

from plaint.channels.email.connection import NETWORK_ERRORS, disconnect, login, password_for
from plaint.errors import ChannelUnavailableError

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["ImapIdleWatcher"]

_NETWORK_ERRORS = NETWORK_ERRORS
# Untagged responses that mean the folder changed in a way a poll should look at.
_NEWS = frozenset({b"EXISTS", b"RECENT"})
# Network timeout for connecting and for commands other than IDLE, in seconds.
CONNECT_TIMEOUT_SECONDS = 30.0


class ImapIdleWatcher:
    """One connection that IDLEs on one folder. Not thread-safe: one per thread."""

    def __init__(
        self,
        *,
        source: str,
        host: str,
        port: int,
        username: str,
        password: str,
        folder: str = "INBOX",
        tls: bool = True,
        timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.source = source
        self._host, self._port, self._tls, self._timeout = host, port, tls, timeout
        self._username, self._password, self._folder = username, password, folder
        self._client: IMAPClient | None = None

    @classmethod
    def from_config(cls, config: SourceConfig, *, environ: Mapping[str, str]) -> ImapIdleWatcher:
        """Build from a configured source; the password comes from ``config.password_env``."""
        password = password_for(config, environ)
        return cls(source=config.name, host=config.host, port=config.port,
                   username=config.username, password=password, folder=config.folder,
                   tls=config.tls)  # fmt: skip

    def _translate(self, exc: BaseException) -> ChannelUnavailableError:
        self.close()
        return ChannelUnavailableError(f"IMAP source {self.source!r}: {type(exc).__name__}")

    def supports_idle(self) -> bool:
        """Connect if needed and say whether the server advertises IDLE.

        Raises ChannelUnavailableError when the server cannot be reached or refuses us."""
        try:
            return bool(self._connect().has_capability("IDLE"))
        except _NETWORK_ERRORS as exc:
            raise self._translate(exc) from exc

    def wait(self, *, timeout: float) -> bool:
        """Block in IDLE for at most ``timeout`` seconds; return True as soon as the server
        reports that the folder changed (EXISTS/RECENT), False when the time ran out.

        Raises ChannelUnavailableError when the connection fails (the caller reconnects)."""
        try:
            client = self._connect()
            client.idle()
            responses: list[Any] = list(client.idle_check(timeout=timeout))
            # Changes reported while IDLE was being ended come with its completion.
            responses.extend(client.idle_done()[1])
        except _NETWORK_ERRORS as exc:
            raise self._translate(exc) from exc
        return any(isinstance(r, tuple) and len(r) > 1 and r[1] in _NEWS for r in responses)

    def _connect(self) -> IMAPClient:
        if self._client is None:
            client = login(self._host, self._port, tls=self._tls, timeout=self._timeout,
                           username=self._username, password=self._password)  # fmt: skip
            try:
                client.select_folder(self._folder, readonly=True)
            except _NETWORK_ERRORS:
                disconnect(client)
                raise
            self._client = client
        return self._client

    def close(self) -> None:
        """Log out if connected; never raises."""
        client, self._client = self._client, None
        if client is not None:
            disconnect(client)
