"""Reading tickets as a member of staff: the filtered, paged list and one ticket's whole
record (messages, audit trail, SLA timeline), limited to what that person may see.

Who sees what is :func:`plaint.service.directory.can_see_department`: members and
department heads see their own department's tickets, every other role sees all. Asking to
list another department is refused (:class:`~plaint.errors.PermissionDeniedError`); asking
for one ticket of another department is answered as if it did not exist
(:class:`~plaint.errors.NotFoundError`), so its number reveals nothing.

Two SLA flags, both computed in SQL so that filtering and paging agree:

- **breached**: the SLA sweep has recorded a ``breach`` mark for the ticket, on either
  clock, in any cycle. The sweep records one only for a clock not met by its due time, and
  runs every few seconds, so this is "missed a deadline" as plaint has acted on it. It is
  read from the ticket's ``sla_breached`` column, which summarises the marks.
- **at risk**: a clock is still running (the ticket is ``open`` or ``responded``: a ticket
  waiting on the resident has its clocks paused; the first-response clock until someone
  responds), has no breach recorded in its current cycle, and either a warning mark
  (``warn:50``, ``warn:80``: the policy's own thresholds) has fired in its current cycle or
  it falls due within :data:`AT_RISK_WINDOW` of now. A reopened ticket can be both
  breached (an earlier cycle) and at risk (the current one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import NotFoundError, PermissionDeniedError
from plaint.models import (
    OPEN_STATUSES,
    Department,
    Resident,
    SlaClockEvent,
    SlaMark,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from plaint.pipeline.sla import Clock, ClockEventKind
from plaint.service.directory import StaffIdentity, can_see_department
from plaint.service.permissions import sees_contact
from plaint.service.timeline import SlaTimeline, sla_timeline

__all__ = [
    "AT_RISK_WINDOW",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "EventView",
    "MessageView",
    "ResidentContact",
    "TicketDetail",
    "TicketFilters",
    "TicketPage",
    "TicketSummary",
    "get_ticket",
    "list_tickets",
    "ticket_detail",
]

# A running clock due within this time of now is at risk even before a warning fires.
AT_RISK_WINDOW = timedelta(hours=2)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The statuses in which the clocks run (``waiting`` pauses them).
_RUNNING = (TicketStatus.OPEN.value, TicketStatus.RESPONDED.value)
_AT_RISK_BY = "at_risk_by"  # the bind parameter of the at-risk instant


@dataclass(frozen=True)
class TicketFilters:
    """What to list; ``None`` leaves a field unfiltered. ``at_risk`` and ``breached`` are
    defined in the module docstring; ``community`` is the resident's; ``below_confidence``
    keeps open tickets (open, responded, waiting) classified with a confidence below it
    and not reclassified by staff since: the desk's review queue; ``open_only`` keeps
    tickets that still need work (open, responded, waiting)."""

    status: str | None = None
    department: str | None = None
    assignee: str | None = None
    at_risk: bool | None = None
    breached: bool | None = None
    category: str | None = None
    community: str | None = None
    channel: str | None = None
    below_confidence: float | None = None
    open_only: bool = False


@dataclass(frozen=True)
class TicketSummary:
    """One ticket as a list shows it; ``provisional``: a due time was computed through a
    provisional calendar year (see :mod:`plaint.service.recompute`)."""

    number: str
    status: str
    department: str
    category: str
    sub_topic: str
    level: int
    urgency: str
    assignee: str | None
    received_at: datetime
    first_response_due: datetime | None
    closure_due: datetime | None
    next_sla_at: datetime | None
    breached: bool
    at_risk: bool
    provisional: bool


@dataclass(frozen=True)
class TicketPage:
    """One page of a list: ``total`` counts every ticket matching, not just ``items``."""

    items: tuple[TicketSummary, ...]
    total: int
    limit: int
    offset: int


def _mark_exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(SlaMark.ticket_id == Ticket.id, *conditions)


def _current_cycle(clock: Clock) -> Any:
    """The clock's current cycle: how often it was restarted (a reopened ticket)."""
    return (
        select(func.count())  # count(*): the (ticket, clock, kind) index alone answers it
        .select_from(SlaClockEvent)
        .where(SlaClockEvent.ticket_id == Ticket.id, SlaClockEvent.clock == clock.value,
               SlaClockEvent.kind == ClockEventKind.RESTARTED.value)
        .correlate(Ticket)
        .scalar_subquery()
    )  # fmt: skip


