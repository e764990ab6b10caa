"""What Twilio's webhooks do, apart from HTTP: check the signature, store the item in the
inbox (the same item a pull would store, :mod:`plaint.channels.twilio.items`), enqueue its
triage after the commit, record delivery statuses.

A failed enqueue is not the caller's problem: the row is marked unqueued and the inbox
reconciler sends it later. Logs carry SIDs and ids, never numbers or text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.channels.twilio import items
from plaint.channels.twilio.calls import caller_of_recording
from plaint.channels.twilio.client import make_client
from plaint.channels.twilio.media import fetch_media
from plaint.channels.twilio.signature import valid_signature
from plaint.config.twilio import TwilioSettings
from plaint.errors import MalformedMessageError
from plaint.pipeline.contacts import normalise_phone
from plaint.service.retry import enqueue_stored
from plaint.service.store import StoredItem, store_delivery
from plaint.service.twilio_status import record_status

__all__ = ["receive_sms", "receive_status", "receive_voice", "signed_by_twilio"]

logger = logging.getLogger(__name__)

Params = Sequence[tuple[str, str]]


def signed_by_twilio(
    settings: TwilioSettings, *, path: str, query: str, params: Params, signature: str
) -> bool:
    """Whether ``signature`` is Twilio's for the public URL of ``path``?``query`` and the
    form ``params``."""
    url = settings.public(path) + (f"?{query}" if query else "")
    return valid_signature(
        auth_token=settings.auth_token, url=url, params=params, signature=signature
    )


def _store(
    sessions: sessionmaker[Session], delivery: Delivery, *, now: datetime,
    enqueue: Callable[[int], None],
) -> StoredItem:  # fmt: skip
    with sessions.begin() as session:
        item = store_delivery(session, delivery, now=now)
    enqueue_stored(sessions, item, enqueue=enqueue)
    return item


def receive_sms(
    sessions: sessionmaker[Session], *, settings: TwilioSettings, params: Params,
    now: datetime, enqueue: Callable[[int], None],
) -> StoredItem:  # fmt: skip
    """Store an incoming SMS/MMS (its media fetched first) and enqueue its triage; a
    retried MessageSid finds its row and stores nothing new. Raises
    MalformedMessageError without a MessageSid."""
    fields = dict(params)
    if not fields.get("MessageSid"):
        raise MalformedMessageError("no MessageSid", reason="no_message_sid")
    count = int(fields.get("NumMedia") or 0) if str(fields.get("NumMedia", "")).isdigit() else 0
    media = None
    if count:
        urls = [(fields.get(f"MediaUrl{i}", ""), fields.get(f"MediaContentType{i}", ""))
                for i in range(count)]  # fmt: skip
        media = fetch_media(settings, [(u, t) for u, t in urls if u])
    item = _store(sessions, items.sms(fields, received_at=now, media=media), now=now,
                  enqueue=enqueue)  # fmt: skip
    logger.info("twilio sms %s: inbox %s (new: %s)", fields["MessageSid"], item.inbox_id,
                item.created)  # fmt: skip
    return item


def receive_status(
    sessions: sessionmaker[Session], *, key: str, params: Params, now: datetime
) -> bool:
    """Record a delivery status callback of the message sent for notification ``key``;
    return whether the stored status changed (an older status arriving late does not)."""
    fields = dict(params)
    sid = fields.get("MessageSid") or fields.get("SmsSid")
    status = fields.get("MessageStatus") or fields.get("SmsStatus")
    if not sid or not status:
        raise MalformedMessageError("no MessageSid or status", reason="bad_status_callback")
    with sessions.begin() as session:
        return record_status(
            session, sid=sid, key=key, status=status, error_code=fields.get("ErrorCode") or None,
            recipient=_phone(fields.get("To", "")), now=now, segments=_count(fields),
        )  # fmt: skip


def _count(fields: dict[str, str]) -> int | None:
    raw = fields.get("NumSegments", "")
    return int(raw) if raw.isdigit() else None


def receive_voice(
    sessions: sessionmaker[Session], *, settings: TwilioSettings, params: Params,
    now: datetime, enqueue: Callable[[int], None],
) -> StoredItem | None:  # fmt: skip
    """Store what a voice callback brings: a completed transcription (the caller found
    through the REST API when the callback lacks ``From``) or a missed inbound call;
    ``None`` for the other callbacks (ringing, answered, recordings), which store
    nothing."""
    fields = dict(params)
    delivery = _voice_delivery(settings, fields, now=now)
    if delivery is None:
        return None
    item = _store(sessions, delivery, now=now, enqueue=enqueue)
    logger.info("twilio voice %s: inbox %s (new: %s)", delivery.external_id, item.inbox_id,
                item.created)  # fmt: skip
    return item


def _voice_delivery(
    settings: TwilioSettings, fields: Mapping[str, str], *, now: datetime
) -> Delivery | None:
    if fields.get("TranscriptionSid"):
        if fields.get("TranscriptionStatus") != "completed" or not fields.get("TranscriptionText"):
            return None
        call_sid, caller = fields.get("CallSid", ""), fields.get("From", "")
        if not caller:
            call_sid, caller = caller_of_recording(make_client(settings), fields["RecordingSid"])
        return items.transcription(sid=fields["TranscriptionSid"], call_sid=call_sid,
                                   caller=caller, text=fields["TranscriptionText"],
                                   received_at=now)  # fmt: skip
    status = fields.get("CallStatus", "")
    if (
        fields.get("CallSid")
        and status in items.MISSED_STATUSES
        and (fields.get("Direction", "inbound") == "inbound")
    ):
        return items.missed_call(call_sid=fields["CallSid"], caller=fields.get("From", ""),
                                 status=status, received_at=now)  # fmt: skip
    return None


def _phone(raw: str) -> str | None:
    try:
        return normalise_phone(raw) if raw else None
    except MalformedMessageError:
        return None
