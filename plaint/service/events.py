"""The audit trail: every change to a ticket is a :class:`~plaint.models.TicketEvent`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from plaint.models import Ticket, TicketEvent

__all__ = ["SYSTEM_ACTOR", "new_event", "record_event", "write_events"]

# The actor of events plaint records itself (triage, the SLA sweep, dedupe).
SYSTEM_ACTOR = "plaint"

# RETURNING makes SQLAlchemy send many rows as one multi-row INSERT ("insertmanyvalues")
# instead of one execution per row.
_INSERT = insert(TicketEvent).returning(TicketEvent.id)


def new_event(
    kind: str,
    *,
    at: datetime,
    actor: str = SYSTEM_ACTOR,
    data: Mapping[str, Any] | None = None,
    **fields: Any,
) -> TicketEvent:
    """Return a new event, in no session and of no ticket yet; its data are ``data`` and
    ``fields`` together."""
    return TicketEvent(kind=kind, at=at, actor=actor, data={**(data or {}), **fields})


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
    event = new_event(kind, at=at, actor=actor, data=data, **fields)
    state = inspect(ticket)
    if state.transient or state.pending or "events" not in state.unloaded:
        ticket.events.append(event)
    else:
        event.ticket_id = ticket.id
        session.add(event)
    return event


def write_events(session: Session, ticket_id: int, events: Iterable[TicketEvent]) -> None:
    """Insert ``events`` — made by :func:`new_event`, or recorded on a ticket that is not
    in the session — as events of ticket ``ticket_id``, in order, in one statement of the
    caller's transaction, without the ORM's unit of work (the objects stay out of the
    session)."""
    rows = [{"ticket_id": ticket_id, "kind": e.kind, "at": e.at, "actor": e.actor,
             "data": e.data} for e in events]  # fmt: skip
    if rows:
        session.connection().execute(_INSERT, rows)
