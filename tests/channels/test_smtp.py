"""The SMTP sender against a real SMTP server on loopback: what a resident's mail client
receives, and how the server's refusals become transient or permanent failures."""

from __future__ import annotations

import dataclasses
import ssl
from datetime import UTC, datetime

import pytest

from plaint.channels import open_senders
from plaint.channels.email.msgid import is_our_message_id, make_message_id
from plaint.channels.email.smtp import SmtpSender, settings_from_environ
from plaint.channels.outbound import Outgoing, PermanentSendError, TransientSendError
from plaint.errors import ConfigError
from tests.servers import free_port
from tests.smtp import SecureSmtpServer, SmtpServer

RESIDENT = "zhang.san@example.com"


def outgoing(key: str = "ack:1", **changes: object) -> Outgoing:
    values: dict[str, object] = {
        "key": key, "channel": "email", "recipient": RESIDENT,
        "subject": "[TS-2026-000123] 您的投诉已受理",
        "body": "您好，您的投诉已受理，编号 TS-2026-000123。",
        "html": "<p>您好，您的投诉已受理，编号 TS-2026-000123。</p>",
        "first_attempt_at": datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        "thread": ("<first@example.com>", "<second@example.com>"),
    }  # fmt: skip
    values.update(changes)
    return Outgoing(**values)  # type: ignore[arg-type]


def sender_for(server: SmtpServer, **extra: str) -> SmtpSender:
    sender = SmtpSender.from_environ(server.environ(**extra))
    assert sender is not None
    return sender


def test_a_reply_is_threaded_signed_automatic_and_has_text_and_html(
    smtp_server: SmtpServer,
) -> None:
    sender = sender_for(smtp_server)
    result = sender.send(outgoing())
    sender.close()
    [received] = smtp_server.sink.messages
    mail = received.mail
    assert received.rcpt_tos == (RESIDENT,)
    assert received.mail_from == "service@plaint.example"
    assert mail["Subject"] == "[TS-2026-000123] 您的投诉已受理"
    expected_id = make_message_id("ack:1", secret="test-secret-key", domain="plaint.example")
    assert mail["Message-ID"] == expected_id == result.provider_id
    assert is_our_message_id(mail["Message-ID"], secret="test-secret-key")
    assert mail["In-Reply-To"] == "<second@example.com>"
    assert mail["References"] == "<first@example.com> <second@example.com>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail.get_content_type() == "multipart/alternative"
    body = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert body is not None
    assert html is not None
    assert body.get_content().strip() == "您好，您的投诉已受理，编号 TS-2026-000123。"
    assert "<p>您好" in html.get_content()


def test_a_staff_message_is_not_marked_automatic_and_has_no_thread(
    smtp_server: SmtpServer,
) -> None:
    sender = sender_for(smtp_server)
    sender.send(outgoing(automatic=False, thread=(), html=None))
    sender.close()
    mail = smtp_server.sink.messages[0].mail
    assert mail["Auto-Submitted"] is None
    assert mail["In-Reply-To"] is None
    assert mail.get_content_type() == "text/plain"


def test_every_attempt_of_one_notification_carries_the_same_message_id(
    smtp_server: SmtpServer,
) -> None:
    sender = sender_for(smtp_server)
    first, again = sender.send(outgoing()), sender.send(outgoing())
    other = sender.send(outgoing(key="ack:2"))
    sender.close()
    assert sender.find_sent(outgoing()) is None  # SMTP cannot be asked
    assert first.provider_id == again.provider_id != other.provider_id
    assert smtp_server.sink.ids() == [first.provider_id, first.provider_id, other.provider_id]


@pytest.mark.parametrize(
    ("reply", "error", "reason"),
    [
        ("451 4.3.0 Try again later", TransientSendError, "smtp 451 refused"),
        ("452 4.2.2 Mailbox full", TransientSendError, "smtp 452 refused"),
        (f"550 5.1.1 <{RESIDENT}>: no such user", PermanentSendError, "smtp 550 refused"),
        ("554 5.7.1 Rejected", PermanentSendError, "smtp 554 refused"),
    ],
)
def test_4xx_is_transient_and_5xx_permanent_with_the_code_only(
    smtp_server: SmtpServer, reply: str, error: type[Exception], reason: str
) -> None:
    sender = sender_for(smtp_server)
    smtp_server.sink.replies.append(reply)
    with pytest.raises(error) as raised:
        sender.send(outgoing())
    assert str(raised.value) == reason
    assert RESIDENT not in str(raised.value)
    sender.send(outgoing())  # the connection is still usable after a refusal
    sender.close()
    assert len(smtp_server.sink.messages) == 1


