"""Values that cross the boundary between channels and the pipeline. No I/O here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Attachment", "ChannelKind", "InboundMessage"]


class ChannelKind(enum.StrEnum):
    """How a complaint reached us."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    DESK = "desk"  # taken by the customer-service desk: a call, a visit (来访) or a letter


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; the bytes stay in the raw payload."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class InboundMessage:
    """One message from a resident, parsed but not yet normalised.

    ``sender`` is an email address or an E.164 phone number; ``body`` is plain text
    (HTML already turned into text by the channel's parser). ``thread_ids`` holds the
    ids this message answers (email In-Reply-To and References), newest last.
    """

    channel: ChannelKind
    sender: str
    subject: str
    body: str
    received_at: datetime
    sender_name: str = ""
    message_id: str = ""
    thread_ids: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
    auto_submitted: bool = False
