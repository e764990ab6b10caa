"""The inbox items the Twilio paths write, built the same way by the webhooks and the pull
adapters, so both meet in the inbox's UNIQUE(source, external_id):

- an SMS/MMS: source :data:`SMS_SOURCE`, external id its MessageSid;
- a voicemail transcription: source :data:`VOICE_SOURCE`, external id the TranscriptionSid;
- a missed call (no answer, busy) from a resident: source :data:`VOICE_SOURCE`, external
  id ``CallSid:missed``; its text asks for a call back, so it becomes a ticket of its own
  with its own first-response clock.

Payloads are JSON objects with Twilio's webhook parameter names, which the SMS and phone
parsers read (:mod:`plaint.channels.sms.parse`, :mod:`plaint.channels.phone.parse`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from plaint.channels.base import Delivery
from plaint.inbound import ChannelKind

__all__ = [
    "MISSED_CALL_NOTE",
    "MISSED_STATUSES",
    "SMS_SOURCE",
    "VOICE_SOURCE",
    "missed_call",
    "sms",
    "transcription",
]

SMS_SOURCE = "twilio-sms"
VOICE_SOURCE = "twilio-voice"
# Final call statuses of a call nobody took.
MISSED_STATUSES = frozenset({"no-answer", "busy"})
MISSED_CALL_NOTE = "未接来电：住户来电未接通，请回电。"


def _item(source: str, channel: ChannelKind, external_id: str, fields: Mapping[str, Any],
          received_at: datetime, position: str) -> Delivery:  # fmt: skip
    payload = json.dumps(dict(fields), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return Delivery(source=source, channel=channel, external_id=external_id, payload=payload,
                    received_at=received_at, position=position)  # fmt: skip


def sms(
    fields: Mapping[str, Any],
    *,
    received_at: datetime,
    position: str = "",
    media: list[dict[str, Any]] | None = None,
) -> Delivery:
    """An SMS from webhook parameters or a REST Message (``MessageSid`` or ``sid``)."""
    sid = str(fields.get("MessageSid") or fields.get("sid") or "")
    payload = {**fields, "Media": media} if media else fields
    return _item(SMS_SOURCE, ChannelKind.SMS, sid, payload, received_at, position)


def transcription(
    *, sid: str, call_sid: str, caller: str, text: str, received_at: datetime, position: str = ""
) -> Delivery:
    """A voicemail transcription of call ``call_sid`` from ``caller``."""
    fields = {"TranscriptionSid": sid, "CallSid": call_sid, "From": caller,
              "TranscriptionText": text}  # fmt: skip
    return _item(VOICE_SOURCE, ChannelKind.PHONE, sid, fields, received_at, position)


def missed_call(
    *, call_sid: str, caller: str, status: str, received_at: datetime, position: str = ""
) -> Delivery:
    """A call from ``caller`` that ended ``status`` (no-answer, busy): a call-back task."""
    fields = {"CallSid": call_sid, "From": caller, "CallStatus": status, "notes": MISSED_CALL_NOTE}
    return _item(VOICE_SOURCE, ChannelKind.PHONE, f"{call_sid}:missed", fields, received_at,
                 position)  # fmt: skip
