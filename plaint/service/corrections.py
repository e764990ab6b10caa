"""Staff corrections as training data: a ticket reclassified by staff is a labelled
example, its text the complaint as first received, its label the corrected code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import Message, TicketEvent
from plaint.pipeline.normalise import complaint_text

__all__ = ["corrections"]


def corrections(session: Session, *, field: str) -> list[tuple[str, str]]:
    """Return (text, label) for every ticket whose ``field`` staff changed, with the
    label of the newest correction; tickets without an inbound message are skipped."""
    latest: dict[int, str] = {}
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.kind == "reclassified").order_by(TicketEvent.id)
    )
    for event in events:
        before, after = event.data.get("before", {}), event.data.get("after", {})
        if field in after and after[field] != before.get(field):
            latest[event.ticket_id] = str(after[field])
    examples = []
    for ticket_id, label in latest.items():
        first = session.scalar(
            select(Message)
            .where(Message.ticket_id == ticket_id, Message.direction == "in")
            .order_by(Message.id)
            .limit(1)
        )
        if first is not None:
            examples.append((complaint_text(subject=first.subject, body=first.body), label))
    return examples
