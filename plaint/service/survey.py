"""The follow-up survey (回访): after a ticket is closed, its resident is asked how it went.

:func:`schedule_survey` runs in the close's transaction: one outbox row ``survey`` keyed
``survey:{ticket_id}:{cycle}`` (a closure cycle is the ticket's life between reopens, so
a ticket closed, reopened and closed again is asked twice, and a retried close once),
``not_before`` the configured delay after closure. The dispatcher then holds it through
the resident's quiet hours and does not text a number that opted out. Answers are taken
by :mod:`plaint.service.survey_answers`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.models import Ticket, TicketEvent
from plaint.service.events import record_event
from plaint.service.resident_messages import notify_resident

__all__ = ["SURVEY", "closure_cycle", "schedule_survey", "survey_key"]

SURVEY = "survey"


def survey_key(ticket_id: int, cycle: int) -> str:
    """The outbox key of ticket ``ticket_id``'s survey for closure ``cycle``."""
    return f"{SURVEY}:{ticket_id}:{cycle}"


def closure_cycle(session: Session, ticket: Ticket) -> int:
    """The ticket's closure cycle: 1, plus one for each reopen."""
    reopens = session.scalar(
        select(func.count()).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "reopen")
    )
    return 1 + int(reopens or 0)


def schedule_survey(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> bool:
    """Queue the survey of ``ticket``, just closed at ``now``; return whether one was
    queued (not for an invalid complaint, a ticket without a resident, or a cycle that
    has one)."""
    if ticket.resident_id is None or ticket.validity != "valid":
        return False
    cycle = closure_cycle(session, ticket)
    due = now + config.messages.survey_delay
    added = notify_resident(session, ticket, template=SURVEY, key=survey_key(ticket.id, cycle),
                            now=now, data={"cycle": cycle}, urgent=False,
                            not_before=due)  # fmt: skip
    if added:
        record_event(session, ticket, "survey_scheduled", at=now, cycle=cycle,
                     not_before=due.isoformat())  # fmt: skip
    return added
