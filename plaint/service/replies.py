"""What staff write on a ticket: a reply to the resident (through the outbox) or an
internal note (no message out).

A reply is, in the caller's transaction: a ``reply`` event (the ``respond`` action's clock
rules: the first reply meets the first-response clock), an outbound
:class:`~plaint.models.Message` in the conversation, and one outbox row
(template :data:`REPLY_TEMPLATE`) keyed ``staff_reply:{ticket id}:{key}``. ``key`` is the
caller's idempotency key (the API's ``Idempotency-Key`` header) or a random one: a request
retried with the same key finds its reply already made and changes nothing — the ticket is
locked first, so even two such requests at once make one reply, and the outbox's UNIQUE
key makes a second row impossible whatever happens.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import ConflictError, InvalidInputError
from plaint.models import (
    OPEN_STATUSES,
    Message,
    Notification,
    NotificationStatus,
    Resident,
    Ticket,
    TicketEvent,
)
from plaint.service.directory import StaffIdentity
from plaint.service.events import record_event
from plaint.service.outbox_address import answer_channel
from plaint.service.staff import Action, act
from plaint.service.ticket_actions import ActionResult, action_result, locked_visible

__all__ = ["REPLY_CHANNELS", "REPLY_TEMPLATE", "add_note", "reply", "reply_key"]

REPLY_TEMPLATE = "staff_reply"
# The channels a reply can go out on, and the resident's address each needs.
REPLY_CHANNELS = ("sms", "email")


def reply_key(ticket_id: int, key: str) -> str:
    """The outbox key of the reply to ticket ``ticket_id`` made with idempotency ``key``."""
    return f"{REPLY_TEMPLATE}:{ticket_id}:{key}"


def _text(text: str, field: str) -> str:
    if not text.strip():
        raise InvalidInputError(f"{field} must not be empty")
    return text


def _channel(ticket: Ticket, resident: Resident, wanted: str | None) -> str:
    """The channel the reply goes out on: ``wanted``, else the one the ticket came in on,
    else SMS, else email — one the resident has an address for (ConflictError if none)."""
    addresses = {"sms": resident.phone, "email": resident.email}
    if wanted is not None:
        if wanted not in addresses:
            raise InvalidInputError(f"channel must be one of {', '.join(REPLY_CHANNELS)}")
        if not addresses[wanted]:
            raise ConflictError(f"the resident of ticket {ticket.number} has no {wanted} address")
        return wanted
    first = answer_channel(ticket.channel)
    for channel in (first, *REPLY_CHANNELS):
        if channel is not None and addresses.get(channel):
            return channel
    raise ConflictError(f"the resident of ticket {ticket.number} has no phone number or email")


def _earlier(session: Session, ticket: Ticket, key: str) -> TicketEvent | None:
    """The reply event that made the outbox row ``key``, if it exists already."""
    if session.scalar(select(Notification.id).where(Notification.key == key)) is None:
        return None
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "reply")
    )
    return next((e for e in events if e.data.get("key") == key), None)


def reply(
    session: Session,
    *,
    number: str,
    who: StaffIdentity,
    text: str,
    at: datetime,
    config: Config,
    channel: str | None = None,
    idempotency_key: str | None = None,
) -> ActionResult:
    """Send ``text`` to the resident of ticket ``number`` as ``who`` (see the module
    docstring); ``channel`` "sms" or "email" (default: the channel the ticket came in
    on). Returns the ticket and its ``reply`` event; ``replayed`` when ``idempotency_key``
    had made this reply already. Raises NotFoundError for a ticket ``who`` may not see,
    ConflictError for a ticket that is not open or has no resident to reach on the
    channel, InvalidInputError for an empty text or an unknown channel."""
    _text(text, "text")
    ticket = locked_visible(session, number=number, who=who)
    key = reply_key(ticket.id, idempotency_key or uuid.uuid4().hex)
    earlier = _earlier(session, ticket, key)
    if earlier is not None:
        return action_result(ticket, "reply", earlier, replayed=True)
    if ticket.status not in OPEN_STATUSES:
        raise ConflictError(f"cannot reply to ticket {number}: it is {ticket.status}; reopen it")
    resident = ticket.resident
    if resident is None:
        raise ConflictError(f"ticket {number} has no resident to reply to")
    out = _channel(ticket, resident, channel)
    event = act(session, ticket, Action.RESPOND, actor=who.code, at=at, config=config,
                event="reply", details={"channel": out, "key": key})  # fmt: skip
    session.add(Message(ticket_id=ticket.id, direction="out", channel=out, sender=who.code,
                        body=text, created_at=at))  # fmt: skip
    session.add(Notification(
        key=key, ticket_id=ticket.id, recipient_kind="resident", recipient=str(resident.id),
        template=REPLY_TEMPLATE, data={"ticket": number, "text": text}, urgent=False,
        not_before=at, created_at=at, updated_at=at, status=NotificationStatus.PENDING.value,
        attempts=0, channel=out,
    ))  # fmt: skip
    return action_result(ticket, "reply", event)


def add_note(
    session: Session, *, number: str, who: StaffIdentity, text: str, at: datetime
) -> ActionResult:
    """Add an internal note ``text`` to ticket ``number`` as ``who``: a ``note`` event,
    in any status, with no message out and no change to the clocks. Raises NotFoundError
    for a ticket ``who`` may not see, InvalidInputError for an empty text."""
    _text(text, "text")
    ticket = locked_visible(session, number=number, who=who)
    event = record_event(session, ticket, "note", at=at, actor=who.code, text=text)
    return action_result(ticket, "note", event)
