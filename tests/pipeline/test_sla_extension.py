"""Extension (延期) in the SLA core: the closure due time moves to the new date, the old
warnings stop, the breach follows, a reopened ticket starts without it, and the limit
without a manager is 15 working days from the start (pauses not counted)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plaint.config.calendars import china_calendar
from plaint.pipeline.calendar import Budget
from plaint.pipeline.sla import (
    DEFAULT_EXTENSION_LIMIT,
    Clock,
    ClockEvent,
    ClockEventKind,
    Escalation,
    Policy,
    clock_state,
    extension_limit,
    plan_ticket,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar()
POLICY = Policy("default", Budget.clock(timedelta(hours=24)), Budget.working_days(3))
LADDER = Escalation(("department_head",), timedelta(hours=2))
CL = Clock.CLOSURE
S, P, R, RS, X = (ClockEventKind.STARTED, ClockEventKind.PAUSED, ClockEventKind.RESUMED,
                  ClockEventKind.RESTARTED, ClockEventKind.EXTENDED)  # fmt: skip
# Monday 2 November 2026, 09:00 in Shanghai: 3 working days end Thursday 09:00.
MON = datetime(2026, 11, 2, 9, 0, tzinfo=SH)
THU = datetime(2026, 11, 5, 9, 0, tzinfo=SH)
NEXT_FRI = datetime(2026, 11, 13, 18, 0, tzinfo=SH)


def sh(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


def state(events: list[ClockEvent], now: datetime) -> tuple[datetime | None, int]:
    found = clock_state(clock=CL, events=events, budget=POLICY.closure, calendar=CAL, now=now)
    return found.due, found.cycle


@pytest.mark.parametrize(
    ("events", "now", "due"),
    [
        ([ClockEvent(CL, S, MON)], sh(3), THU),
        ([ClockEvent(CL, S, MON), ClockEvent(CL, X, sh(3), NEXT_FRI)], sh(3), NEXT_FRI),
        # the latest extension counts, even an earlier date than the one before
        ([ClockEvent(CL, S, MON), ClockEvent(CL, X, sh(3), NEXT_FRI),
          ClockEvent(CL, X, sh(4), sh(16))], sh(4), sh(16)),
        # an extension before the clock started means nothing
        ([ClockEvent(CL, X, MON, NEXT_FRI)], sh(3), None),
        # a pause after the extension that pushes the computed due past the new date wins
        ([ClockEvent(CL, S, MON), ClockEvent(CL, X, sh(3), sh(6)),
          ClockEvent(CL, P, sh(3)), ClockEvent(CL, R, sh(17))], sh(18), sh(19)),
    ],
    ids=["not extended", "extended", "latest counts", "not started", "pause beyond"],
)  # fmt: skip
def test_the_due_time_follows_the_extension(
    events: list[ClockEvent], now: datetime, due: datetime | None
) -> None:
    assert state(events, now)[0] == due


def test_a_reopened_ticket_starts_a_cycle_without_the_extension() -> None:
    events = [ClockEvent(CL, S, MON), ClockEvent(CL, X, sh(3), NEXT_FRI),
              ClockEvent(CL, RS, sh(9))]  # fmt: skip
    assert state(events, sh(9)) == (sh(12), 1)


def test_old_warnings_stop_and_the_breach_moves_to_the_new_date() -> None:
    events = [ClockEvent(CL, S, MON), ClockEvent(CL, X, sh(3, 12), NEXT_FRI)]
    plan = plan_ticket(events=events, policy=POLICY, calendar=CAL, escalation=LADDER,
                       fired={("closure", 0, "warn:50")}, now=sh(3, 12))  # fmt: skip
    closure = [m for m in plan.upcoming if m.clock is CL]
    assert [(m.mark, m.at) for m in closure] == [
        ("breach", NEXT_FRI),
        ("escalate:1", NEXT_FRI),
    ]  # warn:80 (Wednesday 14:36) came after the extension: dropped


def test_the_limit_is_15_working_days_from_the_start_pauses_not_counted() -> None:
    started = clock_state(clock=CL, events=[ClockEvent(CL, S, MON)], budget=POLICY.closure,
                          calendar=CAL, now=MON)  # fmt: skip
    assert Budget.working_days(15) == DEFAULT_EXTENSION_LIMIT
    limit = extension_limit(state=started, limit=DEFAULT_EXTENSION_LIMIT, calendar=CAL)
    assert limit == sh(23)  # three weeks of working days
    paused = [ClockEvent(CL, S, MON), ClockEvent(CL, P, sh(3)), ClockEvent(CL, R, sh(4))]
    state_paused = clock_state(clock=CL, events=paused, budget=POLICY.closure, calendar=CAL,
                               now=sh(4))  # fmt: skip
    assert extension_limit(state=state_paused, limit=DEFAULT_EXTENSION_LIMIT,
                           calendar=CAL) == sh(24)  # fmt: skip
    unstarted = clock_state(clock=CL, events=[], budget=POLICY.closure, calendar=CAL, now=MON)
    assert extension_limit(state=unstarted, limit=DEFAULT_EXTENSION_LIMIT, calendar=CAL) is None
