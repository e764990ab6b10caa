"""The audit trail: every change to a ticket is a :class:`~plaint.models.TicketEvent`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from plaint.models import Ticket, TicketEvent

__all__ = ["SYSTEM_ACTOR", "record_event"]

# The actor of events plaint records itself (triage, the SLA sweep, dedupe).
SYSTEM_ACTOR = "plaint"


def record_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
    data: Mapping[str, Any] | None = None,
    **fields: Any,
) -> TicketEvent:
    """Add an event to ``ticket`` in the caller's transaction and return it; its data are
    ``data`` and ``fields`` together.

    Never loads the ticket's audit trail: the event joins ``ticket.events`` only when that
    list is already loaded (or the ticket is new), so what the caller sees stays true."""
    event = TicketEvent(kind=kind, at=at, actor=actor, data={**(data or {}), **fields})
    state = inspect(ticket)
    if state.transient or state.pending or "events" not in state.unloaded:
        ticket.events.append(event)
    else:
        event.ticket_id = ticket.id
        session.add(event)
    return event
