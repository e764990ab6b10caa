"""A resident's SMS that is not a complaint: a status query (状态 / 进度 / 查询 / STATUS)
or an answer to the follow-up survey (:mod:`plaint.service.survey`).

Called by triage after the opt-out keywords and before threading: :func:`handle_resident_sms`
returns True when it handled the message (no ticket is opened or continued). A status
query answers, at once and on SMS, with the status, department and closure due time of
the ticket named — only when it is the sender's — or of the sender's open tickets.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import OPEN_STATUSES, Notification, Resident, Ticket
from plaint.pipeline.residentsms import StatusQuery, parse_status_query
from plaint.pipeline.texts import STATUS_ANSWER
from plaint.service.events import record_event
from plaint.service.resident_messages import notify_resident
from plaint.service.store import dialect_insert
from plaint.service.survey_answers import take_survey_reply

__all__ = ["STATUS_LIMIT", "answer_status", "handle_resident_sms"]

logger = logging.getLogger(__name__)

STATUS_LIMIT = 5  # open tickets listed in one status answer (newest first)


def handle_resident_sms(
    session: Session, message: InboundMessage, *, inbox_id: int, config: Config, now: datetime
) -> bool:
    """Act on ``message`` if it is a resident's status query or survey answer; return
    whether it was one (then it is not a complaint)."""
    if message.channel is not ChannelKind.SMS:
        return False
    resident = session.scalar(select(Resident).where(Resident.phone == message.sender))
    query = parse_status_query(message.body)
    if query is not None:
        if resident is not None:
            answer_status(session, resident, query, inbox_id=inbox_id, now=now)
        else:
            _answer_stranger(session, message.sender, inbox_id=inbox_id, now=now)
        return True
    if resident is None:
        return False
    return take_survey_reply(session, resident, message.body, inbox_id=inbox_id,
                             config=config, now=now)  # fmt: skip


def _tickets(session: Session, resident: Resident, query: StatusQuery) -> list[Ticket]:
    base = select(Ticket).where(Ticket.resident_id == resident.id)
    if query.number is not None:
        own = session.scalars(base.where(Ticket.number == query.number)).all()
        if own:
            return list(own)
    rows = session.scalars(
        base.where(Ticket.status.in_(OPEN_STATUSES)).order_by(Ticket.id.desc()).limit(STATUS_LIMIT)
    )
    return list(rows)


def answer_status(
    session: Session, resident: Resident, query: StatusQuery, *, inbox_id: int, now: datetime
) -> None:
    """Queue the status answer to ``resident`` (on SMS, at once) and record a
    ``status_query`` event on each ticket it names."""
    tickets = _tickets(session, resident, query)
    entries = [
        {"ticket": t.number, "status": t.status, "department": t.department.name,
         "due_at": t.closure_due.astimezone(UTC).isoformat() if t.closure_due else None}
        for t in tickets
    ]  # fmt: skip
    for ticket in tickets:
        record_event(session, ticket, "status_query", at=now, actor="resident", inbox=inbox_id)
    newest = tickets[0] if tickets else _latest(session, resident)
    if newest is None:
        return  # no ticket at all: a stranger texting 进度 learns nothing
    notify_resident(session, newest, template=STATUS_ANSWER, key=f"status_answer:{inbox_id}",
                    now=now, data={"tickets": entries}, urgent=False,
                    channel="sms")  # fmt: skip
    logger.info("inbox %s: status query answered (%d tickets)", inbox_id, len(entries))


def _answer_stranger(session: Session, number: str, *, inbox_id: int, now: datetime) -> None:
    """A number plaint knows no resident by asked: "you have no open complaints"."""
    statement = dialect_insert(session, Notification).values(
        key=f"status_answer:{inbox_id}", recipient_kind="phone", recipient=number,
        template=STATUS_ANSWER, data={"tickets": []}, urgent=False, not_before=now,
        created_at=now, status="pending", channel="sms",
    )  # fmt: skip
    session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))


def _latest(session: Session, resident: Resident) -> Ticket | None:
    return session.scalar(
        select(Ticket).where(Ticket.resident_id == resident.id).order_by(Ticket.id.desc())
    )
