"""Serving the app: ``plaint web`` (alone, or as a child of ``plaint run``).

At start-up the departments and staff of the configuration are written to the database
(the API authenticates against that directory), then uvicorn serves the app on
``PLAINT_WEB_HOST:PLAINT_WEB_PORT`` until SIGTERM or SIGINT, finishing the requests in
flight first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import redis
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config, Settings
from plaint.errors import ConfigError
from plaint.models import create_db_engine, read_session_factory, session_factory
from plaint.queue.broker import build_broker
from plaint.queue.producer import Producer
from plaint.service.directory import sync_directory
from plaint.telemetry.state import StateCollector
from plaint.web.app import create_app
from plaint.web.probes import PROBE_TIMEOUT_SECONDS, RedisProbe

__all__ = ["GRACEFUL_SHUTDOWN_SECONDS", "metrics_registry", "serve", "server_config"]

logger = logging.getLogger(__name__)

# Requests in flight get this long after SIGTERM: less than the 10 s after which
# ``plaint run``'s supervisor kills a child that has not stopped.
GRACEFUL_SHUTDOWN_SECONDS = 5


def server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """Return uvicorn's configuration for ``app`` from ``settings``. Where it departs from
    uvicorn's defaults, and why:

    - ``proxy_headers`` only when ``PLAINT_WEB_TRUSTED_PROXIES`` lists proxies, and
      ``forwarded_allow_ips`` exactly those. uvicorn by default believes ``X-Forwarded-For``
      and ``-Proto`` from 127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``), so any local process
      could pose as any client; plaint believes nobody unless told whom.
    - ``log_config=None``: uvicorn's loggers propagate to the root logger that plaint
      configures, so every line has one format (uvicorn's own dictConfig would replace it).
    - ``timeout_graceful_shutdown``: :data:`GRACEFUL_SHUTDOWN_SECONDS` (uvicorn waits
      forever by default).
    """
    trusted = list(settings.web_trusted_proxies)
    return uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _sync_directory(sessions: sessionmaker[Session], config: Config, *, now: datetime) -> None:
    """Write the configuration's departments and staff to the database
    (:func:`plaint.service.directory.sync_directory`). Raises ConfigError when the
    database cannot be written (unreachable, or not migrated)."""
    try:
        with sessions.begin() as session:
            sync_directory(session, config, now=now)
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot write the staff directory to the database ({type(exc).__name__}); "
            "is it reachable and migrated (plaint db upgrade)?"
        ) from exc


def _triage_sender(settings: Settings) -> Callable[[int], None] | None:
    """What the Twilio webhooks and the desk's complaints enqueue triage with: a producer
    on ``PLAINT_REDIS_URL``; ``None`` without Redis (the inbox reconciler then sends the
    rows)."""
    if settings.queue_url is None:
        return None
    return Producer(build_broker(settings.queue_url)).triage


def metrics_registry(settings: Settings, config: Config, engine: Engine) -> CollectorRegistry:
    """The registry ``/metrics`` serves: the shared-state gauges
    (:class:`plaint.telemetry.state.StateCollector`) read through ``engine``, the queues of
    the broker and the poll times in Redis (left out when Redis is not configured)."""
    url = settings.queue_url
    client = None
    if settings.redis_url is not None:
        client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
        )
    registry = CollectorRegistry()
    registry.register(
        StateCollector(
            sessions=read_session_factory(engine),
            client=client,
            broker=None if url is None else build_broker(url),
            sources=[source.name for source in config.sources],
            clock=_utc_now,
        )
    )
    return registry


def _utc_now() -> datetime:
    return datetime.now(UTC)


def serve(*, settings: Settings, config: Config, clock: Callable[[], datetime] = _utc_now) -> None:
    """Sync the staff directory, then serve the app until SIGTERM/SIGINT; blocks. Redis
    for ``/readyz`` is ``PLAINT_REDIS_URL`` (without it, Redis is reported unavailable).
    Raises ConfigError when the database cannot be written or the address cannot be
    bound. After a signal, uvicorn stops gracefully and re-raises it, so the process ends
    as the signal says."""
    engine = create_db_engine(settings.database_url)
    redis_ready = RedisProbe(settings.redis_url)
    try:
        _sync_directory(session_factory(engine), config, now=clock())
        # Requests read through deferred transactions (on SQLite they never queue behind
        # the workers' writes); the staff actions and webhooks write through ``writer``.
        app = create_app(
            config=config, sessions=read_session_factory(engine), redis_ready=redis_ready,
            clock=clock, writer=session_factory(engine), twilio=settings.twilio,
            enqueue=_triage_sender(settings), metrics=metrics_registry(settings, config, engine),
            secret_key=settings.secret_key,
        )  # fmt: skip
        if settings.secret_key is None:
            logger.warning("PLAINT_SECRET_KEY is not set: the operations pages are not served")
        server = uvicorn.Server(server_config(app, settings))
        try:
            server.run()
        except SystemExit:
            if server.started:
                raise
            raise ConfigError(
                f"the web server could not start on {settings.web_host}:{settings.web_port} "
                "(see the error above; PLAINT_WEB_HOST, PLAINT_WEB_PORT)"
            ) from None
    finally:
        redis_ready.close()
        engine.dispose()
