"""Readiness probes: does the database answer, does Redis answer. Each returns a bool
within a bounded time and logs only the class of a failure (never a URL: it may carry a
password)."""

from __future__ import annotations

import logging

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["PROBE_TIMEOUT_SECONDS", "RedisProbe", "database_ready"]

logger = logging.getLogger(__name__)

# How long a Redis probe may take to connect, and then to get its answer, in seconds.
PROBE_TIMEOUT_SECONDS = 2.0


def database_ready(sessions: sessionmaker[Session]) -> bool:
    """Whether the database answers ``SELECT 1``."""
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        logger.warning("readiness: database unavailable (%s)", type(exc).__name__)
        return False
    return True


class RedisProbe:
    """A callable that says whether Redis answers PING, on one client kept between calls.
    Without a URL there is no Redis to reach: always ``False``."""

    def __init__(self, url: str | None) -> None:
        self._client = (
            None
            if url is None
            else redis.Redis.from_url(
                url,
                socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                socket_timeout=PROBE_TIMEOUT_SECONDS,
            )
        )

    def __call__(self) -> bool:
        """Ping Redis; ``False`` on any failure, within about the probe timeout."""
        if self._client is None:
            return False
        try:
            return bool(self._client.ping())
        except (redis.RedisError, OSError) as exc:
            logger.warning("readiness: Redis unavailable (%s)", type(exc).__name__)
            return False

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()
