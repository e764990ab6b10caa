"""Extension (延期): more time to close a ticket, told to the resident with the reason.

The practice: acknowledge within 24 hours, a solution or an initial plan within 3 working
days, resolution within 15 working days — and where more time is needed, the resident is
told why and by when. :func:`extend` moves the closure due time of the current cycle to a
later instant by storing an ``extended`` clock event (the due time is recomputed from the
events, :mod:`plaint.pipeline.sla`), records an ``extended`` ticket event with the actor,
the reason and the due times before and after, and writes the resident's notice to the
outbox (template ``extended``, keyed per ticket, cycle and new due time, so a retry never
sends it twice).

Under a policy that runs the resolution clock (:attr:`Policy.resolution`), the clock
extended is ``resolution`` (the 15-day deadline), not ``closure`` (the 3-day plan);
:attr:`Policy.extended_clock` says which.

Up to the policy's ``extension_limit`` (default 15 working days from the cycle's start,
pauses not counted) anyone who may act on the ticket may extend; beyond it only a
property manager, a regional manager or an admin (ExtensionLimitError, code
``extension_beyond_limit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import ConflictError, MalformedMessageError, PermissionDeniedError
from plaint.models import OPEN_STATUSES, SlaClockEvent, Ticket
from plaint.pipeline.sla import Clock, ClockEventKind, extension_limit
from plaint.service.directory import StaffIdentity
from plaint.service.events import record_event
from plaint.service.resident_messages import notify_resident
from plaint.service.roles import MANAGER_ROLES
from plaint.service.sla import plan_for, policy_of, refresh_sla
from plaint.service.staff import lock_ticket
from plaint.service.tickets import get_ticket
from plaint.service.webhooks import emit_event

__all__ = [
    "EXTENDED_TEMPLATE",
    "Extended",
    "ExtensionLimitError",
    "NotExtendableError",
    "extend",
    "extend_by_number",
]

EXTENDED_TEMPLATE = "extended"


class ExtensionLimitError(PermissionDeniedError):
    """The new due time is beyond the policy's limit and the actor is not a manager."""

    code = "extension_beyond_limit"


class NotExtendableError(ConflictError):
    """The ticket has no running closure clock, or the date is not later than its due."""

    code = "not_extendable"


@dataclass(frozen=True)
class Extended:
    """A ticket after its extension: the new due time of the clock extended (closure, or
    resolution under a policy that runs it) and the limit it was held to (``None`` when
    the clock had not started)."""

    number: str
    closure_due: datetime
    limit: datetime | None


def extend_by_number(
    session: Session, *, number: str, who: StaffIdentity, until: datetime, reason: str,
    config: Config, now: datetime,
) -> Extended:  # fmt: skip
    """Find ticket ``number`` as ``who`` may see it (NotFoundError otherwise), lock it and
    :func:`extend` it, in the caller's transaction."""
    get_ticket(session, number=number, who=who)
    ticket = lock_ticket(session, number)
    return extend(session, ticket, who=who, until=until, reason=reason, config=config, now=now)


def extend(
    session: Session, ticket: Ticket, *, who: StaffIdentity, until: datetime, reason: str,
    config: Config, now: datetime,
) -> Extended:  # fmt: skip
    """Move ``ticket``'s closure (or resolution, :attr:`Policy.extended_clock`) due time to
    ``until`` for ``reason`` (told to the
    resident). Raises MalformedMessageError for a naive ``until`` or an empty reason,
    NotExtendableError (409) when the ticket is not open, has no closure clock running or
    ``until`` is not later than both now and its due time, ExtensionLimitError (403) past
    the limit for a role below property manager."""
    if until.tzinfo is None:
        raise MalformedMessageError("the new due time has no offset", reason="naive_time")
    if not reason.strip():
        raise MalformedMessageError("an extension needs a reason", reason="empty_reason")
    if ticket.status not in OPEN_STATUSES or ticket.sla_policy is None:
        raise NotExtendableError(f"ticket {ticket.number} is {ticket.status}: no clock to extend")
    policy = policy_of(ticket, config)
    clock = policy.extended_clock
    state = plan_for(session, ticket, config=config, now=now).states[clock]
    if state.due is None or state.met_at is not None:
        raise NotExtendableError(f"ticket {ticket.number} has no running {clock} clock")
    if until <= max(now, state.due):
        raise NotExtendableError("the new due time must be later than now and the current one")
    limit = extension_limit(state=state, limit=policy.extension_limit,
                            calendar=config.calendar)  # fmt: skip
    beyond = limit is not None and until > limit
    if beyond and who.role not in MANAGER_ROLES:
        raise ExtensionLimitError(f"beyond the limit of {_iso(limit)}: a manager must extend")
    ticket.clock_events.append(SlaClockEvent(clock=clock.value,
                                             kind=ClockEventKind.EXTENDED.value, at=now,
                                             actor=who.code, until=until))  # fmt: skip
    record_event(session, ticket, "extended", at=now, actor=who.code, reason=reason.strip(),
                 until=_iso(until), previous_due=_iso(state.due), limit=_iso(limit),
                 beyond_limit=beyond, cycle=state.cycle)  # fmt: skip
    refresh_sla(session, ticket, config=config, now=now)
    _tell_resident(session, ticket, until=until, reason=reason.strip(), cycle=state.cycle,
                   now=now)  # fmt: skip
    emit_event(session, ticket, event="ticket.updated", config=config, now=now,
               occurrence=f"extended:{state.cycle}:{_iso(until)}")  # fmt: skip
    due = ticket.closure_due if clock is Clock.CLOSURE else ticket.resolution_due
    return Extended(ticket.number, due or until, limit)


def _tell_resident(
    session: Session, ticket: Ticket, *, until: datetime, reason: str, cycle: int, now: datetime
) -> None:
    """The resident's notice: one outbox row per ticket, cycle and new due time."""
    notify_resident(session, ticket, template=EXTENDED_TEMPLATE, now=now,
                    key=f"extended:{ticket.id}:{cycle}:{_iso(until)}",
                    data={"reason": reason, "due_at": _iso(until)})  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
