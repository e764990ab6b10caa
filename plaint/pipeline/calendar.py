"""Working time of the SLA engine: a calendar value and pure arithmetic on it.

A :class:`WorkCalendar` says which local dates are working days (a weekly pattern, public
holidays and make-up working days — China's 调休, a weekend day that is a working day) and,
optionally, which hours of a working day count. Nothing here reads the clock, the
environment or the time-zone database: the zone and the holiday data are values passed in
(:mod:`plaint.config.calendars` builds them from the ``chinesecalendar`` package).

Counting rules:

* Without working hours a working day counts whole, from local midnight to the next local
  midnight; non-working days are skipped whole. "N working days" is N × 24 h of such time,
  so a complaint arriving on a holiday starts counting at 00:00 of the next working day.
* With working hours only time inside the periods counts, and a standard working day is the
  sum of the default periods: "3 working days" of 09:00-12:00,13:30-18:00 is 3 × 7.5 h.
* Day boundaries and periods are local wall times in the calendar's zone, resolved with
  zoneinfo (``fold=0``); all arithmetic is on real elapsed time. A local day of 23 h or 25 h
  (a DST change) therefore counts as 23 h or 25 h of working time: budgets are real elapsed
  working time, not wall-clock days.
* A due instant is the *earliest* instant at which the counted time reaches the budget, so
  it can be a period's end (18:00), never the next period's start.
* Results are in the calendar's zone. Naive datetimes raise ValueError; a date in a year the
  calendar does not cover raises :class:`~plaint.errors.CalendarCoverageError`.
* A *provisional* year is covered, but by data that may still change (for China: the
  statutory public holidays alone, before the year's make-up working days are published).
  Arithmetic treats it like any other year; :func:`provisional_years_between` tells the
  caller whether a result depends on one, so that it can be marked and recomputed later.
* Callers should compare and subtract results in UTC: Python compares two datetimes that
  share a tzinfo by wall time, which is wrong for a local time repeated at a DST change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.workhours import WorkingHours, WorkPeriod, parse_working_hours

__all__ = [
    "DAY",
    "MAX_IDLE_DAYS",
    "Budget",
    "BudgetKind",
    "WorkCalendar",
    "WorkPeriod",
    "WorkingHours",
    "add_working_time",
    "due",
    "due_with_pauses",
    "next_working_instant",
    "parse_working_hours",
    "provisional_years_between",
    "provisional_years_of_due",
    "working_time_between",
]

DAY = timedelta(days=1)
"""One nominal day of 24 hours: the working time of a working day without working hours."""
MAX_IDLE_DAYS = 366
"""Consecutive days without working time after which a search gives up (a broken calendar)."""
_ZERO = timedelta(0)
_MICROSECOND = timedelta(microseconds=1)
_WEEKEND_SAT_SUN = frozenset({5, 6})

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkCalendar:
    """Which local dates are working days, and which of their hours count.

    A date is a working day if it is in ``working_days`` (make-up days), else if it is
    not in ``holidays`` and its weekday is not in ``weekend``. ``hours`` of ``None`` means
    the whole day counts. ``covered_years`` of ``None`` means the weekly pattern holds in
    every year (a synthetic calendar); otherwise asking about any other year raises
    CalendarCoverageError. ``provisional_years`` are covered years whose data may still
    change (see the module docstring); they must lie in ``covered_years`` when that is set.
    Raises ConfigError if a date is both a holiday and a working day, or a provisional year
    is not covered.
    """

    zone: tzinfo
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    weekend: frozenset[int] = _WEEKEND_SAT_SUN
    hours: WorkingHours | None = None
    covered_years: frozenset[int] | None = None
    provisional_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        both = sorted(self.holidays & self.working_days)
        if both:
            raise ConfigError(f"dates both holiday and working day: {both[0].isoformat()}")
        covered = self.provisional_years if self.covered_years is None else self.covered_years
        stray = sorted(self.provisional_years - covered)
        if stray:
            raise ConfigError(f"provisional year {stray[0]} is not a covered year")

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day; CalendarCoverageError outside coverage."""
        if self.covered_years is not None and day.year not in self.covered_years:
            raise CalendarCoverageError(_coverage_message(day.year, self.covered_years))
        if day in self.working_days:
            return True
        return day not in self.holidays and day.weekday() not in self.weekend

    @property
    def standard_day(self) -> timedelta:
        """Working time of one standard working day (24 h without working hours)."""
        return DAY if self.hours is None else self.hours.standard_day


