"""Who an outbox row goes to and what it says: the channel, the address, the language, the
email thread and the rendered text of a :class:`~plaint.models.Notification`.

A notification names its recipient by id (``recipient_kind`` "resident": a resident id;
"staff": a staff code), never by phone number or address: the address is read here, at
send time, from the one place it is kept. The exception is "phone" (an SMS opt-out or
opt-in confirmation, :mod:`plaint.service.optout`): the number itself, as it may belong
to no resident.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.channels.outbound import Outgoing
from plaint.errors import NotFoundError
from plaint.models import Message, Notification, Resident, StaffRecord, Ticket
from plaint.pipeline.texts import LANGUAGES, Templates, render
from plaint.service.webhooks import webhook_outgoing

__all__ = [
    "Addressed",
    "NoAddressError",
    "address",
    "answer_channel",
    "outgoing",
    "resident_language",
    "thread",
]

DEFAULT_LANGUAGE = "zh"
# The email thread a reply refers to: the resident's newest messages of the ticket.
THREAD_LIMIT = 20
# The channel a ticket came in on -> the channel its resident is answered on.
_ANSWER_ON = {"email": "email", "sms": "sms", "phone": "sms"}


def answer_channel(came_in: str) -> str | None:
    """The channel a resident who wrote on ``came_in`` is answered on (a call: by SMS)."""
    return _ANSWER_ON.get(came_in)


class NoAddressError(NotFoundError):
    """The recipient has no address on any channel plaint can send on (or is unknown)."""


@dataclass(frozen=True)
class Addressed:
    """Where a notification goes: ``channel`` has a configured sender unless ``held``."""

    channel: str
    address: str
    language: str
    held: bool = False


def address(session: Session, row: Notification, *, channels: Collection[str]) -> Addressed:
    """Choose the channel and address of ``row``: its own channel if set; otherwise, for a
    resident, the channel their ticket came in on, then SMS, then email; for staff, SMS,
    then email. A channel with a sender in ``channels`` is preferred; when none has one,
    the result is ``held`` (the row waits for a sender). Raise NoAddressError when the
    recipient has no usable address."""
    options, language = _options(session, row)
    if row.channel is not None:
        options = [(c, a) for c, a in options if c == row.channel]
    usable = [(c, a) for c, a in options if a]
    if not usable:
        raise NoAddressError(f"{row.recipient_kind} has no address for {row.channel or 'any'}")
    for channel, where in usable:
        if channel in channels:
            return Addressed(channel, where, language)
    channel, where = usable[0]
    return Addressed(channel, where, language, held=True)


def _options(session: Session, row: Notification) -> tuple[list[tuple[str, str | None]], str]:
    if row.recipient_kind == "email":  # an address with no resident behind it (yet)
        return [("email", row.recipient)], "zh"
    if row.recipient_kind == "webhook":  # an event for a receiver's URL
        return [("webhook", row.recipient)], "zh"
    if row.recipient_kind == "phone":  # an opt-out/opt-in confirmation: to the number
        return [("sms", row.recipient)], str((row.data or {}).get("language", "zh"))
    if row.recipient_kind == "staff":
        staff = session.scalar(select(StaffRecord).where(StaffRecord.code == row.recipient))
        if staff is None:
            raise NoAddressError("no such member of staff")
        return [("sms", staff.phone), ("email", staff.email)], "zh"
    resident = session.get(Resident, int(row.recipient)) if row.recipient.isdigit() else None
    if resident is None:
        raise NoAddressError("no such resident")
    options = {"sms": resident.phone, "email": resident.email}
    first = written = None
    if row.ticket_id is not None:
        came_in, written = session.execute(
            select(Ticket.channel, Ticket.language).where(Ticket.id == row.ticket_id)
        ).one()
        first = _ANSWER_ON.get(came_in or "")
    order = [first] if first else []
    order += [c for c in ("sms", "email") if c not in order]
    return [(c, options[c]) for c in order], resident_language(resident, written)


def resident_language(resident: Resident, written: str | None) -> str:
    """The language a resident is answered in: the one set for them (``plaint residents
    language``), else a language other than the default that the directory gives (an
    import's 语言 column), else the one their ticket was written in (when plaint has
    texts in it), else the default, Chinese."""
    if resident.language_override:
        return resident.language_override
    if resident.language and resident.language != DEFAULT_LANGUAGE:
        return resident.language
    return str(written) if written in LANGUAGES else DEFAULT_LANGUAGE


def thread(session: Session, ticket_id: int | None) -> tuple[str, ...]:
    """The Message-IDs (in angle brackets, oldest first) of the ticket's inbound mail."""
    if ticket_id is None:
        return ()
    ids = session.scalars(
        select(Message.message_id)
        .where(Message.ticket_id == ticket_id, Message.direction == "in",
               Message.channel == "email", Message.message_id.is_not(None))
        .order_by(Message.id.desc())
        .limit(THREAD_LIMIT)
    ).all()  # fmt: skip
    return tuple(f"<{mid.strip('<>')}>" for mid in reversed(ids) if mid)


def outgoing(
    session: Session, row: Notification, where: Addressed, *, zone: tzinfo,
    templates: Templates, first_attempt_at: datetime,
) -> Outgoing:  # fmt: skip
    """The rendered message of ``row`` for ``where`` from ``templates``; raise
    NotFoundError for a template with no text. A webhook's is its event as JSON
    (:mod:`plaint.service.webhooks`)."""
    if where.channel == "webhook":
        return webhook_outgoing(row, first_attempt_at=first_attempt_at)
    text = render(row.template, row.data or {}, language=where.language, zone=zone,
                  templates=templates)  # fmt: skip
    email = where.channel == "email"
    return Outgoing(
        key=row.key,
        channel=where.channel,
        recipient=where.address,
        body=text.body,
        first_attempt_at=first_attempt_at,
        subject=text.subject if email else "",
        html=text.html if email else None,
        thread=thread(session, row.ticket_id) if email else (),
        automatic=True,
    )
