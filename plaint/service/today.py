"""What the operations page **Today** shows, read from the database in one call: tickets by
status and per department, the depth of each stage of the flow, how long ago each source's
poller last moved, and (for admins) what is stuck.

Everything a member or department head sees is limited to their own department, as
:mod:`plaint.service.tickets` limits the lists; the stages, the pollers and the stuck rows
are the whole system's and are shown to the roles that see every department (the stuck
rows only to admins, who can replay them). The tickets at risk and breached are
:func:`plaint.service.tickets.list_tickets`' own lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from plaint.models import (
    OPEN_STATUSES,
    ChannelCursor,
    Department,
    Inbox,
    InboxStatus,
    Notification,
    NotificationStatus,
    Ticket,
)
from plaint.service.directory import StaffIdentity
from plaint.service.inbox import InboxRow, list_inbox
from plaint.service.outbox_view import OutboxRow, list_outbox
from plaint.service.tickets import TicketFilters, TicketSummary, list_tickets

__all__ = ["DepartmentLoad", "PollerLag", "StageDepth", "Today", "today"]

# How many tickets at risk, breached, and stuck rows the page lists (the counts are whole).
LISTED = 20


@dataclass(frozen=True)
class StageDepth:
    """Rows waiting in one stage: ``intake`` (stored, not yet sent to triage), ``triage``
    (sent, not yet triaged), ``outbox`` (notifications not yet sent); ``oldest`` is when
    the oldest of them arrived (``None`` when none wait)."""

    stage: str
    depth: int
    oldest: datetime | None


@dataclass(frozen=True)
class PollerLag:
    """A source's poller: ``lag`` is the time since its cursor last moved."""

    source: str
    moved_at: datetime
    lag: timedelta


@dataclass(frozen=True)
class DepartmentLoad:
    """A department's open tickets (open, responded, waiting) and how many are unassigned."""

    department: str
    open: int
    unassigned: int


@dataclass(frozen=True)
class Today:
    """The page's figures at ``now`` as ``who`` may see them; ``stages`` and ``pollers``
    are empty for department roles, ``quarantined`` and ``failing`` for all but admins."""

    now: datetime
    by_status: dict[str, int]
    stages: tuple[StageDepth, ...]
    pollers: tuple[PollerLag, ...]
    at_risk: tuple[TicketSummary, ...]
    breached: tuple[TicketSummary, ...]
    load: tuple[DepartmentLoad, ...]
    quarantined: tuple[InboxRow, ...]
    failing: tuple[OutboxRow, ...]


def _scope(who: StaffIdentity) -> ColumnElement[bool]:
    if who.sees_all_departments:
        return true()
    return Department.code == (who.department or "")


def _by_status(session: Session, who: StaffIdentity) -> dict[str, int]:
    query = select(Ticket.status, func.count()).group_by(Ticket.status)
    if not who.sees_all_departments:  # else an index-only scan of (status, department)
        query = query.join(Department, Ticket.department_id == Department.id).where(_scope(who))
    return {status: int(count) for status, count in session.execute(query)}


def _load(session: Session, who: StaffIdentity) -> tuple[DepartmentLoad, ...]:
    unassigned = func.sum(case((Ticket.assignee.is_(None), 1), else_=0))
    rows = session.execute(
        select(Department.code, func.count(Ticket.id), unassigned)
        .join(Ticket, Ticket.department_id == Department.id)
        .where(_scope(who), Ticket.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Department.code)
        .order_by(func.count(Ticket.id).desc(), Department.code)
    )
    return tuple(DepartmentLoad(code, int(n), int(free or 0)) for code, n, free in rows)


def _stages(session: Session) -> tuple[StageDepth, ...]:
    """The three stages' depths and oldest arrivals in one statement (six scalar
    subqueries, one round trip instead of three)."""
    pending = Inbox.status == InboxStatus.PENDING.value
    waiting = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)
    wheres = {
        "intake": (Inbox, Inbox.received_at, (pending, Inbox.enqueued_at.is_(None))),
        "triage": (Inbox, Inbox.received_at, (pending, Inbox.enqueued_at.is_not(None))),
        "outbox": (Notification, Notification.created_at, (Notification.status.in_(waiting),)),
    }
    columns: list[Any] = []
    for table, arrived, where in wheres.values():
        columns += [select(func.count()).select_from(table).where(*where).scalar_subquery(),
                    select(func.min(arrived)).where(*where).scalar_subquery()]  # fmt: skip
    row = session.execute(select(*columns)).one()
    return tuple(StageDepth(stage=stage, depth=int(row[2 * i] or 0), oldest=row[2 * i + 1])
                 for i, stage in enumerate(wheres))  # fmt: skip


def _pollers(session: Session, now: datetime) -> tuple[PollerLag, ...]:
    rows = session.execute(
        select(ChannelCursor.source, ChannelCursor.updated_at).order_by(ChannelCursor.source)
    )
    return tuple(PollerLag(source, moved, now - moved) for source, moved in rows)


def _tickets(
    session: Session, who: StaffIdentity, now: datetime, filters: TicketFilters
) -> tuple[TicketSummary, ...]:
    page = list_tickets(session, filters=filters, who=who, now=now,
                        limit=LISTED, soonest_due=True)  # fmt: skip
    return page.items


def today(session: Session, *, who: StaffIdentity, now: datetime) -> Today:
    """Return :class:`Today` at ``now`` as ``who`` may see it. Reads only."""
    company = who.sees_all_departments
    admin = who.role == "admin"
    failed = NotificationStatus.FAILED
    return Today(
        now=now, by_status=_by_status(session, who),
        stages=_stages(session) if company else (),
        pollers=_pollers(session, now) if company else (),
        at_risk=_tickets(session, who, now, TicketFilters(at_risk=True, breached=False)),
        breached=_tickets(session, who, now, TicketFilters(breached=True, open_only=True)),
        load=_load(session, who),
        quarantined=list_inbox(session, status=InboxStatus.QUARANTINED, limit=LISTED).rows
        if admin else (),
        failing=tuple(list_outbox(session, status=failed, limit=LISTED).rows) if admin else (),
    )  # fmt: skip
