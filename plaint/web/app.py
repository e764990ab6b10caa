"""The application factory: :func:`create_app` wires the routes to what it is given and
configures nothing at import, so tests and ``plaint web`` build it the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.errors import (
    ConflictError,
    MalformedMessageError,
    NotFoundError,
    PermissionDeniedError,
    PlaintError,
)
from plaint.web import desk, tickets
from plaint.web import twilio as twilio_webhooks
from plaint.web.deps import Context, WebContext, current_staff
from plaint.web.probes import database_ready
from plaint.web.schemas import Readiness, Status

__all__ = ["API_PREFIX", "create_app", "error_code"]

API_PREFIX = "/api/v1"

# How a service error a request can cause is answered: its message, with this status.
_ERROR_STATUS: tuple[tuple[type[PlaintError], int], ...] = (
    (NotFoundError, 404),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (MalformedMessageError, 422),
)
# The stable ``code`` of an error that names none of its own (``code`` attribute; a
# MalformedMessageError's ``reason``).
_DEFAULT_CODE = {NotFoundError: "not_found", PermissionDeniedError: "forbidden",
                 ConflictError: "conflict", MalformedMessageError: "invalid"}  # fmt: skip

probes = APIRouter(tags=["probes"])


@probes.get("/healthz", response_model=Status, summary="The process is alive")
def healthz() -> Status:
    """Always 200 while the process can answer at all (a liveness probe)."""
    return Status()


@probes.get(
    "/readyz",
    response_model=Readiness,
    summary="The database and Redis answer",
    responses={503: {"model": Readiness, "description": "something did not answer"}},
)
def readyz(context: Context) -> JSONResponse:
    """200 when the database and Redis both answer; 503 naming what did not (a readiness
    probe: take the process out of rotation, do not restart it)."""
    checks = {"database": lambda: database_ready(context.sessions), "redis": context.redis_ready}
    failed = [name for name, ready in checks.items() if not ready()]
    body = Readiness(status="unavailable" if failed else "ok", failed=failed)
    return JSONResponse(body.model_dump(), status_code=503 if failed else 200)


def error_code(exc: Exception) -> str:
    """The stable code of a service error: its ``code``, a malformed input's ``reason``,
    else its class's default."""
    code = getattr(exc, "code", None) or getattr(exc, "reason", None)
    if isinstance(code, str):
        return code
    for error, default in _DEFAULT_CODE.items():
        if isinstance(exc, error):
            return default
    return "error"


def _error_handler(status: int) -> Callable[[Request, Exception], JSONResponse]:
    def handle(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"code": error_code(exc), "detail": str(exc)}, status_code=status)

    return handle


def create_app(
    *,
    config: Config,
    sessions: sessionmaker[Session],
    redis_ready: Callable[[], bool],
    clock: Callable[[], datetime],
    writer: sessionmaker[Session] | None = None,
    twilio: TwilioSettings | None = None,
    enqueue: Callable[[int], None] | None = None,
) -> FastAPI:
    """Return the ASGI app serving ``/healthz``, ``/readyz``, ``/openapi.json`` and the
    staff API under ``/api/v1/`` (every request there needs a bearer token).

    ``config`` is the business configuration (SLA policies, calendars); ``sessions``
    opens a session per request; ``redis_ready`` answers whether Redis is reachable;
    ``clock`` returns the current instant (timezone-aware). With ``twilio`` settings the
    Twilio webhooks are served under ``/webhooks/twilio/`` (signature-checked, no token),
    writing through ``writer`` (default: ``sessions``) and enqueuing triage with
    ``enqueue``."""
    app = FastAPI(
        title="plaint",
        description="Residents' complaints, routed and answered in time: the staff API.",
    )
    app.state.plaint = WebContext(
        config=config, sessions=sessions, redis_ready=redis_ready, clock=clock,
        writer=writer or sessions, twilio=twilio, enqueue=enqueue,
    )  # fmt: skip
    app.include_router(probes)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(current_staff)])
    api.include_router(tickets.router)
    api.include_router(desk.router)
    api.include_router(desk.inbox)
    app.include_router(api)
    if twilio is not None:
        app.include_router(twilio_webhooks.router)
    for error, status in _ERROR_STATUS:
        app.add_exception_handler(error, _error_handler(status))
    return app
