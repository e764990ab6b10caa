"""The desk's routes: ``POST /api/v1/tickets`` (a complaint taken by telephone, in person
or in writing) and ``GET /api/v1/inbox/{id}`` (where it is: pending, or the ticket it
opened or joined); ``POST /api/v1/tickets/{number}/extend`` (延期).

Taking a complaint answers 202 at once with the inbox item's id: triage runs on the
workers like every other channel's (so the desk is never held up by a slow triage, and a
crash loses nothing: the inbox is the record). The ticket number appears on the item once
triaged — poll ``Location``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from plaint.service.desk import DeskComplaint, DeskMode, intake_status, take_complaint
from plaint.service.extension import extend_by_number
from plaint.service.retry import enqueue_stored
from plaint.service.store import StoredItem
from plaint.web.deps import Context, CurrentStaff, DbSession, Now
from plaint.web.errors import error_responses
from plaint.web.schemas import Instant

__all__ = ["ComplaintIn", "ExtendIn", "ExtendedOut", "IntakeOut", "TakenOut", "inbox", "router"]

router = APIRouter(prefix="/tickets", tags=["desk"])
inbox = APIRouter(prefix="/inbox", tags=["desk"])


# The errors these routes answer, as the rest of the API's: {code, message} (422: + errors).
_ERRORS = error_responses(403, 404, 409, 422)


class ComplaintIn(BaseModel):
    """A complaint the desk took. Name the resident by ``phone``, ``email`` or address
    (``building`` and ``unit``); an unknown one is added to the directory."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000, description="the complaint, as told")
    mode: DeskMode = Field(DeskMode.PHONE, description="phone (电话), visit (来访), letter (信函)")
    subject: str = Field("", max_length=500)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=320)
    name: str = Field("", max_length=200)
    community: str | None = Field(None, max_length=200)
    building: str | None = Field(None, max_length=50)
    unit: str | None = Field(None, max_length=50)
    language: str | None = Field(None, max_length=10, description="zh or en (a new resident)")
    complained_at: datetime | None = Field(
        None, description="when the resident complained (ISO 8601 with offset; default now)"
    )
    category: str | None = Field(None, max_length=50, description="a category code")
    sub_topic: str | None = Field(None, max_length=50, description="a sub-topic code")
    department: str | None = Field(None, max_length=50, description="a department code")


class TakenOut(BaseModel):
    """The inbox item the complaint became; ``created`` is false for a retried request."""

    inbox_id: int
    created: bool
    status_url: str


class IntakeOut(BaseModel):
    """Where a desk item is: pending, done (``ticket`` set) or quarantined (``error``)."""

    inbox_id: int
    status: str
    ticket: str | None
    error: str | None


@router.post(
    "", status_code=202, response_model=TakenOut, responses=_ERRORS,
    summary="Record a complaint taken by telephone, in person or in writing",
)  # fmt: skip
def take(
    body: ComplaintIn, who: CurrentStaff, now: Now, context: Context, response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> TakenOut:  # fmt: skip
    """Roles desk, property_manager, regional_manager and admin. The complaint enters the
    inbox as channel `desk` and is triaged like any other; a retried request with the same
    `Idempotency-Key` makes no second item (and one reused for another complaint is 409
    `idempotency_key_reused`)."""
    with context.writer.begin() as session:
        taken = take_complaint(session, DeskComplaint(**body.model_dump()), actor=who,
                               config=context.config, now=now,
                               idempotency_key=idempotency_key)  # fmt: skip
    item = StoredItem(taken.inbox_id, created=taken.created, pending=taken.pending)
    enqueue_stored(context.writer, item, enqueue=context.enqueue)
    url = f"/api/v1/inbox/{taken.inbox_id}"
    response.headers["Location"] = url
    return TakenOut(inbox_id=taken.inbox_id, created=taken.created, status_url=url)


@inbox.get("/{inbox_id}", response_model=IntakeOut, responses=_ERRORS,
           summary="A desk item: pending, or the ticket it became")  # fmt: skip
def show_item(inbox_id: int, session: DbSession, who: CurrentStaff) -> IntakeOut:
    """Roles desk, property_manager, regional_manager and admin."""
    status = intake_status(session, inbox_id, actor=who)
    return IntakeOut(inbox_id=status.inbox_id, status=status.status, ticket=status.ticket,
                     error=status.error)  # fmt: skip


class ExtendIn(BaseModel):
    """A new closure due time and why (told to the resident)."""

    model_config = ConfigDict(extra="forbid")

    until: datetime = Field(description="the new closure due time (ISO 8601 with offset)")
    reason: str = Field(min_length=1, max_length=500)


class ExtendedOut(BaseModel):
    """The ticket after the extension."""

    number: str
    closure_due: Instant
    limit: Instant | None = Field(description="the latest date without a manager")


@router.post(
    "/{number}/extend", response_model=ExtendedOut, responses=_ERRORS,
    summary="Extend (延期) the closure due time, telling the resident why",
)  # fmt: skip
def extend(number: str, body: ExtendIn, who: CurrentStaff, now: Now,
           context: Context) -> ExtendedOut:  # fmt: skip
    """Anyone who may act on the ticket, up to the policy's limit (default 15 working days
    from receipt); beyond it property managers and admins only (403
    `extension_beyond_limit`). 409 `not_extendable` for a ticket without a running closure
    clock or a date not later than the current due time."""
    with context.writer.begin() as session:
        done = extend_by_number(session, number=number, who=who, until=body.until,
                                reason=body.reason, config=context.config, now=now)  # fmt: skip
    return ExtendedOut(number=done.number, closure_due=done.closure_due, limit=done.limit)
