"""What triage does with email beyond what every channel gets: refusing machine-written mail
and our own mail coming back, remembering addresses our mail bounced from, storing the
files that came with a message, and threading by the ticket number in the subject.

Reasons for refusal (the inbox row is quarantined with it: visible, replayable, never a
complaint and never answered): ``loop:own_mail`` (a mail carrying one of our signed
Message-IDs as its own), ``automatic:<kind>`` (bounce, auto_reply, read_receipt,
feedback_report: :mod:`plaint.channels.email.automatic`), ``too_large`` (the channel kept
only the headers; the sender is told), ``auto_submitted`` (any other channel's
machine-written message).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaint.channels.email.automatic import AutomaticKind, bounced_addresses, signed_ids_in
from plaint.channels.email.msgid import is_our_message_id
from plaint.channels.email.parse import TOO_LARGE_HEADER, parse_mail
from plaint.config import Settings
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import EmailFailure, Notification, Resident, StoredAttachment, Ticket
from plaint.models.tables import TicketStatus
from plaint.pipeline.numbering import ticket_numbers_in
from plaint.pipeline.ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW, may_send_automatic
from plaint.service.blobs import BlobStore, DiskBlobStore
from plaint.service.dedupe import TicketRef
from plaint.service.store import dialect_insert

__all__ = [
    "EmailIntake",
    "automatic_mail_allowed",
    "clear_email_failure",
    "email_failing",
    "email_intake",
    "find_by_ticket_number",
    "mark_email_failing",
    "screen_inbound",
    "store_attachments",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailIntake:
    """What email triage needs from the process: the installation's secret (to recognise
    our signed Message-IDs; ``None``: none are) and the store for attachments (``None``:
    files stay only in the raw message)."""

    secret: str | None = None
    blobs: BlobStore | None = None


def email_intake(settings: Settings) -> EmailIntake:
    """The email extras of a process: ``PLAINT_SECRET_KEY`` and a disk blob store under
    ``PLAINT_DATA_DIR/blobs``."""
    return EmailIntake(secret=settings.secret_key, blobs=DiskBlobStore(settings.data_dir / "blobs"))


def _ours(value: str, secret: str | None) -> bool:
    return bool(secret) and bool(value) and is_our_message_id(f"<{value.strip('<>')}>",
                                                              secret=str(secret))  # fmt: skip


def screen_inbound(
    session: Session,
    message: InboundMessage,
    payload: bytes,
    *,
    inbox_id: int,
    intake: EmailIntake,
    now: datetime,
) -> str | None:
    """The reason ``message`` (parsed from inbox row ``inbox_id``'s ``payload``) must not
    become a complaint, or ``None``. A bounce that encloses one of our signed Message-IDs
    marks the addresses it names as failing (:func:`mark_email_failing`); a mail the
    channel took in as its headers only (too large) queues a notification telling the
    sender (template ``email_too_large``, recipient kind ``email``). The bounced
    notifications go again by SMS (:mod:`plaint.service.fallback`)."""
    if message.channel is not ChannelKind.EMAIL:
        return "auto_submitted" if message.auto_submitted else None
    if _ours(message.message_id, intake.secret):
        return "loop:own_mail"
    if not message.auto_submitted:
        if payload.startswith(TOO_LARGE_HEADER + b":"):
            _tell_too_large(session, message, payload, inbox_id=inbox_id, now=now)
            return "too_large"
        return None
    try:
        kind = parse_mail(payload).automatic or AutomaticKind.AUTO_REPLY
    except MalformedMessageError:  # parsed a moment ago; cannot happen but costs nothing
        kind = AutomaticKind.AUTO_REPLY
    if kind is AutomaticKind.BOUNCE and _bounces_ours(payload, intake.secret):
        for address in bounced_addresses(payload):
            mark_email_failing(session, address=address, now=now)
        from plaint.service.fallback import fall_back_bounced  # it reads email_failing here

        fall_back_bounced(session, signed_ids_in(payload), now=now)
    return f"automatic:{kind.value}"


def _tell_too_large(
    session: Session, message: InboundMessage, payload: bytes, *, inbox_id: int, now: datetime
) -> None:
    size = payload[len(TOO_LARGE_HEADER) + 1 : payload.find(b"\r\n")].strip()
    session.execute(
        dialect_insert(session, Notification)
        .values(
            key=f"email_too_large:{inbox_id}",
            ticket_id=None,
            recipient_kind="email",
            recipient=message.sender,
            template="email_too_large",
            data={"bytes": int(size) if size.isdigit() else None},
            urgent=False,
            not_before=now,
            created_at=now,
            status="pending",
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


def _bounces_ours(payload: bytes, secret: str | None) -> bool:
    return any(_ours(value, secret) for value in signed_ids_in(payload))


def mark_email_failing(session: Session, *, address: str, now: datetime) -> None:
    """Record that mail to ``address`` bounced at ``now`` (counts repeated bounces)."""
    address = address.strip().lower()
    values = {"address": address, "failing": True, "bounces": 1, "first_failed_at": now,
              "last_failed_at": now, "cleared_at": None}  # fmt: skip
    statement = dialect_insert(session, EmailFailure).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["address"],
            set_={
                "failing": True,
                "last_failed_at": now,
                "bounces": EmailFailure.bounces + 1,
            },
        )
    )
    logger.info("an address was marked failing after a bounce of our mail")


def clear_email_failure(session: Session, *, address: str, now: datetime) -> None:
    """Mail to ``address`` works again (it was delivered, or staff checked it)."""
    session.execute(
        update(EmailFailure)
        .where(EmailFailure.address == address.strip().lower(), EmailFailure.failing)
        .values(failing=False, cleared_at=now)
    )


def email_failing(session: Session, address: str) -> bool:
    """Whether our mail to ``address`` bounced and nothing has cleared it since: the outbox
    then prefers SMS for the resident."""
    found = session.scalar(
        select(EmailFailure.failing).where(EmailFailure.address == address.strip().lower())
    )
    return bool(found)


def automatic_mail_allowed(
    session: Session,
    *,
    recipient: str,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    window: timedelta = DEFAULT_WINDOW,
) -> bool:
    """Whether the outbox may send one more automatic mail to ``recipient`` at ``now``:
    fewer than ``limit`` notifications to it were sent within ``window``
    (:func:`plaint.pipeline.ratelimit.may_send_automatic`)."""
    sent = session.scalars(
        select(Notification.sent_at).where(
            Notification.recipient == recipient, Notification.sent_at > now - window
        )
    ).all()
    return may_send_automatic([at for at in sent if at is not None], now=now, limit=limit,
                              window=window)  # fmt: skip


def store_attachments(
    session: Session, *, inbox_id: int, payload: bytes, blobs: BlobStore, now: datetime
) -> int:
    """Put the files of the mail ``payload`` into ``blobs`` and list them (hash, size, type,
    name) for inbox row ``inbox_id``; idempotent (a row per position). Returns how many."""
    try:
        files = parse_mail(payload).files
    except MalformedMessageError:
        return 0
    rows = []
    for position, part in enumerate(files):
        digest = blobs.put(part.data)
        rows.append({"inbox_id": inbox_id, "position": position, "sha256": digest,
                     "size": len(part.data), "content_type": part.content_type[:200],
                     "filename": part.filename[:255], "created_at": now})  # fmt: skip
    if rows:
        session.execute(
            dialect_insert(session, StoredAttachment)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["inbox_id", "position"])
        )
    return len(rows)


def find_by_ticket_number(
    session: Session, message: InboundMessage, resident: Resident, *, prefix: str
) -> TicketRef | None:
    """The ticket whose number the email's subject names, only if ``resident`` is that
    ticket's resident (a stranger quoting a number opens a ticket of their own) and it is
    not closed."""
    if message.channel is not ChannelKind.EMAIL:
        return None
    numbers: Sequence[str] = ticket_numbers_in(message.subject, prefix=prefix)
    if not numbers:
        return None
    found = session.execute(
        select(Ticket.id, Ticket.number)
        .where(
            Ticket.number.in_(numbers),
            Ticket.resident_id == resident.id,
            Ticket.status != TicketStatus.CLOSED.value,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    ).first()
    return None if found is None else TicketRef(found.id, found.number)
