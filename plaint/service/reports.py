"""SLA compliance figures of a period, overall and per group, as frozen values.

A ticket belongs to the period in which it was received (``received_at``); a period is a
half-open range of aware instants, usually a calendar month in the company's time zone
(:func:`month_period`). For each group (department, category, channel or resident
community) and for all tickets together, :func:`sla_kpis` returns a :class:`KpiRow`:

- tickets received, and how many of them were invalid (no SLA clock: left out of every
  SLA figure below);
- level-1 tickets answered by their first-response due, and level-2 tickets closed by
  their closure due, each as met / missed / pending (see :func:`sla_outcome`), judged
  against the industry targets :data:`FIRST_RESPONSE_TARGET` and :data:`CLOSURE_TARGET`;
- median and 90th percentile of the elapsed hours from receipt to first response and to
  closure (valid tickets of every level that got there);
- SLA breaches and escalation steps that fired for these tickets (``sla_marks``), and the
  extensions (延期) of their closure due times (``extended`` clock events);
- with ``resolution=True`` (some policy runs the optional resolution clock): valid tickets
  of every level with a resolution due, resolved by it (:data:`RESOLUTION_TARGET`), and
  the closure clock of those tickets judged by their plan (``planned_at``). Without it
  the query and the rows are exactly as before.

The functions read the database in the caller's session and never the clock: ``now``
decides which tickets are still pending. Nothing here is dialect-specific (SQLite and
PostgreSQL alike); percentiles are computed in Python from the fetched durations.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, null, select
from sqlalchemy.orm import Session

from plaint.models import Department, Resident, SlaClockEvent, SlaMark, Ticket
from plaint.pipeline.kpi import (
    CLOSURE_TARGET,
    FIRST_RESPONSE_TARGET,
    NO_COMMUNITY,
    RESOLUTION_TARGET,
    TOTAL_GROUP,
    DurationKpi,
    KpiRow,
    KpiTally,
    Outcome,
    Period,
    PlanTimes,
    ShareKpi,
    month_period,
    percentile,
    sla_outcome,
)

__all__ = [
    "CLOSURE_TARGET",
    "FIRST_RESPONSE_TARGET",
    "NO_COMMUNITY",
    "RESOLUTION_TARGET",
    "TOTAL_GROUP",
    "DurationKpi",
    "GroupBy",
    "KpiRow",
    "Outcome",
    "Period",
    "ShareKpi",
    "month_period",
    "percentile",
    "sla_kpis",
    "sla_outcome",
]


class GroupBy(enum.StrEnum):
    """What the rows of a report are grouped by."""

    DEPARTMENT = "department"
    CATEGORY = "category"
    CHANNEL = "channel"
    COMMUNITY = "community"


_GROUP_COLUMNS: dict[GroupBy, Any] = {
    GroupBy.DEPARTMENT: Department.code,
    GroupBy.CATEGORY: Ticket.category,
    GroupBy.CHANNEL: Ticket.channel,
    GroupBy.COMMUNITY: Resident.community,
}


def sla_kpis(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    group_by: GroupBy | None = None,
    resolution: bool = False,
    community: str | None = None,
    sub_topic: str | None = None,
) -> list[KpiRow]:
    """Return the SLA figures of the tickets received in ``start <= t < end`` (aware):
    one row per group of ``group_by`` sorted by group name, then the row of all tickets
    (:data:`TOTAL_GROUP`). Without ``group_by`` only the total row; no rows at all when
    no ticket was received. Deadlines not met and not yet due at ``now`` are pending.
    ``resolution``: also the resolution clock's figures (each row's ``resolution``).
    ``community`` / ``sub_topic``: only the tickets of residents of that community / of
    that sub-topic (the rows are then exactly those a grouping by it would give it)."""
    marks = _mark_counts(session, start=start, end=end)
    extensions = _extension_counts(session, start=start, end=end)

    def tally() -> KpiTally:
        return KpiTally(resolution=Counter() if resolution else None)

    total = tally()
    groups: defaultdict[str, KpiTally] = defaultdict(tally)
    query = _ticket_query(group_by, start=start, end=end)
    if community is not None:
        query = query.where(Resident.community == community)
    if sub_topic is not None:
        query = query.where(Ticket.sub_topic == sub_topic)
    if resolution:
        query = query.add_columns(Ticket.resolution_due, Ticket.planned_at)
    for row in session.execute(query):
        breaches, escalations = marks.get(row.id, (0, 0))
        extended = extensions.get(row.id, 0)
        plan = PlanTimes(row.resolution_due, row.planned_at) if resolution else None
        total.add(row, breaches, escalations, now, extended, plan)
        if group_by is not None:
            name = NO_COMMUNITY if row.grp is None else row.grp
            groups[name].add(row, breaches, escalations, now, extended, plan)
    if total.tickets == 0:
        return []
    return [groups[name].freeze(name) for name in sorted(groups)] + [total.freeze(TOTAL_GROUP)]


def _ticket_query(group_by: GroupBy | None, *, start: datetime, end: datetime) -> Select[Any]:
    key = null() if group_by is None else _GROUP_COLUMNS[group_by]
    return (
        select(
            Ticket.id,
            key.label("grp"),
            Ticket.level,
            Ticket.validity,
            Ticket.received_at,
            Ticket.first_response_due,
            Ticket.first_responded_at,
            Ticket.closure_due,
            Ticket.closed_at,
        )
        .join(Department, Department.id == Ticket.department_id)
        .outerjoin(Resident, Resident.id == Ticket.resident_id)
        .where(Ticket.received_at >= start, Ticket.received_at < end)
    )


def _mark_counts(session: Session, *, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """(breaches, escalation steps) fired per ticket received in the period."""
    breaches = func.sum(case((SlaMark.mark == "breach", 1), else_=0))
    escalations = func.sum(case((SlaMark.mark.like("escalate:%"), 1), else_=0))
    query = (
        select(SlaMark.ticket_id, breaches, escalations)
        .join(Ticket, Ticket.id == SlaMark.ticket_id)
        .where(Ticket.received_at >= start, Ticket.received_at < end)
        .group_by(SlaMark.ticket_id)
    )
    return {ticket_id: (int(b), int(e)) for ticket_id, b, e in session.execute(query)}


def _extension_counts(session: Session, *, start: datetime, end: datetime) -> dict[int, int]:
    """Extensions (``extended`` clock events) per ticket received in the period."""
    query = (
        select(SlaClockEvent.ticket_id, func.count())
        .join(Ticket, Ticket.id == SlaClockEvent.ticket_id)
        .where(Ticket.received_at >= start, Ticket.received_at < end,
               SlaClockEvent.kind == "extended")
        .group_by(SlaClockEvent.ticket_id)
    )  # fmt: skip
    return {ticket_id: int(n) for ticket_id, n in session.execute(query)}
