"""Answers to the follow-up survey (回访), sent by SMS after closure.

A resident whose survey was sent (within ``[messages] survey_window_days``) and who texts
a score — 1-5, 满意 / 基本满意 / 不满意, optionally with a comment
(:func:`plaint.pipeline.residentsms.parse_survey_reply`) — answers it: one
:class:`~plaint.models.SurveyAnswer` per ticket and closure cycle (the first answer
counts; a second is taken as an answer too and changes nothing), and a
``survey_answer`` event. A score at or under 2 (不满意) reopens the ticket (actor
``resident``), notifies the department's heads (outbox, recipient kind ``staff``, template
``survey_low``) and records ``survey_escalated``. The resident is answered at once
(``survey_reopened`` or ``survey_thanks``). Free text alone is no answer: it is a
message like any other (a new complaint, most likely).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.models import Notification, NotificationStatus, Resident, SurveyAnswer, Ticket
from plaint.pipeline.residentsms import SurveyReply, parse_survey_reply
from plaint.service.directory import load_directory
from plaint.service.events import record_event
from plaint.service.resident_messages import notify_resident
from plaint.service.staff import Action, act
from plaint.service.store import dialect_insert
from plaint.service.survey import SURVEY

__all__ = ["RESIDENT_ACTOR", "take_survey_reply"]

logger = logging.getLogger(__name__)

RESIDENT_ACTOR = "resident"  # the actor of what a resident's own message does


def _pending(
    session: Session, resident: Resident, *, config: Config, now: datetime
) -> tuple[Ticket, int] | None:
    """The newest survey sent to ``resident`` within the window: its ticket and cycle."""
    row = session.scalar(
        select(Notification)
        .where(Notification.recipient_kind == "resident",
               Notification.recipient == str(resident.id), Notification.template == SURVEY,
               Notification.status == NotificationStatus.SENT.value,
               Notification.sent_at >= now - config.messages.survey_window)
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
    )  # fmt: skip
    if row is None or row.ticket_id is None:
        return None
    ticket = session.scalar(
        select(Ticket).where(Ticket.id == row.ticket_id).with_for_update(of=Ticket)
    )
    return None if ticket is None else (ticket, int((row.data or {}).get("cycle", 1)))


def take_survey_reply(
    session: Session, resident: Resident, body: str, *, inbox_id: int, config: Config,
    now: datetime,
) -> bool:  # fmt: skip
    """Record ``body`` as ``resident``'s survey answer if it is one and a survey is
    pending; return whether it was (then it is not a complaint)."""
    reply = parse_survey_reply(body)
    if reply is None:
        return False
    pending = _pending(session, resident, config=config, now=now)
    if pending is None:
        return False
    ticket, cycle = pending
    inserted = session.execute(
        dialect_insert(session, SurveyAnswer)
        .values(ticket_id=ticket.id, cycle=cycle, score=reply.score, comment=reply.comment or None,
                department_id=ticket.department_id, category=ticket.category, answered_at=now)
        .on_conflict_do_nothing(index_elements=["ticket_id", "cycle"])
        .returning(SurveyAnswer.id)
    ).scalar()  # fmt: skip
    if inserted is None:
        logger.info("inbox %s: survey of ticket %s already answered", inbox_id, ticket.id)
        return True
    record_event(session, ticket, "survey_answer", at=now, actor=RESIDENT_ACTOR, cycle=cycle,
                 score=reply.score, inbox=inbox_id)  # fmt: skip
    if reply.low:
        _reopen_and_escalate(session, ticket, reply, cycle=cycle, config=config, now=now)
    notify_resident(session, ticket, template="survey_reopened" if reply.low else "survey_thanks",
                    key=f"survey_reply:{ticket.id}:{cycle}", now=now,
                    data={"score": reply.score}, channel="sms")  # fmt: skip
    logger.info("inbox %s: survey of ticket %s answered (%d)", inbox_id, ticket.id, reply.score)
    return True


def _reopen_and_escalate(
    session: Session, ticket: Ticket, reply: SurveyReply, *, cycle: int, config: Config,
    now: datetime,
) -> None:  # fmt: skip
    """An unhappy resident: reopen the ticket and tell the department's heads."""
    if ticket.status == "closed" or ticket.status == "resolved":
        act(session, ticket, Action.REOPEN, actor=RESIDENT_ACTOR, at=now, config=config)
    heads = load_directory(session).with_role("department_head", department=ticket.department.code)
    for head in heads:
        session.execute(
            dialect_insert(session, Notification)
            .values(key=f"survey_low:{ticket.id}:{cycle}:{head.code}", ticket_id=ticket.id,
                    recipient_kind="staff", recipient=head.code, template="survey_low",
                    data={"ticket": ticket.number, "department": ticket.department.name,
                          "score": reply.score, "comment": reply.comment},
                    urgent=False, not_before=now, created_at=now, status="pending")
            .on_conflict_do_nothing(index_elements=["key"])
        )  # fmt: skip
    record_event(session, ticket, "survey_escalated", at=now, cycle=cycle,
                 recipients=[head.code for head in heads])  # fmt: skip
