"""Pulling mail from an IMAP folder with imapclient.

The cursor is ``{"uidvalidity": V, "uid": U}``: everything up to UID ``U`` of the folder
generation ``V`` has been acked. A different UIDVALIDITY means the server renumbered the
folder, so the whole folder is read again; the inbox's UNIQUE(source, external_id) with the
Message-ID as external id absorbs what was already taken in. Mail is fetched with
``BODY.PEEK[]``, oldest first, at most ``limit`` a pull (a large backlog comes in bounded
batches from the cursor on, never from zero). The UIDs above the cursor are found by one
SEARCH and served from it batch after batch; the folder is searched again (after a NOOP, so
the server announces new mail) only when fewer than ``limit`` of them are left, so a short
batch always means the folder was drained a moment ago. While the caller stores a batch,
the next one is fetched in the background (:mod:`plaint.channels.email.ahead`). The
arrival time is the server's
INTERNALDATE; the ``Date`` header stays in the raw message as the sender wrote it.

The channel is a :class:`~plaint.channels.base.StagedAck`: the caller may write the
cursor in the transaction that stores the mail. Acking (after the caller made the mail
durable) advances the cursor (unless it was staged) and then, per source:
``none`` (the default: the folder is opened read-only and never changed), ``seen`` (set
``\\Seen``) or ``move`` (to ``ack_folder``, with MOVE where the server has it, else COPY,
``\\Deleted`` and UID EXPUNGE). A mail larger than ``max_message_bytes`` is taken in as its
headers only, behind a first line ``X-Plaint-Too-Large: <bytes>`` (:data:`TOO_LARGE_HEADER`):
recorded, acked, never blocking the folder; triage tells the sender.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Any

from imapclient import DELETED, SEEN, IMAPClient

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.email.ahead import ReadAhead
from plaint.channels.email.connection import NETWORK_ERRORS, disconnect, login, password_for
from plaint.channels.email.parse import TOO_LARGE_HEADER
from plaint.errors import ChannelUnavailableError, ConfigError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["ACK_MODES", "TOO_LARGE_HEADER", "ImapChannel", "email_external_id"]

ACK_MODES = ("none", "seen", "move")
DEFAULT_MAX_MESSAGE_BYTES = 25_000_000

# Network timeout for connecting and for each IMAP command, in seconds.
DEFAULT_TIMEOUT_SECONDS = 30.0
_MAX_EXTERNAL_ID = 400
# The first Message-ID field of a header block, with its folded continuation lines.
_MESSAGE_ID = re.compile(rb"(?im)^message-id:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_NETWORK_ERRORS = NETWORK_ERRORS


def email_external_id(raw: bytes, *, headers: Message | None = None) -> str:
    """Return the stable id of a raw message: its Message-ID, or a digest of the bytes
    when it has none (or one too long to index). ``headers`` are the message's headers if
    the caller parsed them already (``BytesHeaderParser``), to save parsing them again."""
    if headers is None:
        block = _header_block(raw)  # only the headers: the body can be megabytes
        found = _MESSAGE_ID.search(block)
        if found is not None and found.group(1).isascii():
            # The common case without the parser (~30x faster); the same value the parser
            # gives: the first Message-ID field, unfolded, whitespace collapsed.
            message_id = " ".join(found.group(1).decode("ascii").split())
            return _stable_id(raw, message_id)
        headers = BytesHeaderParser().parsebytes(block)
    return _stable_id(raw, " ".join(str(headers.get("Message-ID", "")).split()))


def _header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line (CRLF or bare LF line ends), or all of them."""
    if raw.startswith((b"\r\n", b"\n")):
        return b""
    blank = _BLANK_LINE.search(raw)
    return raw if blank is None else raw[: blank.end()]


