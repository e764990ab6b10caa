"""SLA enforcement against the database: start clocks, recompute due times, and the sweep
that fires warnings, breaches and escalation steps exactly once.

The sweep reads only tickets whose ``next_sla_at`` has come (an indexed column), in
batches, each batch in its own transaction; on PostgreSQL rows are taken with ``FOR UPDATE
SKIP LOCKED`` so two sweeps never work on the same ticket. A mark is unique per ticket,
clock, cycle and mark, and each notification has a unique key, so a sweep repeated after
a crash fires nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.errors import CalendarCoverageError
from plaint.models import Notification, SlaClockEvent, SlaMark, Ticket, TicketEvent
from plaint.pipeline.calendar import next_working_instant
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
from plaint.settings import Config
from plaint.slaconfig import COMPANY_ROLES, StaffMember

__all__ = ["SweepResult", "plan_for", "refresh_sla", "start_clocks", "sweep"]

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
SYSTEM_ACTOR = "plaint"


def start_clocks(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> None:
    """Choose the ticket's policy and start both clocks at its first inbound message."""
    policy = select_policy(
        rules=config.sla.rules, default=config.sla.default,
        level=ticket.level, urgency=ticket.urgency, category=ticket.category,
    )  # fmt: skip
    ticket.sla_policy = policy.name
    for clock in Clock:
        ticket.clock_events.append(
            SlaClockEvent(clock=clock.value, kind=ClockEventKind.STARTED.value,
                          at=ticket.received_at, actor=SYSTEM_ACTOR)
        )  # fmt: skip
    refresh_sla(session, ticket, config=config, now=now)


def _clock_events(ticket: Ticket) -> list[ClockEvent]:
    return [
        ClockEvent(Clock(e.clock), ClockEventKind(e.kind), e.at)
        for e in sorted(ticket.clock_events, key=lambda e: (e.at, e.id or 0))
    ]


def _fired(session: Session, ticket: Ticket) -> set[tuple[str, int, str]]:
    rows = session.execute(
        select(SlaMark.clock, SlaMark.cycle, SlaMark.mark).where(SlaMark.ticket_id == ticket.id)
    )
    return {(r.clock, r.cycle, r.mark) for r in rows}


def policy_of(ticket: Ticket, config: Config) -> Policy:
    """Return the ticket's policy by name (the default if the configuration dropped it)."""
    return config.sla.policy(ticket.sla_policy)


