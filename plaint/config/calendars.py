"""Build the working-day calendar from the ``chinesecalendar`` package and company overrides.

This is the edge of :mod:`plaint.pipeline.calendar`: it reads the time-zone database and
the package's holiday tables, and hands the pure code a finished
:class:`~plaint.pipeline.calendar.WorkCalendar`. A year that neither the package nor the
company declares is never guessed: asking for it raises
:class:`~plaint.errors.CalendarCoverageError`, naming the year and how to add it.

The TOML ``[calendar]`` table, read by :func:`calendar_from_table`::

    [calendar]
    time_zone = "Asia/Shanghai"                 # default
    working_hours = "09:00-12:00,13:30-18:00"   # optional; default: whole working days
    weekday_hours = { fri = "09:00-12:00,13:30-16:00" }  # optional per-weekday periods
    holidays = [2025-12-31]                     # company days off (TOML dates)
    working_days = [2025-12-27]                 # company working days (e.g. a Saturday)
    years = [2027]                              # years whose holidays and make-up days
                                                # the company lists itself in full
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.calendar import WorkCalendar, WorkingHours, parse_working_hours

__all__ = [
    "DEFAULT_TIME_ZONE",
    "calendar_from_table",
    "china_calendar",
    "load_zone",
    "package_years",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TABLE_KEYS = frozenset(
    {"time_zone", "working_hours", "weekday_hours", "holidays", "working_days", "years"}
)


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``; raise ConfigError if it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} (expected e.g. Asia/Shanghai)") from exc


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
    for year in sorted({day.year for day in off | on} | set(required_years)):
        if year not in covered:
            raise CalendarCoverageError(_uncovered(year, covered))
    return WorkCalendar(
        zone=zone if zone is not None else load_zone(DEFAULT_TIME_ZONE),
        holidays=(frozenset(chinese_calendar.holidays) | off) - on,
        working_days=(frozenset(chinese_calendar.workdays) | on) - off,
        hours=hours,
        covered_years=covered,
    )


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
    unknown = sorted(set(table) - _TABLE_KEYS)
    if unknown:
        raise ConfigError(f"unknown key calendar.{unknown[0]}")
    zone = load_zone(_text(table, "time_zone", DEFAULT_TIME_ZONE))
    return china_calendar(
        zone=zone,
        hours=_hours(table),
        extra_holidays=_dates(table, "holidays"),
        extra_working_days=_dates(table, "working_days"),
        extra_years=_years(table),
        required_years=required_years,
    )


def _text(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"calendar.{key} must be a string, got {value!r}")
    return value


def _hours(table: Mapping[str, Any]) -> WorkingHours | None:
    text = _text(table, "working_hours", "")
    weekday_table = table.get("weekday_hours", {})
    if not isinstance(weekday_table, Mapping):
        raise ConfigError("calendar.weekday_hours must be a table like { fri = '09:00-16:00' }")
    if not text:
        if weekday_table:
            raise ConfigError("calendar.weekday_hours needs calendar.working_hours as well")
        return None
    by_weekday = []
    for name, periods in weekday_table.items():
        if name not in _WEEKDAYS or not isinstance(periods, str):
            raise ConfigError(f"calendar.weekday_hours.{name} must be mon-sun = '09:00-18:00'")
        by_weekday.append((_WEEKDAYS.index(name), parse_working_hours(periods)))
    return WorkingHours(parse_working_hours(text), tuple(by_weekday))


def _dates(table: Mapping[str, Any], key: str) -> list[date]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise ConfigError(f"calendar.{key} must be a list of dates")
    return [_date(value, key) for value in values]


def _date(value: object, key: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"calendar.{key} holds {value!r}, which is not a date YYYY-MM-DD")


def _years(table: Mapping[str, Any]) -> list[int]:
    values = table.get("years", [])
    if not isinstance(values, list) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in values
    ):
        raise ConfigError("calendar.years must be a list of years, e.g. [2027]")
    return list(values)
