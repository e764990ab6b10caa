"""Triage of one inbox row, in the caller's transaction: parse, thread, classify, route,
start the clocks, and write the ticket, its message and its events together.

Idempotent: a row that is no longer pending is left alone, and the row is locked for the
transaction, so a redelivered triage message changes nothing.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.channels import parse_payload
from plaint.config import Config
from plaint.errors import MalformedMessageError, NotFoundError
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import (
    Department,
    Inbox,
    InboxStatus,
    Message,
    Resident,
    Ticket,
    TicketStatus,
)
from plaint.pipeline.classify import Classification
from plaint.pipeline.normalise import complaint_text
from plaint.pipeline.numbering import ticket_number
from plaint.pipeline.places import extract_place
from plaint.pipeline.route import route
from plaint.service.assign import choose_assignee
from plaint.service.classification import classify_texts
from plaint.service.dedupe import (
    Fingerprint,
    find_continuation,
    find_near_duplicate,
    fingerprint,
    group_series,
    index_ticket,
    notify_already_tracked,
    reporter_keys,
    series_keys,
)
from plaint.service.events import record_event
from plaint.service.locks import lock_keys
from plaint.service.sla import start_clocks
from plaint.service.store import dialect_insert, next_counter

if TYPE_CHECKING:
    from plaint.classifier.textmodel import TextModel

__all__ = ["TriageOutcome", "triage_inbox"]

logger = logging.getLogger(__name__)

_CLOSED = (TicketStatus.CLOSED.value,)


class TriageOutcome(enum.StrEnum):
    """What triage did with an inbox row."""

    TICKET = "ticket"
    APPENDED = "appended"
    QUARANTINED = "quarantined"
    ALREADY_DONE = "already_done"


def triage_inbox(
    session: Session,
    inbox_id: int,
    *,
    config: Config,
    now: datetime,
    model: TextModel | None = None,
) -> TriageOutcome:
    """Triage inbox row ``inbox_id`` at ``now``, with the trained ``model``'s opinion if
    one is given; raise NotFoundError if there is no such row."""
    row = session.get(Inbox, inbox_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"inbox row {inbox_id} does not exist")
    if row.status != InboxStatus.PENDING:
        return TriageOutcome.ALREADY_DONE
    try:
        message = parse_payload(ChannelKind(row.channel), row.payload, received_at=row.received_at)
    except MalformedMessageError as exc:
        return _quarantine(row, exc.reason, now=now)
    if message.auto_submitted:
        return _quarantine(row, "auto_submitted", now=now)
    _triage_earlier_parents(session, row, message, config=config, now=now, model=model)
    resident = _resident_for(session, message, now=now)
    # From here to commit, this resident's and this unit's "new problem?" decisions are ours.
    lock_keys(session, reporter_keys(resident))
    text = complaint_text(subject=message.subject, body=message.body)
    print_ = fingerprint(text, config=config)
    ticket, outcome = _existing_ticket(
        session, row, message, resident, print_, config=config, now=now
    )
    if ticket is None:
        ticket = _open_ticket(
            session, row, message, resident, text=text, config=config, now=now, model=model
        )
        lock_keys(session, series_keys(resident))
        group_series(session, ticket, resident, print_, config=config, now=now)
        index_ticket(session, ticket, print_)
    row.status = InboxStatus.DONE
    row.processed_at = now
    logger.info("inbox %s triaged: %s, ticket %s", inbox_id, outcome.value, ticket.id)
    return outcome


def _existing_ticket(
    session: Session,
    row: Inbox,
    message: InboundMessage,
    resident: Resident,
    print_: Fingerprint,
    *,
    config: Config,
    now: datetime,
) -> tuple[Ticket | None, TriageOutcome]:
    """Find the open ticket this message belongs to, in the order of the dedupe layers:
    an email reply, an SMS or call continuing a recent ticket, a near-duplicate report of
    the same resident or unit. Append the message to it; ``None`` when it is new."""
    ticket = _thread_parent(session, message, resident)
    reason, similarity = "thread", None
    if ticket is None:
        ticket, reason = (
            find_continuation(session, message, resident, config=config),
            "continuation",
        )
    if ticket is None:
        found = find_near_duplicate(
            session, print_, resident, config=config, received_at=row.received_at
        )
        if found is not None:
            (ticket, similarity), reason = found, "near_duplicate"
            notify_already_tracked(session, ticket, resident, inbox_id=row.id, now=now)
    if ticket is None:
        return None, TriageOutcome.TICKET
    _append(session, ticket, row, message, now=now, reason=reason, similarity=similarity)
    return ticket, TriageOutcome.APPENDED


def _triage_earlier_parents(
    session: Session,
    row: Inbox,
    message: InboundMessage,
    *,
    config: Config,
    now: datetime,
    model: TextModel | None,
) -> None:
    """Triage first any earlier, still pending inbox row this message replies to, so a
    follow-up pulled in the same batch as its original joins the original's ticket."""
    if not message.thread_ids:
        return
    parents = session.scalars(
        select(Inbox.id).where(
            Inbox.source == row.source,
            Inbox.external_id.in_([f"<{mid}>" for mid in message.thread_ids]),
            Inbox.status == InboxStatus.PENDING,
            Inbox.id < row.id,
        )
    ).all()
    for parent_id in sorted(parents):
        triage_inbox(session, parent_id, config=config, now=now, model=model)


