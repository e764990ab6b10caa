"""Messages to residents: queueing one, and when it may go (quiet hours).

:func:`notify_resident` is how a service function tells a resident something about a
ticket: one outbox row under a unique key (a retry or a second call adds nothing), sent by
the dispatcher in the resident's language. :func:`quiet_until` is the dispatcher's check
before it sends a row to a resident: a message that is neither urgent nor a direct answer
(:data:`DIRECT_TEMPLATES`) waits until the quiet hours of the resident's community end
(:func:`plaint.pipeline.quiet.send_after`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config.messages import MessagesConfig
from plaint.models import Notification, NotificationStatus, Resident, Ticket
from plaint.pipeline.quiet import send_after
from plaint.service.store import dialect_insert

__all__ = ["DIRECT_TEMPLATES", "notify_resident", "quiet_until"]

# Answers to something the resident has just sent: they go at once, day or night.
DIRECT_TEMPLATES = frozenset(
    {"ack", "already_tracked", "status_answer", "sms_opted_out", "sms_opted_in",
     "email_too_large", "survey_thanks", "survey_reopened"}
)  # fmt: skip
QUIET = "quiet hours"  # the reason a held row shows in ``plaint outbox list``


def notify_resident(
    session: Session,
    ticket: Ticket,
    *,
    template: str,
    key: str,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    urgent: bool | None = None,
    not_before: datetime | None = None,
    channel: str | None = None,
) -> bool:
    """Queue ``template`` to ``ticket``'s resident under outbox ``key`` (its data: the
    ticket number, department code and ``data``); return whether a row was added (not
    for a ticket without a resident, nor when ``key`` exists). ``urgent`` defaults to
    whether the ticket is an emergency; ``not_before`` to ``now``."""
    if ticket.resident_id is None:
        return False
    department = ticket.department.name if ticket.department is not None else None
    values = {
        "key": key, "ticket_id": ticket.id, "recipient_kind": "resident",
        "recipient": str(ticket.resident_id), "template": template,
        "data": {"ticket": ticket.number, "department": department, **(data or {})},
        "urgent": ticket.urgency == "emergency" if urgent is None else urgent,
        "not_before": not_before or now, "created_at": now, "updated_at": now,
        "status": NotificationStatus.PENDING.value, "attempts": 0, "channel": channel,
    }  # fmt: skip
    statement = dialect_insert(session, Notification).values(values)
    added = session.execute(
        statement.on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id)
    ).scalar()
    return added is not None


def quiet_until(
    session: Session, row: Notification, *, messages: MessagesConfig, zone: tzinfo, now: datetime
) -> datetime | None:
    """When ``row`` may go, if that is later than ``now`` because of quiet hours; ``None``
    when it may go now (staff notices, urgent rows and direct answers always may)."""
    if row.recipient_kind != "resident" or row.urgent or row.template in DIRECT_TEMPLATES:
        return None
    community = None
    if row.recipient.isdigit():
        community = session.scalar(
            select(Resident.community).where(Resident.id == int(row.recipient))
        )
    after = send_after(now=now, zone=zone, quiet=messages.quiet_for(community), urgent=False,
                       direct=False)  # fmt: skip
    return after if after > now else None
