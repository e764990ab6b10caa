"""The clock process: enqueues periodic work (source polls, the inbox reconciler).

Only one clock acts at a time across machines: each holds a Redis lock with a short TTL,
renewed every tick; a standby clock takes over when the leader stops renewing. What is due
is decided by :class:`plaint.pipeline.schedule.Schedule`, which is pure: it takes the
monotonic time as an argument.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import redis
from redis.exceptions import LockError

from plaint.pipeline.schedule import Schedule

__all__ = ["LEADER_TTL", "run_clock"]

logger = logging.getLogger(__name__)

TICK = timedelta(seconds=1)
LEADER_TTL = timedelta(seconds=15)
_LEADER_KEY = "plaint:lock:clock"


def run_clock(
    *,
    client: redis.Redis,
    schedule: Schedule,
    jobs: Mapping[str, Callable[[], None]],
    stop: threading.Event,
) -> None:
    """Run until ``stop`` is set: while leader, call each due job's sender every tick."""
    lock = client.lock(_LEADER_KEY, timeout=LEADER_TTL.total_seconds(), blocking=False)
    leader = False
    while not stop.is_set():
        leader = _hold_leadership(lock, leader)
        if leader:
            for name in schedule.due(time.monotonic()):
                try:
                    jobs[name]()
                except redis.RedisError as exc:
                    logger.warning("clock could not enqueue %s: %s", name, type(exc).__name__)
        stop.wait(TICK.total_seconds())
    if leader:
        with contextlib.suppress(LockError):
            lock.release()


def _hold_leadership(lock: Any, leader: bool) -> bool:
    try:
        if leader:
            lock.extend(LEADER_TTL.total_seconds(), replace_ttl=True)
            return True
        if lock.acquire(blocking=False):
            logger.info("clock is now the leader")
            return True
        return False
    except LockError:
        logger.warning("clock lost leadership")
        return False
    except redis.RedisError as exc:
        logger.warning("clock cannot reach Redis: %s", type(exc).__name__)
        return False
