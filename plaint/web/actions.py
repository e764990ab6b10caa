"""``POST /api/v1/tickets/{number}/<action>``: what staff do to a ticket.

Each view resolves the caller and the clock, opens one write transaction and calls one
service function (:mod:`plaint.service.ticket_actions`, :mod:`plaint.service.replies`,
:mod:`plaint.service.merge`), which checks who may act and records the event; the answer
is the ticket after it (:class:`~plaint.web.action_schemas.ActionOut`). Who may do what is
:mod:`plaint.service.permissions`; the errors are :mod:`plaint.web.errors`'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header

from plaint.service import merge as merging
from plaint.service import replies, ticket_actions
from plaint.service.directory import StaffIdentity
from plaint.service.staff import Action
from plaint.service.ticket_actions import ActionResult
from plaint.web.action_schemas import (
    ActionOut,
    AssignIn,
    MergeIn,
    NoteIn,
    PlanIn,
    ReclassifyIn,
    ReplyIn,
    ResolveIn,
    TransferIn,
    WaitIn,
)
from plaint.web.deps import Context, CurrentStaff, Now, TicketNumberPath, WebContext
from plaint.web.errors import error_responses

__all__ = ["IDEMPOTENCY_KEY", "router"]

router = APIRouter(
    prefix="/tickets/{number}", tags=["actions"], responses=error_responses(404, 409)
)

Number = TicketNumberPath
IDEMPOTENCY_KEY = "Idempotency-Key"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
        description="any token of visible ASCII: a request retried with the same key "
        "sends nothing twice and answers with the first reply (replayed: true)",
    ),
]  # fmt: skip


def _write(context: WebContext, call: Callable[..., ActionResult], **kwargs: Any) -> ActionOut:
    """Run ``call`` in one write transaction (committed before the answer is sent)."""
    with context.writer.begin() as session:
        result = call(session, **kwargs)
    return ActionOut.model_validate(result)


def _act(
    context: WebContext, number: str, who: StaffIdentity, now: datetime, action: Action,
    target: str | None = None, **details: str,
) -> ActionOut:  # fmt: skip
    return _write(context, ticket_actions.perform, number=number, who=who, action=action,
                  at=now, config=context.config, target=target,
                  details=details or None)  # fmt: skip


@router.post("/reply", response_model=ActionOut, summary="Reply to the resident")
def reply(
    number: Number, body: ReplyIn, who: CurrentStaff, now: Now, context: Context,
    idempotency_key: IdempotencyKey = None,
) -> ActionOut:  # fmt: skip
    """Send `text` to the resident through the outbox (one message, however often the
    request is retried with one `Idempotency-Key`); the first reply meets the
    first-response clock. 409 when the ticket is not open or its resident has no address
    on the channel."""
    return _write(context, replies.reply, number=number, who=who, text=body.text, at=now,
                  config=context.config, channel=body.channel,
                  idempotency_key=idempotency_key)  # fmt: skip


@router.post("/note", response_model=ActionOut, summary="Add an internal note")
def note(number: Number, body: NoteIn, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """A note in the audit trail; nothing goes to the resident, the clocks do not change."""
    return _write(context, replies.add_note, number=number, who=who, text=body.text, at=now)


@router.post("/assign", response_model=ActionOut, summary="Give the ticket to someone")
def assign(
    number: Number, body: AssignIn, who: CurrentStaff, now: Now, context: Context
) -> ActionOut:
    """Assign to staff code `to` (404 if unknown; 409 if they cannot see the department)."""
    return _act(context, number, who, now, Action.ASSIGN, target=body.to)


@router.post("/claim", response_model=ActionOut, summary="Take the ticket yourself")
def claim(number: Number, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Assign the ticket to the caller (409 when it is theirs already or not open)."""
    return _write(context, ticket_actions.claim, number=number, who=who, at=now,
                  config=context.config)  # fmt: skip


@router.post("/transfer", response_model=ActionOut, summary="Hand to another department")
def transfer(
    number: Number, body: TransferIn, who: CurrentStaff, now: Now, context: Context
) -> ActionOut:
    """Another department owns the ticket; the clocks keep running. A member who hands a
    ticket away no longer sees it."""
    return _act(context, number, who, now, Action.TRANSFER, target=body.department,
                reason=body.reason)  # fmt: skip


@router.post("/wait", response_model=ActionOut, summary="Wait on the resident")
def wait(number: Number, body: WaitIn, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Pause the running clocks until `resume`; `needed` says what the resident owes."""
    return _act(context, number, who, now, Action.WAIT, needed=body.needed)


@router.post("/resume", response_model=ActionOut, summary="Stop waiting on the resident")
def resume(number: Number, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Restart the paused clocks (409 unless the ticket is waiting)."""
    return _act(context, number, who, now, Action.RESUME)


@router.post("/resolve", response_model=ActionOut, summary="The problem is solved")
def resolve(
    number: Number, body: ResolveIn, who: CurrentStaff, now: Now, context: Context
) -> ActionOut:
    """Meet the closure clock (and the first response, if none was given); under a policy
    with the resolution clock, the resolution clock (and closure, if no plan met it)."""
    return _act(context, number, who, now, Action.RESOLVE, resolution=body.resolution)


@router.post("/plan", response_model=ActionOut, summary="Record the solution or initial plan")
def plan(number: Number, body: PlanIn, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Record the investigation and a solution or initial plan; under a policy with the
    resolution clock this meets the closure clock (the resolution clock runs on)."""
    return _act(context, number, who, now, Action.PLAN, plan=body.plan)


@router.post("/close", response_model=ActionOut, summary="Close the ticket")
def close(number: Number, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Close an open or resolved ticket (resolving it first if it is open)."""
    return _act(context, number, who, now, Action.CLOSE)


@router.post("/reopen", response_model=ActionOut, summary="Reopen the ticket")
def reopen(number: Number, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """A resolved or closed ticket opens again; its closure clock starts a new cycle."""
    return _act(context, number, who, now, Action.REOPEN)


@router.post("/reclassify", response_model=ActionOut, summary="Correct the codes")
def reclassify(
    number: Number, body: ReclassifyIn, who: CurrentStaff, now: Now, context: Context
) -> ActionOut:
    """New codes; the SLA policy follows. The correction is a training example for the
    classifier (`plaint train --corrections`). 422 for no code or an unknown one."""
    codes = body.model_dump(exclude_none=True)
    return _write(context, ticket_actions.reclassify_codes, number=number, who=who, at=now,
                  config=context.config, codes=codes)  # fmt: skip


@router.post(
    "/acknowledge",
    response_model=ActionOut,
    summary="Acknowledge an escalation",
    responses=error_responses(403),
)
def acknowledge(number: Number, who: CurrentStaff, now: Now, context: Context) -> ActionOut:
    """Stop the escalation ladder of the breached clocks: department heads, managers, the
    desk and admins (403 for a member); 409 when no clock is breached."""
    return _act(context, number, who, now, Action.ACKNOWLEDGE)


@router.post("/merge", response_model=ActionOut, summary="Merge into another ticket")
def merge(
    number: Number, body: MergeIn, who: CurrentStaff, now: Now, context: Context
) -> ActionOut:
    """Move this ticket's messages (and resident) to ticket `into` and close this one as
    merged; both get an event. 404 when either is unknown or not visible to the caller."""
    return _write(context, merging.merge, number=number, into=body.into, who=who, at=now,
                  config=context.config)  # fmt: skip
