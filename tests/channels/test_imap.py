"""The channel contract, kept by the IMAP adapter against a real Dovecot server."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from plaint.channels.email.imap import ImapChannel
from plaint.config import SourceConfig
from plaint.errors import ChannelUnavailableError, ConfigError
from tests.channels.contract import ChannelContract, MemoryCursors, ids
from tests.conftest import Mailbox
from tests.servers import free_port


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


@dataclass
class ImapSource:
    """The contract's source: a fresh folder of the test Dovecot."""

    mailbox: Mailbox
    appended: int = 0

    def add(self, count: int) -> list[str]:
        numbers = range(self.appended, self.appended + count)
        self.appended += count
        for n in numbers:
            self.mailbox.append(mail(n))
        return [f"<m{n}@example.com>" for n in numbers]

    def add_malformed(self) -> None:
        self.mailbox.append(b"this is not a mail at all\r\n\r\n\xff\xfe")

    def open(self, cursors: MemoryCursors) -> ImapChannel:
        return channel_for(self.mailbox, cursors)

    def open_unreachable(self, cursors: MemoryCursors) -> ImapChannel:
        dead = Mailbox(self.mailbox.host, free_port(), self.mailbox.username,
                       self.mailbox.password, self.mailbox.folder)  # fmt: skip
        return channel_for(dead, cursors)


class TestImapContract(ChannelContract):
    @pytest.fixture
    def contract_source(self, mailbox: Mailbox) -> ImapSource:
        return ImapSource(mailbox)


def test_a_malformed_mail_gets_a_digest_for_id(mailbox: Mailbox) -> None:
    mailbox.append(b"this is not a mail at all\r\n\r\n\xff\xfe")
    channel = channel_for(mailbox, MemoryCursors())
    assert channel.pull(limit=10)[0].external_id.startswith("sha256:")
    channel.close()


def test_reading_does_not_mark_mail_seen(mailbox: Mailbox) -> None:
    mailbox.append(mail(1))
    channel = channel_for(mailbox, MemoryCursors())
    channel.ack(channel.pull(limit=10))
    channel.close()
    client = mailbox.client()
    client.select_folder(mailbox.folder, readonly=True)
    assert client.search(["UNSEEN"]) != []
    client.logout()


def test_wrong_password_raises_channel_unavailable(mailbox: Mailbox) -> None:
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


def test_mail_arriving_during_a_backlog_is_taken_in_order(mailbox: Mailbox) -> None:
    """A backlog is served from one SEARCH; the folder is searched again (and the new mail
    found) as soon as fewer than a batch are left, so a short batch means drained."""
    for n in range(5):
        mailbox.append(mail(n))
    channel = channel_for(mailbox, MemoryCursors())
    taken: list[str] = []
    for arriving in (5, 6, None):
        batch = channel.pull(limit=2)
        taken += ids(batch)
        channel.ack(batch)
        if arriving is not None:
            mailbox.append(mail(arriving))
    rest = channel.pull(limit=10)
    channel.close()
    assert taken + ids(rest) == [f"<m{n}@example.com>" for n in range(7)]


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
