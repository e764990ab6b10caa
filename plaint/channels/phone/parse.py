"""A phone call as stored in the inbox: a call record, one JSON object.

The shape every phone source stores (the call-centre CSV folder, AMQP events, Twilio)::

    {"call_id": "1270167992.0",           # the PBX's or Twilio's id of the call (or "")
     "caller": "13800138000",             # the resident's number, any form phonenumbers reads
     "caller_name": "张三",               # optional
     "called": "4008001234",              # optional: the number or extension dialled
     "started_at": "2026-11-02T09:30:00+08:00",  # optional, ISO 8601 with offset
     "duration": 37,                      # optional, seconds
     "status": "completed",               # Twilio's call statuses: completed, no-answer,
                                          #   busy, failed, canceled (others: not missed)
     "agent": "SIP/8001-0000a",           # optional; present and "" = no agent took it
     "notes": "...",                      # the agent's note, if any
     "transcript": "...",                 # a voicemail's transcription, if any
     "origin": {...}}                     # optional: where it came from (file, line...)

Twilio's own parameter names are read too (``From``/``from``/``Caller``, ``CallSid``/
``sid``, ``CallStatus``, ``TranscriptionText``, ``CallerName``), so a webhook's parameters or
a REST resource can be stored as they come.

What a record becomes: what was said (notes, transcript) is a complaint; with nothing
said, a call that did not reach an agent (a status other than completed, or an ``agent``
given empty) is a call-back request (:data:`CALLBACK_SUBJECT`), which triage files as a
ticket with its first-response clock; an answered call with nothing said has an empty
body (recorded, classified invalid). A record an adapter already found malformed carries
``"malformed": reason`` and is rejected with that reason again (e.g. after a replay).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plaint.channels.jsonpayload import load_object, sender_phone
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind, InboundMessage

__all__ = ["CALLBACK_BODY", "CALLBACK_SUBJECT", "MISSED_STATUSES", "is_missed", "parse_call"]

# The statuses of a call that never reached anyone (Twilio's names).
MISSED_STATUSES = frozenset({"no-answer", "busy", "failed", "canceled"})
CALLBACK_SUBJECT = "未接来电，请回电"
CALLBACK_BODY = "住户来电未接通，请尽快回电。"
_MAX_REASON = 200
_TEXT_KEYS = ("notes", "transcript", "TranscriptionText")


def parse_call(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a stored call record; raise MalformedMessageError for bad JSON, a record
    marked malformed, or no valid caller number."""
    data = load_object(payload)
    if "malformed" in data:
        reason = str(data["malformed"])[:_MAX_REASON] or "malformed"
        raise MalformedMessageError("call record was malformed at its source", reason=reason)
    sender = sender_phone(data, "caller", "From", "from", "Caller")
    parts = [data.get(key) for key in _TEXT_KEYS]
    body = "\n".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    subject = ""
    if not body and is_missed(data):
        subject, body = CALLBACK_SUBJECT, CALLBACK_BODY
    return InboundMessage(
        channel=ChannelKind.PHONE,
        sender=sender,
        sender_name=_text(data, "caller_name", "CallerName"),
        subject=subject,
        body=body,
        received_at=received_at,
        message_id=_text(data, "call_id", "CallSid", "sid"),
    )


def is_missed(data: dict[str, Any]) -> bool:
    """Whether a call record is of a call that reached no agent: a missed status, or an
    ``agent`` key present and empty."""
    status = _text(data, "status", "CallStatus").lower()
    return status in MISSED_STATUSES or data.get("agent") == ""


def _text(data: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value is not None:
            return str(value)
    return ""