# Each clock's due column and the columns that say it was met (any one set: met). The
# closure clock is met by the plan under a policy with the resolution clock (planned_at,
# else always NULL); resolution_due is NULL unless the policy runs the resolution clock,
# so that clock's clause is false at once for every other ticket.
_CLOCK_COLUMNS = {
    Clock.FIRST_RESPONSE: (Ticket.first_response_due, (Ticket.first_responded_at,)),
    Clock.CLOSURE: (Ticket.closure_due, (Ticket.closed_at, Ticket.planned_at)),
    Clock.RESOLUTION: (Ticket.resolution_due, (Ticket.closed_at,)),
}


def _clock_at_risk(clock: Clock, by: BindParameter[datetime]) -> ColumnElement[bool]:
    due, met = _CLOCK_COLUMNS[clock]
    this_cycle = (SlaMark.clock == clock.value, SlaMark.cycle == _current_cycle(clock))
    return and_(
        due.is_not(None), Ticket.status.in_(_RUNNING), Ticket.sla_policy.is_not(None),
        *(column.is_(None) for column in met),
        ~_mark_exists(*this_cycle, SlaMark.mark == "breach"),
        or_(due <= by, _mark_exists(*this_cycle, SlaMark.mark.like("warn:%"))),
    )  # fmt: skip


def _breached() -> ColumnElement[bool]:
    """A breach mark recorded, read from :attr:`Ticket.sla_breached` (the sweep sets it in
    the transaction that adds the mark): a column, not a probe of the marks per ticket."""
    return Ticket.sla_breached.is_(True)


@cache
def _at_risk() -> ColumnElement[bool]:
    """The at-risk condition, built once: its instant (now + :data:`AT_RISK_WINDOW`) is
    the bind parameter :data:`_AT_RISK_BY`, given at execution (:func:`_at`). Building it
    takes milliseconds of Python, and Today uses it several times."""
    by = bindparam(_AT_RISK_BY, type_=Ticket.__table__.c.first_response_due.type)
    return or_(*(_clock_at_risk(clock, by) for clock in Clock))


def _at(now: datetime) -> dict[str, datetime]:
    """The execution parameters of a statement with :func:`_at_risk` at ``now``."""
    return {_AT_RISK_BY: now + AT_RISK_WINDOW}


def _department_scope(filters: TicketFilters, who: StaffIdentity) -> ColumnElement[bool]:
    if who.sees_all_departments:
        return true() if filters.department is None else Department.code == filters.department
    if filters.department is not None and filters.department != who.department:
        raise PermissionDeniedError(
            f"{who.code} ({who.role}) may only list the tickets of department "
            f"{who.department!r}, not {filters.department!r}"
        )
    return false() if who.department is None else Department.code == who.department


def _conditions(filters: TicketFilters, who: StaffIdentity) -> list[ColumnElement[bool]]:
    conditions = [_department_scope(filters, who)]
    if filters.status is not None:
        conditions.append(Ticket.status == filters.status)
    for column, value in ((Ticket.assignee, filters.assignee), (Ticket.category, filters.category),
                          (Ticket.channel, filters.channel)):  # fmt: skip
        if value is not None:
            conditions.append(column == value)
    if filters.community is not None:
        residents = select(Resident.id).where(Resident.community == filters.community)
        conditions.append(Ticket.resident_id.in_(residents))
    if filters.below_confidence is not None:
        corrected = exists().where(TicketEvent.ticket_id == Ticket.id,
                                   TicketEvent.kind == "reclassified")  # fmt: skip
        conditions.append(and_(Ticket.confidence < filters.below_confidence, ~corrected))
    if filters.open_only or filters.below_confidence is not None:
        conditions.append(Ticket.status.in_([status.value for status in OPEN_STATUSES]))
    if filters.at_risk:  # implied by each clock's clause; on its own, it can use an index
        conditions.append(Ticket.status.in_(_RUNNING))
    for flag, expression in ((filters.at_risk, _at_risk()), (filters.breached, _breached())):
        if flag is not None:
            conditions.append(expression if flag else ~expression)
    return conditions


