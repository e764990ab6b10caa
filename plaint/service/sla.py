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

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from plaint.config import Config
from plaint.errors import CalendarCoverageError
from plaint.models import Notification, SlaClockEvent, SlaMark, Ticket
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
from plaint.service.directory import Directory, StaffEntry, load_directory, reachable_from
from plaint.service.events import SYSTEM_ACTOR, record_event
from plaint.service.provisional import all_years, dues_of, provisional_clocks, record_recomputed
from plaint.service.webhooks import emit_event

__all__ = [
    "SweepResult",
    "fired_marks",
    "plan_for",
    "refresh_sla",
    "reselect_policy",
    "start_clocks",
    "store_plan",
    "sweep",
]

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


def start_clocks(session: Session, ticket: Ticket, *, config: Config, now: datetime) -> None:
    """Choose the ticket's policy and start its clocks (:attr:`Policy.clocks`) at its
    first inbound message."""
    policy = select_policy(
        rules=config.sla.rules, default=config.sla.default,
        level=ticket.level, urgency=ticket.urgency, category=ticket.category,
    )  # fmt: skip
    ticket.sla_policy = policy.name
    for clock in policy.clocks:
        ticket.clock_events.append(
            SlaClockEvent(clock=clock.value, kind=ClockEventKind.STARTED.value,
                          at=ticket.received_at, actor=SYSTEM_ACTOR)
        )  # fmt: skip
    refresh_sla(session, ticket, config=config, now=now, fired=set())  # a new ticket


def reselect_policy(
    session: Session, ticket: Ticket, *, config: Config, now: datetime, actor: str
) -> None:
    """Choose the policy again after the ticket's codes changed; if it differs, record a
    ``policy_changed`` event and recompute the due times from the same clock events."""
    if ticket.sla_policy is None:
        return
    policy = select_policy(
        rules=config.sla.rules, default=config.sla.default,
        level=ticket.level, urgency=ticket.urgency, category=ticket.category,
    ).name  # fmt: skip
    if policy != ticket.sla_policy:
        change = {"from": ticket.sla_policy, "to": policy}
        record_event(session, ticket, "policy_changed", at=now, actor=actor, data=change)
        ticket.sla_policy = policy
    refresh_sla(session, ticket, config=config, now=now)


def _clock_events(ticket: Ticket) -> list[ClockEvent]:
    return [
        ClockEvent(Clock(e.clock), ClockEventKind(e.kind), e.at, e.until)
        # By time; events at the same instant keep the order they were recorded in.
        for _, _, e in sorted((e.at, i, e) for i, e in enumerate(ticket.clock_events))
    ]


Fired = set[tuple[str, int, str]]


def fired_marks(session: Session, ticket_ids: list[int]) -> dict[int, Fired]:
    """The marks already fired for each of ``ticket_ids``, in one query."""
    fired: dict[int, Fired] = {i: set() for i in ticket_ids}
    rows = session.execute(
        select(SlaMark.ticket_id, SlaMark.clock, SlaMark.cycle, SlaMark.mark).where(
            SlaMark.ticket_id.in_(ticket_ids)
        )
    )
    for row in rows:
        fired[row.ticket_id].add((row.clock, row.cycle, row.mark))
    return fired


def policy_of(ticket: Ticket, config: Config) -> Policy:
    """Return the ticket's policy by name (the default if the configuration dropped it)."""
    return config.sla.policy(ticket.sla_policy)


def plan_for(
    session: Session,
    ticket: Ticket,
    *,
    config: Config,
    now: datetime,
    fired: Fired | None = None,
) -> TicketPlan:
    """Plan ``ticket``'s SLA at ``now`` from its clock events and the marks already fired
    (read from the database unless ``fired`` is given)."""
    if fired is None:
        fired = fired_marks(session, [ticket.id])[ticket.id] if ticket.id is not None else set()
    return plan_ticket(
        events=_clock_events(ticket),
        policy=policy_of(ticket, config),
        calendar=config.calendar,
        escalation=config.escalation.for_department(ticket.department.code),
        fired=fired,
        now=now,
    )