def plan_for(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> TicketPlan:
    """Plan ``ticket``'s SLA at ``now`` from its stored clock events and fired marks."""
    return plan_ticket(
        events=_clock_events(ticket),
        policy=policy_of(ticket, config),
        calendar=config.calendar,
        escalation=config.escalation.for_department(ticket.department.code),
        fired=_fired(session, ticket) if ticket.id is not None else (),
        now=now,
    )


def refresh_sla(
    session: Session, ticket: Ticket, *, config: Config, now: datetime
) -> TicketPlan | None:
    """Recompute the ticket's due times and ``next_sla_at`` after a change to its clocks.

    A due instant in a year the calendar does not cover stops the clocks of this ticket
    with an ``sla_error`` event naming the year (never a guess) and returns ``None``.
    """
    if ticket.sla_policy is None:
        return None
    session.flush()
    try:
        plan = plan_for(session, ticket, config=config, now=now)
    except CalendarCoverageError as exc:
        ticket.next_sla_at = None
        _event(ticket, "sla_error", now, reason="calendar_coverage", detail=str(exc))
        logger.error("ticket %s: SLA not computed: %s", ticket.id, exc)
        return None
    ticket.first_response_due = plan.states[Clock.FIRST_RESPONSE].due
    ticket.closure_due = plan.states[Clock.CLOSURE].due
    ticket.next_sla_at = now if plan.due_now else plan.next_at
    return plan


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    tickets: int
    marks: int
    notifications: int


def sweep(
    sessions: sessionmaker[Session], *, config: Config, now: datetime, batch: int = SWEEP_BATCH
) -> SweepResult:
    """Fire every SLA moment due at ``now``; returns counts. Safe to run concurrently."""
    tickets = marks = notifications = 0
    while True:
        with sessions.begin() as session:
            rows = _due_tickets(session, now, batch)
            for ticket in rows:
                fired, sent = _sweep_ticket(session, ticket, config=config, now=now)
                marks += fired
                notifications += sent
        tickets += len(rows)
        if len(rows) < batch:
            break
    if marks:
        logger.info("SLA sweep: %d tickets, %d marks, %d notifications", tickets, marks,
                    notifications)  # fmt: skip
    return SweepResult(tickets, marks, notifications)


def _due_tickets(session: Session, now: datetime, batch: int) -> list[Ticket]:
    query = (
        select(Ticket).where(Ticket.next_sla_at <= now).order_by(Ticket.next_sla_at).limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return list(session.scalars(query).unique())


def _sweep_ticket(
    session: Session, ticket: Ticket, *, config: Config, now: datetime
) -> tuple[int, int]:
    plan = refresh_sla(session, ticket, config=config, now=now)
    if plan is None:
        return 0, 0
    sent = 0
    for moment in plan.due_now:
        session.add(SlaMark(ticket_id=ticket.id, clock=moment.clock.value, cycle=moment.cycle,
                            mark=moment.mark, due_at=moment.at, fired_at=now))  # fmt: skip
        superseded = _superseded(moment, plan.due_now)
        sent += _notify(session, ticket, moment, config=config, now=now, quiet=superseded)
    ticket.next_sla_at = plan.next_at
    return len(plan.due_now), sent


def _recipients(ticket: Ticket, mark: str, config: Config) -> list[StaffMember]:
    department = ticket.department.code
    if mark.startswith("escalate:"):
        steps = config.escalation.for_department(department).steps
        role = steps[int(mark.split(":")[1]) - 1]
        return [s for s in config.staff if s.role == role
                and (role in COMPANY_ROLES or s.department == department)]  # fmt: skip
    assignee = config.staff_member(ticket.assignee)
    if assignee is not None:
        return [assignee]
    return [s for s in config.staff if s.role == "department_head" and s.department == department]


def _superseded(moment: Moment, due_now: tuple[Moment, ...]) -> bool:
    """A warning fired together with a later warning or the breach of the same clock (a
    sweep that ran late) is recorded but not sent: one message says it all."""
    if not moment.mark.startswith("warn:"):
        return False
    return any(
        other.clock is moment.clock and other.cycle == moment.cycle and other.at > moment.at
        and not other.mark.startswith("escalate:")
        for other in due_now
    )  # fmt: skip


def _notify(
    session: Session, ticket: Ticket, moment: Moment, *, config: Config, now: datetime,
    quiet: bool = False,
) -> int:  # fmt: skip
    kind = moment.mark.split(":")[0]
    recipients = [] if quiet else _recipients(ticket, moment.mark, config)
    _event(ticket, f"sla_{kind}", now, clock=moment.clock.value, cycle=moment.cycle,
           mark=moment.mark, due_at=moment.at.isoformat(),
           recipients=[r.code for r in recipients])  # fmt: skip
    urgent = ticket.urgency == "emergency"
    not_before = now if urgent else next_working_instant(at=now, calendar=config.staff_calendar)
    for staff in recipients:
        session.add(
            Notification(
                key=f"sla:{ticket.id}:{moment.clock.value}:{moment.cycle}:{moment.mark}:{staff.code}",
                ticket_id=ticket.id, recipient_kind="staff", recipient=staff.code,
                template=f"sla.{kind}", urgent=urgent, not_before=not_before, created_at=now,
                data={"ticket": ticket.number, "clock": moment.clock.value, "mark": moment.mark,
                      "due_at": moment.at.isoformat(), "department": ticket.department.code},
            )
        )  # fmt: skip
    return len(recipients)


def _event(ticket: Ticket, kind: str, at: datetime, **data: Any) -> None:
    ticket.events.append(TicketEvent(kind=kind, at=at, actor=SYSTEM_ACTOR, data=data))
