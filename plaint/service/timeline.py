"""The SLA timeline of one ticket as values: the policy, each clock as its stored events
leave it, what fired and what is to come, planned by the same code as the sweep
(:func:`plaint.service.sla.plan_for`) and explained in the same lines as ``plaint tickets
explain`` (:func:`plaint.service.explain.explain_lines`). For the API and other front ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import CalendarCoverageError
from plaint.models import SlaMark, Ticket
from plaint.pipeline.calendar import BudgetKind
from plaint.pipeline.sla import Clock, ClockState, TicketPlan
from plaint.service.explain import CalendarDay, calendar_days, explain_lines
from plaint.service.provisional import all_years, provisional_clocks
from plaint.service.sla import plan_for, policy_of

__all__ = [
    "ClockEventView",
    "ClockTimeline",
    "MarkView",
    "MomentView",
    "SlaTimeline",
    "sla_timeline",
]


@dataclass(frozen=True)
class ClockEventView:
    """One stored event of one SLA clock; the due times are recomputed from these."""

    clock: str
    kind: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class MarkView:
    """A warning, breach or escalation step that fired."""

    clock: str
    cycle: int
    mark: str
    due_at: datetime
    fired_at: datetime


@dataclass(frozen=True)
class MomentView:
    """A warning, breach or escalation step still to come; ``overdue`` when its time has
    passed and the next sweep will fire it."""

    clock: str
    cycle: int
    mark: str
    at: datetime
    overdue: bool


@dataclass(frozen=True)
class ClockTimeline:
    """One clock as its events leave it. ``state`` is ``not_started``, ``running``,
    ``paused``, ``met`` (in time), ``met_late`` or ``breached`` (due passed, not met).
    ``provisional``: ``due`` was counted through a provisional calendar year. ``days``:
    for a clock counted in working days, the calendar days from its start to its due time
    that it skipped (and the make-up days it counted), with why
    (:func:`plaint.service.explain.calendar_days`, as ``plaint tickets explain`` lists
    them); ``extended_at``/``extended_until``: when the due time was extended (延期) and
    to what."""

    clock: str
    cycle: int
    budget_kind: str
    budget_seconds: float
    state: str
    started_at: datetime | None
    due: datetime | None
    met_at: datetime | None
    paused_since: datetime | None
    acknowledged_at: datetime | None
    pauses: tuple[tuple[datetime, datetime], ...]
    provisional: bool
    extended_at: datetime | None = None
    extended_until: datetime | None = None
    days: tuple[CalendarDay, ...] = ()


@dataclass(frozen=True)
class SlaTimeline:
    """How a ticket's due times came about: the policy, each clock, the stored clock
    events, what fired and what is to come, and the same as text lines (``plaint tickets
    explain``). ``error`` says why there are no clocks, e.g. an uncovered calendar year;
    ``provisional_years`` the provisional calendar years the due times depend on."""

    policy: str | None
    warn_at: tuple[float, ...]
    clocks: tuple[ClockTimeline, ...]
    clock_events: tuple[ClockEventView, ...]
    marks: tuple[MarkView, ...]
    upcoming: tuple[MomentView, ...]
    explanation: tuple[str, ...]
    error: str | None
    provisional_years: tuple[int, ...]


def _clock_state_name(state: ClockState, now: datetime) -> str:
    if state.started_at is None or state.due is None:
        return "not_started"
    if state.met_at is not None:
        return "met" if state.met_at <= state.due else "met_late"
    if state.due <= now:
        return "breached"
    return "paused" if state.paused_since is not None else "running"


def _clock_timelines(
    plan: TicketPlan, ticket: Ticket, config: Config, now: datetime,
    provisional: Mapping[Clock, frozenset[int]],
) -> tuple[ClockTimeline, ...]:  # fmt: skip
    policy, calendar = policy_of(ticket, config), config.calendar

    def days(s: ClockState, kind: BudgetKind) -> tuple[CalendarDay, ...]:
        if kind is not BudgetKind.WORKING or s.started_at is None or s.due is None:
            return ()
        return tuple(calendar_days(s.started_at, s.due, calendar))

    return tuple(
        ClockTimeline(
            clock=clock.value, cycle=s.cycle, budget_kind=policy.budget(clock).kind.value,
            budget_seconds=policy.budget(clock).amount.total_seconds(),
            state=_clock_state_name(s, now), started_at=s.started_at, due=s.due,
            met_at=s.met_at, paused_since=s.paused_since, acknowledged_at=s.acknowledged_at,
            pauses=s.pauses, provisional=clock in provisional, extended_at=s.extended_at,
            extended_until=s.extended_until, days=days(s, policy.budget(clock).kind),
        )
        for clock, s in plan.states.items()
    )  # fmt: skip


def _moments(plan: TicketPlan) -> tuple[MomentView, ...]:
    return tuple(
        MomentView(clock=m.clock.value, cycle=m.cycle, mark=m.mark, at=m.at, overdue=overdue)
        for overdue, moments in ((True, plan.due_now), (False, plan.upcoming))
        for m in moments
    )


def sla_timeline(session: Session, *, ticket: Ticket, config: Config, now: datetime) -> SlaTimeline:
    """Return the SLA timeline of ``ticket`` at ``now``, planned by the same code as the
    sweep (:func:`plaint.service.sla.plan_for`) and explained by the same lines as
    ``plaint tickets explain``. Reads only; never raises for an uncovered calendar year
    (``error`` says so)."""
    marks = session.scalars(
        select(SlaMark).where(SlaMark.ticket_id == ticket.id).order_by(SlaMark.fired_at, SlaMark.id)
    ).all()
    plan, error = None, None
    if ticket.sla_policy is not None:
        try:
            fired = {(m.clock, m.cycle, m.mark) for m in marks}
            plan = plan_for(session, ticket, config=config, now=now, fired=fired)
        except CalendarCoverageError as exc:
            error = str(exc)
    policy = policy_of(ticket, config)
    lines = explain_lines(ticket, plan=plan, policy=policy, marks=marks,
                          calendar=config.calendar, now=now)  # fmt: skip
    provisional = {} if plan is None else provisional_clocks(plan, policy=policy,
                                                             calendar=config.calendar)  # fmt: skip
    return SlaTimeline(
        policy=ticket.sla_policy,
        warn_at=policy.warn_at if ticket.sla_policy else (),
        clocks=() if plan is None else _clock_timelines(plan, ticket, config, now, provisional),
        clock_events=tuple(ClockEventView(clock=e.clock, kind=e.kind, at=e.at, actor=e.actor)
                           for e in ticket.clock_events),
        marks=tuple(MarkView(clock=m.clock, cycle=m.cycle, mark=m.mark, due_at=m.due_at,
                             fired_at=m.fired_at) for m in marks),
        upcoming=() if plan is None else _moments(plan),
        explanation=tuple(lines),
        error=error,
        provisional_years=tuple(all_years(provisional)),
    )  # fmt: skip
