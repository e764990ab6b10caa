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
- SLA breaches and escalation steps that fired for these tickets (``sla_marks``).

The functions read the database in the caller's session and never the clock: ``now``
decides which tickets are still pending. Nothing here is dialect-specific (SQLite and
PostgreSQL alike); percentiles are computed in Python from the fetched durations.
"""

from __future__ import annotations

import enum
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Row, Select, case, func, null, select
from sqlalchemy.orm import Session

from plaint.models import Department, Resident, SlaMark, Ticket

__all__ = [
    "CLOSURE_TARGET",
    "FIRST_RESPONSE_TARGET",
    "NO_COMMUNITY",
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

# Industry targets, as shares of the tickets judged (met + missed).
FIRST_RESPONSE_TARGET = 0.95  # level-1 tickets answered by their first-response due
CLOSURE_TARGET = 0.80  # level-2 tickets closed by their closure due

TOTAL_GROUP = "all"  # the group of the last row of :func:`sla_kpis`: every ticket
NO_COMMUNITY = "(none)"  # the group of tickets whose resident has no community on record
INVALID = "invalid"  # Ticket.validity of a complaint that starts no SLA clock
_SECONDS_PER_HOUR = 3600.0
_P90 = 0.9
_HOURS_DECIMALS = 3  # durations are reported to 0.001 h (3.6 s)


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


@dataclass(frozen=True)
class Period:
    """The instants ``start <= t < end`` (aware), called ``label`` in reports."""

    label: str
    start: datetime
    end: datetime


def month_period(*, year: int, month: int, tz: tzinfo) -> Period:
    """Return the calendar month ``year``-``month`` in time zone ``tz``, labelled
    ``YYYY-MM``; raises ValueError for a month outside 1-12 or a year outside 1-9998."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return Period(f"{year:04d}-{month:02d}", start, end)


class Outcome(enum.StrEnum):
    """How one ticket stands against one deadline."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"


def sla_outcome(*, met_at: datetime | None, due: datetime | None, now: datetime) -> Outcome:
    """Judge a deadline at ``now``: met if done by ``due``, missed if done later or not
    done once ``due`` has passed, pending while not done and not yet due. A deadline that
    was never computed (``due`` is ``None``) cannot be judged and stays pending."""
    if due is None:
        return Outcome.PENDING
    if met_at is not None:
        return Outcome.MET if met_at <= due else Outcome.MISSED
    return Outcome.MISSED if due <= now else Outcome.PENDING


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q``-quantile (0 <= q <= 1) of ``values``, interpolating linearly
    between the closest ranks (NumPy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class ShareKpi:
    """Tickets that met, missed or are still pending against one deadline. Pending
    tickets are left out of :attr:`share`."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        """Tickets met or missed: the denominator of :attr:`share`."""
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        """``met / judged`` in 0..1; ``None`` when no ticket could be judged."""
        return self.met / self.judged if self.judged else None

    def meets(self, target: float) -> bool | None:
        """Whether :attr:`share` reaches ``target`` (0..1); ``None`` without a share."""
        share = self.share
        return None if share is None else share >= target

    def as_dict(self, target: float) -> dict[str, Any]:
        """The counts, the share and whether it meets ``target``, for JSON."""
        counts = {"met": self.met, "missed": self.missed, "pending": self.pending}
        return {**counts, "share": self.share, "target": target, "meets_target": self.meets(target)}


@dataclass(frozen=True)
class DurationKpi:
    """How many tickets got there, and the median and 90th percentile of how long it took,
    in elapsed hours rounded to 0.001 h (``None`` when no ticket did)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, hours: Sequence[float]) -> DurationKpi:
        """Summarise ``hours``."""
        median, p90 = (percentile(hours, q) for q in (0.5, _P90))
        return cls(len(hours), _round(median), _round(p90))


@dataclass(frozen=True)
class KpiRow:
    """The SLA figures of one group of tickets received in a period (see the module
    docstring); ``group`` is :data:`TOTAL_GROUP` on the row of all tickets."""

    group: str
    tickets: int
    invalid: int
    first_response: ShareKpi
    closure: ShareKpi
    hours_to_first_response: DurationKpi
    hours_to_closure: DurationKpi
    breaches: int
    escalations: int

    def as_dict(self) -> dict[str, Any]:
        """This row as JSON-ready values, shares with their targets."""
        return {
            "group": self.group, "tickets": self.tickets, "invalid": self.invalid,
            "first_response_level_1": self.first_response.as_dict(FIRST_RESPONSE_TARGET),
            "closure_level_2": self.closure.as_dict(CLOSURE_TARGET),
            "hours_to_first_response": asdict(self.hours_to_first_response),
            "hours_to_closure": asdict(self.hours_to_closure),
            "breaches": self.breaches, "escalations": self.escalations,
        }  # fmt: skip


def sla_kpis(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    group_by: GroupBy | None = None,
) -> list[KpiRow]:
    """Return the SLA figures of the tickets received in ``start <= t < end`` (aware):
    one row per group of ``group_by`` sorted by group name, then the row of all tickets
    (:data:`TOTAL_GROUP`). Without ``group_by`` only the total row; no rows at all when
    no ticket was received. Deadlines not met and not yet due at ``now`` are pending."""
    marks = _mark_counts(session, start=start, end=end)
    total = _Tally()
    groups: defaultdict[str, _Tally] = defaultdict(_Tally)
    for row in session.execute(_ticket_query(group_by, start=start, end=end)):
        breaches, escalations = marks.get(row.id, (0, 0))
        total.add(row, breaches, escalations, now)
        if group_by is not None:
            name = NO_COMMUNITY if row.grp is None else row.grp
            groups[name].add(row, breaches, escalations, now)
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


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, _HOURS_DECIMALS)


def _hours(since: datetime, until: datetime) -> float:
    return (until - since).total_seconds() / _SECONDS_PER_HOUR


@dataclass
class _Tally:
    tickets: int = 0
    invalid: int = 0
    first_response: Counter[Outcome] = field(default_factory=Counter)
    closure: Counter[Outcome] = field(default_factory=Counter)
    to_first_response: list[float] = field(default_factory=list)
    to_closure: list[float] = field(default_factory=list)
    breaches: int = 0
    escalations: int = 0

    def add(self, row: Row[Any], breaches: int, escalations: int, now: datetime) -> None:
        self.tickets += 1
        self.breaches += breaches
        self.escalations += escalations
        if row.validity == INVALID:
            self.invalid += 1
            return
        if row.level == 1:
            met_at, due = row.first_responded_at, row.first_response_due
            self.first_response[sla_outcome(met_at=met_at, due=due, now=now)] += 1
        if row.level == 2:
            met_at, due = row.closed_at, row.closure_due
            self.closure[sla_outcome(met_at=met_at, due=due, now=now)] += 1
        if row.first_responded_at is not None:
            self.to_first_response.append(_hours(row.received_at, row.first_responded_at))
        if row.closed_at is not None:
            self.to_closure.append(_hours(row.received_at, row.closed_at))

    def freeze(self, group: str) -> KpiRow:
        return KpiRow(
            group=group,
            tickets=self.tickets,
            invalid=self.invalid,
            first_response=_share(self.first_response),
            closure=_share(self.closure),
            hours_to_first_response=DurationKpi.of(self.to_first_response),
            hours_to_closure=DurationKpi.of(self.to_closure),
            breaches=self.breaches,
            escalations=self.escalations,
        )


def _share(outcomes: Counter[Outcome]) -> ShareKpi:
    return ShareKpi(outcomes[Outcome.MET], outcomes[Outcome.MISSED], outcomes[Outcome.PENDING])
