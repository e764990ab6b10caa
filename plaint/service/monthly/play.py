"""Play a :class:`~plaint.service.monthly.story.Story` up to an instant, the way plaint
would have lived it: clock events, SLA marks, due times and ticket events.

The actions change the clocks exactly as :mod:`plaint.service.staff` does (respond meets
the first response, wait pauses the running clocks, resume ends the pauses, resolve and
close meet the closure, reopen restarts the closure clock, acknowledge stops the
escalation of a breached clock), and the SLA is planned by the same pure function the
sweep and :func:`plaint.service.sla.refresh_sla` use
(:func:`plaint.pipeline.sla.plan_ticket`). Before every action, and at the end, a sweep
that runs on time fires the moments that have come (a mark's ``fired_at`` is its due
instant), so the marks are those a punctual ``plaint sla sweep`` leaves; what
:func:`play` returns is what the database would hold at ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from plaint.config import Config
from plaint.models import TicketStatus
from plaint.pipeline.sla import (
    Clock,
    ClockEvent,
    ClockEventKind,
    Moment,
    Policy,
    TicketPlan,
    plan_ticket,
    select_policy,
)
from plaint.service.monthly.story import Step, Story
from plaint.service.tickets import EventView

__all__ = ["STAFF_ACTOR", "Played", "play"]

STAFF_ACTOR = "sample.desk"  # the actor of the generated staff actions
SWEEP_ACTOR = "plaint"
_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Played:
    """What the database holds of a story at ``as_of``: the ticket's columns, its clock
    events (with their actors), fired marks and audit trail."""

    status: str
    department: str
    first_responded_at: datetime | None
    closed_at: datetime | None
    sla_policy: str | None
    first_response_due: datetime | None
    closure_due: datetime | None
    next_sla_at: datetime | None
    clock_events: tuple[tuple[ClockEvent, str], ...]
    marks: tuple[Moment, ...]
    events: tuple[EventView, ...]


@dataclass
class _Run:
    """The ticket as the story unfolds."""

    story: Story
    config: Config
    policy: Policy | None
    department: str
    status: str = TicketStatus.OPEN
    first_responded_at: datetime | None = None
    closed_at: datetime | None = None
    clocks: list[tuple[ClockEvent, str]] = field(default_factory=list)
    marks: list[Moment] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    acknowledged: bool = False
    # The last plan, while no clock event or mark was added since: nothing fires before
    # its ``next_at``, so a sweep before then need not plan again.
    last: TicketPlan | None = None

    def plan(self, now: datetime) -> TicketPlan | None:
        if self.policy is None:
            return None
        self.last = plan_ticket(
            events=[event for event, _ in self.clocks], policy=self.policy,
            calendar=self.config.calendar,
            escalation=self.config.escalation.for_department(self.department),
            fired={m.key for m in self.marks}, now=now,
        )  # fmt: skip
        return self.last

    def quiet_until(self, now: datetime) -> bool:
        """Whether the last plan still holds and nothing comes due by ``now``."""
        last = self.last
        return (
            last is not None and not last.due_now and (last.next_at is None or now < last.next_at)
        )

    def clock(self, clock: Clock, kind: ClockEventKind, at: datetime, actor: str) -> None:
        self.clocks.append((ClockEvent(clock, kind, at), actor))
        self.last = None

    def paused(self, clock: Clock) -> bool:
        """Whether ``clock`` is paused (its last pause not ended)."""
        for event, _ in reversed(self.clocks):
            if event.clock is clock and event.kind is not ClockEventKind.ACKNOWLEDGED:
                return event.kind is ClockEventKind.PAUSED
        return False

    def running(self, clock: Clock) -> bool:
        """Started (every ticket with a policy is), not met and not paused."""
        for event, _ in reversed(self.clocks):
            if event.clock is clock and event.kind is not ClockEventKind.ACKNOWLEDGED:
                return event.kind not in (ClockEventKind.PAUSED, ClockEventKind.MET)
        return False

    def event(self, kind: str, at: datetime, actor: str = STAFF_ACTOR, **data: Any) -> None:
        self.events.append(EventView(kind, at, actor, data))


def play(story: Story, *, config: Config, as_of: datetime) -> Played:
    """Play ``story`` up to ``as_of``: the actions after it have not happened yet."""
    run = _start(story, config)
    for step in story.steps:
        if step.at >= as_of:
            break
        _advance(run, step.at - _JUST_BEFORE)
        data = {"from": run.department, "to": step.target} if step.target else {}
        _ACTIONS[step.action](run, step)
        run.event(step.action, step.at, **data)
    _advance(run, as_of)
    plan = run.plan(as_of)
    states = plan.states if plan else None
    return Played(
        status=run.status, department=run.department,
        first_responded_at=run.first_responded_at, closed_at=run.closed_at,
        sla_policy=run.policy.name if run.policy else None,
        first_response_due=states[Clock.FIRST_RESPONSE].due if states else None,
        closure_due=states[Clock.CLOSURE].due if states else None,
        next_sla_at=plan.next_at if plan else None,
        clock_events=tuple(run.clocks), marks=tuple(run.marks), events=tuple(run.events),
    )  # fmt: skip


def _start(story: Story, config: Config) -> _Run:
    """The ticket as triage leaves it: received, classified, routed, clocks started."""
    at = story.received_at
    policy = None
    if story.validity == "valid":
        policy = select_policy(rules=config.sla.rules, default=config.sla.default,
                               level=story.level, urgency=story.urgency,
                               category=story.category)  # fmt: skip
    run = _Run(story, config, policy, story.routed_to)
    run.event("received", at, SWEEP_ACTOR, channel=story.channel)
    run.event("classified", at, SWEEP_ACTOR, category=story.category,
              sub_topic=story.sub_topic, level=story.level, urgency=story.urgency,
              validity=story.validity)  # fmt: skip
    run.event("routed", at, SWEEP_ACTOR, department=story.routed_to, reason="sample")
    if policy is None:
        run.event("sla_not_started", at, SWEEP_ACTOR, reason="invalid")
        return run
    for clock in policy.clocks:
        run.clock(clock, ClockEventKind.STARTED, at, SWEEP_ACTOR)
    run.event("sla_started", at, SWEEP_ACTOR, policy=policy.name)
    return run


def _advance(run: _Run, now: datetime) -> None:
    """Let time pass to ``now``: someone acknowledges a breach if the story says so, and
    the sweep fires what has come due."""
    if run.story.acknowledge_after is not None and not run.acknowledged:
        plan = run.last or run.plan(now)
        state = plan.states[Clock.FIRST_RESPONSE] if plan else None
        if state is not None and state.met_at is None and state.due is not None:
            at = state.due + run.story.acknowledge_after
            if at <= now:
                _sweep(run, at - _JUST_BEFORE)
                _acknowledge(run, at)
    _sweep(run, now)


def _sweep(run: _Run, now: datetime) -> None:
    if run.quiet_until(now):
        return
    plan = run.plan(now)
    if plan is None:
        return
    for moment in plan.due_now:
        run.marks.append(moment)
        run.last = None
        run.event(f"sla_{moment.mark.split(':')[0]}", moment.at, SWEEP_ACTOR,
                  clock=moment.clock.value, cycle=moment.cycle, mark=moment.mark,
                  due_at=moment.at.isoformat(), recipients=[])  # fmt: skip


def _acknowledge(run: _Run, at: datetime) -> None:
    plan = run.plan(at)
    assert plan is not None  # only called for a ticket with clocks
    breached = [clock for clock, state in plan.states.items()
                if state.met_at is None and state.due is not None and state.due <= at]  # fmt: skip
    for clock in breached:
        run.clock(clock, ClockEventKind.ACKNOWLEDGED, at, STAFF_ACTOR)
    run.acknowledged = True
    run.event("acknowledge", at, clocks=[c.value for c in breached])


def _end_pause(run: _Run, clock: Clock, at: datetime) -> None:
    if run.paused(clock):
        run.clock(clock, ClockEventKind.RESUMED, at, STAFF_ACTOR)


def _respond(run: _Run, step: Step) -> None:
    if run.first_responded_at is None:
        run.first_responded_at = step.at
        if run.policy is not None:
            _end_pause(run, Clock.FIRST_RESPONSE, step.at)
            run.clock(Clock.FIRST_RESPONSE, ClockEventKind.MET, step.at, STAFF_ACTOR)
    if run.status == TicketStatus.OPEN:
        run.status = TicketStatus.RESPONDED


def _wait(run: _Run, step: Step) -> None:
    for clock in [c for c in run.policy.clocks if run.running(c)] if run.policy else ():
        run.clock(clock, ClockEventKind.PAUSED, step.at, STAFF_ACTOR)
    run.status = TicketStatus.WAITING


def _resume(run: _Run, step: Step) -> None:
    for clock in run.policy.clocks if run.policy else ():
        _end_pause(run, clock, step.at)
    run.status = TicketStatus.RESPONDED if run.first_responded_at else TicketStatus.OPEN


def _resolve(run: _Run, step: Step) -> None:
    _respond(run, step)
    if run.closed_at is None:
        run.closed_at = step.at
        if run.policy is not None:
            _end_pause(run, Clock.CLOSURE, step.at)
            run.clock(Clock.CLOSURE, ClockEventKind.MET, step.at, STAFF_ACTOR)
    run.status = TicketStatus.RESOLVED


def _close(run: _Run, step: Step) -> None:
    _resolve(run, step)
    run.status = TicketStatus.CLOSED


def _reopen(run: _Run, step: Step) -> None:
    run.closed_at = None
    if run.policy is not None:
        run.clock(Clock.CLOSURE, ClockEventKind.RESTARTED, step.at, STAFF_ACTOR)
    run.status = TicketStatus.RESPONDED if run.first_responded_at else TicketStatus.OPEN


def _transfer(run: _Run, step: Step) -> None:
    assert step.target is not None
    run.department = step.target


_ACTIONS = {
    "respond": _respond, "wait": _wait, "resume": _resume, "resolve": _resolve,
    "close": _close, "reopen": _reopen, "transfer": _transfer,
}  # fmt: skip
