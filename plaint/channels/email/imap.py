"""Pulling mail from an IMAP folder with imapclient.

The cursor is ``{"uidvalidity": V, "uid": U}``: everything up to UID ``U`` of the folder
generation ``V`` has been acked. A different UIDVALIDITY means the server renumbered the
folder, so the whole folder is read again; the inbox's UNIQUE(source, external_id) with the
Message-ID as external id absorbs what was already taken in. The folder is opened read-only
and fetched with ``BODY.PEEK[]``, so residents' mail is never marked read or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from plaint.channels.base import CursorStore, Delivery
from plaint.errors import ChannelUnavailableError, ConfigError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["ImapChannel", "email_external_id"]

# Network timeout for connecting and for each IMAP command, in seconds.
DEFAULT_TIMEOUT_SECONDS = 30.0
_MAX_EXTERNAL_ID = 400
_NETWORK_ERRORS = (IMAPClientError, OSError, ssl.SSLError, socket.timeout, EOFError)


def email_external_id(raw: bytes, *, headers: Message | None = None) -> str:
    """Return the stable id of a raw message: its Message-ID, or a digest of the bytes
    when it has none (or one too long to index). ``headers`` are the message's headers if
    the caller parsed them already (``BytesHeaderParser``), to save parsing them again."""
    if headers is None:
        headers = BytesHeaderParser().parsebytes(raw)
    message_id = " ".join(str(headers.get("Message-ID", "")).split())
    if message_id and len(message_id) <= _MAX_EXTERNAL_ID:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class ImapChannel:
    """One IMAP folder as a channel. Connects per pull; see :class:`Channel` for the contract."""

    kind = ChannelKind.EMAIL

    def __init__(
        self,
        *,
        source: str,
        host: str,
        port: int,
        username: str,
        password: str,
        cursors: CursorStore,
        folder: str = "INBOX",
        tls: bool = True,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.source = source
        self._host, self._port, self._tls, self._timeout = host, port, tls, timeout
        self._username, self._password, self._folder = username, password, folder
        self._cursors = cursors
        self._client: IMAPClient | None = None

    @classmethod
    def from_config(
        cls, config: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> ImapChannel:
        """Build from a configured source; the password comes from ``config.password_env``."""
        password = environ.get(config.password_env)
        if password is None:
            raise ConfigError(
                f"source {config.name!r}: environment variable {config.password_env} is not set"
            )
        return cls(
            source=config.name,
            host=config.host,
            port=config.port,
            username=config.username,
            password=password,
            cursors=cursors,
            folder=config.folder,
            tls=config.tls,
        )

    def pull(self, *, limit: int) -> list[Delivery]:
        """Return up to ``limit`` messages above the cursor, oldest first."""
        try:
            return self._pull(limit)
        except _NETWORK_ERRORS as exc:
            self.close()
            raise ChannelUnavailableError(
                f"IMAP source {self.source!r}: {type(exc).__name__}"
            ) from exc

    def _pull(self, limit: int) -> list[Delivery]:
        client = self._connect()
        info = client.select_folder(self._folder, readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        last_uid = self._acked_uid(uidvalidity)
        # "N:*" always matches the highest UID, even below N, so filter again.
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        uids = uids[:limit]
        if not uids:
            return []
        fetched = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        return [self._delivery(uid, uidvalidity, fetched[uid]) for uid in uids if uid in fetched]

    def _delivery(self, uid: int, uidvalidity: int, data: dict[bytes, Any]) -> Delivery:
        raw = bytes(data.get(b"BODY[]") or b"")
        internal = data.get(b"INTERNALDATE")
        received = internal if isinstance(internal, datetime) else datetime.now(UTC)
        if received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
        return Delivery(
            source=self.source,
            channel=ChannelKind.EMAIL,
            external_id=email_external_id(raw),
            payload=raw,
            received_at=received.astimezone(UTC),
            position=json.dumps({"uidvalidity": uidvalidity, "uid": uid}),
        )

    def _acked_uid(self, uidvalidity: int) -> int:
        stored = self._cursors.load(self.source)
        if stored is None:
            return 0
        cursor = json.loads(stored)
        return int(cursor["uid"]) if int(cursor["uidvalidity"]) == uidvalidity else 0

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance the cursor to the highest delivered UID; never moves it back."""
        if not deliveries:
            return
        newest = max((json.loads(d.position) for d in deliveries), key=lambda c: c["uid"])
        stored = self._cursors.load(self.source)
        if stored is not None:
            current = json.loads(stored)
            same_generation = current["uidvalidity"] == newest["uidvalidity"]
            if same_generation and current["uid"] >= newest["uid"]:
                return
        self._cursors.save(self.source, json.dumps(newest))

    def _connect(self) -> IMAPClient:
        if self._client is None:
            client = IMAPClient(self._host, port=self._port, ssl=self._tls, timeout=self._timeout)
            client.normalise_times = False
            try:
                client.login(self._username, self._password)
            except _NETWORK_ERRORS:
                with contextlib.suppress(*_NETWORK_ERRORS):
                    client.shutdown()
                raise
            self._client = client
        return self._client

    def close(self) -> None:
        """Log out if connected; never raises."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*_NETWORK_ERRORS):
                client.logout()
