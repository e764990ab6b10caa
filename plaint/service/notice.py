"""The public notice (公示) of one community and month: figures without personal data.

Everything here is a count, a share or a duration of the tickets of the residents of one
community received in the month, read through :func:`plaint.service.reports.sla_kpis`
filtered to that community (the same arithmetic as ``plaint report sla`` and the monthly
report, whose community row is this notice's total):

- complaints by type (category): ``sla_kpis`` rows grouped by category;
- the share of level-1 complaints answered in 24 h and of level-2 complaints closed in 3
  working days, and the median hours to closure: the total row;
- what was done about the top problems: for the :data:`TOP_PROBLEMS` sub-topics with most
  tickets, ``sla_kpis`` of that sub-topic by department — how many were closed, the
  median hours to close them, and the department that handled most of them.

No resident, staff member, ticket number, unit or complaint text is read, so none can be
shown. Like ``sla_kpis``, nothing reads the clock: ``now`` decides what is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaint.models import Department, Resident, Ticket
from plaint.pipeline.kpi import KpiRow, Period
from plaint.service.reports import GroupBy, sla_kpis

__all__ = [
    "TOP_PROBLEMS",
    "Notice",
    "ProblemAction",
    "communities",
    "has_residents",
    "notice_figures",
]

TOP_PROBLEMS = 5  # sub-topics the notice says what was done about


@dataclass(frozen=True)
class ProblemAction:
    """One of the community's top sub-topics of the month: its tickets, how many of them
    were closed (valid ones), the median hours from receipt to closure (``None``: none
    closed), and the department (code and name) that handled most of them."""

    sub_topic: str
    tickets: int
    closed: int
    median_hours_to_close: float | None
    department: str
    department_name: str


@dataclass(frozen=True)
class Notice:
    """The figures of ``community``'s notice for ``period``, judged at ``as_of``:
    ``total`` is ``None`` when no ticket was received; ``by_category`` has no total row."""

    community: str
    period: Period
    as_of: datetime
    total: KpiRow | None
    by_category: tuple[KpiRow, ...]
    problems: tuple[ProblemAction, ...]


def has_residents(session: Session, community: str) -> bool:
    """Whether any resident is registered in ``community`` (a notice of a community
    nobody lives in is a typo)."""
    found = session.scalar(select(Resident.id).where(Resident.community == community).limit(1))
    return found is not None


def notice_figures(session: Session, *, community: str, period: Period, now: datetime) -> Notice:
    """Read the notice of ``community`` for the tickets received in ``period``."""
    by_category = sla_kpis(session, start=period.start, end=period.end, now=now,
                           community=community, group_by=GroupBy.CATEGORY)  # fmt: skip
    rows = sorted(by_category[:-1], key=lambda r: (-r.tickets, r.group))
    names = {code: name for code, name in session.execute(select(Department.code, Department.name))}
    problems = []
    for sub_topic in _top_sub_topics(session, community=community, period=period):
        departments = sla_kpis(session, start=period.start, end=period.end, now=now,
                               community=community, sub_topic=sub_topic,
                               group_by=GroupBy.DEPARTMENT)  # fmt: skip
        total, body = departments[-1], departments[:-1]
        lead = min(body, key=lambda r: (-r.tickets, r.group))
        problems.append(ProblemAction(
            sub_topic=sub_topic, tickets=total.tickets, closed=total.hours_to_closure.count,
            median_hours_to_close=total.hours_to_closure.median, department=lead.group,
            department_name=names.get(lead.group, lead.group),
        ))  # fmt: skip
    return Notice(community=community, period=period, as_of=now,
                  total=by_category[-1] if by_category else None, by_category=tuple(rows),
                  problems=tuple(problems))  # fmt: skip


def _top_sub_topics(session: Session, *, community: str, period: Period) -> list[str]:
    count = func.count().label("n")
    query = (
        select(Ticket.sub_topic, count)
        .join(Resident, Resident.id == Ticket.resident_id)
        .where(Resident.community == community, Ticket.received_at >= period.start,
               Ticket.received_at < period.end)
        .group_by(Ticket.sub_topic)
        .order_by(count.desc(), Ticket.sub_topic)
        .limit(TOP_PROBLEMS)
    )  # fmt: skip
    return list(session.scalars(query))


def communities(session: Session) -> list[str]:
    """The communities residents are registered in, sorted."""
    query = select(Resident.community).where(Resident.community.is_not(None)).distinct()
    return sorted(c for c in session.scalars(query) if c)
