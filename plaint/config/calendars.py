"""Build the working-day calendar from the ``chinesecalendar`` package, the ``holidays``
package and company overrides.

This is the edge of :mod:`plaint.pipeline.calendar`: it reads the time-zone database and
the packages' holiday tables, and hands the pure code a finished
:class:`~plaint.pipeline.calendar.WorkCalendar`. Three kinds of year:

* **official**: covered by ``chinesecalendar`` (public holidays and make-up working days,
  调休, as published) or listed by the company in ``[calendar] years``;
* **provisional**: any later year the ``holidays`` package knows (to 2100): its statutory
  public holidays, fixed by law, from ``holidays.China(observed=False)``, plus whatever
  make-up working days that package lists for it (none before the State Council publishes
  the year's schedule). Due times computed through such a year are marked provisional and
  recomputed when the year becomes official (:func:`provisional_reason` says why);
* **uncovered**: every other year. It is never guessed: asking for it raises
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

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    "NOTICE_FROM_MONTH",
    "CalendarTable",
    "HolidayName",
    "StatutoryDays",
    "WeekdayHours",
    "build_calendar",
    "calendar_from_table",
    "calendar_notices",
    "china_calendar",
    "holiday_name",
    "load_zone",
    "package_years",
    "provisional_reason",
    "require_years",
    "statutory_days",
    "year_notice",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
NOTICE_FROM_MONTH = 11
"""From this month on (November), start-up and the clock's daily check also speak of next
year: the State Council usually publishes the next year's schedule in October/November."""
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


@dataclass(frozen=True)
class HolidayName:
    """A public holiday's name in Chinese and English (``国庆节`` / ``National Day``)."""

    zh: str
    en: str


def holiday_name(day: date) -> HolidayName | None:
    """The public holiday ``day`` belongs to as ``chinesecalendar`` publishes it (for a
    make-up working day: the holiday it makes up for); ``None`` for an ordinary day, a
    company day off, or a year the package has no data for."""
    try:
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year beyond the package's data
        return None
    found = next((h for h in chinese_calendar.Holiday if h.value == name), None)
    return None if found is None else HolidayName(zh=found.chinese, en=found.value)


@dataclass(frozen=True)
class StatutoryDays:
    """What the ``holidays`` package knows of some years of China: ``years`` it covers,
    their statutory public ``holidays`` (with the days off it lists for a published
    schedule) and the make-up ``working_days`` it lists (none for an unpublished year)."""

    years: frozenset[int]
    holidays: frozenset[date]
    working_days: frozenset[date]


@functools.lru_cache(maxsize=4)
def statutory_days(first: int, last: int) -> StatutoryDays:
    """Return what the ``holidays`` package knows of the years ``first`` to ``last``.

    ``observed=False``: no guessed substitute days (the package would otherwise move a
    holiday falling on a weekend to a weekday, which China's schedule does not always do).
    Cached: the first call imports the package and costs a few tenths of a second.
    """
    from holidays.countries.china import China

    years = range(max(first, China.start_year), min(last, China.end_year) + 1)
    if not years:
        return StatutoryDays(frozenset(), frozenset(), frozenset())
    china = China(years=years, observed=False)  # type: ignore[no-untyped-call]
    make_up = frozenset(day for day in china.weekend_workdays if day.year in years)
    return StatutoryDays(frozenset(years), frozenset(china), make_up)


