"""The dramatiq actors: thin shells that build nothing and decide nothing, calling the
service layer with this process's :mod:`~plaint.workers.runtime`.

:func:`declare_actors` declares them on a broker given to it; importing this module
configures nothing (the worker entry module :mod:`plaint.workers.entry` does that).
Actors take ids, never objects, and are idempotent: any of them may run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from redis.exceptions import LockError

from plaint.channels import open_channel
from plaint.errors import ChannelUnavailableError
from plaint.queue.broker import TIME_LIMIT
from plaint.queue.producer import (
    ACTOR_QUEUES,
    POLL_SOURCE,
    RECONCILE_INBOX,
    SLA_SWEEP,
    TRIAGE,
    Producer,
)
from plaint.service.inbox import pending_inbox_ids
from plaint.service.intake import poll_once
from plaint.service.sla import sweep
from plaint.service.store import DbCursorStore
from plaint.service.triage import triage_inbox
from plaint.workers import runtime

__all__ = ["RECONCILE_GRACE", "SLA_SWEEP_INTERVAL", "Actors", "declare_actors"]

logger = logging.getLogger(__name__)

# Inbox rows younger than this are left to the triage message already sent for them.
RECONCILE_GRACE = timedelta(minutes=1)
RECONCILE_BATCH = 1000
SLA_SWEEP_INTERVAL = timedelta(seconds=15)


@dataclass(frozen=True)
class Actors:
    """plaint's actors as declared on ``broker``."""

    broker: dramatiq.Broker
    poll_source: dramatiq.Actor[..., None]
    triage: dramatiq.Actor[..., None]
    reconcile_inbox: dramatiq.Actor[..., None]
    sla_sweep: dramatiq.Actor[..., None]


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
            poll_once(channel, sessions=rt.sessions, enqueue=rt.producer.triage, clock=rt.clock)
        finally:
            channel.close()
    except ChannelUnavailableError as exc:
        logger.warning("source %s unavailable: %s", source_name, exc)
    finally:
        try:
            lock.release()
        except LockError:
            logger.warning("poll lock of source %s expired before release", source_name)


def triage(inbox_id: int) -> None:
    """Turn inbox row ``inbox_id`` into a ticket or a message; idempotent."""
    rt = runtime.current()
    with rt.sessions.begin() as session:
        triage_inbox(session, inbox_id, config=rt.config, now=rt.clock(), model=rt.model.current())


def reconcile_inbox() -> None:
    """Re-enqueue inbox rows still pending after the grace period: the inbox, not Redis,
    is the record, so a lost triage message (Redis lost its data) loses no complaint."""
    rt = runtime.current()
    with rt.sessions() as session:
        ids = pending_inbox_ids(
            session, older_than=rt.clock() - RECONCILE_GRACE, limit=RECONCILE_BATCH
        )
    for inbox_id in ids:
        rt.producer.triage(inbox_id)
    if ids:
        logger.info("reconciler re-enqueued %d pending inbox rows", len(ids))


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


# Polls are not retried (the clock polls again on its interval), nor are maintenance jobs.
_NO_RETRIES = {POLL_SOURCE: 0, RECONCILE_INBOX: 0, SLA_SWEEP: 0}
_FUNCTIONS: dict[str, Callable[..., None]] = {
    POLL_SOURCE: poll_source,
    TRIAGE: triage,
    RECONCILE_INBOX: reconcile_inbox,
    SLA_SWEEP: sla_sweep,
}


def declare_actors(broker: dramatiq.Broker) -> Actors:
    """Declare plaint's actors on ``broker`` (named as :mod:`plaint.queue.producer`
    expects) and return them."""
    declared: dict[str, Any] = {}
    for name, fn in _FUNCTIONS.items():
        options: dict[str, Any] = {}
        if name in _NO_RETRIES:
            options["max_retries"] = _NO_RETRIES[name]
        declared[name] = dramatiq.actor(
            actor_name=name, queue_name=ACTOR_QUEUES[name], broker=broker, **options
        )(fn)
    return Actors(broker=broker, **declared)


def producer_for(actors: Actors) -> Producer:
    """A producer sending to the broker ``actors`` were declared on."""
    return Producer(actors.broker)
