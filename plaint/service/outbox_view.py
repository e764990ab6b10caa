"""The outbox as operators see it: rows by status with their attempts and last reason
(never a recipient's address or a message's text), and putting a row back to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaint.errors import ConflictError, NotFoundError
from plaint.models import Notification, NotificationStatus, Ticket

__all__ = ["OutboxPage", "OutboxRow", "list_outbox", "retry_notification"]


@dataclass(frozen=True)
class OutboxRow:
    """One notification without its content: ``recipient`` is ``kind:id`` (a resident id or
    a staff code), never an address."""

    id: int
    key: str
    status: str
    channel: str | None
    template: str
    ticket: str | None
    recipient: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    provider_id: str | None
    provider_status: str | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxPage:
    """Rows newest first, and how many match in all."""

    rows: list[OutboxRow]
    total: int


def _row(notification: Notification, ticket: str | None) -> OutboxRow:
    waiting = notification.status in (NotificationStatus.PENDING, NotificationStatus.SENDING)
    return OutboxRow(
        id=notification.id, key=notification.key, status=notification.status,
        channel=notification.channel, template=notification.template, ticket=ticket,
        recipient=f"{notification.recipient_kind}:{notification.recipient}",
        attempts=notification.attempts,
        next_attempt_at=notification.not_before if waiting else None,
        sent_at=notification.sent_at, provider_id=notification.provider_id,
        provider_status=notification.provider_status, last_error=notification.last_error,
    )  # fmt: skip


def list_outbox(
    session: Session,
    *,
    status: NotificationStatus | None = None,
    limit: int = 50,
    ticket_id: int | None = None,
) -> OutboxPage:
    """Return up to ``limit`` notifications (of ``status``, and about ticket ``ticket_id``,
    if given), newest first."""
    query = select(Notification, Ticket.number).outerjoin(
        Ticket, Ticket.id == Notification.ticket_id
    )
    counted = select(func.count()).select_from(Notification)
    if status is not None:
        query = query.where(Notification.status == status.value)
        counted = counted.where(Notification.status == status.value)
    if ticket_id is not None:
        query = query.where(Notification.ticket_id == ticket_id)
        counted = counted.where(Notification.ticket_id == ticket_id)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit)).all()
    return OutboxPage([_row(n, number) for n, number in rows], int(session.scalar(counted) or 0))


def retry_notification(session: Session, notification_id: int, *, now: datetime) -> OutboxRow:
    """Put a failed (or waiting) notification back to be sent at once, with a fresh attempts
    budget; its last reason is kept until the next attempt. Raise NotFoundError for no such
    row, ConflictError for a row already sent or being sent (a resend could duplicate it)."""
    row = session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no notification {notification_id}")
    if row.status in (NotificationStatus.SENT, NotificationStatus.SENDING):
        raise ConflictError(f"notification {notification_id} is {row.status}; not retried")
    row.status, row.attempts = NotificationStatus.PENDING.value, 0
    row.not_before, row.updated_at = now, now
    number = None
    if row.ticket_id is not None:
        number = session.scalar(select(Ticket.number).where(Ticket.id == row.ticket_id))
    return _row(row, number)
