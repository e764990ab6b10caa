"""What staff do to a ticket, and what it does to the SLA clocks.

Every action is a ticket event; actions that touch the clocks also store clock events, and
the due times are then recomputed from the events (:func:`plaint.service.sla.refresh_sla`).

- respond / accept (受理): the first response; the automatic acknowledgement never is.
- wait: waiting on the resident pauses both running clocks; resume restarts them.
- plan: staff record the investigation and a solution or initial plan (``plan`` in the
  event's data). Under a policy with the resolution clock this meets the closure clock
  (``planned_at``); under one without, it is only recorded. The resident is not told
  (a reply does that).
- resolve / close: the closure clock is met (a first response too, if none was given),
  and the resolution clock when the policy runs one.
- reopen: the closure clock (and the resolution clock, when on) starts a new cycle; the
  first response stays met.
- transfer: another department owns the ticket; the clocks keep running.
- acknowledge: someone took the escalation; the ladder stops climbing.
- assign: a staff member handles the ticket (warnings go to them).
- reclassify: new codes; the SLA policy is chosen again and the due times recomputed.

Front ends (the REST API, ``plaint tickets``) call :mod:`plaint.service.ticket_actions`,
which finds and locks the ticket by its number, checks who may act, and calls :func:`act`
or :func:`reclassify`, all in the caller's transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import ConflictError, NotFoundError
from plaint.models import (
    OPEN_STATUSES,
    Department,
    Incident,
    Notification,
    SlaClockEvent,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from plaint.pipeline.sla import Clock, ClockEventKind
from plaint.service.assign import choose_assignee
from plaint.service.directory import find_staff
from plaint.service.events import record_event
from plaint.service.sla import plan_for, policy_of, refresh_sla, reselect_policy
from plaint.service.survey import schedule_survey
from plaint.service.webhooks import emit_event

__all__ = [
    "Action",
    "act",
    "find_ticket",
    "lock_ticket",
    "reclassify",
]


class Action(enum.StrEnum):
    """A staff action on a ticket."""

    RESPOND = "respond"
    ACCEPT = "accept"
    WAIT = "wait"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    TRANSFER = "transfer"
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    PLAN = "plan"


def find_ticket(session: Session, number: str) -> Ticket:
    """Return the ticket numbered ``number`` (not locked); raise NotFoundError if none."""
    return _by_number(session, number, lock=False)


def lock_ticket(session: Session, number: str) -> Ticket:
    """Return the ticket numbered ``number``, locked for the rest of the caller's
    transaction (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's transactions already hold
    the write lock), so two staff actions on one ticket queue instead of losing one.
    Raises NotFoundError if there is none."""
    return _by_number(session, number, lock=True)


def _by_number(session: Session, number: str, *, lock: bool) -> Ticket:
    query = select(Ticket).where(Ticket.number == number)
    ticket = session.scalar(query.with_for_update(of=Ticket) if lock else query)
    if ticket is None:
        raise NotFoundError(f"no ticket numbered {number!r}")
    return ticket


def act(
    session: Session,
    ticket: Ticket,
    action: Action,
    *,
    actor: str,
    at: datetime,
    config: Config,
    target: str | None = None,
    event: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> TicketEvent:
    """Apply ``action`` by ``actor`` at ``at``; ``target`` is the department of a transfer
    or the staff code of an assignment. The event recorded is of kind ``event`` (default:
    the action's name) with ``details`` added to its data; it is returned. Raises
    ConflictError when the ticket's state does not allow the action, NotFoundError for an
    unknown department or staff code."""
    handler = _HANDLERS[action]
    data = handler(session, ticket, actor, at, config, target)
    recorded = record_event(session, ticket, event or action.value, at=at, actor=actor,
                            data=details, **data)  # fmt: skip
    plan = refresh_sla(session, ticket, config=config, now=at)
    if action is Action.CLOSE:
        cycle = plan.states[Clock.CLOSURE].cycle if plan is not None else 0
        emit_event(session, ticket, event="ticket.closed", occurrence=f"cycle:{cycle}",
                   config=config, now=at)  # fmt: skip
        schedule_survey(session, ticket, config=config, now=at)  # the follow-up (回访)
    else:
        emit_event(session, ticket, event="ticket.updated", config=config, now=at,
                   occurrence=f"{action.value}:{at.isoformat()}")  # fmt: skip
    return recorded


def _clock(ticket: Ticket, clock: Clock, kind: ClockEventKind, at: datetime, actor: str) -> None:
    ticket.clock_events.append(
        SlaClockEvent(clock=clock.value, kind=kind.value, at=at, actor=actor)
    )


def _require(ticket: Ticket, allowed: tuple[TicketStatus, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise ConflictError(f"cannot {action} ticket {ticket.number}: it is {ticket.status}")


def _states(session: Session, ticket: Ticket, config: Config, at: datetime) -> Any:
    return plan_for(session, ticket, config=config, now=at).states


def _meet_first_response(
    session: Session, ticket: Ticket, actor: str, at: datetime, config: Config
) -> None:
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
        if ticket.sla_policy is not None:
            _end_pause(session, ticket, Clock.FIRST_RESPONSE, actor, at, config)
            _clock(ticket, Clock.FIRST_RESPONSE, ClockEventKind.MET, at, actor)


def _end_pause(
    session: Session, ticket: Ticket, clock: Clock, actor: str, at: datetime, config: Config
) -> None:
    session.flush()
    if _states(session, ticket, config, at)[clock].paused_since is not None:
        _clock(ticket, clock, ClockEventKind.RESUMED, at, actor)


def _respond(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
             target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, OPEN_STATUSES, "respond to")
    first = ticket.first_responded_at is None
    _meet_first_response(session, ticket, actor, at, config)
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.RESPONDED
    return {"first_response": first}


def _wait(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
          target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, (TicketStatus.OPEN, TicketStatus.RESPONDED), "pause")
    if ticket.sla_policy is not None:
        session.flush()
        for clock, state in _states(session, ticket, config, at).items():
            if state.running:
                _clock(ticket, clock, ClockEventKind.PAUSED, at, actor)
    ticket.status = TicketStatus.WAITING
    return {}


def _resume(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
            target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, (TicketStatus.WAITING,), "resume")
    if ticket.sla_policy is not None:
        for clock in policy_of(ticket, config).clocks:
            _end_pause(session, ticket, clock, actor, at, config)
    ticket.status = TicketStatus.RESPONDED if ticket.first_responded_at else TicketStatus.OPEN
    return {}


def _resolve(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
             target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, OPEN_STATUSES, "resolve")
    _meet_first_response(session, ticket, actor, at, config)
    if ticket.closed_at is None:
        ticket.closed_at = at
        if ticket.sla_policy is not None:
            for clock in _after_first_response(ticket, config):
                if clock is Clock.CLOSURE and ticket.planned_at is not None:
                    continue  # met by the plan
                _end_pause(session, ticket, clock, actor, at, config)
                _clock(ticket, clock, ClockEventKind.MET, at, actor)
    ticket.status = TicketStatus.RESOLVED
    if ticket.incident_id is not None:
        return _resolve_incident(session, ticket, actor, at, config)
    return {}


def _resolve_incident(
    session: Session, ticket: Ticket, actor: str, at: datetime, config: Config
) -> dict[str, Any]:
    """Resolving one report of an incident resolves them all, and every reporter is told
    (one resident notification per ticket, keyed so a retry sends nothing twice)."""
    incident = session.get(Incident, ticket.incident_id)
    if incident is None or incident.status == "resolved":
        return {}
    incident.status, incident.resolved_at = "resolved", at
    members = session.scalars(select(Ticket).where(Ticket.incident_id == incident.id)).all()
    for member in members:
        if member.id != ticket.id and member.status in OPEN_STATUSES:
            _resolve(session, member, actor, at, config, None)
            record_event(session, member, "resolve", at=at, actor=actor, incident=incident.id)
            refresh_sla(session, member, config=config, now=at)
        if member.resident_id is not None:
            session.add(Notification(
                key=f"incident_resolved:{incident.id}:{member.id}", ticket_id=member.id,
                recipient_kind="resident", recipient=str(member.resident_id),
                template="incident_resolved", data={"ticket": member.number},
                not_before=at, created_at=at,
            ))  # fmt: skip
    return {"incident": incident.id, "tickets": len(members)}


def _close(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
           target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, (*OPEN_STATUSES, TicketStatus.RESOLVED), "close")
    if ticket.status != TicketStatus.RESOLVED:
        _resolve(session, ticket, actor, at, config, target)
    ticket.status = TicketStatus.CLOSED
    return {}


def _reopen(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
            target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, (TicketStatus.RESOLVED, TicketStatus.CLOSED), "reopen")
    ticket.closed_at = ticket.planned_at = None
    if ticket.sla_policy is not None:
        for clock in _after_first_response(ticket, config):
            _clock(ticket, clock, ClockEventKind.RESTARTED, at, actor)
    ticket.status = TicketStatus.RESPONDED if ticket.first_responded_at else TicketStatus.OPEN
    return {}


def _after_first_response(ticket: Ticket, config: Config) -> tuple[Clock, ...]:
    """The clocks a resolution meets and a reopening restarts: closure, and resolution
    when the ticket's policy runs it."""
    return policy_of(ticket, config).clocks[1:]


def _plan(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
          target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, OPEN_STATUSES, "record a plan for")
    meets = (ticket.sla_policy is not None and ticket.planned_at is None
             and Clock.RESOLUTION in policy_of(ticket, config).clocks)  # fmt: skip
    if meets:
        ticket.planned_at = at
        _end_pause(session, ticket, Clock.CLOSURE, actor, at, config)
        _clock(ticket, Clock.CLOSURE, ClockEventKind.MET, at, actor)
    return {"closure_met": meets}


def _transfer(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
              target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, OPEN_STATUSES, "transfer")
    department = session.scalar(select(Department).where(Department.code == target))
    if department is None:
        raise NotFoundError(f"no department {target!r}")
    previous, handler = ticket.department.code, ticket.assignee
    ticket.department = department
    # The old handler may not even see the ticket now: the new department's assignment
    # rule picks its handler (nobody when no one is on duty: the SLA warnings then go to
    # the department's heads, as for a new ticket).
    chosen = choose_assignee(session, config=config, department=department.code)
    ticket.assignee = None if chosen is None else chosen.code
    return {"from": previous, "to": department.code,
            "assignee_from": handler, "assignee_to": ticket.assignee}  # fmt: skip


def _acknowledge(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
                 target: str | None) -> dict[str, Any]:  # fmt: skip
    breached = []
    if ticket.sla_policy is not None:
        session.flush()
        for clock, state in _states(session, ticket, config, at).items():
            if state.met_at is None and state.due is not None and state.due <= at:
                _clock(ticket, clock, ClockEventKind.ACKNOWLEDGED, at, actor)
                breached.append(clock.value)
    if not breached:
        raise ConflictError(f"ticket {ticket.number} has no breached clock to acknowledge")
    return {"clocks": breached}


def _assign(session: Session, ticket: Ticket, actor: str, at: datetime, config: Config,
            target: str | None) -> dict[str, Any]:  # fmt: skip
    _require(ticket, OPEN_STATUSES, "assign")
    find_staff(session, target or "")  # the directory: configured or imported, active
    previous, ticket.assignee = ticket.assignee, target
    return {"from": previous, "to": target}


_HANDLERS = {
    Action.RESPOND: _respond,
    Action.ACCEPT: _respond,
    Action.WAIT: _wait,
    Action.RESUME: _resume,
    Action.RESOLVE: _resolve,
    Action.CLOSE: _close,
    Action.REOPEN: _reopen,
    Action.TRANSFER: _transfer,
    Action.ACKNOWLEDGE: _acknowledge,
    Action.ASSIGN: _assign,
    Action.PLAN: _plan,
}


_URGENCIES = ("emergency", "normal")
_LEVELS = (1, 2)


def reclassify(
    session: Session,
    ticket: Ticket,
    *,
    actor: str,
    at: datetime,
    config: Config,
    codes: dict[str, Any],
) -> TicketEvent:
    """Change the ticket's codes (``sub_topic``, ``category``, ``level``, ``urgency``).

    A new sub-topic brings its category and scope from the taxonomy. The SLA policy is
    chosen again; if it changes, the due times are recomputed from the same clock events
    (a ``policy_changed`` event says from what to what). The ``reclassified`` event keeps
    the old and new codes: a staff correction is a labelled example for training; it is
    returned. Raises ConfigError for a code the taxonomy does not know.
    """
    _require(ticket, (*OPEN_STATUSES, TicketStatus.RESOLVED), "reclassify")
    before = {k: getattr(ticket, k) for k in _CODES}
    _apply_codes(ticket, codes, config)
    after = {k: getattr(ticket, k) for k in _CODES}
    event = record_event(session, ticket, "reclassified", at=at, actor=actor, before=before,
                         after=after)  # fmt: skip
    reselect_policy(session, ticket, config=config, now=at, actor=actor)
    return event


_CODES = ("sub_topic", "category", "scope", "level", "urgency")


def _apply_codes(ticket: Ticket, codes: dict[str, Any], config: Config) -> None:
    from plaint.errors import ConfigError

    sub_topics = config.taxonomy.sub_topics
    if "sub_topic" in codes:
        if codes["sub_topic"] not in sub_topics:
            raise ConfigError(f"unknown sub_topic {codes['sub_topic']!r}")
        category, _department, scope = sub_topics[codes["sub_topic"]]
        ticket.sub_topic, ticket.category, ticket.scope = codes["sub_topic"], category, scope
    allowed: dict[str, set[Any]] = {
        "category": {c for c, _, _ in sub_topics.values()},
        "level": set(_LEVELS),
        "urgency": set(_URGENCIES),
    }
    for field, values in allowed.items():
        if field in codes:
            if codes[field] not in values:
                raise ConfigError(f"{field} must be one of {sorted(values)}")
            setattr(ticket, field, codes[field])
