"""SLA compliance arithmetic: outcomes of one deadline, shares against the industry
targets, duration percentiles, and the tally of one group of tickets. Pure: the service
layer (:mod:`plaint.service.reports`) fetches the tickets and passes ``now``."""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Protocol

__all__ = [
    "CLOSURE_TARGET",
    "FIRST_RESPONSE_TARGET",
    "INVALID",
    "NO_COMMUNITY",
    "RESOLUTION_TARGET",
    "TOTAL_GROUP",
    "DurationKpi",
    "KpiRow",
    "KpiTally",
    "Outcome",
    "Period",
    "PlanTimes",
    "ShareKpi",
    "TicketTimes",
    "month_period",
    "percentile",
    "sla_outcome",
]

# Industry targets, as shares of the tickets judged (met + missed).
FIRST_RESPONSE_TARGET = 0.95  # level-1 tickets answered by their first-response due
CLOSURE_TARGET = 0.80  # level-2 tickets closed by their closure due
# Valid tickets resolved by their resolution due (the optional third clock): no separate
# industry figure, so the closure target.
RESOLUTION_TARGET = CLOSURE_TARGET

TOTAL_GROUP = "all"  # the group of the last row of :func:`sla_kpis`: every ticket
NO_COMMUNITY = "(none)"  # the group of tickets whose resident has no community on record
INVALID = "invalid"  # Ticket.validity of a complaint that starts no SLA clock
_SECONDS_PER_HOUR = 3600.0
_P90 = 0.9
_HOURS_DECIMALS = 3  # durations are reported to 0.001 h (3.6 s)


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
    extensions: int = 0  # extensions (延期) of the closure (or resolution) due time
    # Valid tickets with a resolution clock resolved by its due; None: no policy runs one.
    resolution: ShareKpi | None = None

    def as_dict(self) -> dict[str, Any]:
        """This row as JSON-ready values, shares with their targets (``resolution`` only
        when the report tracks the resolution clock)."""
        extra = {} if self.resolution is None else {
            "resolution": self.resolution.as_dict(RESOLUTION_TARGET)}  # fmt: skip
        return extra | {
            "group": self.group, "tickets": self.tickets, "invalid": self.invalid,
            "first_response_level_1": self.first_response.as_dict(FIRST_RESPONSE_TARGET),
            "closure_level_2": self.closure.as_dict(CLOSURE_TARGET),
            "hours_to_first_response": asdict(self.hours_to_first_response),
            "hours_to_closure": asdict(self.hours_to_closure),
            "breaches": self.breaches, "escalations": self.escalations,
            "extensions": self.extensions,
        } | extra  # fmt: skip


class TicketTimes(Protocol):
    """What the tally reads of one ticket."""

    level: int
    validity: str
    received_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None
    closure_due: datetime | None
    closed_at: datetime | None


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, _HOURS_DECIMALS)


def _hours(since: datetime, until: datetime) -> float:
    return (until - since).total_seconds() / _SECONDS_PER_HOUR


@dataclass(frozen=True)
class PlanTimes:
    """What the tally reads of a ticket under the resolution clock: its resolution due
    (``None``: its policy runs no such clock) and when its plan met the closure clock."""

    resolution_due: datetime | None
    planned_at: datetime | None


@dataclass
class KpiTally:
    """The running counts of one group of tickets; ``resolution`` is ``None`` unless the
    report tracks the resolution clock."""

    tickets: int = 0
    invalid: int = 0
    first_response: Counter[Outcome] = field(default_factory=Counter)
    closure: Counter[Outcome] = field(default_factory=Counter)
    to_first_response: list[float] = field(default_factory=list)
    to_closure: list[float] = field(default_factory=list)
    breaches: int = 0
    escalations: int = 0
    extensions: int = 0
    resolution: Counter[Outcome] | None = None

    def add(
        self, row: TicketTimes, breaches: int, escalations: int, now: datetime, extensions: int = 0,
        plan: PlanTimes | None = None,
    ) -> None:  # fmt: skip
        """Count one ticket with its fired breaches, escalation steps and extensions; under
        the resolution clock (``plan``) the closure clock is met by the plan."""
        self.tickets += 1
        self.extensions += extensions
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
            if plan is not None and plan.planned_at is not None:
                met_at = plan.planned_at
            self.closure[sla_outcome(met_at=met_at, due=due, now=now)] += 1
        if self.resolution is not None and plan is not None and plan.resolution_due is not None:
            outcome = sla_outcome(met_at=row.closed_at, due=plan.resolution_due, now=now)
            self.resolution[outcome] += 1
        if row.first_responded_at is not None:
            self.to_first_response.append(_hours(row.received_at, row.first_responded_at))
        if row.closed_at is not None:
            self.to_closure.append(_hours(row.received_at, row.closed_at))

    def freeze(self, group: str) -> KpiRow:
        """The figures of the tickets counted so far, as group ``group``."""
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
            extensions=self.extensions,
            resolution=None if self.resolution is None else _share(self.resolution),
        )


def _share(outcomes: Counter[Outcome]) -> ShareKpi:
    return ShareKpi(outcomes[Outcome.MET], outcomes[Outcome.MISSED], outcomes[Outcome.PENDING])
