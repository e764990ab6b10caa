"""The application factory: :func:`create_app` wires the routes to what it is given and
configures nothing at import, so tests and ``plaint web`` build it the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.web import actions, desk, tickets
from plaint.web import twilio as twilio_webhooks
from plaint.web.deps import Context, WebContext, current_staff
from plaint.web.errors import error_responses, install_error_handlers
from plaint.web.metrics import metrics_router
from plaint.web.pages import install_pages
from plaint.web.probes import database_ready
from plaint.web.schemas import Readiness, Status

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

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


def create_app(
    *,
    config: Config,
    sessions: sessionmaker[Session],
    redis_ready: Callable[[], bool],
    clock: Callable[[], datetime],
    writer: sessionmaker[Session] | None = None,
    twilio: TwilioSettings | None = None,
    enqueue: Callable[[int], None] | None = None,
    metrics: CollectorRegistry | None = None,
    secret_key: str | None = None,
) -> FastAPI:
    """Return the ASGI app serving ``/healthz``, ``/readyz``, ``/openapi.json`` and the
    staff API under ``/api/v1/`` (every request there needs a bearer token): the ticket
    list and record, and the staff actions. Errors are JSON with a stable ``code``
    (:mod:`plaint.web.errors`).

    ``config`` is the business configuration (SLA policies, calendars); ``sessions``
    opens a session per request; ``redis_ready`` answers whether Redis is reachable;
    ``clock`` returns the current instant (timezone-aware); ``writer`` (default:
    ``sessions``) opens the sessions that write: the staff actions and the webhooks. With
    ``twilio`` settings the Twilio webhooks are served under ``/webhooks/twilio/``
    (signature-checked, no token), enqueuing triage with ``enqueue``. With a ``metrics``
    registry, ``/metrics`` serves it. With ``secret_key`` (``PLAINT_SECRET_KEY``, which
    signs the session cookie) the operations pages are served too
    (:mod:`plaint.web.pages`)."""
    app = FastAPI(
        title="plaint",
        description="Residents' complaints, routed and answered in time: the staff API.",
    )
    app.state.plaint = WebContext(
        config=config, sessions=sessions, redis_ready=redis_ready, clock=clock,
        writer=writer or sessions, twilio=twilio, enqueue=enqueue,
    )  # fmt: skip
    app.include_router(probes)
    if metrics is not None:
        app.include_router(metrics_router(metrics))
    api = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(current_staff)],
        responses=error_responses(401, 422),
    )  # fmt: skip
    api.include_router(tickets.router)
    api.include_router(actions.router)
    api.include_router(desk.router)
    api.include_router(desk.inbox)
    app.include_router(api)
    if twilio is not None:
        app.include_router(twilio_webhooks.router)
    install_error_handlers(app)
    if secret_key is not None:
        install_pages(app, secret_key=secret_key)
    return app
