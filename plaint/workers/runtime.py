"""What a worker process needs, built once from its environment: settings, the validated
configuration, the database and a Redis client for locks.

Actors call :func:`current` to get it; tests install their own with :func:`install`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dramatiq
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels import open_senders
from plaint.classifier.cache import ModelCache
from plaint.config import Config, Settings, load_config, load_settings, require_redis_url
from plaint.models import create_db_engine, session_factory
from plaint.queue.producer import Producer
from plaint.service.directory import sync_directory
from plaint.telemetry.metrics import count_sla_marks

if TYPE_CHECKING:
    from plaint.channels.outbound import Sender

__all__ = ["Runtime", "build_runtime", "current", "install"]


@dataclass(frozen=True)
class Runtime:
    """The wired-up resources of one process; ``senders`` are the outbox's, by channel
    (those the environment configures)."""

    settings: Settings
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    environ: Mapping[str, str]
    producer: Producer
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    model: ModelCache = field(default_factory=lambda: ModelCache(None))
    senders: Mapping[str, Sender] = field(default_factory=dict)


def build_runtime(environ: Mapping[str, str], *, broker: dramatiq.Broker) -> Runtime:
    """Build a runtime from ``environ`` whose producer enqueues on ``broker``; raise
    ConfigError when Redis is not configured (a worker needs ``PLAINT_REDIS_URL``;
    ``plaint run`` sets it for its children)."""
    settings = load_settings(environ)
    redis_url = require_redis_url(settings)
    config = load_config(settings.config_path, required_years=[datetime.now(UTC).year])
    engine = create_db_engine(settings.database_url)
    sessions = session_factory(engine)
    count_sla_marks(sessions)
    with sessions.begin() as session:
        sync_directory(session, config, now=datetime.now(UTC))
    return Runtime(
        settings=settings,
        config=config,
        engine=engine,
        sessions=sessions,
        redis=redis.Redis.from_url(redis_url),
        environ=environ,
        producer=Producer(broker),
        model=ModelCache(settings.model_dir),
        senders=open_senders(environ),
    )


_lock = threading.Lock()
_current: Runtime | None = None


def current() -> Runtime:
    """Return this process's runtime, building it from ``os.environ`` and dramatiq's
    global broker (installed by :mod:`plaint.workers.entry`) on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime(dict(os.environ), broker=dramatiq.get_broker())
        return _current


def install(runtime: Runtime | None) -> None:
    """Replace this process's runtime (tests; ``None`` forgets it)."""
    global _current
    with _lock:
        _current = runtime
