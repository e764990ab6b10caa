"""A phone call as stored in the inbox: a call record as a JSON object — the caller's
number (``caller``, or Twilio's ``From``/``Caller``), the call's id (``call_id`` or
``CallSid``) and what was said: the desk's notes (``notes``) or a transcript
(``transcript``, Twilio's ``TranscriptionText``)."""

from __future__ import annotations

from datetime import datetime

from plaint.channels.jsonpayload import load_object, sender_phone
from plaint.inbound import ChannelKind, InboundMessage

__all__ = ["parse_call"]


def parse_call(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a stored call record; raise MalformedMessageError for bad JSON or caller."""
    data = load_object(payload)
    sender = sender_phone(data, "caller", "From", "Caller")
    parts = [data.get(k) for k in ("notes", "transcript", "TranscriptionText")]
    body = "\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return InboundMessage(
        channel=ChannelKind.PHONE,
        sender=sender,
        sender_name=str(data.get("caller_name", data.get("CallerName", ""))),
        subject="",
        body=body,
        received_at=received_at,
        message_id=str(data.get("call_id", data.get("CallSid", ""))),
    )
