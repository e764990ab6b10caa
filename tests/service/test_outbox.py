"""The outbox as a resident and an operator see it, on SQLite and PostgreSQL with a real
SMTP server: one acknowledgement per new ticket, threaded under the resident's mail, in
their language; backoff on 4xx, failure after the budget or at once on 5xx, visible and
retryable; a channel without a sender waits, visibly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.channels.email.smtp import SmtpSender
from plaint.channels.outbound import Outgoing, Sender, SendResult, TransientSendError
from plaint.cli import main
from plaint.config import Config, load_config
from plaint.inbound import ChannelKind
from plaint.models import Notification, Resident, Ticket
from plaint.service.directory import sync_directory
from plaint.service.outbox import DispatchResult, RetryPolicy, dispatch_due
from plaint.service.store import store_delivery
from plaint.service.triage import TriageOutcome, triage_inbox
from tests.service.outbox_helpers import add_notifications, rows
from tests.smtp import SmtpServer
from tests.workers.test_flow import complaint

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
POLICY = RetryPolicy(max_attempts=3)


@pytest.fixture
def config(sessions: sessionmaker[Session]) -> Config:
    loaded = load_config(None)
    with sessions.begin() as session:
        sync_directory(session, loaded, now=START)
    return loaded


@pytest.fixture
def sender(smtp_server: SmtpServer) -> Iterator[SmtpSender]:
    made = SmtpSender.from_environ(smtp_server.environ())
    assert made is not None
    yield made
    made.close()


def triage(sessions: sessionmaker[Session], config: Config, n: int, raw: bytes) -> TriageOutcome:
    at = START + timedelta(minutes=n)
    delivery = Delivery("mail", ChannelKind.EMAIL, f"<c{n}@example.com>", raw, at, "")
    with sessions.begin() as session:
        inbox_id = store_delivery(session, delivery, now=at).inbox_id
    with sessions.begin() as session:
        return triage_inbox(session, inbox_id, config=config, now=at)


def dispatch(sessions: sessionmaker[Session], sender: Sender, at: datetime) -> DispatchResult:
    return dispatch_due(sessions, senders={"email": sender}, zone=UTC, clock=lambda: at,
                        policy=POLICY, jitter=lambda: 0.0)  # fmt: skip


def test_a_new_ticket_is_acknowledged_once_threaded_in_the_residents_language(
    sessions: sessionmaker[Session], config: Config, sender: SmtpSender, smtp_server: SmtpServer
) -> None:
    assert (
        triage(sessions, config, 1, complaint(1, "3号楼电梯又坏了，困了人")) is TriageOutcome.TICKET
    )
    follow_up = complaint(2, "还没修好", In_Reply_To="<c1@example.com>")
    assert triage(sessions, config, 2, follow_up.replace(b"resident2@", b"resident1@")) is (
        TriageOutcome.APPENDED
    )
    [ack] = rows(sessions)
    assert (ack.key, ack.template, ack.channel, ack.status) == (
        f"ack:{ack.ticket_id}",
        "ack",
        "email",
        "pending",
    )
    assert dispatch(sessions, sender, START + timedelta(minutes=3)).sent == 1
    [received] = smtp_server.sink.messages
    with sessions() as session:
        ticket = session.get_one(Ticket, ack.ticket_id)
    mail = received.mail
    assert received.rcpt_tos == ("resident1@example.com",)
    assert mail["Subject"] == f"[{ticket.number}] 您的投诉已受理"
    assert mail["In-Reply-To"] == "<c2@example.com>"
    assert mail["References"] == "<c1@example.com> <c2@example.com>"
    part = mail.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert f"编号 {ticket.number}，类别：设施/产品投诉 · 电梯" in text
    assert "我们将在 2026-11-25 02:31 前首次答复您" in text  # the emergency policy, in UTC
    [ack] = rows(sessions)
    assert (ack.status, ack.attempts, ack.provider_id) == ("sent", 1, mail["Message-ID"])
    assert dispatch(sessions, sender, START + timedelta(hours=1)).sent == 0


def test_an_english_speaking_resident_is_answered_in_english(
    sessions: sessionmaker[Session], config: Config, sender: SmtpSender, smtp_server: SmtpServer
) -> None:
    with sessions.begin() as session:
        session.add(Resident(email="resident1@example.com", language="en", created_at=START))
    triage(sessions, config, 1, complaint(1, "3号楼电梯又坏了，困了人"))
    dispatch(sessions, sender, START + timedelta(minutes=2))
    mail = smtp_server.sink.messages[0].mail
    assert mail["Subject"].endswith("Your complaint has been received")
    part = mail.get_body(("plain",))
    assert part is not None
    assert "filed as facilities: lift" in part.get_content()


def test_a_near_duplicate_gets_already_tracked_and_no_second_ack(
    sessions: sessionmaker[Session], config: Config
) -> None:
    triage(sessions, config, 1, complaint(1, "3号楼2单元的电梯又坏了，困在里面半小时"))
    again = complaint(3, "3号楼2单元的电梯又坏了，刚才困在里面半小时了")
    triage(sessions, config, 3, again.replace(b"resident3@", b"resident1@"))
    assert [r.template for r in rows(sessions)] == ["ack", "already_tracked"]


def test_an_invalid_complaint_is_not_acknowledged(
    sessions: sessionmaker[Session], config: Config
) -> None:
    triage(sessions, config, 1, complaint(1, "测试一下，发错了"))
    with sessions() as session:
        assert session.scalar(select(Ticket.validity)) == "invalid"
    assert rows(sessions) == []


def test_a_4xx_backs_off_then_sends(
    sessions: sessionmaker[Session], sender: SmtpSender, smtp_server: SmtpServer
) -> None:
    add_notifications(sessions, 1, now=START)
    smtp_server.sink.replies.append("451 4.3.0 Try again later")
    assert dispatch(sessions, sender, START).retrying == 1
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "smtp 451 refused")
    assert row.not_before == START + POLICY.base / 2  # no jitter: the lower half
    assert dispatch(sessions, sender, START + timedelta(seconds=10)).retrying == 0
    assert smtp_server.sink.messages == []
    assert dispatch(sessions, sender, row.not_before).sent == 1
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_failure_after_the_budget_is_listed_and_retry_sends_it(
    sessions: sessionmaker[Session], sender: SmtpSender, smtp_server: SmtpServer,
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    [row_id] = add_notifications(sessions, 1, now=START)
    smtp_server.sink.replies.extend(["421 4.7.0 Busy"] * POLICY.max_attempts)
    at = START
    for _ in range(POLICY.max_attempts):
        dispatch(sessions, sender, at)
        at += POLICY.cap
    [row] = rows(sessions)
    assert (row.status, row.attempts) == ("failed", POLICY.max_attempts)
    assert row.last_error == "gave up after 3 attempts: smtp 421 refused"
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    monkeypatch.delenv("PLAINT_REDIS_URL", raising=False)
    assert main(["outbox", "list", "--status", "failed", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 1
    assert listed["rows"][0]["reason"] == "gave up after 3 attempts: smtp 421 refused"
    assert "@" not in json.dumps(listed)  # no address in the listing
    assert main(["outbox", "list", "--status", "failed"]) == 0
    assert "gave up after 3 attempts" in capsys.readouterr().out
    assert main(["outbox", "retry", str(row_id)]) == 0
    assert f"notification {row_id} (already_tracked) is pending again" in capsys.readouterr().out
    assert dispatch_due(sessions, senders={"email": sender}, zone=UTC,
                        clock=lambda: datetime.now(UTC)).sent == 1  # fmt: skip
    assert main(["outbox", "retry", str(row_id)]) == 2  # sent: not again
    assert "is sent; not retried" in capsys.readouterr().err
    assert len(smtp_server.sink.messages) == 1


def test_a_5xx_fails_at_once_with_its_code(
    sessions: sessionmaker[Session], sender: SmtpSender, smtp_server: SmtpServer
) -> None:
    add_notifications(sessions, 1, now=START)
    smtp_server.sink.replies.append("550 5.1.1 no such user")
    assert dispatch(sessions, sender, START).failed == 1
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        1,
        "smtp 550 refused (code 550)",
    )


def test_a_channel_without_a_sender_waits_with_the_reason(
    sessions: sessionmaker[Session], sender: SmtpSender, smtp_server: SmtpServer
) -> None:
    add_notifications(sessions, 1, now=START)
    with sessions.begin() as session:
        session.execute(update(Resident).values(email=None, phone="+8613800138000"))
    result = dispatch(sessions, sender, START)
    assert result.held == 1
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        0,
        "no sender configured for sms",
    )
    assert row.not_before == START + POLICY.hold
    assert smtp_server.sink.messages == []


class Recording:
    """A stub sender for what SMTP cannot show: a provider that can be asked about an
    earlier attempt, and one that asks to wait (Retry-After)."""

    channel = "email"

    def __init__(self, *, found: SendResult | None = None, retry_after: float | None = None):
        self.found, self.retry_after, self.sent = found, retry_after, 0

    def send(self, message: Outgoing) -> SendResult:
        if self.retry_after is not None:
            raise TransientSendError("429", retry_after=self.retry_after)
        self.sent += 1
        return SendResult("new", "queued")

    def find_sent(self, message: Outgoing) -> SendResult | None:
        return self.found


def test_an_attempt_in_doubt_that_the_provider_knows_is_not_resent(
    sessions: sessionmaker[Session],
) -> None:
    add_notifications(sessions, 1, now=START)
    with sessions.begin() as session:  # as a dispatcher that died after claiming leaves it
        session.execute(update(Notification).values(status="sending", attempts=1))
    stub = Recording(found=SendResult("SM123", "delivered", segments=2))
    assert dispatch(sessions, stub, START).sent == 1
    [row] = rows(sessions)
    assert stub.sent == 0
    assert (row.status, row.provider_id, row.provider_status, row.segments) == (
        "sent",
        "SM123",
        "delivered",
        2,
    )


def test_retry_after_is_honoured(sessions: sessionmaker[Session]) -> None:
    add_notifications(sessions, 1, now=START)
    dispatch(sessions, Recording(retry_after=3600), START)
    [row] = rows(sessions)
    assert (row.status, row.not_before) == ("pending", START + timedelta(hours=1))
