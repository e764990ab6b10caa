"""The SLA core: policies, clocks rebuilt from events, and the moments the sweep fires."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plaint.config.calendars import china_calendar
from plaint.pipeline.calendar import Budget
from plaint.pipeline.sla import (
    Clock,
    ClockEvent,
    ClockEventKind,
    Escalation,
    Policy,
    PolicyRule,
    TicketPlan,
    clock_state,
    plan_ticket,
    select_policy,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar()
DEFAULT = Policy("default", Budget.clock(timedelta(hours=24)), Budget.working_days(3))
URGENT = Policy("emergency", Budget.clock(timedelta(minutes=30)), Budget.clock(timedelta(hours=24)))
LADDER = Escalation(("department_head", "property_manager", "regional_manager"), timedelta(hours=2))
FR, CL = Clock.FIRST_RESPONSE, Clock.CLOSURE
S, P, R, M, RS, A = (
    ClockEventKind.STARTED,
    ClockEventKind.PAUSED,
    ClockEventKind.RESUMED,
    ClockEventKind.MET,
    ClockEventKind.RESTARTED,
    ClockEventKind.ACKNOWLEDGED,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def planned(
    events: list[ClockEvent],
    now: datetime,
    *,
    policy: Policy = DEFAULT,
    fired: Iterable[tuple[str, int, str]] = (),
) -> TicketPlan:
    """Plan on the China calendar with the default ladder."""
    return plan_ticket(
        events=events, policy=policy, calendar=CAL, escalation=LADDER, fired=fired, now=now
    )


def started(when: str) -> list[ClockEvent]:
    return [ClockEvent(FR, S, at(when)), ClockEvent(CL, S, at(when))]


@pytest.mark.parametrize(
    ("level", "urgency", "category", "name"),
    [
        (1, "emergency", "facility", "emergency"),
        (2, "normal", "fee", "level2-fee"),
        (2, "normal", "facility", "level2"),
        (1, "normal", "fee", "default"),
    ],
)
def test_the_first_matching_policy_wins(level: int, urgency: str, category: str, name: str) -> None:
    rules = [
        PolicyRule(URGENT, urgency="emergency"),
        PolicyRule(
            Policy("level2-fee", DEFAULT.first_response, DEFAULT.closure), level=2, category="fee"
        ),
        PolicyRule(Policy("level2", DEFAULT.first_response, DEFAULT.closure), level=2),
    ]
    chosen = select_policy(
        rules=rules, default=DEFAULT, level=level, urgency=urgency, category=category
    )
    assert chosen.name == name


@pytest.mark.parametrize(
    ("start", "first_due", "closure_due"),
    [
        # an ordinary Monday: 24 clock hours; 3 working days end on Thursday
        ("2026-11-02T09:00", "2026-11-03T09:00", "2026-11-05T09:00"),
        # a Friday: the weekend is skipped whole
        ("2026-11-06T10:00", "2026-11-07T10:00", "2026-11-11T10:00"),
        # 23:59 before National Day 2026: Oct 1-7 off, Sat Oct 10 is a make-up working day
        ("2026-09-30T23:59", "2026-10-01T23:59", "2026-10-10T23:59"),
        # arriving on a holiday: counting starts at 00:00 of the next working day
        # (Oct 8, 9 and the make-up Saturday Oct 10 are its three working days)
        ("2026-10-03T15:00", "2026-10-04T15:00", "2026-10-11T00:00"),
    ],
)
def test_due_times_of_the_default_policy(start: str, first_due: str, closure_due: str) -> None:
    plan = planned(started(start), at(start))
    assert plan.states[FR].due == at(first_due)
    assert plan.states[CL].due == at(closure_due)


def test_a_pause_over_a_weekend_moves_only_the_clock_hours_budget() -> None:
    events = [
        *started("2026-11-06T10:00"),  # Friday
        ClockEvent(FR, P, at("2026-11-06T12:00")),
        ClockEvent(CL, P, at("2026-11-06T12:00")),
        ClockEvent(FR, R, at("2026-11-09T12:00")),
        ClockEvent(CL, R, at("2026-11-09T12:00")),
    ]
    plan = planned(events, at("2026-11-09T12:00"))
    assert plan.states[FR].due == at("2026-11-10T10:00")  # 24 h + 72 h paused
    assert plan.states[CL].due == at("2026-11-12T10:00")  # + Friday 12:00-24:00, + Monday 0-12


def test_a_running_pause_moves_the_due_time_as_it_lasts_and_fires_nothing() -> None:
    events = [
        *started("2026-11-02T09:00"),
        ClockEvent(FR, P, at("2026-11-02T10:00")),
        ClockEvent(CL, P, at("2026-11-02T10:00")),
    ]
    plan = planned(events, at("2026-11-04T10:00"))
    assert plan.states[FR].due == at("2026-11-05T09:00")
    assert plan.due_now == ()
    assert plan.next_at is None


def test_moments_fire_at_the_warning_fractions_then_breach_then_up_the_ladder() -> None:
    plan = planned(started("2026-11-02T09:00"), at("2026-11-03T12:59"))
    assert [(m.clock, m.mark, m.at) for m in plan.due_now] == [
        (FR, "warn:50", at("2026-11-02T21:00")),
        (FR, "warn:80", at("2026-11-03T04:12")),
        (FR, "breach", at("2026-11-03T09:00")),
        (FR, "escalate:1", at("2026-11-03T09:00")),
        (FR, "escalate:2", at("2026-11-03T11:00")),
    ]
    assert plan.next_at == at("2026-11-03T13:00")  # escalate:3 of the first response


def test_fired_moments_do_not_fire_again() -> None:
    first = planned(started("2026-11-02T09:00"), at("2026-11-02T22:00"))
    again = planned(
        started("2026-11-02T09:00"), at("2026-11-02T22:00"), fired=[m.key for m in first.due_now]
    )
    assert [m.mark for m in first.due_now] == ["warn:50"]
    assert again.due_now == ()
    assert again.next_at == at("2026-11-03T04:12")


def test_a_met_clock_fires_nothing_after_it_was_met() -> None:
    events = [*started("2026-11-02T09:00"), ClockEvent(FR, M, at("2026-11-02T20:00"))]
    plan = planned(events, at("2026-11-03T12:00"))
    assert [m for m in plan.due_now if m.clock is FR] == []


def test_acknowledging_stops_the_ladder() -> None:
    events = [*started("2026-11-02T09:00"), ClockEvent(FR, A, at("2026-11-03T10:00"))]
    plan = planned(events, at("2026-11-04T00:00"))
    marks = [m.mark for m in plan.due_now if m.clock is FR]
    assert marks == ["warn:50", "warn:80", "breach", "escalate:1"]


def test_reopening_starts_a_new_cycle_with_its_own_marks() -> None:
    events = [
        *started("2026-11-02T09:00"),
        ClockEvent(CL, M, at("2026-11-03T09:00")),
        ClockEvent(CL, RS, at("2026-11-09T09:00")),
    ]
    fired = [("closure", 0, "warn:50")]
    state = clock_state(
        clock=CL, events=events, budget=DEFAULT.closure, calendar=CAL, now=at("2026-11-09T09:00")
    )
    assert (state.cycle, state.met_at, state.due) == (1, None, at("2026-11-12T09:00"))
    plan = planned(events, at("2026-11-10T22:00"), fired=fired)
    assert [(m.cycle, m.mark) for m in plan.due_now if m.clock is CL] == [(1, "warn:50")]


def test_an_emergency_policy_counts_minutes() -> None:
    plan = planned(started("2026-10-03T03:00"), at("2026-10-03T03:00"), policy=URGENT)
    assert plan.states[FR].due == at("2026-10-03T03:30")
    assert plan.states[CL].due == at("2026-10-04T03:00")
    assert plan.next_at == at("2026-10-03T03:15")
