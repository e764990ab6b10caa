"""Merging a ticket into another: two tickets about one problem become one.

In the caller's transaction: both tickets are locked (in id order, so two merges never
deadlock); the source's messages move to the target; the target takes the source's
resident when it has none, and otherwise names the source's resident in its ``merged``
event; the source is closed (its closure clock met: the work goes on under the target)
with a ``merged_into`` event, and the target gets a ``merged`` event naming the source.
Outbox rows already written for the source stay with it (they were sent or are due).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.errors import ConflictError, NotFoundError
from plaint.models import OPEN_STATUSES, Message, Ticket
from plaint.service.directory import StaffIdentity
from plaint.service.events import record_event
from plaint.service.permissions import require_visible
from plaint.service.staff import Action, act
from plaint.service.ticket_actions import ActionResult, action_result

__all__ = ["merge"]


def _lock_both(session: Session, numbers: tuple[str, str], who: StaffIdentity) -> list[Ticket]:
    """Lock the tickets ``numbers`` (in id order) and return them in the order given;
    NotFoundError for the first that does not exist or ``who`` may not see."""
    query = (
        select(Ticket).where(Ticket.number.in_(numbers)).order_by(Ticket.id)
        .with_for_update(of=Ticket)
    )  # fmt: skip
    found = {t.number: t for t in session.scalars(query)}
    for number in numbers:
        if number not in found:
            raise NotFoundError(f"no ticket numbered {number!r}")
        require_visible(who, found[number])
    return [found[number] for number in numbers]


def merge(
    session: Session,
    *,
    number: str,
    into: str,
    who: StaffIdentity,
    at: datetime,
    config: Config,
) -> ActionResult:
    """Merge ticket ``number`` into ticket ``into`` as ``who`` (see the module docstring);
    return the source after it. Raises NotFoundError when either ticket does not exist or
    ``who`` may not see it; ConflictError when they are the same ticket or either is no
    longer open."""
    if number == into:
        raise ConflictError(f"cannot merge ticket {number} into itself")
    source, target = _lock_both(session, (number, into), who)
    for ticket in (source, target):
        if ticket.status not in OPEN_STATUSES:
            raise ConflictError(f"cannot merge: ticket {ticket.number} is {ticket.status}")
    moved = session.execute(
        update(Message).where(Message.ticket_id == source.id).values(ticket_id=target.id)
    ).rowcount  # type: ignore[attr-defined]
    resident = source.resident_id
    if target.resident_id is None:
        target.resident_id = resident
    record_event(session, target, "merged", at=at, actor=who.code, source=source.number,
                 messages=int(moved), resident=resident)  # fmt: skip
    event = act(session, source, Action.CLOSE, actor=who.code, at=at, config=config,
                event="merged_into", details={"into": target.number})  # fmt: skip
    for ticket in (source, target):
        session.expire(ticket, ["messages"])
    return action_result(source, "merge", event)
