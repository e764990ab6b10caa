"""The China calendar from ``chinesecalendar`` plus company overrides, on named cases.

Expected due instants are literals reasoned out by hand from the published 2025 and 2026
holiday schedules; ``test_schedule_facts`` checks each fact they rely on against the
package, so a wrong fact fails there and not in a confusing due-time case.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from plaint.config.calendars import (
    calendar_from_table,
    china_calendar,
    load_zone,
    package_years,
    statutory_days,
)
from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.calendar import (
    Budget,
    WorkCalendar,
    WorkingHours,
    add_working_time,
    due,
    due_with_pauses,
    parse_working_hours,
    provisional_years_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6: a site keeping Xinjiang local time
CN = china_calendar()
CN_URUMQI = china_calendar(zone=URUMQI)
CN_OFFICE = china_calendar(hours=WorkingHours(parse_working_hours("09:00-12:00,13:30-18:00")))


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# (date, working?, why) — every fact the cases below rely on.
SCHEDULE_FACTS = [
    ("2025-01-26", True, "Sunday, make-up day for Spring Festival 2025"),
    ("2025-01-27", True, "Monday before Spring Festival 2025"),
    ("2025-01-28", False, "Spring Festival 2025: Jan 28 - Feb 4"),
    ("2025-02-04", False, "last day of Spring Festival 2025"),
    ("2025-02-05", True, "Wednesday after Spring Festival 2025"),
    ("2025-02-08", True, "Saturday, make-up day for Spring Festival 2025"),
    ("2025-09-27", False, "an ordinary Saturday"),
    ("2025-09-28", True, "Sunday, make-up day for National Day 2025"),
    ("2025-10-01", False, "National Day 2025: Oct 1 - Oct 8"),
    ("2025-10-08", False, "last day of National Day 2025"),
    ("2025-10-09", True, "Thursday after National Day 2025"),
    ("2025-10-11", True, "Saturday, make-up day for National Day 2025"),
    ("2025-11-07", True, "an ordinary Friday"),
    ("2025-11-08", False, "an ordinary Saturday"),
    ("2025-12-31", True, "Wednesday before New Year 2026"),
    ("2026-01-01", False, "New Year 2026: Jan 1 - Jan 3"),
    ("2026-01-04", True, "Sunday, make-up day for New Year 2026"),
    ("2026-02-14", True, "Saturday, make-up day for Spring Festival 2026"),
    ("2026-02-15", False, "Spring Festival 2026: Feb 15 - Feb 23"),
    ("2026-02-23", False, "last day of Spring Festival 2026"),
    ("2026-02-24", True, "Tuesday after Spring Festival 2026"),
    ("2026-02-28", True, "Saturday, make-up day for Spring Festival 2026"),
    ("2026-09-19", False, "an ordinary Saturday"),
    ("2026-09-20", True, "Sunday, make-up day for National Day 2026"),
    ("2026-10-01", False, "National Day 2026: Oct 1 - Oct 7"),
    ("2026-10-07", False, "last day of National Day 2026"),
    ("2026-10-08", True, "Thursday after National Day 2026"),
    ("2026-10-10", True, "Saturday, make-up day for National Day 2026"),
    ("2026-12-31", True, "last day the package knows"),
]


@pytest.mark.parametrize(("day", "working", "why"), SCHEDULE_FACTS)
def test_schedule_facts(day: str, working: bool, why: str) -> None:
    """Cross-check each hand-written fact with the package and with our calendar."""
    assert chinese_calendar.is_workday(date.fromisoformat(day)) is working, why
    assert CN.is_working_day(date.fromisoformat(day)) is working, why


def same(result: datetime, expected: str) -> bool:
    """``result`` is the instant ``expected`` and shows the same UTC offset."""
    wanted = datetime.fromisoformat(expected)
    return result == wanted and result.utcoffset() == wanted.utcoffset()


# (name, calendar, start, working days, expected due); a start without offset is Shanghai.
DUE_CASES = [
    ("NatDay25 23:59 before", CN, "2025-09-30 23:59", 3, "2025-10-11T23:59+08:00"),
    ("NatDay25 make-up Sun", CN, "2025-09-26 10:00", 3, "2025-09-30T10:00+08:00"),
    ("NatDay25 on the holiday", CN, "2025-10-03 15:00", 1, "2025-10-10T00:00+08:00"),
    ("Spring25 make-up Sun", CN, "2025-01-25 09:00", 2, "2025-01-28T00:00+08:00"),
    ("Spring25 23:59 before", CN, "2025-01-27 23:59", 1, "2025-02-05T23:59+08:00"),
    ("Spring25 make-up Sat", CN, "2025-02-07 12:00", 1, "2025-02-08T12:00+08:00"),
    ("Spring26 across", CN, "2026-02-13 08:00", 3, "2026-02-25T08:00+08:00"),
    ("Spring26 make-up Sat", CN, "2026-02-27 18:00", 1, "2026-02-28T18:00+08:00"),
    ("NatDay26 23:59 before", CN, "2026-09-30 23:59", 3, "2026-10-10T23:59+08:00"),
    ("NatDay26 make-up Sun", CN, "2026-09-19 10:00", 1, "2026-09-21T00:00+08:00"),
    ("lunch: ends 18:00", CN_OFFICE, "2025-09-27 20:00", 1, "2025-09-28T18:00+08:00"),
    ("lunch: NatDay25", CN_OFFICE, "2025-09-30 10:00", 3, "2025-10-11T10:00+08:00"),
    ("UTC in, Shanghai out", CN, "2025-09-30T15:59+00:00", 3, "2025-10-11T23:59+08:00"),
    ("Urumqi: still Sep 30", CN_URUMQI, "2025-09-30T23:00+06:00", 1, "2025-10-09T23:00+06:00"),
    ("Shanghai: that is Oct 1", CN, "2025-09-30T23:00+06:00", 1, "2025-10-10T00:00+08:00"),
]


@pytest.mark.parametrize(
    ("calendar", "start", "days", "expected"),
    [case[1:] for case in DUE_CASES],
    ids=[case[0] for case in DUE_CASES],
)
def test_due_on_the_china_calendar(
    calendar: WorkCalendar, start: str, days: float, expected: str
) -> None:
    begin = datetime.fromisoformat(start)
    begin = begin if begin.tzinfo else begin.replace(tzinfo=SHANGHAI)
    assert same(due(start=begin, budget=Budget.working_days(days), calendar=calendar), expected)


WEEKEND_PAUSE = [(sh("2025-11-07 10:00"), sh("2025-11-10 10:00"))]  # Friday to Monday


DAY_3 = Budget.working_days(3)
HOURS_24 = Budget.clock(timedelta(hours=24))


@pytest.mark.parametrize(
    ("start", "budget", "pauses", "expected"),
    [
        (sh("2025-11-05 10:00"), DAY_3, [], "2025-11-10T10:00+08:00"),
        (sh("2025-11-05 10:00"), DAY_3, WEEKEND_PAUSE, "2025-11-11T10:00+08:00"),
        (sh("2025-11-07 09:00"), HOURS_24, [], "2025-11-08T09:00+08:00"),
        (sh("2025-11-07 09:00"), HOURS_24, WEEKEND_PAUSE, "2025-11-11T09:00+08:00"),
    ],
    ids=["3 days, no pause", "3 days, pause Fri-Mon", "24 h, no pause", "24 h, pause Fri-Mon"],
)
def test_pause_spanning_a_weekend(
    start: datetime, budget: Budget, pauses: list[tuple[datetime, datetime]], expected: str
) -> None:
    result = due_with_pauses(start=start, budget=budget, calendar=CN, pauses=pauses)
    assert same(result, expected)


# 2027 as the holidays package gives it (observed=False): the statutory days alone.
STATUTORY_2027 = [
    ("2027-01-01", False, "New Year's Day, a Friday"),
    ("2027-02-04", True, "Thursday before Spring Festival"),
    ("2027-02-05", False, "Spring Festival Eve (statutory since 2025)"),
    ("2027-02-08", False, "third day of Spring Festival, a Monday"),
    ("2027-02-09", True, "Tuesday: no guessed substitute day off"),
    ("2027-02-20", False, "a Saturday: the make-up days are not known"),
    ("2027-10-01", False, "National Day, a Friday"),
    ("2027-10-04", True, "Monday: no guessed substitute for Oct 2-3"),
]


@pytest.mark.parametrize(
    ("day", "working", "why"), STATUTORY_2027, ids=[f[2] for f in STATUTORY_2027]
)
def test_a_year_after_the_package_has_its_statutory_holidays(
    day: str, working: bool, why: str
) -> None:
    assert CN.is_working_day(date.fromisoformat(day)) is working, why


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-12-30 10:00", 3, "2027-01-05T10:00+08:00"),
        ("2027-02-04 10:00", 3, "2027-02-11T10:00+08:00"),
        ("2027-09-30 10:00", 1, "2027-10-04T10:00+08:00"),
    ],
    ids=["across new year", "before spring festival", "national day"],
)
def test_due_times_through_a_provisional_year(start: str, days: int, expected: str) -> None:
    result = due(start=sh(start), budget=Budget.working_days(days), calendar=CN)
    assert same(result, expected)
    years = provisional_years_between(start=sh(start), end=result, calendar=CN)
    assert years == {2027}


def test_years_after_the_package_are_provisional_up_to_what_holidays_knows() -> None:
    assert {2027, 2030, 2100} <= CN.provisional_years
    assert not CN.provisional_years & package_years()
    assert CN.covered_years is not None
    assert 2101 not in CN.covered_years


def test_a_year_nothing_covers_raises_naming_it() -> None:
    start = sh("2100-12-30 10:00")
    with pytest.raises(CalendarCoverageError, match=r"2101.*\[calendar\] table"):
        add_working_time(start=start, amount=timedelta(days=3), calendar=CN)


def test_a_year_the_company_declares_is_official() -> None:
    calendar = china_calendar(extra_years=[2027], extra_holidays=[date(2027, 2, 5)])
    assert 2027 not in calendar.provisional_years
    assert 2028 in calendar.provisional_years
    assert not calendar.is_working_day(date(2027, 2, 5))
    assert calendar.is_working_day(date(2027, 2, 8)), "the company's list replaces the statute"


def test_package_years() -> None:
    assert {2004, 2025, 2026} <= package_years()
    assert 2027 not in package_years()


def test_statutory_days_of_a_published_year_pair_days_off_with_make_up_days() -> None:
    known = statutory_days(2026, 2026)
    assert known.years == {2026}
    assert date(2026, 2, 17) in known.holidays
    assert known.working_days == {d for d in chinese_calendar.workdays if d.year == 2026
                                  and d.weekday() >= 5}  # fmt: skip
    assert statutory_days(2101, 2200).years == frozenset()


@pytest.mark.parametrize(
    ("overrides", "start", "expected"),
    [
        ({}, "2025-12-30 12:00", "2025-12-31T12:00+08:00"),
        ({"extra_holidays": [date(2025, 12, 31)]}, "2025-12-30 12:00", "2026-01-04T12:00+08:00"),
        (
            {"extra_working_days": [date(2025, 12, 27)]},
            "2025-12-26 12:00",
            "2025-12-27T12:00+08:00",
        ),
        ({"extra_holidays": [date(2025, 9, 28)]}, "2025-09-27 12:00", "2025-09-30T00:00+08:00"),
        (
            {"extra_years": [2027], "extra_holidays": [date(2027, 1, 1)]},
            "2026-12-31 12:00",
            "2027-01-04T12:00+08:00",
        ),
    ],
    ids=["none", "company day off", "company Saturday", "drop a make-up day", "declare 2027"],
)
def test_company_overrides(overrides: dict[str, list[object]], start: str, expected: str) -> None:
    calendar = china_calendar(**overrides)  # type: ignore[arg-type]
    assert same(due(start=sh(start), budget=Budget.working_days(1), calendar=calendar), expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"required_years": [2101]}, CalendarCoverageError, r"2101.*years = \[2101\]"),
        ({"extra_holidays": [date(2027, 1, 1)]}, CalendarCoverageError, r"2027-01-01 lies in"),
        (
            {"extra_holidays": [date(2025, 12, 31)], "extra_working_days": [date(2025, 12, 31)]},
            ConfigError,
            "2025-12-31 is both",
        ),
    ],
    ids=["required year", "override in an unknown year", "clash"],
)
def test_china_calendar_rejects(
    kwargs: dict[str, list[object]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        china_calendar(**kwargs)  # type: ignore[arg-type]


def test_load_zone_rejects_an_unknown_zone() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_zone("Mars/Olympus")


TABLE = """
time_zone = "Asia/Urumqi"
working_hours = "09:00-12:00,13:30-18:00"
weekday_hours = { sat = "09:00-12:00" }
holidays = [2025-12-31]
working_days = ["2025-12-27"]
years = [2027]
"""


def test_calendar_from_table() -> None:
    calendar = calendar_from_table(tomllib.loads(TABLE), required_years=[2027])
    assert calendar.zone == URUMQI
    assert calendar.hours is not None
    assert calendar.hours.for_weekday(5) == parse_working_hours("09:00-12:00")
    assert not calendar.is_working_day(date(2025, 12, 31))
    assert calendar.is_working_day(date(2025, 12, 27))
    assert 2027 in (calendar.covered_years or ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "red"', "calendar.colour"),
        ('time_zone = "Nowhere/Town"', "Nowhere/Town"),
        ('holidays = ["31/12/2025"]', "calendar.holidays"),
        ('working_hours = "09:00-18:00"\nweekday_hours = { caturday = "09:00-12:00" }', "caturday"),
        ('weekday_hours = { sat = "09:00-12:00" }', "needs calendar.working_hours"),
        ('years = ["2027"]', "calendar.years"),
    ],
)
def test_calendar_from_table_rejects(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        calendar_from_table(tomllib.loads(text))