def _due() -> ColumnElement[Any]:
    """The due time of the clock that runs next: the first response until one is given."""
    return case(
        (Ticket.first_responded_at.is_(None), func.coalesce(Ticket.first_response_due,
                                                            Ticket.closure_due)),
        else_=Ticket.closure_due,
    )  # fmt: skip


def _summaries(session: Session, query: Select[Any], now: datetime) -> list[TicketSummary]:
    rows = session.execute(
        query.add_columns(_breached().label("breached"), _at_risk().label("at_risk")), _at(now)
    )
    return [_summary(row.Ticket, breached=bool(row.breached), at_risk=bool(row.at_risk))
            for row in rows]  # fmt: skip


def _summary(ticket: Ticket, *, breached: bool, at_risk: bool) -> TicketSummary:
    return TicketSummary(
        number=ticket.number, status=ticket.status, department=ticket.department.code,
        category=ticket.category, sub_topic=ticket.sub_topic, level=ticket.level,
        urgency=ticket.urgency, assignee=ticket.assignee, received_at=ticket.received_at,
        first_response_due=ticket.first_response_due, closure_due=ticket.closure_due,
        next_sla_at=ticket.next_sla_at, breached=breached, at_risk=at_risk,
        provisional=ticket.sla_provisional,
    )  # fmt: skip


def list_tickets(
    session: Session,
    *,
    filters: TicketFilters,
    who: StaffIdentity,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    soonest_due: bool = False,
) -> TicketPage:
    """Return the page of tickets matching ``filters`` that ``who`` may see, newest first
    (by receipt, then number order) or, with ``soonest_due``, the least time left first
    (the first-response due time until a response, then the closure due time), skipping
    ``offset`` and taking at most ``limit`` (1 to :data:`MAX_LIMIT`); ``now`` decides
    what is at risk.

    Members and department heads are limited to their own department; asking for another
    one raises PermissionDeniedError. Raises ValueError for a limit or offset out of range.
    """
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValueError(f"limit must be 1..{MAX_LIMIT} and offset at least 0")
    conditions = _conditions(filters, who)
    order = (
        (_due().asc(), Ticket.id) if soonest_due else (Ticket.received_at.desc(), Ticket.id.desc())
    )
    page = (
        select(Ticket.id).join(Department, Ticket.department_id == Department.id)
        .where(*conditions).order_by(*order).limit(limit).offset(offset).subquery()
    )  # fmt: skip
    # The page's ids first, then their flags: PostgreSQL then plans the flags for ``limit``
    # rows (a probe of the marks each) instead of hashing every breach mark for all rows.
    query = select(Ticket).join(page, Ticket.id == page.c.id).order_by(*order)
    items = _summaries(session, query, now)
    total = len(items)  # a first page that is not full holds them all: no count needed
    if offset or total == limit:
        total = _count(session, conditions, now)
    return TicketPage(items=tuple(items), total=total, limit=limit, offset=offset)


def _count(session: Session, conditions: list[ColumnElement[bool]], now: datetime) -> int:
    """How many tickets meet ``conditions``: count(*), which an index on (status,
    department) can answer alone."""
    counted = session.scalar(
        select(func.count()).select_from(Ticket)
        .join(Department, Ticket.department_id == Department.id).where(*conditions),
        _at(now),
    )  # fmt: skip
    return int(counted or 0)


