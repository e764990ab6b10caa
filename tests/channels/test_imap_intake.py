"""IMAP intake against a real Dovecot: arrival times, ack modes, the size limit, a
connection cut in the middle of a FETCH, and IDLE."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select

from plaint.channels.email.idle import ImapIdleWatcher
from plaint.channels.email.imap import ImapChannel
from plaint.channels.email.parse import TOO_LARGE_HEADER
from plaint.errors import ChannelUnavailableError
from plaint.models import Inbox
from plaint.service.intake import poll_until_drained
from plaint.service.store import DbCursorStore
from tests.channels.test_imap import MemoryCursors, mail
from tests.conftest import Mailbox


def _channel(
    mailbox: Mailbox, cursors: Any, *, port: int | None = None, **options: Any
) -> ImapChannel:
    return ImapChannel(
        source="mail", host=mailbox.host, port=port or mailbox.port, username=mailbox.username,
        password=mailbox.password, cursors=cursors, folder=mailbox.folder, tls=False, timeout=5,
        **options,
    )  # fmt: skip


def _flags(mailbox: Mailbox, folder: str) -> list[tuple[bytes, ...]]:
    client = mailbox.client()
    try:
        client.select_folder(folder, readonly=True)
        return [tuple(f) for f in client.get_flags(client.search()).values()]
    finally:
        client.logout()


def test_arrival_time_is_the_servers_internaldate_and_date_is_kept(mailbox: Mailbox) -> None:
    arrived = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
    raw = mail(1).replace(b"Subject:", b"Date: Sun, 01 Nov 2026 08:00:00 +0800\r\nSubject:")
    client = mailbox.client()
    client.append(mailbox.folder, raw, msg_time=arrived)
    client.logout()
    channel = _channel(mailbox, MemoryCursors())
    [delivery] = channel.pull(limit=10)
    channel.close()
    assert delivery.received_at == arrived
    assert b"Date: Sun, 01 Nov 2026 08:00:00 +0800" in delivery.payload


@pytest.mark.parametrize("ack", ["seen", "move"])
def test_ack_marks_or_moves_only_after_the_cursor(mailbox: Mailbox, ack: str) -> None:
    for n in range(3):
        mailbox.append(mail(n))
    cursors = MemoryCursors()
    channel = _channel(mailbox, cursors, ack=ack, ack_folder=f"{mailbox.folder}-done")
    deliveries = channel.pull(limit=2)
    assert _flags(mailbox, mailbox.folder) == [(), (), ()]  # pulling changes nothing
    channel.ack(deliveries)
    channel.ack(deliveries)  # idempotent
    assert [d.external_id for d in channel.pull(limit=10)] == ["<m2@example.com>"]
    channel.close()
    if ack == "seen":
        assert _flags(mailbox, mailbox.folder) == [(b"\\Seen",), (b"\\Seen",), ()]
    else:
        assert len(_flags(mailbox, mailbox.folder)) == 1
        assert len(_flags(mailbox, f"{mailbox.folder}-done")) == 2


@pytest.mark.parametrize("ack", ["none", "move"])
def test_batches_read_ahead_keep_the_order_and_an_unacked_batch_comes_back(
    mailbox: Mailbox, ack: str
) -> None:
    """The batch after the one pulled is fetched in the background: a pull without an ack
    still gets the un-acked batch, and acking (moving mail) waits for that FETCH."""
    for n in range(7):
        mailbox.append(mail(n))
    channel = _channel(mailbox, MemoryCursors(), ack=ack, ack_folder=f"{mailbox.folder}-done")
    taken: list[str] = []
    first = channel.pull(limit=2)
    assert channel.pull(limit=2) == first  # not acked: comes back, not the read-ahead
    batch = first
    while batch:
        channel.ack(batch)
        taken += [d.external_id for d in batch]
        batch = channel.pull(limit=2)
    channel.close()
    assert taken == [f"<m{n}@example.com>" for n in range(7)]
    if ack == "move":
        assert _flags(mailbox, mailbox.folder) == []
        assert len(_flags(mailbox, f"{mailbox.folder}-done")) == 7


def test_a_mail_over_the_limit_comes_as_its_headers_and_does_not_block(mailbox: Mailbox) -> None:
    mailbox.append(mail(1, body="大" * 5000))
    mailbox.append(mail(2))
    channel = _channel(mailbox, MemoryCursors(), max_message_bytes=4096)
    big, small = channel.pull(limit=10)
    channel.close()
    assert big.payload.startswith(TOO_LARGE_HEADER + b": ")
    assert b"Subject: complaint 1" in big.payload
    assert "大" not in big.payload.decode("utf-8", errors="ignore")
    assert big.external_id == "<m1@example.com>"
    assert small.payload == mail(2).replace(b"\r\n", b"\r\n")


class CuttingProxy:
    """A TCP proxy to the IMAP server that cuts its first connection once the server has
    sent ``cut_after`` bytes through it (later connections pass untouched)."""

    def __init__(self, target_port: int, *, cut_after: int) -> None:
        self._target, self._cut_after = target_port, cut_after
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._first = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._target))
            limit = self._cut_after if self._first else None
            self._first = False
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, limit), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(4096):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for end in (source, sink):
            end.close()

    def close(self) -> None:
        self._listener.close()


def test_a_connection_cut_mid_fetch_loses_nothing_and_duplicates_nothing(
    mailbox: Mailbox, sessions: Any
) -> None:
    for n in range(20):
        mailbox.append(mail(n, body="漏水" * 300))
    now = datetime(2026, 11, 2, tzinfo=UTC)
    cursors = DbCursorStore(sessions, clock=lambda: now)
    enqueued: list[int] = []
    # Cut inside the second batch's FETCH: the first batch is durable and acked by then.
    proxy = CuttingProxy(mailbox.port, cut_after=14_000)
    try:
        channel = _channel(mailbox, cursors, port=proxy.port)
        with pytest.raises(ChannelUnavailableError):
            poll_until_drained(channel, sessions=sessions, enqueue=enqueued.append,
                               clock=lambda: now, limit=5)  # fmt: skip
        stored_before = len(enqueued)
        assert 0 < stored_before < 20
        result = poll_until_drained(channel, sessions=sessions, enqueue=enqueued.append,
                                    clock=lambda: now, limit=5)  # fmt: skip
        channel.close()
    finally:
        proxy.close()
    assert result.pulled <= 20 - stored_before + 5  # at most the un-acked batch again
    with sessions() as session:
        ids = session.scalars(select(Inbox.external_id).order_by(Inbox.id)).all()
        assert session.scalar(select(func.count()).select_from(Inbox)) == 20
    assert ids == [f"<m{n}@example.com>" for n in range(20)]
    assert sorted(set(enqueued)) == sorted(enqueued)


def test_the_cursor_moves_in_the_transaction_of_the_mail(mailbox: Mailbox, sessions: Any) -> None:
    """One commit a batch holds the rows and the cursor: a batch whose transaction fails
    leaves neither, and the next poll takes the same mail in once."""
    for n in range(10):
        mailbox.append(mail(n))
    now = datetime(2026, 11, 2, tzinfo=UTC)
    cursors = DbCursorStore(sessions, clock=lambda: now)
    channel = _channel(mailbox, cursors)
    stage = channel.stage

    def fail_after_staging(deliveries: Any, *, cursors: Any) -> None:
        stage(deliveries, cursors=cursors)
        raise RuntimeError("the commit never happens")

    channel.stage = fail_after_staging  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        poll_until_drained(channel, sessions=sessions, enqueue=lambda _: None,
                           clock=lambda: now, limit=5)  # fmt: skip
    assert cursors.load("mail") is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 0
    channel.stage = stage  # type: ignore[method-assign]
    commits: list[object] = []
    count, engine = commits.append, sessions.kw["bind"]
    event.listen(engine, "commit", count)
    result = poll_until_drained(channel, sessions=sessions, enqueue=lambda _: None,
                                clock=lambda: now, limit=5)  # fmt: skip
    event.remove(engine, "commit", count)
    channel.close()
    assert (result.pulled, result.new, len(commits)) == (10, 10, 2)
    assert json.loads(cursors.load("mail") or "{}")["uid"] == 10
    assert channel.pull(limit=10) == []
    channel.close()


def test_idle_wakes_up_within_seconds_of_new_mail(mailbox: Mailbox) -> None:
    watcher = ImapIdleWatcher(source="mail", host=mailbox.host, port=mailbox.port,
                              username=mailbox.username, password=mailbox.password,
                              folder=mailbox.folder, tls=False)  # fmt: skip
    assert watcher.supports_idle()
    assert watcher.wait(timeout=0.2) is False
    threading.Timer(0.3, mailbox.append, args=(mail(1),)).start()
    started = time.monotonic()
    woke = False
    while not woke and time.monotonic() - started < 5:
        woke = watcher.wait(timeout=1)
    watcher.close()
    assert woke
    assert time.monotonic() - started < 5
