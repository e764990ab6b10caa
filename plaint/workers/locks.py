"""Redis locks that a dead holder gives up within seconds.

A lock held for the whole of a long job needs a TTL longer than the job, so a worker
killed while holding it would stall every other worker for that long (two minutes with
the old poll lock). :func:`held` takes a short-lived lock instead and renews it from a
background thread while the job runs: a live holder keeps it, a dead one loses it within
``ttl``. The release checks ownership (redis-py's token), so a holder that lost the lock
never deletes someone else's.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import redis
from redis.exceptions import LockError, RedisError

__all__ = ["LOCK_TTL", "held"]

logger = logging.getLogger(__name__)

# How long a lock outlives its holder's last renewal.
LOCK_TTL = timedelta(seconds=8)


@contextlib.contextmanager
def held(client: redis.Redis, name: str, *, ttl: timedelta = LOCK_TTL) -> Iterator[bool]:
    """Try once to take the lock ``name``; yield whether it was taken. While the block
    runs, the lock is renewed every third of ``ttl``; it is released on exit. Raises
    ``redis.RedisError`` when Redis cannot be reached to take it."""
    # thread_local=False: redis-py keeps the lock's token per thread by default, and the
    # renewing thread must see the token the acquiring thread got.
    lock = client.lock(name, timeout=ttl.total_seconds(), blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(lock, name, ttl, stop), name=f"renew {name}", daemon=True
    )
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        try:
            lock.release()
        except (LockError, RedisError):
            logger.warning("lock %s was lost before release", name)


def _renew(lock: redis.lock.Lock, name: str, ttl: timedelta, stop: threading.Event) -> None:
    while not stop.wait(ttl.total_seconds() / 3):
        try:
            lock.reacquire()
        except (LockError, RedisError):
            logger.warning("lock %s could not be renewed", name)
            return
