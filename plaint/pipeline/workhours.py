"""Working hours within a day: periods such as ``09:00-12:00,13:30-18:00`` as values,
parsed from the TOML syntax. Pure: no clock, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from plaint.errors import ConfigError

__all__ = ["WorkPeriod", "WorkingHours", "parse_working_hours"]

_ZERO = timedelta(0)
_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class WorkPeriod:
    """Working hours within one local day: ``start`` ≤ wall time < ``end``.

    Raises ConfigError unless ``start < end`` (a period cannot cross midnight).
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ConfigError(f"working period {self} must end after it starts")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def length(self) -> timedelta:
        """Nominal (wall-clock) length of the period."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


@dataclass(frozen=True)
class WorkingHours:
    """When a working day counts: ``periods`` on every working day, except the weekdays
    listed in ``by_weekday`` (0 = Monday … 6 = Sunday), which have their own periods.

    Which days are working days is the calendar's business, not this value's: a make-up
    Saturday uses Saturday's periods (the default ones unless ``by_weekday`` has 5).
    Raises ConfigError if ``periods`` is empty, periods are unsorted or overlap, or a
    weekday is out of range or repeated.
    """

    periods: tuple[WorkPeriod, ...]
    by_weekday: tuple[tuple[int, tuple[WorkPeriod, ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.periods:
            raise ConfigError("working hours need at least one period")
        _check_sorted(self.periods)
        weekdays = [weekday for weekday, _ in self.by_weekday]
        if len(set(weekdays)) != len(weekdays) or not set(weekdays) <= set(range(7)):
            raise ConfigError(f"working hours weekdays must be distinct 0-6, got {weekdays}")
        for _, periods in self.by_weekday:
            _check_sorted(periods)

    def for_weekday(self, weekday: int) -> tuple[WorkPeriod, ...]:
        """Return the periods of a working day falling on ``weekday`` (0 = Monday)."""
        return dict(self.by_weekday).get(weekday, self.periods)

    @property
    def standard_day(self) -> timedelta:
        """Working time of one standard working day: the sum of the default periods."""
        return sum((period.length for period in self.periods), _ZERO)


def _check_sorted(periods: tuple[WorkPeriod, ...]) -> None:
    for before, after in pairwise(periods):
        if after.start < before.end:
            raise ConfigError(f"working periods {before} and {after} overlap or are unsorted")


def parse_working_hours(text: str) -> tuple[WorkPeriod, ...]:
    """Parse ``"09:00-12:00,13:30-18:00"`` into periods; ``""`` gives no periods.

    Raises ConfigError naming the bad part (syntax, a time out of range, end before start,
    unsorted or overlapping periods).
    """
    periods = tuple(_parse_period(part.strip()) for part in text.split(",") if part.strip())
    _check_sorted(periods)
    return periods


def _parse_period(text: str) -> WorkPeriod:
    start, sep, end = text.partition("-")
    if not sep:
        raise ConfigError(f"working period {text!r} must look like 09:00-18:00")
    return WorkPeriod(_parse_clock_time(start.strip()), _parse_clock_time(end.strip()))


def _parse_clock_time(text: str) -> time:
    match = _CLOCK_TIME.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"{text!r} is not a time of day HH:MM between 00:00 and 23:59")
    return time(int(match[1]), int(match[2]))
