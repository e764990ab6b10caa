"""Staff actions as a front end calls them: by ticket number, as an authenticated member of
staff, each checked against :mod:`plaint.service.permissions` and recorded as one event
with the actor. The REST API (``POST /api/v1/tickets/{number}/…``) and ``plaint tickets``
call these same functions, in the caller's transaction.

The clock rules are :mod:`plaint.service.staff`'s; this module adds who may act, the
values an action carries (a transfer's reason, what a waiting ticket needs, a resolution),
``claim`` (assign to oneself) and ``reclassify`` with the taxonomy's errors as the
caller's. Replies and notes are in :mod:`plaint.service.replies`, merging in
:mod:`plaint.service.merge`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import ConfigError, ConflictError, InvalidInputError
from plaint.models import Ticket, TicketEvent
from plaint.service.directory import StaffIdentity, can_see_department, find_staff
from plaint.service.permissions import require_acknowledger, require_visible
from plaint.service.resident_messages import notify_resident
from plaint.service.staff import Action, act, lock_ticket, reclassify
from plaint.service.tickets import EventView

__all__ = [
    "ActionResult",
    "action_result",
    "claim",
    "locked_visible",
    "perform",
    "reclassify_codes",
]


@dataclass(frozen=True)
class ActionResult:
    """The ticket after an action, and the event that recorded it. ``replayed``: the
    request repeated an earlier one (the same idempotency key) and changed nothing."""

    number: str
    action: str
    status: str
    department: str
    assignee: str | None
    sla_policy: str | None
    first_response_due: datetime | None
    closure_due: datetime | None
    event: EventView
    replayed: bool = False
    # Only under a policy with the resolution clock (else None).
    resolution_due: datetime | None = None


def action_result(
    ticket: Ticket, action: str, event: TicketEvent, *, replayed: bool = False
) -> ActionResult:
    """The :class:`ActionResult` of ``action`` on ``ticket`` recorded by ``event``."""
    return ActionResult(
        number=ticket.number, action=action, status=ticket.status,
        department=ticket.department.code, assignee=ticket.assignee,
        sla_policy=ticket.sla_policy, first_response_due=ticket.first_response_due,
        closure_due=ticket.closure_due,
        event=EventView(kind=event.kind, at=event.at, actor=event.actor, data=dict(event.data)),
        replayed=replayed, resolution_due=ticket.resolution_due,
    )  # fmt: skip


def locked_visible(session: Session, *, number: str, who: StaffIdentity) -> Ticket:
    """Lock ticket ``number`` for the caller's transaction and return it if ``who`` may see
    it; NotFoundError when there is none or ``who`` may not see it (the same answer)."""
    return require_visible(who, lock_ticket(session, number))


# What the resident is told after an action: the template, and the detail it carries.
_RESIDENT_NOTICES: Mapping[Action, tuple[str, str | None]] = {
    Action.WAIT: ("waiting", "needed"),
    Action.RESOLVE: ("resolved", "resolution"),
    Action.CLOSE: ("closed", None),
}


def _tell_resident(
    session: Session, ticket: Ticket, action: Action, event: TicketEvent, at: datetime
) -> None:
    """Queue the resident's notice of ``action`` (none for most actions), keyed by the
    event that recorded it: one message per action, however often the request is retried
    within its transaction."""
    notice = _RESIDENT_NOTICES.get(action)
    if notice is None:
        return
    template, detail = notice
    session.flush()  # the event's id is the notice's key
    data = {detail: dict(event.data).get(detail)} if detail else {}
    notify_resident(session, ticket, template=template, key=f"{template}:{ticket.id}:{event.id}",
                    now=at, data=data)  # fmt: skip


def _check_target(session: Session, ticket: Ticket, action: Action, target: str | None) -> None:
    if action is Action.TRANSFER and target == ticket.department.code:
        raise ConflictError(f"ticket {ticket.number} is already with {target!r}")
    if action is Action.ASSIGN:
        assignee = find_staff(session, target or "")
        if not can_see_department(assignee, ticket.department.code):
            raise ConflictError(
                f"{assignee.code} cannot see department {ticket.department.code!r}'s tickets; "
                "transfer the ticket first"
            )


def perform(
    session: Session,
    *,
    number: str,
    who: StaffIdentity,
    action: Action,
    at: datetime,
    config: Config,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Lock ticket ``number`` and apply ``action`` by ``who`` (see
    :func:`plaint.service.staff.act`); ``details`` (a reason, what is needed, a resolution)
    join the event's data. Raises NotFoundError for a ticket ``who`` may not see or an
    unknown department or staff code; PermissionDeniedError when ``who``'s role may not
    (acknowledge: not a member); ConflictError when the ticket's state forbids it, for a
    transfer to its own department, or an assignee who could not see the ticket."""
    ticket = locked_visible(session, number=number, who=who)
    if action is Action.ACKNOWLEDGE:
        require_acknowledger(who)
    _check_target(session, ticket, action, target)
    event = act(session, ticket, action, actor=who.code, at=at, config=config, target=target,
                details=details)  # fmt: skip
    _tell_resident(session, ticket, action, event, at)
    return action_result(ticket, action.value, event)


def claim(
    session: Session, *, number: str, who: StaffIdentity, at: datetime, config: Config
) -> ActionResult:
    """Assign ticket ``number`` to ``who`` (an ``assign`` event with ``claimed: true``);
    ConflictError when it is already theirs or closed. Otherwise as :func:`perform`."""
    ticket = locked_visible(session, number=number, who=who)
    if ticket.assignee == who.code:
        raise ConflictError(f"ticket {number} is already assigned to {who.code}")
    event = act(session, ticket, Action.ASSIGN, actor=who.code, at=at, config=config,
                target=who.code, details={"claimed": True})  # fmt: skip
    return action_result(ticket, "claim", event)


def reclassify_codes(
    session: Session,
    *,
    number: str,
    who: StaffIdentity,
    at: datetime,
    config: Config,
    codes: Mapping[str, Any],
) -> ActionResult:
    """Change ticket ``number``'s codes (``sub_topic``, ``category``, ``level``,
    ``urgency``) as ``who``: a ``reclassified`` event with the codes before and after,
    which :func:`plaint.service.corrections.corrections` reads as a training example; the
    SLA policy follows. Raises InvalidInputError for no codes or one the taxonomy does not
    know; otherwise as :func:`perform`."""
    if not codes:
        raise InvalidInputError("give at least one of sub_topic, category, level, urgency")
    ticket = locked_visible(session, number=number, who=who)
    try:
        event = reclassify(session, ticket, actor=who.code, at=at, config=config,
                           codes=dict(codes))  # fmt: skip
    except ConfigError as exc:
        raise InvalidInputError(str(exc)) from exc
    return action_result(ticket, "reclassify", event)