def refresh_sla(
    session: Session,
    ticket: Ticket,
    *,
    config: Config,
    now: datetime,
    fired: Fired | None = None,
) -> TicketPlan | None:
    """Recompute the ticket's due times and ``next_sla_at`` after a change to its clocks.

    A due instant in a year the calendar does not cover stops the clocks of this ticket
    with an ``sla_error`` event naming the year (never a guess) and returns ``None``. A due
    time computed through a provisional year marks the ticket ``sla_provisional``; when a
    recomputation clears that mark, an ``sla_recomputed`` event records the due times
    before and after (:mod:`plaint.service.provisional`).
    """
    if ticket.sla_policy is None:
        return None
    try:
        plan = plan_for(session, ticket, config=config, now=now, fired=fired)
    except CalendarCoverageError as exc:
        ticket.next_sla_at = None
        record_event(
            session, ticket, "sla_error", at=now, reason="calendar_coverage", detail=str(exc)
        )
        logger.error("ticket %s: SLA not computed: %s", ticket.id, exc)
        return None
    was_provisional, before = bool(ticket.sla_provisional), dues_of(ticket)
    years = store_plan(ticket, plan, config=config, now=now)
    if was_provisional and not years:
        record_recomputed(session, ticket, before=before, years=years, now=now)
    return plan


def store_plan(ticket: Ticket, plan: TicketPlan, *, config: Config, now: datetime) -> list[int]:
    """Store ``plan``'s due times, ``next_sla_at`` and provisional mark on ``ticket``;
    return the provisional years the due times were computed through (sorted)."""
    provisional = provisional_clocks(
        plan, policy=policy_of(ticket, config), calendar=config.calendar
    )
    ticket.first_response_due = plan.states[Clock.FIRST_RESPONSE].due
    ticket.closure_due = plan.states[Clock.CLOSURE].due
    resolution = plan.states.get(Clock.RESOLUTION)
    ticket.resolution_due = None if resolution is None else resolution.due
    ticket.next_sla_at = now if plan.due_now else plan.next_at
    ticket.sla_provisional = bool(provisional)
    return all_years(provisional)


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
            fired_by_ticket = fired_marks(session, [t.id for t in rows])
            # Who is notified: the active staff, read once per batch, not once per ticket.
            directory = load_directory(session) if rows else Directory(())
            for ticket in rows:
                fired, sent = _sweep_ticket(session, ticket, config=config, now=now,
                                            fired=fired_by_ticket[ticket.id],
                                            directory=directory)  # fmt: skip
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
    tickets = list(session.scalars(query).unique())
    # The clock events of the whole batch in one query, not one per ticket.
    session.scalars(
        select(Ticket).where(Ticket.id.in_([t.id for t in tickets]))
        .options(selectinload(Ticket.clock_events))
    ).unique().all()  # fmt: skip
    return tickets


def _sweep_ticket(
    session: Session, ticket: Ticket, *, config: Config, now: datetime, fired: Fired,
    directory: Directory,
) -> tuple[int, int]:  # fmt: skip
    plan = refresh_sla(session, ticket, config=config, now=now, fired=fired)
    if plan is None:
        return 0, 0
    sent = 0
    for moment in plan.due_now:
        session.add(SlaMark(ticket_id=ticket.id, clock=moment.clock.value, cycle=moment.cycle,
                            mark=moment.mark, due_at=moment.at, fired_at=now))  # fmt: skip
        if moment.mark == "breach":  # the marks' summary, in the marks' transaction
            ticket.sla_breached = True
        superseded = _superseded(moment, plan.due_now)
        sent += _notify(session, ticket, moment, config=config, now=now, quiet=superseded,
                        directory=directory)  # fmt: skip
    ticket.next_sla_at = plan.next_at
    return len(plan.due_now), sent


def _recipients(
    ticket: Ticket, mark: str, config: Config, directory: Directory
) -> list[StaffEntry]:
    """Who hears of ``mark``: the escalation step's role (the department's own for the
    department roles), else the assignee, else the department's heads."""
    department = ticket.department.code
    if mark.startswith("escalate:"):
        steps = config.escalation.for_department(department).steps
        role = steps[int(mark.split(":")[1]) - 1]
        return directory.with_role(role, department=department)
    assignee = directory.member(ticket.assignee)
    if assignee is not None:
        return [assignee]
    return directory.with_role("department_head", department=department)


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
    directory: Directory, quiet: bool = False,
) -> int:  # fmt: skip
    kind = moment.mark.split(":")[0]
    recipients = [] if quiet else _recipients(ticket, moment.mark, config, directory)
    record_event(
        session, ticket, f"sla_{kind}", at=now, clock=moment.clock.value, cycle=moment.cycle,
        mark=moment.mark, due_at=moment.at.isoformat(), recipients=[r.code for r in recipients],
    )  # fmt: skip
    if kind == "breach":
        emit_event(session, ticket, event="ticket.breached", config=config, now=now,
                   occurrence=f"{moment.clock.value}:{moment.cycle}")  # fmt: skip
    urgent = ticket.urgency == "emergency"
    for staff in recipients:
        not_before = reachable_from(staff, config=config, now=now, urgent=urgent)
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
