"""The Twilio SMS sender against the stand-in, through the real ``twilio`` client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from plaint.channels import open_senders
from plaint.channels.outbound import Outgoing, PermanentSendError, TransientSendError
from plaint.channels.twilio.sender import TwilioSender, from_environ
from plaint.config import load_settings
from plaint.errors import ConfigError
from tests.twilio_fixture import ACCOUNT, TOKEN, StandIn

RESIDENT = "+8613800138000"
# 100 Chinese characters: two UCS-2 segments, sent whole.
ACK = ("您的投诉已受理，编号TS-2026-000123，类别：设施投诉，我们将在24小时内答复。" * 3)[:100]


def _outgoing(body: str = ACK, *, key: str = "ack:1", at: datetime | None = None) -> Outgoing:
    return Outgoing(key=key, channel="sms", recipient="138 0013 8000", body=body,
                    first_attempt_at=at or datetime.now(UTC))  # fmt: skip


def test_a_long_chinese_text_is_sent_whole_in_two_segments(standin: StandIn) -> None:
    assert len(ACK) == 100
    result = TwilioSender(standin.settings()).send(_outgoing())
    [sent] = standin.sent()
    assert sent["body"] == ACK
    assert sent["to"] == RESIDENT
    assert result.provider_id == sent["sid"]
    assert result.segments == 2
    callback = urlsplit(sent["status_callback"])
    assert callback.path == "/webhooks/twilio/status"
    assert parse_qs(callback.query) == {"key": ["ack:1"]}


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_is_transient_with_retry_after(standin: StandIn, status: int) -> None:
    standin.control("faults", [{"status": status, "retry_after": 7}])
    with pytest.raises(TransientSendError) as info:
        TwilioSender(standin.settings()).send(_outgoing())
    assert info.value.retry_after == 7.0
    assert standin.sent() == []


def test_opted_out_recipient_is_a_permanent_21610(standin: StandIn) -> None:
    standin.control("faults", [{"status": 400, "code": 21610}])
    with pytest.raises(PermanentSendError) as info:
        TwilioSender(standin.settings()).send(_outgoing())
    assert info.value.code == "21610"


def test_find_sent_finds_an_accepted_but_unrecorded_message(standin: StandIn) -> None:
    sender = TwilioSender(standin.settings())
    message = _outgoing()
    assert sender.find_sent(message) is None  # nothing there: the dispatcher sends
    first = sender.send(message)  # ...and dies before recording it
    found = sender.find_sent(message)
    assert found is not None
    assert found.provider_id == first.provider_id
    assert sender.find_sent(_outgoing("另一条消息", key="ack:2")) is None


def test_find_sent_pages_and_stops_before_the_first_attempt(standin: StandIn) -> None:
    sender = TwilioSender(standin.settings())
    message = _outgoing("较早的消息")
    sender.send(message)
    for i in range(60):  # more than one page of newer messages to the same number
        standin.control("items/Messages", {"to": RESIDENT, "body": f"n{i}",
                                           "direction": "outbound-api"})  # fmt: skip
    assert sender.find_sent(message) is not None
    later = _outgoing("较早的消息", at=datetime.now(UTC) + timedelta(hours=1))
    assert sender.find_sent(later) is None


def test_wrong_credentials_are_permanent(standin: StandIn) -> None:
    settings = standin.settings()
    bad = type(settings)(account_sid=ACCOUNT, auth_token="wrong", sender=settings.sender,
                         api_url=settings.api_url)  # fmt: skip
    with pytest.raises(PermanentSendError):
        TwilioSender(bad).send(_outgoing())


def test_the_factory_reads_the_environment() -> None:
    assert from_environ({}) is None  # Twilio not configured: SMS notifications wait
    env = {"PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT, "PLAINT_TWILIO_AUTH_TOKEN": TOKEN}
    assert from_environ(env) is None  # receives only
    env["PLAINT_TWILIO_FROM"] = "MG" + "1" * 32
    assert isinstance(from_environ(env), TwilioSender)
    # webhooks need nothing from the environment: their sender is always there
    assert set(open_senders(env)) == {"sms", "webhook"}
    with pytest.raises(ConfigError, match="PLAINT_TWILIO_AUTH_TOKEN"):
        load_settings({"PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT})


def test_an_answer_lost_with_the_server_is_found_after_its_restart(standin: StandIn) -> None:
    sender = TwilioSender(standin.settings())
    message = _outgoing()
    standin.control("die_after_accept")
    with pytest.raises(TransientSendError):
        sender.send(message)  # accepted and recorded, but the answer never came
    standin.process.wait(timeout=10)
    standin.start()
    found = sender.find_sent(message)
    assert found is not None
    assert [s["sid"] for s in standin.sent()] == [found.provider_id]
