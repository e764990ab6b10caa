"""The acknowledgement a resident gets for a new ticket: its number, what it was filed as
and when the first response is due, on the channel they used, in their language.

Written in triage's transaction as one outbox row keyed ``ack:{ticket_id}``, so the
acknowledgement exists exactly when the ticket does; the dispatcher sends it. A follow-up,
a thread reply or a near-duplicate joins an existing ticket and gets no acknowledgement
(a near-duplicate gets "already tracked", :func:`plaint.service.dedupe.notify_already_tracked`).
Invalid complaints (abuse, empty, unrelated: no SLA clock) get none either: there is no
first response to promise, and answering junk invites loops.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from plaint.models import Notification, NotificationStatus, Ticket
from plaint.service.outbox_address import answer_channel

__all__ = ["ACK_TEMPLATE", "ack_key", "acknowledge_ticket"]

ACK_TEMPLATE = "ack"
_INSERT = insert(Notification)


def ack_key(ticket_id: int) -> str:
    """The outbox key of ticket ``ticket_id``'s acknowledgement."""
    return f"ack:{ticket_id}"


def acknowledge_ticket(session: Session, ticket: Ticket, *, now: datetime) -> bool:
    """Add the acknowledgement of the new, written ``ticket`` to the outbox (one INSERT);
    return whether one was added (not for an invalid complaint or a ticket without a
    resident)."""
    if ticket.resident_id is None or ticket.validity != "valid":
        return False
    due = ticket.first_response_due
    data = {
        "ticket": ticket.number, "category": ticket.category, "sub_topic": ticket.sub_topic,
        "first_response_due": None if due is None else due.astimezone(UTC).isoformat(),
    }  # fmt: skip
    session.connection().execute(_INSERT, {
        "key": ack_key(ticket.id), "ticket_id": ticket.id, "recipient_kind": "resident",
        "recipient": str(ticket.resident_id), "template": ACK_TEMPLATE, "data": data,
        "urgent": False, "not_before": now, "created_at": now, "updated_at": now,
        "status": NotificationStatus.PENDING.value, "attempts": 0,
        "channel": answer_channel(ticket.channel),
    })  # fmt: skip
    return True
