"""Build the working-day calendar from the ``chinesecalendar`` package and company overrides.

This is the edge of :mod:`plaint.pipeline.calendar`: it reads the time-zone database and
the package's holiday tables, and hands the pure code a finished
:class:`~plaint.pipeline.calendar.WorkCalendar`. A year that neither the package nor the
company declares is never guessed: asking for it raises
:class:`~plaint.errors.CalendarCoverageError`, naming the year and how to add it.

The TOML ``[calendar]`` table, read by :func:`calendar_from_table`::

    [calendar]
    time_zone = "Asia/Urumqi"                   # default: [company] timezone
    working_hours = "09:00-12:00,13:30-18:00"   # optional; default: whole working days
    weekday_hours = { fri = "09:00-12:00,13:30-16:00" }  # optional per-weekday periods
    holidays = [2025-12-31]                     # company days off (TOML dates)
    working_days = [2025-12-27]                 # company working days (e.g. a Saturday)
    years = [2027]                              # years whose holidays and make-up days
                                                # the company lists itself in full
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import chinese_calendar
from pydantic import Field, model_validator

from plaint.config.validation import (
    DateValue,
    Table,
    TimeZoneName,
    WorkingHoursText,
    key_error,
    load_zone,
    validate,
)
from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.calendar import WorkCalendar, WorkingHours, parse_working_hours

__all__ = [
    "DEFAULT_TIME_ZONE",
    "CalendarTable",
    "WeekdayHours",
    "build_calendar",
    "calendar_from_table",
    "china_calendar",
    "load_zone",
    "package_years",
    "require_years",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
Year = Annotated[int, Field(ge=1900, le=2200)]


class WeekdayHours(Table):
    """``[calendar] weekday_hours``: the periods of some weekdays, e.g. ``fri``."""

    mon: WorkingHoursText | None = None
    tue: WorkingHoursText | None = None
    wed: WorkingHoursText | None = None
    thu: WorkingHoursText | None = None
    fri: WorkingHoursText | None = None
    sat: WorkingHoursText | None = None
    sun: WorkingHoursText | None = None


class CalendarTable(Table):
    """The ``[calendar]`` table (see the module docstring); ``time_zone`` of ``None``
    means the company's time zone."""

    time_zone: TimeZoneName | None = None
    working_hours: WorkingHoursText | None = None
    weekday_hours: WeekdayHours | None = None
    holidays: list[DateValue] = Field(default_factory=list)
    working_days: list[DateValue] = Field(default_factory=list)
    years: list[Year] = Field(default_factory=list)

    @model_validator(mode="after")
    def _weekday_hours_need_working_hours(self) -> CalendarTable:
        if self.weekday_hours is not None and not self.working_hours:
            raise key_error("needs calendar.working_hours as well", "weekday_hours")
        return self


def package_years() -> frozenset[int]:
    """Return the years the installed ``chinesecalendar`` package has holiday data for."""
    years = [day.year for day in chinese_calendar.holidays]
    return frozenset(range(min(years), max(years) + 1))


def china_calendar(
    *,
    zone: ZoneInfo | None = None,
    hours: WorkingHours | None = None,
    extra_holidays: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
    extra_years: Iterable[int] = (),
    required_years: Iterable[int] = (),
) -> WorkCalendar:
    """Return China's working-day calendar with the company's additions and overrides.

    Public holidays and make-up working days (调休) come from ``chinesecalendar``; a
    company holiday overrides a package working day and vice versa. ``extra_years`` are
    years the package does not know whose holidays and make-up days the company lists
    itself in ``extra_holidays``/``extra_working_days``. ``zone`` defaults to Asia/Shanghai.

    Raises ConfigError if a date is both an extra holiday and an extra working day, and
    CalendarCoverageError if an extra date or one of ``required_years`` (check the years
    in use at start-up) lies in a year neither the package nor ``extra_years`` covers.
    """
    covered = package_years() | frozenset(extra_years)
    off, on = frozenset(extra_holidays), frozenset(extra_working_days)
    clash = sorted(off & on)
    if clash:
        raise ConfigError(
            f"calendar date {clash[0].isoformat()} is both in holidays and in working_days"
        )
    calendar = WorkCalendar(
        zone=zone if zone is not None else load_zone(DEFAULT_TIME_ZONE),
        holidays=(frozenset(chinese_calendar.holidays) | off) - on,
        working_days=(frozenset(chinese_calendar.workdays) | on) - off,
        hours=hours,
        covered_years=covered,
    )
    require_years(calendar, {day.year for day in off | on} | set(required_years))
    return calendar


def require_years(calendar: WorkCalendar, years: Iterable[int]) -> None:
    """Raise CalendarCoverageError naming the first of ``years`` that ``calendar`` has no
    holiday data for, and how to add it; a calendar without limits covers every year."""
    covered = calendar.covered_years
    for year in sorted(set(years)):
        if covered is not None and year not in covered:
            raise CalendarCoverageError(_uncovered(year, covered))


def _uncovered(year: int, covered: frozenset[int]) -> str:
    return (
        f"the working-day calendar has no holiday data for {year} "
        f"(chinesecalendar and [calendar] years cover {min(covered)}-{max(covered)}); "
        f"add years = [{year}] to the [calendar] table of the TOML file and list that "
        f"year's public holidays in holidays and its make-up working days in working_days, "
        f"or upgrade the chinesecalendar package"
    )


def calendar_from_table(
    table: Mapping[str, Any], *, required_years: Iterable[int] = ()
) -> WorkCalendar:
    """Build the calendar from the TOML ``[calendar]`` table (see the module docstring).

    Dates may be TOML dates or ``"YYYY-MM-DD"`` strings. Raises ConfigError naming the
    offending key, and CalendarCoverageError as :func:`china_calendar` does.
    """
    return build_calendar(
        validate(CalendarTable, table, where=("calendar",)), required_years=required_years
    )


def build_calendar(
    table: CalendarTable,
    *,
    default_zone: str = DEFAULT_TIME_ZONE,
    required_years: Iterable[int] = (),
) -> WorkCalendar:
    """Build the calendar of a validated ``[calendar]`` table; ``default_zone`` applies
    when the table names none. Raises as :func:`china_calendar` does."""
    return china_calendar(
        zone=load_zone(table.time_zone or default_zone),
        hours=_hours(table),
        extra_holidays=table.holidays,
        extra_working_days=table.working_days,
        extra_years=table.years,
        required_years=required_years,
    )


def _hours(table: CalendarTable) -> WorkingHours | None:
    if not table.working_hours:
        return None
    weekdays = table.weekday_hours.model_dump(exclude_none=True) if table.weekday_hours else {}
    by_weekday = tuple(
        (list(WeekdayHours.model_fields).index(name), parse_working_hours(periods))
        for name, periods in weekdays.items()
    )
    return WorkingHours(parse_working_hours(table.working_hours), by_weekday)
