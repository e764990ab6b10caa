"""The SLA timeline of one ticket, as text: which policy, which calendar days were skipped
and why, pauses, the due times and how they were reached (and whether they are provisional),
what fired, and when the due times were recomputed after a calendar change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.config.calendars import HolidayName, holiday_name, provisional_reason
from plaint.models import SlaMark, Ticket
from plaint.pipeline.calendar import Budget, BudgetKind, WorkCalendar
from plaint.pipeline.sla import Clock, ClockState, Policy, TicketPlan
from plaint.service.provisional import all_years, provisional_clocks
from plaint.service.sla import plan_for, policy_of
from plaint.service.staff import find_ticket

__all__ = ["CalendarDay", "DayKind", "calendar_days", "explain_lines", "explain_ticket"]

# Beyond this many listed calendar days a clock's explanation is cut short.
MAX_LISTED_DAYS = 40


def _when(value: datetime | None, calendar: WorkCalendar) -> str:
    return "-" if value is None else value.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M")


def _budget(budget: Budget) -> str:
    if budget.kind is BudgetKind.WORKING:
        days = budget.amount / timedelta(days=1)
        return f"{days:g} working days (time on working days only)"
    minutes = budget.amount / timedelta(minutes=1)
    if minutes % 60:
        return f"{minutes:g} minutes (clock time)"
    return f"{minutes / 60:g} hours (clock time)"


class DayKind(StrEnum):
    """Why a calendar day on a working-day clock's way is listed: a make-up working day
    (调休, counted) or a day skipped as a provisional statutory holiday, a public or
    company holiday, a weekend day, or another non-working day."""

    MAKE_UP = "make_up"
    PROVISIONAL_HOLIDAY = "provisional_holiday"
    HOLIDAY = "holiday"
    WEEKEND = "weekend"
    NON_WORKING = "non_working"


@dataclass(frozen=True)
class CalendarDay:
    """One listed calendar day of a clock counted in working days, why it is listed, and
    the public holiday it belongs to (or makes up for) when the calendar data names one."""

    day: date
    kind: DayKind
    holiday: HolidayName | None


_DAY_TEXT = {
    DayKind.MAKE_UP: "make-up working day (调休), counted",
    DayKind.PROVISIONAL_HOLIDAY: "statutory public holiday ({year} provisional), skipped",
    DayKind.HOLIDAY: "public or company holiday, skipped",
    DayKind.WEEKEND: "weekend, skipped",
    DayKind.NON_WORKING: "not a working day, skipped",
}


def _day_kind(day: date, calendar: WorkCalendar) -> DayKind | None:
    weekend = day.weekday() in calendar.weekend
    if calendar.is_working_day(day):
        return DayKind.MAKE_UP if weekend else None
    if day in calendar.holidays and day.year in calendar.provisional_years:
        return DayKind.PROVISIONAL_HOLIDAY
    if day in calendar.holidays:
        return DayKind.HOLIDAY
    return DayKind.WEEKEND if weekend else DayKind.NON_WORKING


def calendar_days(start: datetime, end: datetime, calendar: WorkCalendar) -> list[CalendarDay]:
    """The local dates from ``start`` to ``end`` that are not ordinary working days (at
    most :data:`MAX_LISTED_DAYS`), each with why: what a working-day clock skipped, and
    the make-up days it counted."""
    first = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    days: list[CalendarDay] = []
    day = first
    while day <= last and len(days) < MAX_LISTED_DAYS:
        kind = _day_kind(day, calendar)
        if kind is not None:
            name = None if kind is DayKind.WEEKEND else holiday_name(day)
            days.append(CalendarDay(day=day, kind=kind, holiday=name))
        day += timedelta(days=1)
    return days


def _day_line(found: CalendarDay) -> str:
    reason = _DAY_TEXT[found.kind].format(year=found.day.year)
    named = f" ({found.holiday.en})" if found.holiday else ""
    return f"    {found.day.isoformat()} {found.day.strftime('%a')}: {reason}{named}"


def _clock_lines(
    state: ClockState, budget: Budget, calendar: WorkCalendar, now: datetime, provisional: bool
) -> list[str]:
    lines = [f"  {state.clock.value}: budget {_budget(budget)}, cycle {state.cycle}"]
    if state.started_at is None or state.due is None:
        return [*lines, "    not started"]
    lines.append(f"    started  {_when(state.started_at, calendar)}")
    for begin, end in state.pauses:
        lines.append(f"    paused   {_when(begin, calendar)} → {_when(end, calendar)} "
                     "(waiting on the resident: not counted)")  # fmt: skip
    if state.paused_since is not None:
        lines.append(f"    paused   since {_when(state.paused_since, calendar)} (due moves on)")
    if state.extended_at is not None:
        until = _when(state.extended_until, calendar)
        lines.append(
            f"    extended {_when(state.extended_at, calendar)}: due moved to {until} (延期)"
        )
    if budget.kind is BudgetKind.WORKING:
        lines.extend(_day_line(d) for d in calendar_days(state.started_at, state.due, calendar))
    lines.append(f"    due      {_when(state.due, calendar)}{' (provisional)' * provisional}")
    if state.met_at is not None:
        verdict = "in time" if state.met_at <= state.due else "late"
        lines.append(f"    met      {_when(state.met_at, calendar)} ({verdict})")
    elif state.due <= now:
        lines.append("    BREACHED (not met by its due time)")
    return lines


def explain_lines(
    ticket: Ticket,
    *,
    plan: TicketPlan | None,
    policy: Policy,
    marks: Sequence[SlaMark],
    calendar: WorkCalendar,
    now: datetime,
) -> list[str]:
    """Return the timeline of ``ticket`` at ``now`` as lines of text."""
    head = [
        f"{ticket.number}  {ticket.status}  level {ticket.level}  urgency {ticket.urgency}  "
        f"category {ticket.category}  department {ticket.department.code}",
        f"received {_when(ticket.received_at, calendar)} ({calendar.zone})",
    ]
    if plan is None or ticket.sla_policy is None:
        reason = next((e.data for e in ticket.events if e.kind.startswith("sla_")), {})
        return [*head, f"no SLA clocks: {reason}"]
    head.append(f"policy {policy.name!r}: warnings at "
                + ", ".join(f"{f:.0%}" for f in policy.warn_at) + " of each budget")  # fmt: skip
    if policy.resolution is not None:
        head.append("closure: investigation and a solution or initial plan (met by the plan); "
                    "resolution: met when resolved")  # fmt: skip
    provisional = provisional_clocks(plan, policy=policy, calendar=calendar)
    head.extend(_provisional_lines(provisional))
    body = []
    for clock in plan.states:
        body.extend(_clock_lines(plan.states[clock], policy.budget(clock), calendar, now,
                                 clock in provisional))  # fmt: skip
    fired = [
        f"  {_when(m.fired_at, calendar)}  {m.clock} cycle {m.cycle} {m.mark} "
        f"(due {_when(m.due_at, calendar)})"
        for m in sorted(marks, key=lambda m: (m.fired_at, m.id))
    ]
    overdue = [f"  {_when(m.at, calendar)}  {m.clock.value} {m.mark} (due: fires on the next sweep)"
               for m in plan.due_now]  # fmt: skip
    upcoming = overdue + [f"  {_when(m.at, calendar)}  {m.clock.value} {m.mark}"
                          for m in plan.upcoming]  # fmt: skip
    return [*head, "clocks:", *body, "fired:", *(fired or ["  nothing yet"]),
            "next:", *(upcoming or ["  nothing scheduled"]),
            *_recomputed_lines(ticket, calendar)]  # fmt: skip


def _provisional_lines(provisional: Mapping[Clock, frozenset[int]]) -> list[str]:
    """One line per provisional year: which due times depend on it, and why."""
    return [
        "provisional: "
        + ", ".join(f"{clock.value} due" for clock, found in provisional.items() if year in found)
        + f" ({provisional_reason(year)})"
        for year in all_years(provisional)
    ]


def _recomputed_lines(ticket: Ticket, calendar: WorkCalendar) -> list[str]:
    """When the due times were recomputed after a calendar change, before → after."""
    lines = []
    for event in ticket.events:
        if event.kind != "sla_recomputed":
            continue
        before, after = event.data.get("before", {}), event.data.get("after", {})
        moved = [
            f"{clock} {_iso(before.get(clock), calendar)} → {_iso(after.get(clock), calendar)}"
            for clock in Clock
            if before.get(clock) != after.get(clock)
        ]
        state = "still provisional" if event.data.get("provisional_years") else "final"
        lines.append(f"  {_when(event.at, calendar)}  {'; '.join(moved) or 'unchanged'} ({state})")
    return ["recomputed after calendar changes:", *lines] if lines else []


def _iso(text: str | None, calendar: WorkCalendar) -> str:
    return _when(None if text is None else datetime.fromisoformat(text), calendar)


def explain_ticket(session: Session, number: str, *, config: Config, now: datetime) -> list[str]:
    """Return the SLA timeline of ticket ``number`` at ``now`` as lines of text (see
    :func:`explain_lines`); raise NotFoundError if there is no such ticket."""
    ticket = find_ticket(session, number)
    plan = plan_for(session, ticket, config=config, now=now) if ticket.sla_policy else None
    marks = session.scalars(select(SlaMark).where(SlaMark.ticket_id == ticket.id)).all()
    return explain_lines(ticket, plan=plan, policy=policy_of(ticket, config), marks=marks,
                         calendar=config.calendar, now=now)  # fmt: skip
