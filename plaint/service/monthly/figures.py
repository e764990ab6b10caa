"""The figures of one month's report, read from the database as frozen values.

Every SLA figure — shares against the targets, median and p90 hours, breaches and
escalations, per department and for all tickets, and each month of the trend — is a
:class:`~plaint.pipeline.kpi.KpiRow` of :func:`plaint.service.reports.sla_kpis`, the
computation behind ``plaint report sla``; the volumes by channel, category, department and
community are the ``tickets`` of its rows grouped that way. Only what ``sla_kpis`` does not
count is queried here: repeat complainants and the recurring problems (sub-topics).
Satisfaction comes from :func:`plaint.service.monthly.survey.survey_summary`.

Like ``sla_kpis``, nothing reads the clock: ``now`` decides which deadlines are pending.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from plaint.models import Department, Resident, Ticket
from plaint.pipeline.kpi import NO_COMMUNITY, KpiRow, Period, month_period
from plaint.service.monthly.survey import SurveySummary, survey_summary
from plaint.service.reports import GroupBy, sla_kpis

__all__ = [
    "DEFAULT_HISTORY",
    "MonthlyFigures",
    "Problem",
    "RepeatComplainant",
    "TrendPoint",
    "month_periods",
    "monthly_figures",
]

DEFAULT_HISTORY = 6  # months of trend before the reported one
TOP_PROBLEMS = 10
TOP_REPEATERS = 15
REPEAT_THRESHOLD = 2  # tickets in the month that make a repeat complainant


@dataclass(frozen=True)
class RepeatComplainant:
    """A resident with :data:`REPEAT_THRESHOLD` or more tickets received in the month
    (by id, community and building only: the report carries no contact data)."""

    resident_id: int
    community: str
    building: str
    tickets: int
    sub_topics: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """A sub-topic of the month: its tickets, how many were level 2, the community with
    most of them, and its tickets in the month before."""

    sub_topic: str
    tickets: int
    level_2: int
    top_community: str
    top_community_tickets: int
    previous_month: int


@dataclass(frozen=True)
class TrendPoint:
    """The SLA figures of all tickets of one month (``None``: no tickets)."""

    period: Period
    total: KpiRow | None


@dataclass(frozen=True)
class MonthlyFigures:
    """Everything the report shows. ``by_group`` holds ``sla_kpis`` rows per grouping
    (department, category, channel, community), each ending with the total row;
    ``repeaters`` lists the top :data:`TOP_REPEATERS` of ``repeat_residents``."""

    period: Period
    as_of: datetime
    department_names: dict[str, str]
    by_group: dict[GroupBy, tuple[KpiRow, ...]]
    repeat_residents: int
    repeat_tickets: int
    repeaters: tuple[RepeatComplainant, ...]
    problems: tuple[Problem, ...]
    trend: tuple[TrendPoint, ...]
    survey: SurveySummary | None

    @property
    def total(self) -> KpiRow | None:
        """The row of all tickets of the month, ``None`` when there were none."""
        rows = self.by_group[GroupBy.DEPARTMENT]
        return rows[-1] if rows else None


def month_periods(*, year: int, month: int, history: int, tz: tzinfo) -> list[Period]:
    """The ``history`` calendar months before ``year``-``month`` and that month, oldest
    first, in time zone ``tz``."""
    index = year * 12 + month - 1
    return [
        month_period(year=i // 12, month=i % 12 + 1, tz=tz)
        for i in range(index - history, index + 1)
    ]


def monthly_figures(
    session: Session,
    *,
    period: Period,
    history: list[Period],
    now: datetime,
) -> MonthlyFigures:
    """Read the figures of the tickets received in ``period``, with the months of
    ``history`` (oldest first, ``period`` excluded) for the trend, judged at ``now``."""
    by_group = {
        group: tuple(sla_kpis(session, start=period.start, end=period.end, now=now,
                              group_by=group))
        for group in GroupBy
    }  # fmt: skip
    repeat_residents, repeat_tickets, repeaters = _repeaters(session, period)
    previous = history[-1] if history else None
    return MonthlyFigures(
        period=period, as_of=now,
        department_names=_department_names(session),
        by_group=by_group, repeat_residents=repeat_residents, repeat_tickets=repeat_tickets,
        repeaters=repeaters, problems=_problems(session, period, previous),
        trend=tuple(_trend(session, [*history, period], now)),
        survey=survey_summary(session, start=period.start, end=period.end),
    )  # fmt: skip


def _department_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Department.code, Department.name))}


def _trend(session: Session, periods: list[Period], now: datetime) -> list[TrendPoint]:
    points = []
    for period in periods:
        rows = sla_kpis(session, start=period.start, end=period.end, now=now)
        points.append(TrendPoint(period, rows[-1] if rows else None))
    return points


def _in(period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Ticket.received_at >= period.start, Ticket.received_at < period.end)


def _repeaters(session: Session, period: Period) -> tuple[int, int, tuple[RepeatComplainant, ...]]:
    """(residents with repeat tickets, their tickets, the top ones by tickets)."""
    topics: defaultdict[int, Counter[str]] = defaultdict(Counter)
    query = select(Ticket.resident_id, Ticket.sub_topic).where(
        *_in(period), Ticket.resident_id.is_not(None)
    )
    for resident_id, sub_topic in session.execute(query):
        if resident_id is not None:  # never, by the query; says so to the type checker
            topics[resident_id][sub_topic] += 1
    repeat = {rid: c for rid, c in topics.items() if c.total() >= REPEAT_THRESHOLD}
    top = sorted(repeat, key=lambda rid: (-repeat[rid].total(), rid))[:TOP_REPEATERS]
    places = {
        row.id: row
        for row in session.execute(
            select(Resident.id, Resident.community, Resident.building).where(Resident.id.in_(top))
        )
    }
    listed = tuple(
        RepeatComplainant(
            resident_id=rid, community=places[rid].community or NO_COMMUNITY,
            building=places[rid].building or "", tickets=repeat[rid].total(),
            sub_topics=tuple(t for t, _ in repeat[rid].most_common()),
        )
        for rid in top
    )  # fmt: skip
    return len(repeat), sum(c.total() for c in repeat.values()), listed


def _problems(session: Session, period: Period, previous: Period | None) -> tuple[Problem, ...]:
    """The :data:`TOP_PROBLEMS` sub-topics with most tickets in ``period``."""
    query = (
        select(Ticket.sub_topic, Resident.community, Ticket.level, func.count())
        .outerjoin(Resident, Resident.id == Ticket.resident_id)
        .where(*_in(period))
        .group_by(Ticket.sub_topic, Resident.community, Ticket.level)
    )
    tickets: Counter[str] = Counter()
    level_2: Counter[str] = Counter()
    places: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for sub_topic, community, level, count in session.execute(query):
        tickets[sub_topic] += count
        level_2[sub_topic] += count if level == 2 else 0
        places[sub_topic][community or NO_COMMUNITY] += count
    before = _topic_counts(session, previous) if previous else Counter()
    problems = []
    for sub_topic, count in sorted(tickets.items(), key=lambda i: (-i[1], i[0]))[:TOP_PROBLEMS]:
        community, in_community = places[sub_topic].most_common(1)[0]
        problems.append(Problem(sub_topic, count, level_2[sub_topic], community, in_community,
                                before[sub_topic]))  # fmt: skip
    return tuple(problems)


def _topic_counts(session: Session, period: Period) -> Counter[str]:
    query = select(Ticket.sub_topic, func.count()).where(*_in(period)).group_by(Ticket.sub_topic)
    return Counter({sub_topic: count for sub_topic, count in session.execute(query)})
