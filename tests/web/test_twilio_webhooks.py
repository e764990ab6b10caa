"""Twilio's webhooks: signatures, the inbox's unique key, opt-out keywords, delivery
statuses and voice callbacks, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning
from twilio.request_validator import RequestValidator

from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.models import Inbox, Notification, Ticket, TicketStatus
from plaint.service.directory import sync_directory
from plaint.service.optout import is_opted_out
from plaint.service.triage import TriageOutcome, triage_inbox
from plaint.web.app import create_app
from plaint.web.twilio import EMPTY_TWIML
from tests.shared_data import eval_path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PUBLIC = "https://plaint.example.com"
TOKEN = "webhook-test-token"
SETTINGS = TwilioSettings(account_sid="AC" + "1" * 32, auth_token=TOKEN, sender="+8610690000",
                          public_url=PUBLIC, api_url="http://127.0.0.1:9")  # fmt: skip
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
RESIDENT = "+8613800138000"


class Twilio:
    """Posts signed webhooks to the app, as Twilio does."""

    def __init__(self, client: TestClient, enqueued: list[int]) -> None:
        self.client, self.enqueued = client, enqueued

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None,
             tamper: dict[str, str] | None = None) -> Any:  # fmt: skip
        url = PUBLIC + path
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return self.client.post(path, data={**params, **(tamper or {})}, headers=headers)


@pytest.fixture
def twilio(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> Twilio:
    config = make_config()
    with sessions.begin() as session:
        sync_directory(session, config, now=NOW)
    enqueued: list[int] = []
    app = create_app(config=config, sessions=sessions, redis_ready=lambda: True,
                     clock=lambda: NOW, twilio=SETTINGS, enqueue=enqueued.append)  # fmt: skip
    twilio = Twilio(TestClient(app), enqueued)
    twilio.config = config  # type: ignore[attr-defined]
    return twilio


def sms(sid: str, body: str, sender: str = RESIDENT) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": SETTINGS.account_sid,
            "From": sender, "To": SETTINGS.sender, "Body": body, "NumMedia": "0",
            "FromCity": "", "ApiVersion": "2010-04-01"}  # fmt: skip


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def triage_all(sessions: sessionmaker[Session], twilio: Twilio) -> list[TriageOutcome]:
    outcomes = []
    for inbox_id in twilio.enqueued:
        with sessions.begin() as session:
            outcomes.append(triage_inbox(session, inbox_id, config=twilio.config,  # type: ignore[attr-defined]
                                         now=NOW))  # fmt: skip
    twilio.enqueued.clear()
    return outcomes


def test_a_signed_sms_is_stored_enqueued_and_answered_with_empty_twiml(
    twilio: Twilio, sessions: sessionmaker[Session]
) -> None:
    response = twilio.post("/webhooks/twilio/sms", sms("SM1", "3号楼电梯坏了"))
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("application/xml")
    assert count(sessions, Inbox) == 1
    assert len(twilio.enqueued) == 1
    assert triage_all(sessions, twilio) == [TriageOutcome.TICKET]


@pytest.mark.parametrize(
    ("signature", "tamper"),
    [
        ("forged+signature=", None),
        ("", None),
        (None, {"Body": "篡改后的内容"}),
        (None, {"Extra": "added"}),
    ],
    ids=["forged", "unsigned", "tampered", "param-added"],
)
def test_a_request_twilio_did_not_sign_is_refused_and_nothing_stored(
    twilio: Twilio, sessions: sessionmaker[Session], signature: str | None,
    tamper: dict[str, str] | None,
) -> None:  # fmt: skip
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/voice",
                 "/webhooks/twilio/status?key=ack:1"):  # fmt: skip
        response = twilio.post(path, sms("SM2", "假消息"), signature=signature, tamper=tamper)
        assert response.status_code == 403
    assert count(sessions, Inbox) == 0
    assert count(sessions, Notification) == 0
    assert twilio.enqueued == []


def test_the_zammad_scenario_retries_follow_ups_and_a_closed_ticket(
    twilio: Twilio, sessions: sessionmaker[Session]
) -> None:
    folder = eval_path("twilio", "webhooks", "zammad-inbound-sms")
    posts = [json.loads((folder / f"inbound_sms{n}.json").read_text("utf-8")) for n in (1, 2)]
    for params in (posts[0], posts[1], posts[1]):  # the second one retried by Twilio
        assert twilio.post("/webhooks/twilio/sms", params).status_code == 200
    assert count(sessions, Inbox) == 2
    # The retry finds its row still pending and enqueues it again: triage is idempotent.
    assert triage_all(sessions, twilio) == [
        TriageOutcome.TICKET, TriageOutcome.APPENDED, TriageOutcome.ALREADY_DONE,
    ]  # fmt: skip
    with sessions.begin() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert len(ticket.messages) == 2
        ticket.status = TicketStatus.CLOSED
    third = json.loads((folder / "inbound_sms3.json").read_text("utf-8"))
    twilio.post("/webhooks/twilio/sms", third)
    assert triage_all(sessions, twilio) == [TriageOutcome.TICKET]
    assert count(sessions, Ticket) == 2


def test_stop_and_start_each_confirm_once(twilio: Twilio, sessions: sessionmaker[Session]) -> None:
    for params in (sms("SM10", "退订"), sms("SM10", "退订"), sms("SM11", "STOP")):
        twilio.post("/webhooks/twilio/sms", params)
    assert triage_all(sessions, twilio) == [
        TriageOutcome.KEYWORD, TriageOutcome.ALREADY_DONE, TriageOutcome.KEYWORD,
    ]  # fmt: skip
    with sessions() as session:
        assert is_opted_out(session, RESIDENT)
        [confirm] = session.scalars(select(Notification)).all()
        assert confirm.template == "sms_opted_out"
        assert confirm.recipient == RESIDENT
        assert not is_opted_out(session, RESIDENT, key=confirm.key)  # the confirmation goes
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    twilio.post("/webhooks/twilio/sms", sms("SM12", "订阅"))
    assert triage_all(sessions, twilio) == [TriageOutcome.KEYWORD]
    with sessions() as session:
        assert not is_opted_out(session, RESIDENT)
        templates = session.scalars(select(Notification.template).order_by(Notification.id))
        assert list(templates) == ["sms_opted_out", "sms_opted_in"]


def _notification(sessions: sessionmaker[Session], key: str) -> None:
    with sessions.begin() as session:
        session.add(Notification(key=key, recipient_kind="phone", recipient=RESIDENT,
                                 template="sms_opted_in", data={}, not_before=NOW,
                                 created_at=NOW, status="sending", channel="sms"))  # fmt: skip


def _row(sessions: sessionmaker[Session], key: str) -> Notification:
    with sessions() as session:
        row = session.scalar(select(Notification).where(Notification.key == key))
        assert row is not None
        return row


def test_status_callbacks_update_the_notification_and_keep_the_most_advanced_state(
    twilio: Twilio, sessions: sessionmaker[Session]
) -> None:
    def status(value: str, error: str = "", sid: str = "SM20") -> dict[str, str]:
        return {"MessageSid": sid, "MessageStatus": value, "To": RESIDENT,
                "ErrorCode": error, "AccountSid": SETTINGS.account_sid}  # fmt: skip

    _notification(sessions, "ack:7")
    for value in ("delivered", "sent"):  # out of order, before the dispatcher recorded
        assert twilio.post("/webhooks/twilio/status?key=ack%3A7", status(value)).status_code == 200
    row = _row(sessions, "ack:7")
    assert (row.provider_id, row.provider_status) == ("SM20", "delivered")
    # Another message's callback, or an unknown key, changes nothing.
    twilio.post("/webhooks/twilio/status?key=ack%3A7", status("failed", "30003", sid="SM99"))
    twilio.post("/webhooks/twilio/status?key=ack%3A404", status("failed", "30003"))
    assert _row(sessions, "ack:7").provider_status == "delivered"
    _notification(sessions, "ack:8")
    twilio.post("/webhooks/twilio/status?key=ack%3A8",
                {**status("undelivered", "21610", sid="SM21"), "NumSegments": "2"})  # fmt: skip
    row = _row(sessions, "ack:8")
    assert (row.provider_status, row.segments) == ("undelivered", 2)
    assert row.last_error == "delivery undelivered (code 21610)"
    with sessions() as session:
        assert is_opted_out(session, RESIDENT)


def test_a_missed_call_and_a_transcription_become_tickets(
    twilio: Twilio, sessions: sessionmaker[Session]
) -> None:
    call = {"CallSid": "CA1", "From": "+8613900139000", "To": SETTINGS.sender,
            "Direction": "inbound", "AccountSid": SETTINGS.account_sid}  # fmt: skip
    for state in ("ringing", "no-answer", "no-answer"):
        assert (
            twilio.post("/webhooks/twilio/voice", {**call, "CallStatus": state}).status_code == 200
        )
    text = {"TranscriptionSid": "TR1", "TranscriptionText": "2号楼地下车库漏水很严重",
            "TranscriptionStatus": "completed", "RecordingSid": "RE1", "CallSid": "CA2",
            "From": RESIDENT, "AccountSid": SETTINGS.account_sid}  # fmt: skip
    twilio.post("/webhooks/twilio/voice", text)
    assert triage_all(sessions, twilio) == [
        TriageOutcome.TICKET, TriageOutcome.ALREADY_DONE, TriageOutcome.TICKET,
    ]  # fmt: skip
    with sessions() as session:
        channels = session.scalars(select(Ticket.channel)).all()
    assert channels == ["phone", "phone"]


def test_concurrent_deliveries_of_one_message_store_one_row(
    twilio: Twilio, sessions: sessionmaker[Session]
) -> None:
    params = sms("SM30", "水管爆了，楼道全是水")
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: twilio.post("/webhooks/twilio/sms", params).status_code,
                              range(16)))  # fmt: skip
    assert codes == [200] * 16
    assert count(sessions, Inbox) == 1
    assert set(twilio.enqueued) == {twilio.enqueued[0]}
