"""Triage of one inbox row, in the caller's transaction: parse, thread, classify, route,
start the clocks, and write the ticket, its message and its events together.

Idempotent: a row that is no longer pending is left alone, and the row is locked for the
transaction, so a redelivered triage message changes nothing.

Every triage runs it, so it sends few statements and keeps the ORM's unit of work out of
the common path (``tests/service/test_triage_statements.py`` holds the budget): the inbox
row, the lookups and the writes are single Core statements; a new ticket is built as a
draft outside the session, where the SLA clocks start and its events are recorded, then
written in one statement per table (:func:`plaint.service.store.write_ticket`). The ORM
handles the resident row, and the rare incident that several residents' reports form.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from plaint.channels import parse_payload
from plaint.config import Config
from plaint.errors import MalformedMessageError, NotFoundError
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import Department, Inbox, InboxStatus, Message, Resident, Ticket, TicketStatus
from plaint.pipeline.classify import Classification
from plaint.pipeline.language import detect_language
from plaint.pipeline.normalise import complaint_text
from plaint.pipeline.numbering import ticket_number
from plaint.pipeline.places import extract_place
from plaint.pipeline.route import route
from plaint.service.acknowledge import acknowledge_ticket
from plaint.service.assign import choose_assignee
from plaint.service.classification import classify_texts
from plaint.service.dedupe import (
    Fingerprint,
    TicketRef,
    find_continuation,
    find_near_duplicate,
    find_thread,
    fingerprint,
    group_series,
    index_ticket,
    notify_already_tracked,
    reporter_keys,
    series_keys,
)
from plaint.service.desk import desk_classification, desk_resident, desk_route, desk_taken
from plaint.service.events import new_event, record_event, write_events
from plaint.service.locks import lock_keys
from plaint.service.mailtriage import (
    EmailIntake,
    find_by_ticket_number,
    screen_inbound,
    store_attachments,
)
from plaint.service.optout import handle_keyword
from plaint.service.resident_sms import handle_resident_sms
from plaint.service.sla import start_clocks
from plaint.service.store import department_ref, dialect_insert, next_counter, write_ticket
from plaint.service.webhooks import emit_event

if TYPE_CHECKING:
    from plaint.classifier.textmodel import TextModel

__all__ = ["TriageOutcome", "triage_inbox"]

logger = logging.getLogger(__name__)

NO_EMAIL_EXTRAS = EmailIntake()

# The inbox row as triage reads it: id, source, channel, payload, received_at, status.
_InboxRow: TypeAlias = "Row[int, str, str, bytes, datetime, str]"

_ROW = (
    select(Inbox.id, Inbox.source, Inbox.channel, Inbox.payload, Inbox.received_at, Inbox.status)
    .where(Inbox.id == bindparam("inbox_id"))
    .with_for_update()
)
_FINISH = (
    update(Inbox)
    .where(Inbox.id == bindparam("inbox_id"))
    .values(status=bindparam("status"), error=bindparam("error"), processed_at=bindparam("at"))
)
_FINISH_DONE = (
    update(Inbox)
    .where(Inbox.id == bindparam("inbox_id"))
    .values(status=InboxStatus.DONE.value, processed_at=bindparam("at"))
)
_INSERT_MESSAGE = insert(Message)
_RESIDENT_BY_EMAIL = select(Resident).where(Resident.email == bindparam("sender"))
_RESIDENT_BY_PHONE = select(Resident).where(Resident.phone == bindparam("sender"))


class TriageOutcome(enum.StrEnum):
    """What triage did with an inbox row."""

    TICKET = "ticket"
    APPENDED = "appended"
    QUARANTINED = "quarantined"
    ALREADY_DONE = "already_done"
    KEYWORD = "keyword"  # an SMS opt-out/in, status query or survey answer: no complaint


def triage_inbox(
    session: Session,
    inbox_id: int,
    *,
    config: Config,
    now: datetime,
    model: TextModel | None = None,
    email: EmailIntake = NO_EMAIL_EXTRAS,
) -> TriageOutcome:
    """Triage inbox row ``inbox_id`` at ``now``, with the trained ``model``'s opinion if
    one is given and ``email``'s secret and file store for mail; raise NotFoundError if
    there is no such row."""
    row = session.execute(_ROW, {"inbox_id": inbox_id}).first()
    if row is None:
        raise NotFoundError(f"inbox row {inbox_id} does not exist")
    if row.status != InboxStatus.PENDING:
        return TriageOutcome.ALREADY_DONE
    try:
        message = parse_payload(ChannelKind(row.channel), row.payload, received_at=row.received_at)
    except MalformedMessageError as exc:
        return _quarantine(session, inbox_id, exc.reason, now=now)
    refusal = screen_inbound(
        session, message, row.payload, inbox_id=inbox_id, intake=email, now=now
    )
    if refusal is not None:
        return _quarantine(session, inbox_id, refusal, now=now)
    if handle_keyword(session, message, inbox_id=inbox_id, now=now) or handle_resident_sms(
        session, message, inbox_id=inbox_id, config=config, now=now
    ):
        session.connection().execute(_FINISH_DONE, {"inbox_id": inbox_id, "at": now})
        return TriageOutcome.KEYWORD
    _triage_earlier_parents(session, row, message, config=config, now=now, model=model,
                            email=email)  # fmt: skip
    desk = desk_resident(session, channel=row.channel, payload=row.payload)
    resident, created = (desk, False) if desk else _resident_for(session, message, now=now)
    # From here to commit, this resident's and this unit's "new problem?" decisions are ours.
    lock_keys(session, reporter_keys(resident))
    text = complaint_text(subject=message.subject, body=message.body)
    print_ = fingerprint(text, config=config)
    found: TicketRef | None = None
    if not created or _unit_known(resident):  # a resident created just now has no tickets
        found = _existing_ticket(
            session, row, message, resident, print_, config=config, now=now, created=created
        )
    if found is not None:
        ticket_id, outcome = found.id, TriageOutcome.APPENDED
    else:
        ticket = _open_ticket(
            session, row, message, resident, text=text, print_=print_, config=config,
            now=now, model=model,
        )  # fmt: skip
        exclusive, shared = series_keys(resident)
        lock_keys(session, exclusive, shared=shared)
        group_series(session, ticket, resident, print_, config=config, now=now)
        index_ticket(session, ticket, print_)
        acknowledge_ticket(session, ticket, now=now)
        emit_event(session, ticket, event="ticket.created", occurrence="0", config=config, now=now)
        ticket_id, outcome = ticket.id, TriageOutcome.TICKET
    session.connection().execute(_FINISH_DONE, {"inbox_id": inbox_id, "at": now})
    if message.attachments and email.blobs is not None:
        store_attachments(session, inbox_id=inbox_id, payload=row.payload, blobs=email.blobs,
                          now=now)  # fmt: skip
    logger.info("inbox %s triaged: %s, ticket %s", inbox_id, outcome.value, ticket_id)
    return outcome


def _unit_known(resident: Resident) -> bool:
    return resident.building is not None and resident.unit is not None


def _existing_ticket(
    session: Session,
    row: _InboxRow,
    message: InboundMessage,
    resident: Resident,
    print_: Fingerprint,
    *,
    config: Config,
    now: datetime,
    created: bool,
) -> TicketRef | None:
    """Find the open ticket this message belongs to, in the order of the dedupe layers:
    an email reply, an SMS or call continuing a recent ticket, a near-duplicate report of
    the same resident or unit. Append the message to it; ``None`` when it is new. A
    resident ``created`` by this triage has no ticket: only the unit's are looked up."""
    ticket, reason, similarity = None, "thread", None
    if not created:
        ticket = find_thread(session, message, resident) or find_by_ticket_number(
            session, message, resident, prefix=config.ticket_prefix
        )
    if ticket is None and not created:
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
    if ticket is not None:
        _append(session, ticket, row, message, now=now, reason=reason, similarity=similarity)
    return ticket


