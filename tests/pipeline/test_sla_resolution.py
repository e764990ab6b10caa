"""The optional resolution clock in the SLA core: off by default (a policy without it
plans exactly as before, whatever resolution events are stored), and when on it runs
beside the other two without changing them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaint.config.calendars import china_calendar
from plaint.pipeline.calendar import Budget
from plaint.pipeline.sla import (
    Clock,
    ClockEvent,
    ClockEventKind,
    Escalation,
    Policy,
    TicketPlan,
    plan_ticket,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar()
OFF = Policy("default", Budget.clock(timedelta(hours=24)), Budget.working_days(3))
ON = Policy("tracked", OFF.first_response, OFF.closure, resolution=Budget.working_days(15))
LADDER = Escalation(("department_head", "property_manager"), timedelta(hours=2))
# Wednesday 23 September 2026, 10:00: Mid-Autumn (25 September) and National Day (1-7
# October) fall inside 15 working days, and Saturday 10 October is a make-up working day.
START = datetime(2026, 9, 23, 10, 0, tzinfo=SH)
S, M, P, R, X = (ClockEventKind.STARTED, ClockEventKind.MET, ClockEventKind.PAUSED,
                 ClockEventKind.RESUMED, ClockEventKind.EXTENDED)  # fmt: skip


def started(policy: Policy) -> list[ClockEvent]:
    return [ClockEvent(clock, S, START) for clock in policy.clocks]


def plan(
    policy: Policy, events: list[ClockEvent], now: datetime,
    fired: Iterable[tuple[str, int, str]] = (),
) -> TicketPlan:  # fmt: skip
    return plan_ticket(events=events, policy=policy, calendar=CAL, escalation=LADDER,
                       fired=fired, now=now)  # fmt: skip


def test_the_resolution_clock_is_off_by_default() -> None:
    assert OFF.resolution is None
    assert OFF.clocks == (Clock.FIRST_RESPONSE, Clock.CLOSURE)
    assert OFF.extended_clock is Clock.CLOSURE
    with pytest.raises(ValueError, match="no resolution clock"):
        OFF.budget(Clock.RESOLUTION)
    assert ON.clocks == (Clock.FIRST_RESPONSE, Clock.CLOSURE, Clock.RESOLUTION)
    assert ON.extended_clock is Clock.RESOLUTION
    assert ON.budget(Clock.RESOLUTION) == Budget.working_days(15)


def test_due_15_working_days_after_receipt_across_the_holidays() -> None:
    states = plan(ON, started(ON), START).states
    assert states[Clock.CLOSURE].due == datetime(2026, 9, 29, 10, 0, tzinfo=SH)
    assert states[Clock.RESOLUTION].due == datetime(2026, 10, 21, 10, 0, tzinfo=SH)


def test_the_plan_meets_closure_and_the_resolution_clock_runs_on_to_its_breach() -> None:
    planned = datetime(2026, 9, 28, 15, 0, tzinfo=SH)
    events = [*started(ON), ClockEvent(Clock.FIRST_RESPONSE, M, START),
              ClockEvent(Clock.CLOSURE, M, planned)]  # fmt: skip
    late = datetime(2026, 10, 21, 13, 0, tzinfo=SH)
    due = plan(ON, events, late).due_now
    marks = [(m.clock, m.mark) for m in due]
    # the closure clock warned once, before the plan met it; then only resolution fires
    assert marks[0] == (Clock.CLOSURE, "warn:50")
    expected = ("warn:50", "warn:80", "breach", "escalate:1", "escalate:2")
    assert marks[1:] == [(Clock.RESOLUTION, mark) for mark in expected]
    fired = {m.key for m in due}
    assert plan(ON, events, late, fired).due_now == ()  # each fires once
    resolved = [*events, ClockEvent(Clock.RESOLUTION, M, datetime(2026, 10, 20, 9, tzinfo=SH))]
    assert plan(ON, resolved, late, {m.key for m in due[:3]}).due_now == ()


def test_an_extension_moves_the_resolution_due() -> None:
    until = datetime(2026, 10, 30, 18, 0, tzinfo=SH)
    events = [*started(ON), ClockEvent(Clock.RESOLUTION, X, START + timedelta(days=1), until)]
    states = plan(ON, events, START + timedelta(days=1)).states
    assert states[Clock.RESOLUTION].due == until
    assert states[Clock.CLOSURE].due == datetime(2026, 9, 29, 10, 0, tzinfo=SH)


_offsets = st.lists(st.integers(min_value=1, max_value=30 * 24), min_size=0, max_size=6)


@settings(max_examples=60, deadline=None)
@given(pauses=_offsets, met=st.none() | st.integers(min_value=1, max_value=40 * 24),
       now=st.integers(min_value=0, max_value=40 * 24))  # fmt: skip
def test_an_off_clock_changes_nothing_and_an_on_clock_leaves_the_others_alone(
    pauses: list[int], met: int | None, now: int
) -> None:
    """Pauses and resumptions at any hours, the closure met or not: a policy without the
    resolution clock plans exactly as if no resolution event were stored, and turning the
    clock on leaves the first-response and closure states and moments as they were."""
    hours = sorted(set(pauses))
    events = started(ON)
    for i, hour in enumerate(hours):
        kind = P if i % 2 == 0 else R
        events += [ClockEvent(clock, kind, START + timedelta(hours=hour)) for clock in ON.clocks]
    if met is not None:
        events.append(ClockEvent(Clock.CLOSURE, M, START + timedelta(hours=met)))
    events.sort(key=lambda e: e.at)
    at = START + timedelta(hours=now)
    without = [e for e in events if e.clock is not Clock.RESOLUTION]
    off = plan(OFF, events, at)
    assert off == plan(OFF, without, at)
    assert set(off.states) == {Clock.FIRST_RESPONSE, Clock.CLOSURE}
    on = plan(ON, events, at)
    assert {c: on.states[c] for c in OFF.clocks} == dict(off.states)
    assert [m for m in on.due_now if m.clock is not Clock.RESOLUTION] == list(off.due_now)
    assert [m for m in on.upcoming if m.clock is not Clock.RESOLUTION] == list(off.upcoming)