def _stable_id(raw: bytes, message_id: str) -> str:
    if message_id and len(message_id) <= _MAX_EXTERNAL_ID:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class ImapChannel:
    """One IMAP folder as a channel, on one connection kept until :meth:`close` (or a
    network error); see :class:`Channel` and :class:`StagedAck` for the contract."""

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
        ack: str = "none",
        ack_folder: str = "Processed",
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        if ack not in ACK_MODES:
            raise ConfigError(f"source {source!r}: ack must be one of {', '.join(ACK_MODES)}")
        self.source = source
        self._host, self._port, self._tls, self._timeout = host, port, tls, timeout
        self._username, self._password, self._folder = username, password, folder
        self._cursors = cursors
        self._ack, self._ack_folder, self._max_bytes = ack, ack_folder, max_message_bytes
        self._client: IMAPClient | None = None
        self._selected = False
        self._uidvalidity: int | None = None
        self._known: dict[str, int] | None = None  # the stored position, once read
        self._staged: dict[str, int] | None = None  # saved in a caller's open transaction
        self._found: list[int] = []  # UIDs above the cursor at the last SEARCH, ascending
        self._over: set[int] = set()  # those of them over the size limit
        self._ahead: ReadAhead[dict[int, dict[bytes, Any]]] = ReadAhead()

    @classmethod
    def from_config(
        cls, config: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> ImapChannel:
        """Build from a configured source; the password comes from ``config.password_env``."""
        password = password_for(config, environ)
        return cls(
            source=config.name,
            host=config.host,
            port=config.port,
            username=config.username,
            password=password,
            cursors=cursors,
            folder=config.folder,
            tls=config.tls,
            ack=config.ack,
            ack_folder=config.ack_folder,
            max_message_bytes=config.max_message_bytes,
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

    def _select(self, client: IMAPClient) -> int:
        """Open the folder (read-only unless acking changes it) unless this connection has
        it open already; return its UIDVALIDITY."""
        if self._selected and self._uidvalidity is not None:
            return self._uidvalidity
        info = client.select_folder(self._folder, readonly=self._ack == "none")
        self._selected, self._found, self._over = True, [], set()
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        return self._uidvalidity

    def _pull(self, limit: int) -> list[Delivery]:
        client = self._connect()
        self._staged = None  # a stage not acked before this pull was not committed
        opened = self._selected
        uidvalidity = self._select(client)
        last_uid = self._acked_uid(uidvalidity)
        start = bisect.bisect_right(self._found, last_uid)
        if len(self._found) - start < limit:
            if opened:  # makes the server announce mail that arrived since, for SEARCH
                client.noop()
            self._search(client, last_uid)
            start = 0
        uids = self._found[start : start + limit]
        if not uids:
            return []
        fetched = self._ahead.take(tuple(uids))
        if fetched is None:
            fetched = _fetch(client, uids, over=self._over)
        following = self._found[start + limit : start + 2 * limit]
        if len(following) == limit:  # the next pull asks for these if this batch is acked
            over = self._over
            self._ahead.start(tuple(following), lambda: _fetch(client, following, over=over))
        return [self._delivery(uid, uidvalidity, fetched[uid]) for uid in uids if uid in fetched]

    def _search(self, client: IMAPClient, last_uid: int) -> None:
        """Find the UIDs above ``last_uid``, and which of them are over the size limit (a
        short answer from the server's index, instead of FETCHing sizes)."""
        # "N:*" always matches the highest UID, even below N, so filter again.
        found = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        over: set[int] = set()
        if found:
            span = f"{found[0]}:{found[-1]}"
            over = set(client.search(["UID", span, "LARGER", self._max_bytes]))
        self._found, self._over = found, over

    def _delivery(self, uid: int, uidvalidity: int, data: dict[bytes, Any]) -> Delivery:
        raw = bytes(data.get(b"BODY[]") or b"")
        # A too-large mail's id is its headers' Message-ID, like the whole mail's would be.
        body_start = raw.find(b"\r\n") + 2 if raw.startswith(TOO_LARGE_HEADER) else 0
        internal = data.get(b"INTERNALDATE")
        received = internal if isinstance(internal, datetime) else datetime.now(UTC)
        if received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
        return Delivery(
            source=self.source,
            channel=ChannelKind.EMAIL,
            external_id=email_external_id(raw[body_start:]),
            payload=raw,
            received_at=received.astimezone(UTC),
            position=_position_text(uidvalidity, uid),
        )

    def _position(self) -> dict[str, int] | None:
        """The stored position, read once per connection: while it is open this adapter is
        the source's only poller (the poll lock), so what it saved is what is stored."""
        if self._known is None:
            stored = self._cursors.load(self.source)
            self._known = None if stored is None else json.loads(stored)
        return self._known

    def _acked_uid(self, uidvalidity: int) -> int:
        cursor = self._position()
        if cursor is None:
            return 0
        return int(cursor["uid"]) if int(cursor["uidvalidity"]) == uidvalidity else 0

    def stage(self, deliveries: Sequence[Delivery], *, cursors: CursorStore) -> None:
        """Save the cursor past ``deliveries`` into ``cursors`` (the caller's transaction)
        unless it is there already; the next :meth:`ack` then saves nothing more."""
        if not deliveries:
            return
        newest = _newest(deliveries)
        if not _covers(self._position(), newest):
            cursors.save(self.source, json.dumps(newest))
            self._staged = newest

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance the cursor to the highest delivered UID (never back) unless it was
        staged, then flag or move the mail if the source says so; idempotent (flagging or
        moving mail that is gone already is a no-op)."""
        if not deliveries:
            return
        newest = _newest(deliveries)
        if self._staged is not None and _covers(self._staged, newest):
            self._known = self._staged  # committed with the mail, by the contract
        else:
            self._advance(newest)
        self._staged = None
        if self._ack != "none":
            try:
                self._mark([json.loads(d.position) for d in deliveries])
            except _NETWORK_ERRORS as exc:
                self.close()
                raise ChannelUnavailableError(
                    f"IMAP source {self.source!r}: {type(exc).__name__}"
                ) from exc

    def _mark(self, positions: list[dict[str, int]]) -> None:
        client = self._connect()
        uidvalidity = self._select(client) if not self._selected else None
        uids = [p["uid"] for p in positions if uidvalidity in (None, p["uidvalidity"])]
        if not uids:
            return
        if self._ack == "seen":
            client.add_flags(uids, [SEEN])
            return
        if client.has_capability("MOVE"):
            self._ensure_folder(client)
            client.move(uids, self._ack_folder)
            return
        self._ensure_folder(client)
        client.copy(uids, self._ack_folder)
        client.add_flags(uids, [DELETED])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    def _ensure_folder(self, client: IMAPClient) -> None:
        if not client.folder_exists(self._ack_folder):
            client.create_folder(self._ack_folder)

    def _advance(self, newest: dict[str, int]) -> None:
        if not _covers(self._position(), newest):
            self._cursors.save(self.source, json.dumps(newest))
            self._known = newest

    def _connect(self) -> IMAPClient:
        """The connection, logged in, once no background FETCH uses it (raises the
        network error such a FETCH met)."""
        self._ahead.settle()
        if self._client is None:
            self._client = login(self._host, self._port, tls=self._tls, timeout=self._timeout,
                                 username=self._username, password=self._password)  # fmt: skip
            self._client.normalise_times = False
        return self._client

    def close(self) -> None:
        """Log out if connected; never raises."""
        self._ahead.close()
        client, self._client = self._client, None
        self._selected, self._uidvalidity, self._known = False, None, None
        self._staged, self._found, self._over = None, [], set()
        if client is not None:
            disconnect(client)


def _position_text(uidvalidity: int, uid: int) -> str:
    """A delivery's position: what ``json.dumps`` gives for the cursor, without its cost."""
    return f'{{"uidvalidity": {uidvalidity}, "uid": {uid}}}'


def _newest(deliveries: Sequence[Delivery]) -> dict[str, int]:
    """The position of the delivery with the highest UID."""
    newest: dict[str, int] = max((json.loads(d.position) for d in deliveries),
                                 key=lambda c: c["uid"])  # fmt: skip
    return newest


def _covers(current: dict[str, int] | None, newest: dict[str, int]) -> bool:
    """Whether the position ``current`` is at or past ``newest`` (same folder generation)."""
    return (
        current is not None
        and current["uidvalidity"] == newest["uidvalidity"]
        and current["uid"] >= newest["uid"]
    )


def _fetch(client: IMAPClient, uids: list[int], *, over: set[int]) -> dict[int, dict[bytes, Any]]:
    """FETCH ``uids``: whole mails, and those in ``over`` (over the size limit) by their
    headers. A ranged BODY.PEEK[]<0.N> would bound the transfer in one FETCH, but Dovecot
    serves it ~40 % slower than BODY.PEEK[] (bench/email_intake.py)."""
    small = [uid for uid in uids if uid not in over]
    large = [uid for uid in uids if uid in over]
    fetched: dict[int, dict[bytes, Any]] = {}
    if small:
        fetched.update(client.fetch(small, ["INTERNALDATE", "BODY.PEEK[]"]))
    if large:
        for uid, data in client.fetch(
            large, ["RFC822.SIZE", "BODY.PEEK[HEADER]", "INTERNALDATE"]
        ).items():
            size = int(data.get(b"RFC822.SIZE") or 0)
            headers = bytes(data.get(b"BODY[HEADER]") or b"")
            payload = TOO_LARGE_HEADER + f": {size}\r\n".encode() + headers
            fetched[uid] = {b"BODY[]": payload, b"INTERNALDATE": data.get(b"INTERNALDATE")}
    return fetched
