"""The SLA engine's pure core: policies, clocks rebuilt from their events, and the moments
(warnings, breach, escalation steps) at which the sweep must act.

A ticket has two clocks, ``first_response`` and ``closure``, and a third,
``resolution``, when its policy has a resolution budget (off by default: a policy
without one plans, fires and stores exactly what it did before). With the resolution
clock on, ``closure`` is the deadline of the investigation and a solution or initial
plan (met by the ``plan`` staff action), and ``resolution`` that of the resolution
itself (met when the ticket is resolved). Each is a list of
:class:`ClockEvent` values (started, paused, resumed, met, restarted, acknowledged,
extended); its due instant is recomputed from them with the working-time calendar, so
every due time can be explained. A clock restarted (a reopened ticket) begins a new
*cycle*: marks already fired in an earlier cycle do not suppress those of the new one.

An extension (延期, kind ``extended``, with ``until``) moves the due instant of its cycle
to ``until`` — or later, if pauses after it push the computed due time beyond that — and
only forward: the latest extension of the cycle counts. Warnings of the old budget that
fall at or after the extension no longer fire (the resident was given a new date); the
breach and the escalation follow the new due time. :func:`extension_limit` is the latest
date a clock may be extended to without a manager (the policy's ``extension_limit``,
default 15 working days, from the cycle's start, pauses not counted).

Nothing here reads the clock: ``now`` is always an argument.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plaint.pipeline.calendar import Budget, WorkCalendar, due_with_pauses

__all__ = [
    "DEFAULT_EXTENSION_LIMIT",
    "Clock",
    "ClockEvent",
    "ClockEventKind",
    "ClockState",
    "Escalation",
    "Moment",
    "Policy",
    "PolicyRule",
    "TicketPlan",
    "clock_state",
    "extension_limit",
    "plan_ticket",
    "select_policy",
]

DEFAULT_WARN_AT = (0.5, 0.8)
DEFAULT_EXTENSION_LIMIT = Budget.working_days(15)


class Clock(enum.StrEnum):
    """The deadlines of a ticket; ``resolution`` only under a policy that has one."""

    FIRST_RESPONSE = "first_response"
    CLOSURE = "closure"
    RESOLUTION = "resolution"


class ClockEventKind(enum.StrEnum):
    """What happened to a clock."""

    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    MET = "met"
    RESTARTED = "restarted"
    ACKNOWLEDGED = "acknowledged"
    EXTENDED = "extended"


@dataclass(frozen=True)
class ClockEvent:
    """One stored event of one clock of a ticket; ``until`` is the new due instant of an
    ``extended`` event (``None`` for the other kinds)."""

    clock: Clock
    kind: ClockEventKind
    at: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class Policy:
    """The budgets of a ticket's clocks, the fractions at which to warn, and how far a
    clock may be extended from its start without a manager. ``resolution`` ``None``
    (the default) leaves the resolution clock off."""

    name: str
    first_response: Budget
    closure: Budget
    warn_at: tuple[float, ...] = DEFAULT_WARN_AT
    extension_limit: Budget = DEFAULT_EXTENSION_LIMIT
    resolution: Budget | None = None

    @property
    def clocks(self) -> tuple[Clock, ...]:
        """The clocks this policy runs, in order: the resolution clock only when on."""
        if self.resolution is None:
            return (Clock.FIRST_RESPONSE, Clock.CLOSURE)
        return (Clock.FIRST_RESPONSE, Clock.CLOSURE, Clock.RESOLUTION)

    @property
    def extended_clock(self) -> Clock:
        """The clock an extension (延期) moves: resolution when on, else closure."""
        return Clock.CLOSURE if self.resolution is None else Clock.RESOLUTION

    def budget(self, clock: Clock) -> Budget:
        """Return the budget of ``clock``; ValueError for the resolution clock when off."""
        if clock is Clock.RESOLUTION:
            if self.resolution is None:
                raise ValueError(f"policy {self.name!r} has no resolution clock")
            return self.resolution
        return self.first_response if clock is Clock.FIRST_RESPONSE else self.closure


@dataclass(frozen=True)
class PolicyRule:
    """``policy`` applies to tickets matching every field that is not ``None``."""

    policy: Policy
    level: int | None = None
    urgency: str | None = None
    category: str | None = None


def select_policy(
    *, rules: Sequence[PolicyRule], default: Policy, level: int, urgency: str, category: str
) -> Policy:
    """Return the policy of the first rule that matches, else ``default``."""
    for rule in rules:
        if (
            (rule.level is None or rule.level == level)
            and (rule.urgency is None or rule.urgency == urgency)
            and (rule.category is None or rule.category == category)
        ):
            return rule.policy
    return default


@dataclass(frozen=True)
class Escalation:
    """The ladder climbed after a breach: ``steps`` roles, one every ``interval`` until
    someone acknowledges."""

    steps: tuple[str, ...]
    interval: timedelta


@dataclass(frozen=True)
class ClockState:
    """A clock as its events leave it in the current cycle.

    ``due`` is ``None`` until the clock starts; while it is paused, ``due`` assumes the
    pause ends at ``now`` (so it moves on as the pause lasts). ``extended_at`` and
    ``extended_until`` are the cycle's latest extension, if any (``due`` already counts
    it).
    """

    clock: Clock
    cycle: int
    started_at: datetime | None
    pauses: tuple[tuple[datetime, datetime], ...]
    paused_since: datetime | None
    met_at: datetime | None
    acknowledged_at: datetime | None
    due: datetime | None
    extended_at: datetime | None = None
    extended_until: datetime | None = None

    @property
    def running(self) -> bool:
        """Started, not met and not paused."""
        return self.started_at is not None and self.met_at is None and self.paused_since is None


def clock_state(
    *,
    clock: Clock,
    events: Iterable[ClockEvent],
    budget: Budget,
    calendar: WorkCalendar,
    now: datetime,
) -> ClockState:
    """Fold the events of ``clock`` (in order) into its state at ``now``."""
    cycle, started, met, acked, paused_since = 0, None, None, None, None
    extended: ClockEvent | None = None
    pauses: list[tuple[datetime, datetime]] = []
    for event in events:
        if event.clock is not clock:
            continue
        kind = event.kind
        if kind is ClockEventKind.STARTED and started is None:
            started = event.at
        elif kind is ClockEventKind.RESTARTED:
            cycle, started, pauses = cycle + 1, event.at, []
            met = acked = paused_since = extended = None
        elif kind is ClockEventKind.PAUSED and started is not None and paused_since is None:
            paused_since = event.at
        elif kind is ClockEventKind.RESUMED and paused_since is not None:
            pauses.append((paused_since, event.at))
            paused_since = None
        elif kind is ClockEventKind.MET and started is not None and met is None:
            met = event.at
        elif kind is ClockEventKind.ACKNOWLEDGED and acked is None:
            acked = event.at
        elif kind is ClockEventKind.EXTENDED and started is not None and event.until is not None:
            extended = event
    due = None
    if started is not None:
        counted = [*pauses, (paused_since, max(now, paused_since))] if paused_since else pauses
        due = due_with_pauses(start=started, budget=budget, calendar=calendar, pauses=counted)
        if extended is not None and extended.until is not None:
            due = max(due, extended.until)
    return ClockState(
        clock,
        cycle,
        started,
        tuple(pauses),
        paused_since,
        met,
        acked,
        due,
        extended.at if extended else None,
        extended.until if extended else None,
    )


def extension_limit(*, state: ClockState, limit: Budget, calendar: WorkCalendar) -> datetime | None:
    """The latest instant ``state``'s clock may be extended to without a manager: ``limit``
    from the start of its cycle, its pauses not counted (``None`` before it starts)."""
    if state.started_at is None:
        return None
    return due_with_pauses(start=state.started_at, budget=limit, calendar=calendar,
                           pauses=state.pauses)  # fmt: skip


@dataclass(frozen=True)
class Moment:
    """An instant at which the sweep acts on a clock: ``mark`` is ``warn:50``,
    ``breach`` or ``escalate:N``; (clock, cycle, mark) fires at most once per ticket."""

    clock: Clock
    cycle: int
    mark: str
    at: datetime

    @property
    def key(self) -> tuple[str, int, str]:
        """The unique key of this moment within its ticket."""
        return (self.clock.value, self.cycle, self.mark)


def _moments(
    state: ClockState, budget: Budget, warn_at: Sequence[float], escalation: Escalation,
    calendar: WorkCalendar,
) -> list[Moment]:  # fmt: skip
    if state.started_at is None or state.due is None:
        return []
    moments = []
    for fraction in sorted(warn_at):
        part = Budget(budget.kind, budget.amount * fraction)
        at = due_with_pauses(start=state.started_at, budget=part, calendar=calendar,
                             pauses=state.pauses)  # fmt: skip
        if state.extended_at is not None and at >= state.extended_at:
            continue  # a warning of the old due time, after the resident was given a new one
        moments.append(Moment(state.clock, state.cycle, f"warn:{round(fraction * 100)}", at))
    moments.append(Moment(state.clock, state.cycle, "breach", state.due))
    for step in range(1, len(escalation.steps) + 1):
        at = state.due + escalation.interval * (step - 1)
        moments.append(Moment(state.clock, state.cycle, f"escalate:{step}", at))
    return moments


def _still_relevant(moment: Moment, state: ClockState) -> bool:
    """A moment after the clock was met never fires; escalation stops when acknowledged."""
    if state.met_at is not None and moment.at >= state.met_at:
        return False
    if moment.mark.startswith("escalate:") and state.acknowledged_at is not None:
        return moment.at < state.acknowledged_at
    return True


@dataclass(frozen=True)
class TicketPlan:
    """What the sweep must do for a ticket at ``now``: the moments due and not yet fired,
    when to look again (``next_at``, ``None`` when nothing is pending), and each clock's
    state (for due times and explanations)."""

    states: Mapping[Clock, ClockState]
    due_now: tuple[Moment, ...]
    next_at: datetime | None
    upcoming: tuple[Moment, ...] = field(default=())


def plan_ticket(
    *,
    events: Sequence[ClockEvent],
    policy: Policy,
    calendar: WorkCalendar,
    escalation: Escalation,
    fired: Iterable[tuple[str, int, str]],
    now: datetime,
) -> TicketPlan:
    """Plan a ticket's SLA at ``now`` from its clock events and the moments already fired.

    A paused clock neither fires nor schedules anything until it resumes. Only the
    policy's clocks (:attr:`Policy.clocks`) are planned; events of another are ignored.
    """
    done = set(fired)
    states: dict[Clock, ClockState] = {}
    due_now: list[Moment] = []
    upcoming: list[Moment] = []
    for clock in policy.clocks:
        budget = policy.budget(clock)
        state = clock_state(clock=clock, events=events, budget=budget, calendar=calendar, now=now)
        states[clock] = state
        if state.paused_since is not None:
            continue
        for moment in _moments(state, budget, policy.warn_at, escalation, calendar):
            if moment.key in done or not _still_relevant(moment, state):
                continue
            (due_now if moment.at <= now else upcoming).append(moment)
    upcoming.sort(key=lambda m: m.at)
    next_at = upcoming[0].at if upcoming else None
    return TicketPlan(states, tuple(sorted(due_now, key=lambda m: m.at)), next_at, tuple(upcoming))
