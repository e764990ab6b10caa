"""The outbox's SMS side against the Twilio stand-in, through the real ``twilio`` client,
on SQLite and PostgreSQL: a long Chinese acknowledgement goes whole, opted-out numbers get
nothing but their STOP confirmation, Twilio's 21610 opts a number out, and a status
callback that outruns the dispatcher's commit keeps its later status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.outbound import Outgoing, SendResult
from plaint.channels.twilio.client import make_client
from plaint.channels.twilio.sender import TwilioSender
from plaint.config.messages import packaged_messages
from plaint.models import Notification
from plaint.pipeline.smstext import segment_count
from plaint.pipeline.texts import render
from plaint.service.optout import is_opted_out, opt_out
from plaint.service.outbox import RetryPolicy, claim_due, dispatch_due, record
from plaint.service.twilio_status import record_status
from tests.service.outbox_helpers import add_sms_notifications, phone_of, rows
from tests.twilio_fixture import StandIn

PAST = datetime.now(UTC) - timedelta(seconds=1)
TEXTS = packaged_messages().templates


def _dispatch(sessions: sessionmaker[Session], standin: StandIn) -> None:
    sender = TwilioSender(standin.settings())
    dispatch_due(sessions, senders={"sms": sender}, zone=UTC, clock=lambda: datetime.now(UTC))


def _ack_data(length: int) -> dict[str, str]:
    """Acknowledgement data whose Chinese text is exactly ``length`` characters."""
    data = {"ticket": "TS-2026-000123", "category": "facility", "sub_topic": "",
            "first_response_due": "2026-11-03T01:00:00+00:00"}  # fmt: skip
    short = len(render("ack", data, language="zh", zone=UTC, templates=TEXTS).body)
    return {**data, "sub_topic": "楼" * (length - short)}


def test_a_100_character_chinese_acknowledgement_is_sent_whole_in_2_segments(
    sessions: sessionmaker[Session], standin: StandIn
) -> None:
    data = _ack_data(100)
    body = render("ack", data, language="zh", zone=UTC, templates=TEXTS).body
    assert len(body) == 100
    add_sms_notifications(sessions, 1, now=PAST, template="ack", data=data)
    _dispatch(sessions, standin)
    [sent] = standin.sent()
    assert sent["body"] == body  # whole, not cut
    at_standin = make_client(standin.settings()).messages(sent["sid"]).fetch()
    assert at_standin.num_segments == "2"
    [row] = rows(sessions)
    assert (row.status, row.provider_id, row.segments) == ("sent", sent["sid"], 2)
    assert segment_count(body) == 2


def test_an_opted_out_number_gets_only_its_stop_confirmation(
    sessions: sessionmaker[Session], standin: StandIn
) -> None:
    add_sms_notifications(sessions, 2, now=PAST)
    resident_phone = phone_of("s", 0)
    with sessions.begin() as session:
        opt_out(session, number=resident_phone, reason="keyword", now=PAST,
                confirmation_key="sms_opted_out:9")  # fmt: skip
        session.add(Notification(key="sms_opted_out:9", recipient_kind="phone",
                                 recipient=resident_phone, template="sms_opted_out", data={},
                                 urgent=True, not_before=PAST, created_at=PAST))  # fmt: skip
    _dispatch(sessions, standin)
    sent = standin.sent()
    assert sorted(s["to"] for s in sent) == [resident_phone, phone_of("s", 1)]
    [confirmation] = [s for s in sent if s["to"] == resident_phone]
    assert "退订" in confirmation["body"]
    by_key = {r.key: r for r in rows(sessions)}
    assert (by_key["s:0"].status, by_key["s:0"].last_error, by_key["s:0"].attempts) == (
        "failed", "opted_out", 0)  # fmt: skip
    assert by_key["s:1"].status == by_key["sms_opted_out:9"].status == "sent"


def test_twilio_21610_fails_the_row_and_opts_the_number_out(
    sessions: sessionmaker[Session], standin: StandIn
) -> None:
    add_sms_notifications(sessions, 2, now=PAST)
    standin.control("faults", [{"status": 400, "code": 21610}])
    _dispatch(sessions, standin)
    [first, second] = rows(sessions)
    assert (first.status, first.last_error) == ("failed", "opted_out (code 21610)")
    assert second.status == "sent"
    with sessions() as session:
        assert is_opted_out(session, phone_of("s", 0))


def test_a_status_callback_before_the_record_keeps_its_later_status(
    sessions: sessionmaker[Session],
) -> None:
    [row_id] = add_sms_notifications(sessions, 1, now=PAST)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        [claim], _ = claim_due(session, senders={"sms": _NoSender()}, zone=UTC, now=now,
                               limit=5, policy=RetryPolicy())  # fmt: skip
    with sessions.begin() as session:  # Twilio's callback outruns the dispatcher's commit
        assert record_status(session, sid="SM1", key=claim.message.key, status="delivered",
                             error_code=None, recipient=None, now=now)  # fmt: skip
    with sessions.begin() as session:
        outcome = SendResult(provider_id="SM1", status="queued", segments=1)
        record(session, claim, outcome, now=now, policy=RetryPolicy(), jitter=0.0)
    [row] = rows(sessions)
    assert (row.id, row.status, row.provider_id, row.provider_status) == (
        row_id, "sent", "SM1", "delivered")  # fmt: skip


class _NoSender:
    channel = "sms"

    def send(self, message: Outgoing) -> SendResult:
        raise AssertionError("not called")

    def find_sent(self, message: Outgoing) -> SendResult | None:
        raise AssertionError("not called")