def get_ticket(session: Session, *, number: str, who: StaffIdentity) -> Ticket:
    """Return the ticket numbered ``number`` if ``who`` may see it; raise NotFoundError
    when there is none *or* it belongs to a department ``who`` may not see (the same
    answer, so a number reveals nothing)."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None or not can_see_department(who, ticket.department.code):
        raise NotFoundError(f"no ticket numbered {number!r}")
    return ticket


@dataclass(frozen=True)
class ResidentContact:
    """Who complained and how to reach them (for staff only; never logged)."""

    name: str
    phone: str | None
    email: str | None
    community: str | None
    building: str | None
    unit: str | None


@dataclass(frozen=True)
class MessageView:
    """One message of the conversation, inbound or outbound. ``sender`` of an inbound
    message is the resident's address (email or phone): ``None`` for staff who may not
    see the resident's contact, like the contact fields."""

    direction: str
    channel: str
    sender: str | None
    subject: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class EventView:
    """One entry of the audit trail."""

    kind: str
    at: datetime
    actor: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class TicketDetail(TicketSummary):
    """One ticket with everything staff need to handle it."""

    channel: str
    subject: str
    scope: int
    validity: str
    confidence: float
    sla_policy: str | None
    first_responded_at: datetime | None
    closed_at: datetime | None
    incident_id: int | None
    resident: ResidentContact | None
    messages: tuple[MessageView, ...]
    events: tuple[EventView, ...]
    sla: SlaTimeline


def _resident(ticket: Ticket, *, contact: bool) -> ResidentContact | None:
    r = ticket.resident
    if r is None:
        return None
    if not contact:
        return ResidentContact(name=r.name, phone=None, email=None, community=r.community,
                               building=None, unit=None)  # fmt: skip
    return ResidentContact(name=r.name, phone=r.phone, email=r.email, community=r.community,
                           building=r.building, unit=r.unit)  # fmt: skip


def _conversation(
    ticket: Ticket, *, contact: bool
) -> tuple[tuple[MessageView, ...], tuple[EventView, ...]]:
    messages = tuple(
        MessageView(direction=m.direction, channel=m.channel,
                    sender=m.sender if contact or m.direction != "in" else None,
                    subject=m.subject, body=m.body, created_at=m.created_at)
        for m in ticket.messages
    )  # fmt: skip
    events = tuple(EventView(kind=e.kind, at=e.at, actor=e.actor, data=dict(e.data))
                   for e in ticket.events)  # fmt: skip
    return messages, events


def ticket_detail(
    session: Session, *, ticket: Ticket, config: Config, now: datetime, who: StaffIdentity
) -> TicketDetail:
    """Return everything about ``ticket`` at ``now`` as ``who`` may see it: codes and due
    times, the resident (their phone, email, building and unit only when
    :func:`plaint.service.permissions.sees_contact`, ``None`` otherwise), messages (an
    inbound message's sender likewise), audit
    trail and SLA timeline. Reads only. (Find the ticket with :func:`get_ticket`, which
    checks who may see it.)"""
    [summary] = _summaries(session, select(Ticket).where(Ticket.id == ticket.id), now)
    contact = sees_contact(who, ticket)
    messages, events = _conversation(ticket, contact=contact)
    return TicketDetail(
        **_fields(summary), channel=ticket.channel, subject=ticket.subject, scope=ticket.scope,
        validity=ticket.validity, confidence=ticket.confidence, sla_policy=ticket.sla_policy,
        first_responded_at=ticket.first_responded_at, closed_at=ticket.closed_at,
        incident_id=ticket.incident_id, messages=messages,
        resident=_resident(ticket, contact=contact),
        events=events, sla=sla_timeline(session, ticket=ticket, config=config, now=now),
    )  # fmt: skip


def _fields(summary: TicketSummary) -> dict[str, Any]:
    return {field.name: getattr(summary, field.name) for field in fields(TicketSummary)}
