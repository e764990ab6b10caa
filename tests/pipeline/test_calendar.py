"""The pure working-time arithmetic, on synthetic calendars (no holiday package)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.calendar import (
    DAY,
    Budget,
    BudgetKind,
    WorkCalendar,
    WorkingHours,
    WorkPeriod,
    add_working_time,
    due,
    due_with_pauses,
    next_working_instant,
    parse_working_hours,
    provisional_years_between,
    provisional_years_of_due,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LUNCH_BREAK = parse_working_hours("09:00-12:00,13:30-18:00")
HOURS = timedelta(hours=1)

WEEKDAYS = WorkCalendar(zone=SHANGHAI)
OFFICE = WorkCalendar(zone=SHANGHAI, hours=WorkingHours(LUNCH_BREAK))
SHORT_FRIDAY = WorkCalendar(
    zone=SHANGHAI,
    hours=WorkingHours(LUNCH_BREAK, by_weekday=((4, parse_working_hours("09:00-12:00")),)),
)


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def at(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def plus(instant: datetime, elapsed: timedelta) -> datetime:
    """``instant`` + real elapsed time (aware arithmetic in one zone would be wall time)."""
    return instant.astimezone(UTC) + elapsed


# --- named cases ------------------------------------------------------------------------

ADD_CASES = [
    # (name, calendar, start, amount, expected)
    ("friday to monday", WEEKDAYS, sh("2025-03-07 17:00"), DAY, sh("2025-03-10 17:00")),
    ("saturday arrival starts monday", WEEKDAYS, sh("2025-03-08 10:00"), DAY, sh("2025-03-11")),
    (
        "zero amount is start",
        WEEKDAYS,
        sh("2025-03-08 10:00"),
        timedelta(0),
        sh("2025-03-08 10:00"),
    ),
    (
        "lunch: lands at period end",
        OFFICE,
        sh("2025-03-10 09:00"),
        7.5 * HOURS,
        sh("2025-03-10 18:00"),
    ),
    (
        "lunch: starts after lunch",
        OFFICE,
        sh("2025-03-10 12:30"),
        3.75 * HOURS,
        sh("2025-03-10 17:15"),
    ),
    ("lunch: skips the break", OFFICE, sh("2025-03-10 11:00"), 2 * HOURS, sh("2025-03-10 14:30")),
    ("lunch: evening to next day", OFFICE, sh("2025-03-10 19:00"), HOURS, sh("2025-03-11 10:00")),
    ("short friday", SHORT_FRIDAY, sh("2025-03-07 11:00"), 7.5 * HOURS, sh("2025-03-10 17:00")),
]


@pytest.mark.parametrize(
    ("calendar", "start", "amount", "expected"),
    [case[1:] for case in ADD_CASES],
    ids=[case[0] for case in ADD_CASES],
)
def test_add_working_time(
    calendar: WorkCalendar, start: datetime, amount: timedelta, expected: datetime
) -> None:
    result = add_working_time(start=start, amount=amount, calendar=calendar)
    assert result == expected
    assert result.tzinfo is calendar.zone


NEXT_CASES = [
    ("saturday", WEEKDAYS, sh("2025-03-08 10:00"), sh("2025-03-10 00:00")),
    ("inside a working day", WEEKDAYS, sh("2025-03-10 03:00"), sh("2025-03-10 03:00")),
    ("lunch break", OFFICE, sh("2025-03-10 12:30"), sh("2025-03-10 13:30")),
    ("period end", OFFICE, sh("2025-03-10 18:00"), sh("2025-03-11 09:00")),
    ("period start", OFFICE, sh("2025-03-10 09:00"), sh("2025-03-10 09:00")),
]


@pytest.mark.parametrize(
    ("calendar", "instant", "expected"),
    [case[1:] for case in NEXT_CASES],
    ids=[case[0] for case in NEXT_CASES],
)
def test_next_working_instant(
    calendar: WorkCalendar, instant: datetime, expected: datetime
) -> None:
    assert next_working_instant(at=instant, calendar=calendar) == expected


def test_results_are_in_the_calendar_zone() -> None:
    start = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    result = add_working_time(start=start, amount=DAY, calendar=WEEKDAYS)
    assert result.isoformat() == "2025-03-10T17:00:00+08:00"


# --- daylight-saving time: real elapsed working time -------------------------------------

BERLIN_WEEKDAYS = WorkCalendar(zone=BERLIN)
BERLIN_DST_SUNDAYS = WorkCalendar(
    zone=BERLIN, working_days=frozenset({date(2025, 3, 30), date(2025, 10, 26)})
)
NY_OFFICE = WorkCalendar(zone=NEW_YORK, hours=WorkingHours(parse_working_hours("09:00-17:00")))
NY_NIGHT_SUNDAY = WorkCalendar(
    zone=NEW_YORK,
    working_days=frozenset({date(2025, 3, 9), date(2025, 11, 2)}),
    hours=WorkingHours(parse_working_hours("01:00-05:00")),
)


def test_dst_weekend_in_between_keeps_the_wall_time() -> None:
    start = at(BERLIN, "2025-03-28 12:00")  # Friday, +01:00
    result = add_working_time(start=start, amount=DAY, calendar=BERLIN_WEEKDAYS)
    assert result.isoformat() == "2025-03-31T12:00:00+02:00"
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=71)


@pytest.mark.parametrize(
    ("day", "length", "due_text"),
    [
        ("2025-03-30", timedelta(hours=23), "2025-03-31T01:00:00+02:00"),
        ("2025-10-26", timedelta(hours=25), "2025-10-26T23:00:00+01:00"),
    ],
    ids=["spring forward: 23 h day", "fall back: 25 h day"],
)
def test_dst_day_counts_its_real_length(day: str, length: timedelta, due_text: str) -> None:
    midnight = at(BERLIN, day)
    next_midnight = at(BERLIN, (date.fromisoformat(day) + DAY).isoformat())
    between = working_time_between(start=midnight, end=next_midnight, calendar=BERLIN_DST_SUNDAYS)
    assert between == length
    result = add_working_time(start=midnight, amount=DAY, calendar=BERLIN_DST_SUNDAYS)
    assert result.isoformat() == due_text


def test_dst_new_york_office_hours_across_the_change() -> None:
    start = at(NEW_YORK, "2025-03-07 13:00")  # Friday, -05:00
    result = add_working_time(start=start, amount=8 * HOURS, calendar=NY_OFFICE)
    assert result.isoformat() == "2025-03-10T13:00:00-04:00"


@pytest.mark.parametrize(
    ("day", "length"),
    [("2025-03-09", 3 * HOURS), ("2025-11-02", 5 * HOURS)],
    ids=["01:00-05:00 loses an hour", "01:00-05:00 gains an hour"],
)
def test_dst_period_spanning_the_change(day: str, length: timedelta) -> None:
    midnight = at(NEW_YORK, day)
    end = midnight + DAY  # wall-clock arithmetic: the next local midnight
    assert working_time_between(start=midnight, end=end, calendar=NY_NIGHT_SUNDAY) == length


# --- budgets and pauses -----------------------------------------------------------------


def test_clock_budget_ignores_the_calendar() -> None:
    result = due(start=sh("2025-03-07 17:00"), budget=Budget.clock(24 * HOURS), calendar=OFFICE)
    assert result == sh("2025-03-08 17:00")


def test_working_days_scale_to_the_standard_day() -> None:
    budget = Budget.working_days(3)
    assert budget == Budget(BudgetKind.WORKING, timedelta(days=3))
    assert budget.working_time(OFFICE) == 22.5 * HOURS
    assert budget.working_time(WEEKDAYS) == timedelta(days=3)
    assert Budget.working_days(0.5).working_time(OFFICE) == 3.75 * HOURS
    assert due(start=sh("2025-03-10 09:00"), budget=budget, calendar=OFFICE) == sh(
        "2025-03-12 18:00"
    )


PAUSE_CASES = [
    # (name, budget, start, pauses, expected)
    (
        "pause before start is ignored",
        Budget.clock(HOURS),
        sh("2025-03-10 10:00"),
        [(sh("2025-03-10 08:00"), sh("2025-03-10 09:00"))],
        sh("2025-03-10 11:00"),
    ),
    (
        "start inside a pause",
        Budget.clock(HOURS),
        sh("2025-03-10 10:00"),
        [(sh("2025-03-10 09:00"), sh("2025-03-10 12:00"))],
        sh("2025-03-10 13:00"),
    ),
    (
        "overlapping pauses count once",
        Budget.clock(2 * HOURS),
        sh("2025-03-10 10:00"),
        [
            (sh("2025-03-10 11:00"), sh("2025-03-10 12:00")),
            (sh("2025-03-10 10:30"), sh("2025-03-10 11:30")),
        ],
        sh("2025-03-10 13:30"),
    ),
    (
        "working budget done before the pause",
        Budget.working_days(0.5),
        sh("2025-03-10 09:00"),
        [(sh("2025-03-10 18:00"), sh("2025-03-11 18:00"))],
        sh("2025-03-10 14:15"),
    ),
    (
        "working budget resumes after the pause",
        Budget.working_days(1),
        sh("2025-03-10 09:00"),
        [(sh("2025-03-10 10:00"), sh("2025-03-11 10:00"))],
        sh("2025-03-11 18:00"),
    ),
]


@pytest.mark.parametrize(
    ("budget", "start", "pauses", "expected"),
    [case[1:] for case in PAUSE_CASES],
    ids=[case[0] for case in PAUSE_CASES],
)
def test_due_with_pauses(
    budget: Budget,
    start: datetime,
    pauses: list[tuple[datetime, datetime]],
    expected: datetime,
) -> None:
    assert due_with_pauses(start=start, budget=budget, calendar=OFFICE, pauses=pauses) == expected


# --- contracts: bad input ---------------------------------------------------------------

NAIVE = datetime(2025, 3, 10, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_time(start=NAIVE, amount=DAY, calendar=WEEKDAYS),
        lambda: working_time_between(start=sh("2025-03-10"), end=NAIVE, calendar=WEEKDAYS),
        lambda: next_working_instant(at=NAIVE, calendar=WEEKDAYS),
        lambda: due(start=NAIVE, budget=Budget.clock(DAY), calendar=WEEKDAYS),
        lambda: add_working_time(start=sh("2025-03-10"), amount=-DAY, calendar=WEEKDAYS),
        lambda: Budget.clock(-HOURS),
        lambda: due_with_pauses(
            start=sh("2025-03-10"),
            budget=Budget.clock(DAY),
            calendar=WEEKDAYS,
            pauses=[(sh("2025-03-11"), sh("2025-03-10"))],
        ),
    ],
    ids=["add naive", "between naive", "next naive", "due naive", "negative", "budget", "pause"],
)
def test_bad_values_raise_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"timezone-aware|negative|before it starts"):
        call()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("18:00-09:00", "must end after it starts"),
        ("9-12", "HH:MM"),
        ("25:00-26:00", "HH:MM"),
        ("09:00", "must look like"),
        ("09:00-12:00,11:00-13:00", "overlap"),
    ],
)
def test_parse_working_hours_rejects(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_working_hours(text)


def test_parse_working_hours() -> None:
    assert (WorkPeriod(time(9), time(12)), WorkPeriod(time(13, 30), time(18))) == LUNCH_BREAK
    assert [str(period) for period in LUNCH_BREAK] == ["09:00-12:00", "13:30-18:00"]


def test_calendar_rejects_a_day_both_off_and_on() -> None:
    day = frozenset({date(2025, 3, 8)})
    with pytest.raises(ConfigError, match="2025-03-08"):
        WorkCalendar(zone=SHANGHAI, holidays=day, working_days=day)


def test_uncovered_year_raises_naming_it() -> None:
    calendar = WorkCalendar(zone=SHANGHAI, covered_years=frozenset({2025}))
    with pytest.raises(CalendarCoverageError, match=r"2026.*\[calendar\]"):
        add_working_time(start=sh("2025-12-31 12:00"), amount=DAY, calendar=calendar)


# 2025 official; 2026 and 2027 provisional (2026 with a statutory holiday on 5 January).
PROVISIONAL = WorkCalendar(
    zone=SHANGHAI,
    holidays=frozenset({date(2026, 1, 5)}),
    covered_years=frozenset({2025, 2026, 2027}),
    provisional_years=frozenset({2026, 2027}),
)
PROVISIONAL_CASES = [
    # (start, end, provisional years consulted)
    ("2025-12-29 10:00", "2025-12-31 10:00", set()),
    ("2025-12-30 10:00", "2026-01-01 00:00", set()),  # [start, end): 1 January not consulted
    ("2025-12-30 10:00", "2026-01-01 00:01", {2026}),
    ("2025-12-30 10:00", "2027-01-04 10:00", {2026, 2027}),
    ("2026-03-02 10:00", "2026-03-02 10:00", {2026}),  # zero budget: start's own day
    ("2026-01-01 07:59", "2025-12-31 12:00", {2026}),  # end before start: start's day
    ("2025-12-31 23:30", "2025-12-31 23:30", set()),
]


@pytest.mark.parametrize(("start", "end", "years"), PROVISIONAL_CASES)
def test_provisional_years_between(start: str, end: str, years: set[int]) -> None:
    assert provisional_years_between(start=sh(start), end=sh(end), calendar=PROVISIONAL) == years


def test_provisional_years_are_counted_in_the_calendars_zone() -> None:
    start = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    end = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in Shanghai
    assert provisional_years_between(start=start, end=end, calendar=PROVISIONAL) == {2026}
    assert provisional_years_between(start=start, end=start, calendar=PROVISIONAL) == set()


@pytest.mark.parametrize(
    ("start", "budget", "expected", "years"),
    [
        ("2025-12-31 10:00", Budget.working_days(1), "2026-01-01 10:00", {2026}),
        ("2026-01-02 10:00", Budget.working_days(1), "2026-01-06 10:00", {2026}),
        ("2025-12-29 10:00", Budget.working_days(1), "2025-12-30 10:00", set()),
        ("2026-01-02 10:00", Budget.clock(timedelta(hours=24)), "2026-01-03 10:00", set()),
    ],
    ids=["into a provisional year", "over its statutory holiday", "official", "clock budget"],
)
def test_a_provisional_year_counts_like_any_other_and_is_reported(
    start: str, budget: Budget, expected: str, years: set[int]
) -> None:
    result = due(start=sh(start), budget=budget, calendar=PROVISIONAL)
    assert utc(result) == utc(sh(expected))
    found = provisional_years_of_due(start=sh(start), due=result, budget=budget,
                                     calendar=PROVISIONAL)  # fmt: skip
    assert found == years


def test_a_provisional_year_must_be_covered() -> None:
    with pytest.raises(ConfigError, match="provisional year 2027 is not a covered year"):
        WorkCalendar(zone=SHANGHAI, covered_years=frozenset({2026}),
                     provisional_years=frozenset({2027}))  # fmt: skip
    unlimited = WorkCalendar(zone=SHANGHAI, provisional_years=frozenset({2027}))
    assert unlimited.is_working_day(date(2030, 1, 2))


def test_calendar_without_working_time_gives_up() -> None:
    never = WorkCalendar(zone=SHANGHAI, weekend=frozenset(range(7)))
    with pytest.raises(ConfigError, match="no working time in the 366 days"):
        next_working_instant(at=sh("2025-03-10"), calendar=never)


# --- properties -------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    WorkCalendar(
        zone=SHANGHAI,
        holidays=frozenset({date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}),
        working_days=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
    ),
    WorkCalendar(zone=BERLIN, hours=WorkingHours(LUNCH_BREAK)),
    SHORT_FRIDAY,
    NY_NIGHT_SUNDAY,
]
# Compare in UTC: Python compares datetimes that share a tzinfo by wall time, which is
# wrong around a DST change (an ambiguous or imaginary local time).
PROPERTIES = settings(max_examples=150, deadline=None, database=None)

calendars = st.sampled_from(PROPERTY_CALENDARS)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2025, 12, 1),
    timezones=st.sampled_from([SHANGHAI, BERLIN, NEW_YORK, UTC]),
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=15))
gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))


@PROPERTIES
@given(calendar=calendars, start=instants, amount=amounts)
def test_adding_then_measuring_gives_the_amount_back(
    calendar: WorkCalendar, start: datetime, amount: timedelta
) -> None:
    """For every start (working instant or not): between(start, add(start, d)) == d."""
    due_at = add_working_time(start=start, amount=amount, calendar=calendar)
    assert utc(due_at) >= utc(start)
    assert working_time_between(start=start, end=due_at, calendar=calendar) == amount


@PROPERTIES
@given(calendar=calendars, start=instants, gap=gaps)
def test_measuring_then_adding_is_the_earliest_instant(
    calendar: WorkCalendar, start: datetime, gap: timedelta
) -> None:
    """add(start, between(start, end)) ≤ end, with no working time left between the two."""
    end = plus(start, gap)
    measured = working_time_between(start=start, end=end, calendar=calendar)
    back = add_working_time(start=start, amount=measured, calendar=calendar)
    assert utc(back) <= utc(end)
    assert working_time_between(start=back, end=end, calendar=calendar) == timedelta(0)


@PROPERTIES
@given(calendar=calendars, start=instants, small=amounts, extra=amounts)
def test_monotonic_in_amount(
    calendar: WorkCalendar, start: datetime, small: timedelta, extra: timedelta
) -> None:
    first = add_working_time(start=start, amount=small, calendar=calendar)
    assert utc(first) <= utc(add_working_time(start=start, amount=small + extra, calendar=calendar))


@PROPERTIES
@given(calendar=calendars, start=instants, later=gaps, amount=amounts)
def test_monotonic_in_start(
    calendar: WorkCalendar, start: datetime, later: timedelta, amount: timedelta
) -> None:
    first = add_working_time(start=start, amount=amount, calendar=calendar)
    assert utc(first) <= utc(
        add_working_time(start=plus(start, later), amount=amount, calendar=calendar)
    )


@PROPERTIES
@given(calendar=calendars, start=instants, first=gaps, second=gaps)
def test_working_time_is_additive(
    calendar: WorkCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = plus(start, first), plus(start, first + second)
    whole = working_time_between(start=start, end=end, calendar=calendar)
    part_one = working_time_between(start=start, end=middle, calendar=calendar)
    part_two = working_time_between(start=middle, end=end, calendar=calendar)
    assert whole == part_one + part_two


@PROPERTIES
@given(calendar=calendars, instant=instants, amount=amounts.filter(lambda d: d > timedelta(0)))
def test_counting_starts_at_the_next_working_instant(
    calendar: WorkCalendar, instant: datetime, amount: timedelta
) -> None:
    begin = next_working_instant(at=instant, calendar=calendar)
    assert utc(begin) >= utc(instant)
    assert working_time_between(start=instant, end=begin, calendar=calendar) == timedelta(0)
    assert utc(add_working_time(start=instant, amount=amount, calendar=calendar)) >= plus(
        begin, amount
    )


def _union(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _counted(
    start: datetime,
    end: datetime,
    pauses: list[tuple[datetime, datetime]],
    budget: Budget,
    calendar: WorkCalendar,
) -> timedelta:
    def measure(a: datetime, b: datetime) -> timedelta:
        if budget.kind is BudgetKind.CLOCK:
            return max(b.astimezone(UTC) - a.astimezone(UTC), timedelta(0))
        return working_time_between(start=a, end=b, calendar=calendar)

    paused = sum((measure(max(a, start), min(b, end)) for a, b in _union(pauses)), timedelta(0))
    return measure(start, end) - paused


pauses_strategy = st.lists(st.tuples(gaps, gaps), max_size=4)
budgets = st.builds(
    Budget, kind=st.sampled_from(list(BudgetKind)), amount=st.timedeltas(timedelta(0), 5 * DAY)
)


@PROPERTIES
@given(calendar=calendars, start=instants, budget=budgets, raw_pauses=pauses_strategy)
def test_pauses_subtract_exactly(
    calendar: WorkCalendar,
    start: datetime,
    budget: Budget,
    raw_pauses: list[tuple[timedelta, timedelta]],
) -> None:
    """Counted time minus paused time reaches the budget exactly, and not a µs earlier."""
    origin = plus(start, -2 * DAY)  # pauses may also begin before the start
    pauses = [(origin + offset, origin + offset + length) for offset, length in raw_pauses]
    result = due_with_pauses(start=start, budget=budget, calendar=calendar, pauses=pauses)
    target = budget.working_time(calendar)
    assert _counted(start, result, pauses, budget, calendar) == target
    if utc(result) > utc(start):
        earlier = plus(result, -timedelta(microseconds=1))
        assert _counted(start, earlier, pauses, budget, calendar) < target
