"""Bench-only dramatiq actors for ``bench/throughput.py``: the floor costs that plaint's
triage is compared with, on the same broker and middleware as plaint's workers.

    PLAINT_REDIS_URL=... PLAINT_DATABASE_URL=... \\
        python -m dramatiq bench.throughput_actors --processes 2 --threads 8 --queues bench

- ``bench_noop(n)`` does nothing: the cost of the queue alone (fetch, decode, middleware,
  ack).
- ``bench_insert(n, enqueued_at)`` opens a transaction, adds one ORM row (a
  ``channel_cursors`` row named ``b:<n>``, holding the enqueue instant) and commits: the
  cost of the queue plus the smallest useful database write, through the same engine
  settings (:func:`plaint.models.create_db_engine`) as plaint's workers.

Like :mod:`plaint.workers.entry`, importing this module configures the process (dramatiq
loads workers by module name). It lives under ``bench/``, never in ``plaint/``.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from bench.throughput_data import BENCH_QUEUE, INSERT, NOOP, ROW_PREFIX
from plaint.config import load_settings, require_redis_url
from plaint.models import ChannelCursor, create_db_engine, session_factory
from plaint.queue.broker import build_broker

__all__ = ["bench_insert", "bench_noop", "broker"]

_settings = load_settings(os.environ)
broker = build_broker(require_redis_url(_settings))
dramatiq.set_broker(broker)

_lock = threading.Lock()
_sessions: sessionmaker[Session] | None = None


def _session_factory() -> sessionmaker[Session]:
    global _sessions
    with _lock:
        if _sessions is None:
            _sessions = session_factory(create_db_engine(_settings.database_url))
        return _sessions


@dramatiq.actor(actor_name=NOOP, queue_name=BENCH_QUEUE, broker=broker)
def bench_noop(n: int) -> None:
    """Do nothing with message ``n``."""


@dramatiq.actor(actor_name=INSERT, queue_name=BENCH_QUEUE, broker=broker)
def bench_insert(n: int, enqueued_at: float) -> None:
    """Insert one row for message ``n`` in a transaction of its own."""
    with _session_factory().begin() as session:
        session.add(
            ChannelCursor(
                source=f"{ROW_PREFIX}{n}", value=repr(enqueued_at), updated_at=datetime.now(UTC)
            )
        )
