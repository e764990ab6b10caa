"""An inbound SMS as stored in the inbox: the parameters of Twilio's incoming-message
webhook (``From``, ``Body``, ``MessageSid``, ``NumMedia``…) as a JSON object. The REST
``Messages`` resource is stored under the same names (``from``/``body``/``sid`` are
accepted too), so a poller and the webhook meet in one format."""

from __future__ import annotations

from datetime import datetime

from plaint.channels.jsonpayload import load_object, sender_phone
from plaint.inbound import Attachment, ChannelKind, InboundMessage

__all__ = ["parse_sms"]


def parse_sms(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a stored SMS; raise MalformedMessageError for bad JSON or sender."""
    data = load_object(payload)
    sender = sender_phone(data, "From", "from")
    body = data.get("Body", data.get("body", ""))
    media = int(str(data.get("NumMedia", data.get("num_media", "0"))) or 0)
    attachments = tuple(
        Attachment(f"media{i}", str(data.get(f"MediaContentType{i}", "")), 0) for i in range(media)
    )
    return InboundMessage(
        channel=ChannelKind.SMS,
        sender=sender,
        subject="",
        body=body if isinstance(body, str) else "",
        received_at=received_at,
        message_id=str(data.get("MessageSid", data.get("sid", ""))),
        attachments=attachments,
    )