def _provisional_days(official: frozenset[int]) -> StatutoryDays:
    """The statutory days of every year after ``chinesecalendar``'s last that is not
    official, as far as the ``holidays`` package knows."""
    from holidays.countries.china import China

    known = statutory_days(max(package_years()) + 1, China.end_year)
    years = known.years - official
    return StatutoryDays(
        years,
        frozenset(day for day in known.holidays if day.year in years),
        frozenset(day for day in known.working_days if day.year in years),
    )


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
    itself in ``extra_holidays``/``extra_working_days``. Later years the ``holidays``
    package knows are provisional (see the module docstring). ``zone`` defaults to
    Asia/Shanghai.

    Raises ConfigError if a date is both an extra holiday and an extra working day, and
    CalendarCoverageError if an extra date lies in a year that is not official, or one of
    ``required_years`` (the years in use at start-up) in a year that is not covered at all.
    """
    official = package_years() | frozenset(extra_years)
    off, on = frozenset(extra_holidays), frozenset(extra_working_days)
    clash = sorted(off & on)
    if clash:
        raise ConfigError(
            f"calendar date {clash[0].isoformat()} is both in holidays and in working_days"
        )
    _require_official(off | on, official)
    statutory = _provisional_days(official)
    calendar = WorkCalendar(
        zone=zone if zone is not None else load_zone(DEFAULT_TIME_ZONE),
        holidays=(frozenset(chinese_calendar.holidays) | statutory.holidays | off) - on,
        working_days=(frozenset(chinese_calendar.workdays) | statutory.working_days | on) - off,
        hours=hours,
        covered_years=official | statutory.years,
        provisional_years=statutory.years,
    )
    require_years(calendar, required_years)
    return calendar


def _require_official(days: Iterable[date], official: frozenset[int]) -> None:
    for day in sorted(days):
        if day.year not in official:
            raise CalendarCoverageError(
                f"calendar date {day.isoformat()} lies in {day.year}, for which there is no "
                f"holiday data from chinesecalendar or [calendar] years "
                f"(official: {min(official)}-{max(official)}); {_how_to_add(day.year)}"
            )


def require_years(calendar: WorkCalendar, years: Iterable[int]) -> None:
    """Raise CalendarCoverageError naming the first of ``years`` that ``calendar`` has no
    holiday data for, and how to add it; a calendar without limits covers every year, and
    a provisional year is covered."""
    covered = calendar.covered_years
    for year in sorted(set(years)):
        if covered is not None and year not in covered:
            raise CalendarCoverageError(_uncovered(year, covered))


def _how_to_add(year: int) -> str:
    return (
        f"add years = [{year}] to the [calendar] table of the TOML file and list that "
        f"year's public holidays in holidays and its make-up working days in working_days, "
        f"or upgrade the chinesecalendar package"
    )


def _uncovered(year: int, covered: frozenset[int]) -> str:
    return (
        f"the working-day calendar has no holiday data for {year} "
        f"(chinesecalendar, [calendar] years and the holidays package cover "
        f"{min(covered)}-{max(covered)}); {_how_to_add(year)}"
    )


def provisional_reason(year: int) -> str:
    """Why due times reaching ``year`` are provisional, in one clause for people."""
    return (
        f"{year}'s make-up working days are not published yet; due times computed from the "
        f"statutory holidays; will be recomputed when the schedule is added"
    )


def year_notice(calendar: WorkCalendar, year: int) -> str | None:
    """Return what operators must hear about ``year`` on ``calendar``: that it is
    provisional, or not covered at all (due times reaching it fail); ``None`` if official."""
    if year in calendar.provisional_years:
        return (
            f"calendar year {year} is provisional: {provisional_reason(year)}. When the "
            f"schedule is published, {_how_to_add(year)}; then restart plaint (plaint run "
            f"recomputes) or run plaint sla recompute"
        )
    covered = calendar.covered_years
    if covered is not None and year not in covered:
        return f"due times reaching {year} fail: {_uncovered(year, covered)}"
    return None


def calendar_notices(calendar: WorkCalendar, *, today: date) -> tuple[str, ...]:
    """Return the notices (:func:`year_notice`) for ``today``'s year and, from
    :data:`NOTICE_FROM_MONTH` on, for the next year; empty when both are official."""
    years = [today.year, *([today.year + 1] if today.month >= NOTICE_FROM_MONTH else [])]
    return tuple(notice for year in years if (notice := year_notice(calendar, year)))


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
