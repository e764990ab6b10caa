"""What the views depend on, as FastAPI dependencies: the app's wiring, a database
session, the current instant, the member of staff behind the bearer token, and a ticket
they may see (or 404). Views resolve these and call one service function; nothing here
decides a business rule."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.models import Ticket
from plaint.service.directory import StaffIdentity, authenticate
from plaint.service.tickets import get_ticket

__all__ = [
    "Context",
    "CurrentStaff",
    "DbSession",
    "Now",
    "TicketNumberPath",
    "VisibleTicket",
    "WebContext",
    "current_staff",
]


@dataclass(frozen=True)
class WebContext:
    """Everything the app was built with; kept on ``app.state.plaint``. ``writer`` opens
    sessions that write (the webhooks); ``twilio`` is ``None`` when Twilio is not
    configured; ``enqueue`` sends an inbox id to triage."""

    config: Config
    sessions: sessionmaker[Session]
    redis_ready: Callable[[], bool]
    clock: Callable[[], datetime]
    writer: sessionmaker[Session]
    twilio: TwilioSettings | None = None
    enqueue: Callable[[int], None] | None = None


def _context(request: Request) -> WebContext:
    context = request.app.state.plaint
    assert isinstance(context, WebContext)
    return context


Context = Annotated[WebContext, Depends(_context)]


def _session(context: Context) -> Iterator[Session]:
    """One session per request, closed (and any transaction rolled back) afterwards."""
    with context.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(_session)]


def _now(context: Context) -> datetime:
    return context.clock()


Now = Annotated[datetime, Depends(_now)]

_bearer = HTTPBearer(
    auto_error=False,
    description="A staff API token: `Authorization: Bearer plt_…` (shown once when issued).",
)


def current_staff(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffIdentity:
    """The member of staff holding the request's bearer token; 401 with
    ``WWW-Authenticate: Bearer`` when there is no token or it is unknown, revoked or its
    holder inactive. The token is never logged."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer TOKEN)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    who = authenticate(session, credentials.credentials)
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the bearer token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return who


CurrentStaff = Annotated[StaffIdentity, Depends(current_staff)]


# A ticket number as a path parameter: bounded, and never NUL (no database stores it).
TicketNumberPath = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[^\x00]*$", examples=["TS-2026-000123"])
]


def _visible_ticket(number: TicketNumberPath, session: DbSession, who: CurrentStaff) -> Ticket:
    """The ticket ``number`` if ``who`` may see it; otherwise NotFoundError (404), also for
    another department's ticket, so that its existence is not revealed."""
    return get_ticket(session, number=number, who=who)


VisibleTicket = Annotated[Ticket, Depends(_visible_ticket)]