def _triage_earlier_parents(
    session: Session,
    row: _InboxRow,
    message: InboundMessage,
    *,
    config: Config,
    now: datetime,
    model: TextModel | None,
    email: EmailIntake,
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
        triage_inbox(session, parent_id, config=config, now=now, model=model, email=email)


def _quarantine(session: Session, inbox_id: int, reason: str, *, now: datetime) -> TriageOutcome:
    values = {"inbox_id": inbox_id, "status": InboxStatus.QUARANTINED.value, "error": reason,
              "at": now}  # fmt: skip
    session.connection().execute(_FINISH, values)
    logger.warning("inbox %s quarantined: %s", inbox_id, reason)
    return TriageOutcome.QUARANTINED


def _resident_for(
    session: Session, message: InboundMessage, *, now: datetime
) -> tuple[Resident, bool]:
    """The sender's resident row, and whether this call created it. Two first messages of
    one new sender triaged at once meet in the unique key: the insert does nothing for the
    second, which then reads the first's row (on PostgreSQL it waits for the first to
    commit). A resident outside the directory gets the place they wrote, if any."""
    by_email = message.channel is ChannelKind.EMAIL
    query = _RESIDENT_BY_EMAIL if by_email else _RESIDENT_BY_PHONE
    resident = session.scalar(query, {"sender": message.sender})
    if resident is not None:
        place = _written_place(message) if resident.building is None else None
        if place is not None:  # not in the directory: the place the resident wrote
            resident.building, resident.unit = place
        return resident, False
    building, unit = _written_place(message) or (None, None)
    column = Resident.email if by_email else Resident.phone
    values = {column.key: message.sender, "name": message.sender_name, "created_at": now,
              "building": building, "unit": unit}  # fmt: skip
    resident = session.scalar(
        dialect_insert(session, Resident)
        .values(values)
        .on_conflict_do_nothing(index_elements=[column.key])
        .returning(Resident)
    )
    if resident is not None:
        return resident, True
    return _resident_for(session, message, now=now)[0], False


def _written_place(message: InboundMessage) -> tuple[str | None, str | None] | None:
    """The building and unit the message names (the body first, then the subject)."""
    body = complaint_text(subject="", body=message.body)
    place = extract_place(body) or extract_place(message.subject)
    if place is None:
        return None
    return place.building, "-".join(p for p in (place.unit, place.room) if p) or None


def _message_values(row: _InboxRow, message: InboundMessage, *, now: datetime) -> dict[str, Any]:
    return {
        "inbox_id": row.id,
        "direction": "in",
        "channel": row.channel,
        "sender": message.sender,
        "subject": message.subject,
        "body": message.body,
        "message_id": message.message_id or None,
        "created_at": now,
        "language": detect_language(f"{message.subject}\n{message.body}"),
    }


def _append(
    session: Session, ticket: TicketRef, row: _InboxRow, message: InboundMessage, *,
    now: datetime, reason: str, similarity: float | None,
) -> None:  # fmt: skip
    # Written directly: nothing loads the ticket's messages or its audit trail.
    values = {**_message_values(row, message, now=now), "ticket_id": ticket.id}
    session.connection().execute(_INSERT_MESSAGE, values)
    data = {"inbox_id": row.id, "channel": row.channel, "reason": reason}
    if similarity is not None:
        data["similarity"] = round(similarity, 2)
    write_events(session, ticket.id, [new_event("message_received", at=now, data=data)])


def _open_ticket(
    session: Session,
    row: _InboxRow,
    message: InboundMessage,
    resident: Resident,
    *,
    text: str,
    print_: Fingerprint,
    config: Config,
    now: datetime,
    model: TextModel | None,
) -> Ticket:
    """Classify, route, assign and number a new ticket and start its clocks on a draft
    outside the session, then write it (every column set before: no UPDATE after); return
    the draft, which has its id."""
    [classified] = classify_texts([text], taxonomy=config.taxonomy, model=model)
    result = desk_classification(classified.result, channel=row.channel, payload=row.payload,
                                 config=config)  # fmt: skip
    decision = route(
        result, table=config.routing, community=resident.community, building=resident.building
    )
    decision = desk_route(decision, channel=row.channel, payload=row.payload)
    department = department_ref(session, decision.department)
    if department is None:
        raise NotFoundError(f"department {decision.department!r} is not in the database")
    ticket = _draft(session, row, message, result, department=department, resident=resident,
                    print_=print_, config=config, now=now)  # fmt: skip
    record_event(session, ticket, "received", at=now, inbox_id=row.id, channel=row.channel,
                 data=desk_taken(channel=row.channel, payload=row.payload))  # fmt: skip
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
    _start_clocks(session, ticket, result, config=config, now=now)
    write_ticket(session, ticket, messages=[_message_values(row, message, now=now)])
    return ticket


def _draft(
    session: Session, row: _InboxRow, message: InboundMessage, result: Classification, *,
    department: Department, resident: Resident, print_: Fingerprint, config: Config,
    now: datetime,
) -> Ticket:  # fmt: skip
    """A new numbered ticket, outside the session, its foreign keys set."""
    year = row.received_at.astimezone(config.timezone).year
    sequence = next_counter(session, f"ticket:{year}")
    return Ticket(
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
        language=detect_language(f"{message.subject}\n{message.body}"),
        department=department,
        department_id=department.id,
        resident_id=resident.id,
        received_at=row.received_at,
        created_at=now,
        text_signature=print_.packed(),
    )


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