def _quarantine(row: Inbox, reason: str, *, now: datetime) -> TriageOutcome:
    row.status = InboxStatus.QUARANTINED
    row.error = reason
    row.processed_at = now
    logger.warning("inbox %s quarantined: %s", row.id, reason)
    return TriageOutcome.QUARANTINED


def _resident_for(session: Session, message: InboundMessage, *, now: datetime) -> Resident:
    """The sender's resident row, created when unknown. Two first messages of one new
    sender triaged at once meet in the unique key: the insert does nothing for the second,
    which then reads the first's row (on PostgreSQL it waits for the first to commit)."""
    column = Resident.email if message.channel is ChannelKind.EMAIL else Resident.phone
    resident = session.scalar(select(Resident).where(column == message.sender))
    if resident is None:
        session.execute(
            dialect_insert(session, Resident)
            .values({column.key: message.sender, "name": message.sender_name, "created_at": now})
            .on_conflict_do_nothing(index_elements=[column.key])
        )
        resident = session.scalars(select(Resident).where(column == message.sender)).one()
    if resident.building is None:
        # Not in the directory: take the place from what the resident wrote.
        body = complaint_text(subject="", body=message.body)
        place = extract_place(body) or extract_place(message.subject)
        if place is not None:
            resident.building = place.building
            resident.unit = "-".join(p for p in (place.unit, place.room) if p) or None
            session.flush()
    return resident


def _thread_parent(session: Session, message: InboundMessage, resident: Resident) -> Ticket | None:
    """Return the open ticket this message answers (by Message-ID), if its resident sent it."""
    if not message.thread_ids:
        return None
    return session.scalar(
        select(Ticket)
        .join(Message, Message.ticket_id == Ticket.id)
        .where(
            Message.message_id.in_(message.thread_ids),
            Ticket.resident_id == resident.id,
            Ticket.status.not_in(_CLOSED),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def _message_row(row: Inbox, message: InboundMessage, *, now: datetime) -> Message:
    return Message(
        inbox_id=row.id,
        direction="in",
        channel=row.channel,
        sender=message.sender,
        subject=message.subject,
        body=message.body,
        message_id=message.message_id or None,
        created_at=now,
    )


def _append(
    session: Session, ticket: Ticket, row: Inbox, message: InboundMessage, *, now: datetime,
    reason: str, similarity: float | None,
) -> None:  # fmt: skip
    # Added to the session, not to the ticket's lists: that would load its whole history.
    reply = _message_row(row, message, now=now)
    reply.ticket_id = ticket.id
    session.add(reply)
    data = {"inbox_id": row.id, "channel": row.channel, "reason": reason}
    if similarity is not None:
        data["similarity"] = round(similarity, 2)
    record_event(session, ticket, "message_received", at=now, data=data)


def _open_ticket(
    session: Session,
    row: Inbox,
    message: InboundMessage,
    resident: Resident,
    *,
    text: str,
    config: Config,
    now: datetime,
    model: TextModel | None,
) -> Ticket:
    [classified] = classify_texts([text], taxonomy=config.taxonomy, model=model)
    result = classified.result
    decision = route(
        result, table=config.routing, community=resident.community, building=resident.building
    )
    department = session.scalar(select(Department).where(Department.code == decision.department))
    if department is None:
        raise NotFoundError(f"department {decision.department!r} is not in the database")
    year = row.received_at.astimezone(config.timezone).year
    sequence = next_counter(session, f"ticket:{year}")
    ticket = Ticket(
        number=ticket_number(prefix=config.ticket_prefix, year=year, sequence=sequence),
        status=TicketStatus.OPEN,
        channel=row.channel,
        subject=message.subject[:500],
        category=result.category,
        sub_topic=result.sub_topic,
        scope=result.scope,
        level=result.level,
        urgency=result.urgency,
        validity=result.validity,
        confidence=result.confidence,
        department=department,
        resident=resident,
        received_at=row.received_at,
        created_at=now,
    )
    ticket.messages.append(_message_row(row, message, now=now))
    record_event(session, ticket, "received", at=now, inbox_id=row.id, channel=row.channel)
    record_event(session, ticket, "classified", at=now, **_codes(result))
    record_event(
        session, ticket, "routed", at=now, department=decision.department, reason=decision.reason
    )
    assignee = choose_assignee(session, config=config, department=decision.department)
    if assignee is not None:
        ticket.assignee = assignee.code
        record_event(
            session, ticket, "assigned", at=now, to=assignee.code, mode=config.routing.assignment
        )
    session.add(ticket)
    session.flush()
    _start_clocks(session, ticket, result, config=config, now=now)
    return ticket


def _codes(result: Classification) -> dict[str, Any]:
    return {
        "category": result.category,
        "sub_topic": result.sub_topic,
        "scope": result.scope,
        "level": result.level,
        "urgency": result.urgency,
        "validity": result.validity,
        "confidence": result.confidence,
        "rules": list(result.rules),
    }


def _start_clocks(
    session: Session, ticket: Ticket, result: Classification, *, config: Config, now: datetime
) -> None:
    """Start both clocks from the first inbound message; an invalid complaint gets none."""
    if result.validity != "valid":
        record_event(session, ticket, "sla_not_started", at=now, reason="invalid")
        return
    start_clocks(session, ticket, config=config, now=now)
    record_event(
        session,
        ticket,
        "sla_started",
        at=now,
        policy=ticket.sla_policy,
        first_response_due=_iso(ticket.first_response_due),
        closure_due=_iso(ticket.closure_due),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
