"""Stored SMS (Twilio webhook parameters) and call records become InboundMessages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from plaint.channels import parse_payload
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind
from tests.shared_data import eval_path

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def payload(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("data", "sender", "body"),
    [
        ({"From": "+8613800138000", "Body": "电梯坏了", "MessageSid": "SM1"},
         "+8613800138000", "电梯坏了"),
        ({"From": "138 0013 8000", "Body": "还在漏水"}, "+8613800138000", "还在漏水"),
        ({"from": "+85291234567", "body": "lift broken", "sid": "SM2"}, "+85291234567",
         "lift broken"),
    ],
)  # fmt: skip
def test_sms_payloads(data: dict[str, str], sender: str, body: str) -> None:
    message = parse_payload(ChannelKind.SMS, payload(data), received_at=AT)
    assert (message.channel, message.sender, message.body) == (ChannelKind.SMS, sender, body)


def test_a_call_record_carries_the_notes_and_transcript() -> None:
    data = {"caller": "+86 138 0013 8000", "call_id": "CA9", "notes": "业主来电反映停水",
            "transcript": "喂，我家停水了"}  # fmt: skip
    message = parse_payload(ChannelKind.PHONE, payload(data), received_at=AT)
    assert message.sender == "+8613800138000"
    assert message.body == "业主来电反映停水\n喂，我家停水了"
    assert message.message_id == "CA9"


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        (ChannelKind.SMS, b"not json", "bad_json"),
        (ChannelKind.SMS, b"[1, 2]", "bad_json"),
        (ChannelKind.SMS, payload({"Body": "no sender"}), "bad_phone"),
        (ChannelKind.SMS, payload({"From": "12345", "Body": "x"}), "bad_phone"),
        (ChannelKind.PHONE, payload({"caller": "anonymous"}), "bad_phone"),
        (ChannelKind.PHONE, b"\xff\xfe", "bad_json"),
    ],
)
def test_bad_payloads_are_the_senders_fault(kind: ChannelKind, raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessageError) as info:
        parse_payload(kind, raw, received_at=AT)
    assert info.value.reason == reason


def test_real_twilio_inbound_webhooks_parse() -> None:
    folder = eval_path("twilio", "webhooks", "zammad-inbound-sms")
    for path in sorted(folder.glob("inbound_sms*.json")):
        data = json.loads(path.read_text("utf-8"))
        message = parse_payload(ChannelKind.SMS, path.read_bytes(), received_at=AT)
        assert message.sender.startswith("+")
        assert message.body == data["Body"]
        assert message.message_id == data["MessageSid"]