def test_a_dead_server_is_transient() -> None:
    environ = {"PLAINT_SMTP_HOST": "127.0.0.1", "PLAINT_SMTP_PORT": str(free_port()),
               "PLAINT_SMTP_TLS": "none", "PLAINT_SMTP_FROM": "s@plaint.example",
               "PLAINT_SECRET_KEY": "k"}  # fmt: skip
    sender = SmtpSender.from_environ(environ)
    assert sender is not None
    with pytest.raises(TransientSendError, match="smtp unavailable"):
        sender.send(outgoing())


def test_a_connection_the_server_closed_is_reopened(smtp_server: SmtpServer) -> None:
    sender = sender_for(smtp_server)
    sender.send(outgoing(key="a"))
    connection = sender._smtp
    assert connection is not None
    connection.sock.close()  # type: ignore[union-attr]  # as if the server hung up
    sender.send(outgoing(key="b"))
    sender.close()
    assert len(smtp_server.sink.messages) == 2


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLAINT_SMTP_TLS": "tls"}, "PLAINT_SMTP_TLS must be starttls, ssl or none"),
        ({"PLAINT_SMTP_PORT": "smtp"}, "PLAINT_SMTP_PORT must be a TCP port"),
        ({"PLAINT_SMTP_FROM": ""}, "PLAINT_SMTP_FROM must be set"),
        ({"PLAINT_SECRET_KEY": ""}, "PLAINT_SECRET_KEY must be set"),
    ],
)
def test_a_half_configured_sender_is_a_config_error(environ: dict[str, str], message: str) -> None:
    base = {"PLAINT_SMTP_HOST": "mail.example", "PLAINT_SMTP_FROM": "s@plaint.example",
            "PLAINT_SECRET_KEY": "k"}  # fmt: skip
    with pytest.raises(ConfigError, match=message):
        open_senders({**base, **environ})


def test_no_smtp_host_means_no_email_sender() -> None:
    assert "email" not in open_senders({})
    assert "email" in open_senders({"PLAINT_SMTP_HOST": "mail.example",
                                    "PLAINT_SMTP_FROM": "s@plaint.example",
                                    "PLAINT_SECRET_KEY": "k"})  # fmt: skip


def test_starttls_and_login(secure_smtp_server: SecureSmtpServer) -> None:
    server = secure_smtp_server
    environ = server.environ(PLAINT_SMTP_TLS="starttls", PLAINT_SMTP_USER=server.user,
                             PLAINT_SMTP_PASSWORD=server.password)  # fmt: skip
    settings = settings_from_environ(environ)
    assert settings is not None
    assert server.password not in repr(settings)
    sender = SmtpSender(settings, context=ssl.create_default_context(cafile=server.cafile))
    sender.send(outgoing())
    sender.close()
    assert len(server.sink.messages) == 1


def test_a_wrong_password_or_an_untrusted_certificate_is_transient(
    secure_smtp_server: SecureSmtpServer,
) -> None:
    server = secure_smtp_server
    wrong = settings_from_environ(server.environ(
        PLAINT_SMTP_TLS="starttls", PLAINT_SMTP_USER=server.user, PLAINT_SMTP_PASSWORD="nope",
    ))  # fmt: skip
    assert wrong is not None
    trusted = ssl.create_default_context(cafile=server.cafile)
    with pytest.raises(TransientSendError, match=r"^smtp "):  # 535, or the server hangs up
        # A short timeout: after a refused login some servers wait instead of answering.
        SmtpSender(dataclasses.replace(wrong, timeout=2), context=trusted).send(outgoing())
    untrusting = SmtpSender.from_environ(server.environ(PLAINT_SMTP_TLS="starttls"))
    assert untrusting is not None
    with pytest.raises(TransientSendError, match="smtp unavailable"):
        untrusting.send(outgoing())
    assert server.sink.messages == []