def provisional_years_between(
    *, start: datetime, end: datetime, calendar: WorkCalendar
) -> frozenset[int]:
    """Return the provisional years of ``calendar`` that a computation over [``start``,
    ``end``) may have consulted: those of the local dates from ``start``'s to the one just
    before ``end`` (``start``'s alone when ``end`` ≤ ``start``).

    A due time computed from ``start`` depends on the working days up to it, never after:
    an empty result means it is final as far as the calendar goes. Raises ValueError for
    naive input.
    """
    low, high = _aware_utc(start, "start"), _aware_utc(end, "end")
    first = low.astimezone(calendar.zone).year
    last = max(low, high - _MICROSECOND).astimezone(calendar.zone).year
    return frozenset(year for year in calendar.provisional_years if first <= year <= last)


def _coverage_message(year: int, covered: frozenset[int]) -> str:
    known = f"{min(covered)}-{max(covered)}" if covered else "no year"
    return (
        f"the working-day calendar has no holiday data for {year} (it knows {known}); "
        f"declare the year in the [calendar] table of the TOML file "
        f"(years = [{year}] with its holidays = [...] and working_days = [...]) "
        f"or upgrade the chinesecalendar package"
    )


def _aware_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


def _local(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _day_intervals(day: date, calendar: WorkCalendar) -> list[Interval]:
    """The working time of ``day`` as sorted, disjoint UTC intervals [a, b)."""
    if not calendar.is_working_day(day):
        return []
    zone = calendar.zone
    if calendar.hours is None:
        return [(_local(day, time(0), zone), _local(day + DAY, time(0), zone))]
    intervals: list[Interval] = []
    floor = datetime.min.replace(tzinfo=UTC)
    for period in calendar.hours.for_weekday(day.weekday()):
        # A boundary inside a DST gap may resolve past the next one: clip to stay disjoint.
        begin = max(_local(day, period.start, zone), floor)
        end = _local(day, period.end, zone)
        if begin < end:
            intervals.append((begin, end))
            floor = end
    return intervals


def _intervals_from(cursor: datetime, calendar: WorkCalendar) -> Iterator[Interval]:
    """Yield the working intervals at or after ``cursor``, clipped to it, day by day."""
    day = cursor.astimezone(calendar.zone).date()
    idle_days = 0
    while idle_days <= MAX_IDLE_DAYS:
        spans = [(max(a, cursor), b) for a, b in _day_intervals(day, calendar) if b > cursor]
        idle_days = 0 if spans else idle_days + 1
        yield from spans
        day += DAY
    raise ConfigError(
        f"the calendar has no working time in the {MAX_IDLE_DAYS} days before "
        f"{day.isoformat()}; check its weekend, holidays and working hours"
    )


def add_working_time(*, start: datetime, amount: timedelta, calendar: WorkCalendar) -> datetime:
    """Return the earliest instant at which the working time counted from ``start`` reaches
    ``amount`` (in-period time when the calendar has working hours).

    ``amount`` of zero returns ``start``. Steps day by day, never minute by minute.
    Raises ValueError for a naive ``start`` or a negative ``amount``,
    CalendarCoverageError for a day outside the calendar's years, and ConfigError if no
    working time exists within MAX_IDLE_DAYS days.
    """
    cursor = _aware_utc(start, "start")
    if amount < _ZERO:
        raise ValueError(f"amount must not be negative, got {amount}")
    remaining = amount
    if remaining > _ZERO:
        for begin, end in _intervals_from(cursor, calendar):
            if remaining <= end - begin:
                cursor = begin + remaining
                break
            remaining -= end - begin
    return cursor.astimezone(calendar.zone)


def working_time_between(*, start: datetime, end: datetime, calendar: WorkCalendar) -> timedelta:
    """Return the working time inside [``start``, ``end``); zero when ``end`` ≤ ``start``.

    Raises ValueError for naive input and CalendarCoverageError for a day outside the
    calendar's years.
    """
    low, high = _aware_utc(start, "start"), _aware_utc(end, "end")
    if high <= low:
        return _ZERO
    total = _ZERO
    day = low.astimezone(calendar.zone).date()
    last = (high - _MICROSECOND).astimezone(calendar.zone).date()
    while day <= last:
        for a, b in _day_intervals(day, calendar):
            total += max(min(b, high) - max(a, low), _ZERO)
        day += DAY
    return total


def next_working_instant(*, at: datetime, calendar: WorkCalendar) -> datetime:
    """Return ``at`` if it is working time, else the start of the next working period.

    Raises as :func:`add_working_time` does.
    """
    cursor = _aware_utc(at, "at")
    begin, _ = next(_intervals_from(cursor, calendar))
    return begin.astimezone(calendar.zone)


class BudgetKind(enum.StrEnum):
    """How a budget is counted: plain elapsed time, or working time from the calendar."""

    CLOCK = "clock"
    WORKING = "working"


@dataclass(frozen=True)
class Budget:
    """How long an SLA clock may run.

    ``CLOCK``: ``amount`` is plain elapsed time (24 clock hours, no calendar).
    ``WORKING``: ``amount`` counts working days at 24 h each — ``timedelta(days=3)`` is
    three working days; on a calendar with working hours each 24 h stands for one standard
    working day (``calendar.standard_day``, e.g. 7.5 h). Raises ValueError if negative.
    """

    kind: BudgetKind
    amount: timedelta

    def __post_init__(self) -> None:
        if self.amount < _ZERO:
            raise ValueError(f"a budget must not be negative, got {self.amount}")

    @classmethod
    def clock(cls, amount: timedelta) -> Budget:
        """A budget of plain elapsed time."""
        return cls(BudgetKind.CLOCK, amount)

    @classmethod
    def working_days(cls, days: float) -> Budget:
        """A budget of ``days`` working days (may be fractional, e.g. 0.5)."""
        return cls(BudgetKind.WORKING, days * DAY)

    def working_time(self, calendar: WorkCalendar) -> timedelta:
        """The working time this budget stands for on ``calendar`` (exact, in µs)."""
        if self.kind is BudgetKind.CLOCK or calendar.standard_day == DAY:
            return self.amount
        return _MICROSECOND * (
            (self.amount // _MICROSECOND)
            * (calendar.standard_day // _MICROSECOND)
            // (DAY // _MICROSECOND)
        )


def provisional_years_of_due(
    *, start: datetime, due: datetime, budget: Budget, calendar: WorkCalendar
) -> frozenset[int]:
    """Return the provisional years of ``calendar`` that the ``due`` time of a clock with
    ``budget`` started at ``start`` depends on: none for a clock budget (it never reads
    the calendar), else as :func:`provisional_years_between`."""
    if budget.kind is BudgetKind.CLOCK:
        return frozenset()
    return provisional_years_between(start=start, end=due, calendar=calendar)


def due(*, start: datetime, budget: Budget, calendar: WorkCalendar) -> datetime:
    """Return when ``budget`` runs out for a clock started at ``start`` (calendar's zone).

    Raises as :func:`add_working_time` does.
    """
    return due_with_pauses(start=start, budget=budget, calendar=calendar, pauses=())


def due_with_pauses(
    *,
    start: datetime,
    budget: Budget,
    calendar: WorkCalendar,
    pauses: Iterable[tuple[datetime, datetime]],
) -> datetime:
    """Return the earliest instant at which the time counted from ``start``, minus the time
    inside ``pauses`` (intervals [pause_start, pause_end), may overlap, any order), reaches
    ``budget``. Counted time is elapsed time for a clock budget, working time otherwise.

    A pause still running must be passed with its planned or current end; the caller
    recomputes when it changes. Raises ValueError for naive input or a pause ending before
    it starts, and otherwise as :func:`add_working_time` does.
    """
    cursor = _aware_utc(start, "start")
    remaining = budget.working_time(calendar)
    measure, advance = _counting(budget.kind, calendar)
    if remaining > _ZERO:
        for pause_start, pause_end in _sorted_pauses(pauses):
            if pause_start > cursor:
                available = measure(cursor, pause_start)
                if remaining <= available:
                    break
                remaining -= available
            cursor = max(cursor, pause_end)
        cursor = advance(cursor, remaining)
    return cursor.astimezone(calendar.zone)


def _sorted_pauses(pauses: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    result = [(_aware_utc(a, "pause start"), _aware_utc(b, "pause end")) for a, b in pauses]
    for a, b in result:
        if b < a:
            raise ValueError(f"pause {a.isoformat()}..{b.isoformat()} ends before it starts")
    return sorted(result)


def _counting(
    kind: BudgetKind, calendar: WorkCalendar
) -> tuple[Callable[[datetime, datetime], timedelta], Callable[[datetime, timedelta], datetime]]:
    if kind is BudgetKind.CLOCK:
        return (lambda a, b: b - a), (lambda a, amount: a + amount)
    return (
        lambda a, b: working_time_between(start=a, end=b, calendar=calendar),
        lambda a, amount: add_working_time(start=a, amount=amount, calendar=calendar),
    )
