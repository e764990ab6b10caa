"""The contract every outbound sender keeps (SMS through Twilio, email through SMTP).

The outbox dispatcher owns the ``notifications`` rows: it claims a due row, records the
attempt durably, then calls :meth:`Sender.send`. A process can die between the provider
accepting a message and the commit that records it; the next attempt therefore asks the
provider first (:meth:`Sender.find_sent`) and sends only when the provider has no record
of that notification. ``Outgoing.key`` (the notification's unique key) is what a sender
carries to the provider so that the lookup can recognise its own earlier attempt (a
StatusCallback URL parameter, a Message-ID derived from the key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["Outgoing", "PermanentSendError", "SendResult", "Sender", "TransientSendError"]


@dataclass(frozen=True)
class Outgoing:
    """One rendered message to send; ``key`` is the notification's exactly-once identity.

    ``thread`` holds the Message-IDs an email reply refers to (oldest first; empty for
    SMS). ``first_attempt_at`` is when the dispatcher first tried this notification: a
    lookup of earlier attempts need not search before it. ``credential`` names the
    environment variable whose value signs the message (a webhook's HMAC key), never the
    secret itself; empty for the other channels.
    """

    key: str
    channel: str
    recipient: str
    body: str
    first_attempt_at: datetime
    subject: str = ""
    html: str | None = None
    thread: tuple[str, ...] = field(default_factory=tuple)
    automatic: bool = True
    credential: str = ""


@dataclass(frozen=True)
class SendResult:
    """What the provider answered: its id for the message and its status word."""

    provider_id: str
    status: str
    segments: int | None = None


class TransientSendError(Exception):
    """The provider is unreachable or asked us to slow down (429, 5xx, timeout): retry later,
    not before ``retry_after`` seconds when the provider said so."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentSendError(Exception):
    """The provider refused this message for good (invalid number, opted out, rejected
    address): give up at once. ``reason`` is a code or short phrase, never personal data;
    ``code`` is the provider's error code when it gave one (Twilio 21610: opted out)."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Sender(Protocol):
    """Sends messages of one channel. Both methods may block on the network."""

    channel: str

    def send(self, message: Outgoing) -> SendResult:
        """Hand ``message`` to the provider; raise TransientSendError or PermanentSendError."""

    def find_sent(self, message: Outgoing) -> SendResult | None:
        """Return the provider's record of an earlier send of ``message.key``, or ``None``
        when the provider has none; raise TransientSendError when it cannot tell."""
