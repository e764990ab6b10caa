"""The channel contract, kept by the IMAP adapter against a real Dovecot server."""

from __future__ import annotations

import json

import pytest

from plaint.channels.base import Delivery
from plaint.channels.email.imap import ImapChannel
from plaint.config import SourceConfig
from plaint.errors import ChannelUnavailableError, ConfigError
from tests.conftest import Mailbox
from tests.servers import free_port


class MemoryCursors:
    """A CursorStore in a dict; the database-backed one is tested with the workers."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.saves = 0

    def load(self, source: str) -> str | None:
        return self.values.get(source)

    def save(self, source: str, position: str) -> None:
        self.values[source] = position
        self.saves += 1


def mail(n: int, *, body: str = "电梯坏了") -> bytes:
    return (
        f"From: resident{n}@example.com\r\nSubject: complaint {n}\r\n"
        f"Message-ID: <m{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body.encode()


def channel_for(mailbox: Mailbox, cursors: MemoryCursors, folder: str | None = None) -> ImapChannel:
    return ImapChannel(
        source="mail", host=mailbox.host, port=mailbox.port, username=mailbox.username,
        password=mailbox.password, cursors=cursors, folder=folder or mailbox.folder, tls=False,
        timeout=5,
    )  # fmt: skip


def ids(deliveries: list[Delivery]) -> list[str]:
    return [d.external_id for d in deliveries]


class TestImapContract:
    def test_empty_pull_returns_nothing(self, mailbox: Mailbox) -> None:
        channel = channel_for(mailbox, MemoryCursors())
        assert channel.pull(limit=10) == []
        channel.close()

    def test_unacked_items_come_back_and_acked_ones_do_not(self, mailbox: Mailbox) -> None:
        cursors = MemoryCursors()
        for n in range(3):
            mailbox.append(mail(n))
        channel = channel_for(mailbox, cursors)
        first = channel.pull(limit=10)
        assert ids(first) == ["<m0@example.com>", "<m1@example.com>", "<m2@example.com>"]
        assert ids(channel.pull(limit=10)) == ids(first)  # not acked: comes back
        channel.ack(first[:2])
        assert ids(channel.pull(limit=10)) == ["<m2@example.com>"]
        channel.ack(first)
        assert channel.pull(limit=10) == []
        channel.close()

    def test_ack_is_idempotent_and_never_moves_back(self, mailbox: Mailbox) -> None:
        cursors = MemoryCursors()
        mailbox.append(mail(1))
        mailbox.append(mail(2))
        channel = channel_for(mailbox, cursors)
        items = channel.pull(limit=10)
        channel.ack(items)
        stored = cursors.values["mail"]
        channel.ack(items)
        channel.ack(items[:1])
        assert cursors.values["mail"] == stored
        assert cursors.saves == 1
        channel.close()

    def test_limit_takes_the_oldest_first(self, mailbox: Mailbox) -> None:
        for n in range(5):
            mailbox.append(mail(n))
        channel = channel_for(mailbox, MemoryCursors())
        assert ids(channel.pull(limit=2)) == ["<m0@example.com>", "<m1@example.com>"]
        channel.close()

    def test_a_malformed_item_does_not_block_the_next(self, mailbox: Mailbox) -> None:
        mailbox.append(b"this is not a mail at all\r\n\r\n\xff\xfe")
        mailbox.append(mail(7))
        channel = channel_for(mailbox, MemoryCursors())
        items = channel.pull(limit=10)
        assert len(items) == 2
        assert items[0].external_id.startswith("sha256:")
        assert items[1].external_id == "<m7@example.com>"
        channel.close()

    def test_reading_does_not_mark_mail_seen(self, mailbox: Mailbox) -> None:
        mailbox.append(mail(1))
        channel = channel_for(mailbox, MemoryCursors())
        channel.ack(channel.pull(limit=10))
        channel.close()
        client = mailbox.client()
        client.select_folder(mailbox.folder, readonly=True)
        assert client.search(["UNSEEN"]) != []
        client.logout()

    def test_a_dead_server_raises_channel_unavailable(self, mailbox: Mailbox) -> None:
        mailbox.port = free_port()  # nothing listens there
        with pytest.raises(ChannelUnavailableError):
            channel_for(mailbox, MemoryCursors()).pull(limit=10)

    def test_wrong_password_raises_channel_unavailable(self, mailbox: Mailbox) -> None:
        mailbox.password = "wrong"
        with pytest.raises(ChannelUnavailableError):
            channel_for(mailbox, MemoryCursors()).pull(limit=10)


def test_uidvalidity_change_rereads_the_folder(mailbox: Mailbox) -> None:
    mailbox.append(mail(1))
    cursors = MemoryCursors()
    channel = channel_for(mailbox, cursors)
    channel.ack(channel.pull(limit=10))
    before = json.loads(cursors.values["mail"])
    channel.close()

    client = mailbox.client()
    client.delete_folder(mailbox.folder)
    client.create_folder(mailbox.folder)
    client.logout()
    mailbox.append(mail(1))  # the same mail, renumbered
    mailbox.append(mail(2))  # and a new one
    channel = channel_for(mailbox, cursors)
    again = channel.pull(limit=10)
    assert ids(again) == ["<m1@example.com>", "<m2@example.com>"]
    channel.ack(again)
    after = json.loads(cursors.values["mail"])
    assert after["uidvalidity"] != before["uidvalidity"]
    assert channel.pull(limit=10) == []
    channel.close()


def test_from_config_takes_the_password_from_the_environment(mailbox: Mailbox) -> None:
    from datetime import timedelta

    config = SourceConfig(
        name="mail", kind="imap", host=mailbox.host, port=mailbox.port, tls=False,
        username=mailbox.username, password_env="SECRET", folder=mailbox.folder,
        poll_interval=timedelta(seconds=30),
    )  # fmt: skip
    with pytest.raises(ConfigError, match="SECRET is not set"):
        ImapChannel.from_config(config, cursors=MemoryCursors(), environ={})
    channel = ImapChannel.from_config(
        config, cursors=MemoryCursors(), environ={"SECRET": mailbox.password}
    )
    assert channel.pull(limit=1) == []
    channel.close()
