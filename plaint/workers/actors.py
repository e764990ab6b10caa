"""The dramatiq actors. Importing this module installs plaint's broker as dramatiq's
global broker, from ``PLAINT_REDIS_URL``; ``plaint worker`` imports it in every worker.

Actors take ids, never objects, and are idempotent: any of them may run twice.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import dramatiq
from redis.exceptions import LockError
from sqlalchemy import select

from plaint.channels import open_channel
from plaint.errors import ChannelUnavailableError, ConfigError
from plaint.models import Inbox, InboxStatus
from plaint.workers import runtime
from plaint.workers.broker import TIME_LIMIT, build_broker
from plaint.workers.intake import poll_once
from plaint.workers.sla import sweep
from plaint.workers.store import DbCursorStore
from plaint.workers.triage import triage_inbox

__all__ = ["poll_source", "reconcile_inbox", "sla_sweep", "triage"]

logger = logging.getLogger(__name__)

# Inbox rows younger than this are left to the triage message already sent for them.
RECONCILE_GRACE = timedelta(minutes=1)
RECONCILE_BATCH = 1000


def _redis_url() -> str:
    url = os.environ.get("PLAINT_REDIS_URL")
    if not url:
        raise ConfigError("PLAINT_REDIS_URL is not set (plaint run starts an embedded Redis)")
    return url


def _apply_log_level() -> None:
    # dramatiq configures worker logging at INFO before importing this module.
    level = os.environ.get("PLAINT_LOG_LEVEL", "INFO").upper()
    logging.getLogger().setLevel(level)
    logging.getLogger("dramatiq").setLevel(level)


_apply_log_level()
dramatiq.set_broker(build_broker(_redis_url()))


@dramatiq.actor(queue_name="intake", max_retries=0)
def poll_source(source_name: str) -> None:
    """Poll one configured source once. Held single by a Redis lock: a poll that finds the
    lock taken returns at once. A dead server is logged and left to the next clock tick
    (no retry pile-up: the clock polls again on its interval)."""
    rt = runtime.current()
    lock = rt.redis.lock(
        f"plaint:lock:poll:{source_name}", timeout=TIME_LIMIT.total_seconds(), blocking=False
    )
    if not lock.acquire(blocking=False):
        return
    try:
        cursors = DbCursorStore(rt.sessions, clock=rt.clock)
        channel = open_channel(rt.config.source(source_name), cursors=cursors, environ=rt.environ)
        try:
            poll_once(channel, sessions=rt.sessions, enqueue=_enqueue_triage, clock=rt.clock)
        finally:
            channel.close()
    except ChannelUnavailableError as exc:
        logger.warning("source %s unavailable: %s", source_name, exc)
    finally:
        try:
            lock.release()
        except LockError:
            logger.warning("poll lock of source %s expired before release", source_name)


@dramatiq.actor(queue_name="triage")
def triage(inbox_id: int) -> None:
    """Turn inbox row ``inbox_id`` into a ticket or a message; idempotent."""
    rt = runtime.current()
    with rt.sessions.begin() as session:
        triage_inbox(session, inbox_id, config=rt.config, now=rt.clock(), model=rt.model.current())


def _enqueue_triage(inbox_id: int) -> None:
    triage.send(inbox_id)


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def reconcile_inbox() -> None:
    """Re-enqueue inbox rows still pending after the grace period: the inbox, not Redis,
    is the record, so a lost triage message (Redis lost its data) loses no complaint."""
    rt = runtime.current()
    cutoff = rt.clock() - RECONCILE_GRACE
    with rt.sessions() as session:
        ids = session.scalars(
            select(Inbox.id)
            .where(Inbox.status == InboxStatus.PENDING, Inbox.created_at < cutoff)
            .order_by(Inbox.id)
            .limit(RECONCILE_BATCH)
        ).all()
    for inbox_id in ids:
        triage.send(inbox_id)
    if ids:
        logger.info("reconciler re-enqueued %d pending inbox rows", len(ids))


SLA_SWEEP_INTERVAL = timedelta(seconds=15)


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def sla_sweep() -> None:
    """Fire the SLA warnings, breaches and escalation steps whose time has come. Held
    single by a Redis lock; a sweep that finds it taken returns at once (the clock runs
    another on its next interval)."""
    rt = runtime.current()
    lock = rt.redis.lock("plaint:lock:sla-sweep", timeout=TIME_LIMIT.total_seconds(),
                         blocking=False)  # fmt: skip
    if not lock.acquire(blocking=False):
        return
    try:
        sweep(rt.sessions, config=rt.config, now=rt.clock())
    finally:
        try:
            lock.release()
        except LockError:
            logger.warning("SLA sweep lock expired before release")
