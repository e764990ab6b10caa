"""An inbound SMS as stored in the inbox: the parameters of Twilio's incoming-message
webhook (``From``, ``Body``, ``MessageSid``, ``NumMedia``…) as a JSON object. The REST
``Messages`` resource is stored under the same names (``from``/``body``/``sid`` are
accepted too), so a poller and the webhook meet in one format."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plaint.channels.jsonpayload import load_object, sender_phone
from plaint.inbound import Attachment, ChannelKind, InboundMessage

__all__ = ["parse_sms"]


def parse_sms(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a stored SMS; raise MalformedMessageError for bad JSON or sender."""
    data = load_object(payload)
    sender = sender_phone(data, "From", "from")
    body = data.get("Body", data.get("body", ""))
    attachments = _attachments(data)
    return InboundMessage(
        channel=ChannelKind.SMS,
        sender=sender,
        subject="",
        body=body if isinstance(body, str) else "",
        received_at=received_at,
        message_id=str(data.get("MessageSid", data.get("sid", ""))),
        attachments=attachments,
    )


def _attachments(data: dict[str, Any]) -> tuple[Attachment, ...]:
    """The MMS media: the fetched items kept under ``Media`` (type and size; see
    :mod:`plaint.channels.twilio.media`), else the ``NumMedia`` announced, of unknown size."""
    fetched = data.get("Media")
    if isinstance(fetched, list):
        return tuple(
            Attachment(f"media{i}", str(item.get("content_type", "")), int(item.get("size", 0)))
            for i, item in enumerate(fetched)
            if isinstance(item, dict)
        )
    try:
        media = int(str(data.get("NumMedia", data.get("num_media", "0"))) or 0)
    except ValueError:
        media = 0
    return tuple(
        Attachment(f"media{i}", str(data.get(f"MediaContentType{i}", "")), 0) for i in range(media)
    )
