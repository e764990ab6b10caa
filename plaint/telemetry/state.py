"""Gauges read when Prometheus scrapes, from the state every process shares: the database
(tickets by status, quarantined items, unsent notifications), the broker (queue depths) and
Redis (when each source was last polled). Each scrape costs a few indexed ``COUNT`` queries
and a few Redis commands; nothing is cached, so any web process serves the same figures.

A part that cannot be read is left out of the scrape and ``plaint_state_up{part}`` says 0
(logged with the error's class only: a URL may carry a password).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import dramatiq
import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import (
    OPEN_STATUSES,
    Inbox,
    InboxStatus,
    Notification,
    NotificationStatus,
    Ticket,
)
from plaint.queue.depth import queue_depths

__all__ = ["FAMILIES", "LAST_POLL_KEY", "StateCollector", "record_poll"]

logger = logging.getLogger(__name__)

# A Redis hash: source name → Unix time of its last poll that reached the source.
LAST_POLL_KEY = "plaint:poll:last"
# Every gauge a scrape may show: name → (help, labels).
FAMILIES = {
    "plaint_state_up": ("Whether the last scrape could read this part.", ("part",)),
    "plaint_tickets": ("Tickets still needing work, by status.", ("status",)),
    "plaint_quarantined_items": ("Inbox items quarantined, by channel.", ("channel",)),
    "plaint_outbox_notifications": (
        "Notifications not sent (yet): pending, sending or failed, by channel.",
        ("channel", "status"),
    ),
    "plaint_queue_depth": ("Messages held by each queue.", ("queue",)),
    "plaint_poller_lag_seconds": (
        "Seconds since each source was last polled (sources polled at least once).",
        ("source",),
    ),
}
# Outbox rows still to be sent or given up on; sent rows only grow and are not counted.
_UNSENT = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)


_TICKETS = (
    select(Ticket.status, func.count())
    .where(Ticket.status.in_(OPEN_STATUSES))
    .group_by(Ticket.status)
)
_QUARANTINED = (
    select(Inbox.channel, func.count())
    .where(Inbox.status == InboxStatus.QUARANTINED.value)
    .group_by(Inbox.channel)
)
_UNSENT_QUERY = (
    select(Notification.channel, Notification.status, func.count())
    .where(Notification.status.in_([s.value for s in _UNSENT]))
    .group_by(Notification.channel, Notification.status)
)


def record_poll(client: redis.Redis, source: str, *, now: datetime) -> None:
    """Note that ``source`` was polled at ``now`` (for ``plaint_poller_lag_seconds``); a
    Redis error is logged only (a lost note shows as lag, and the next poll writes it)."""
    try:
        client.hset(LAST_POLL_KEY, source, f"{now.timestamp():.3f}")
    except redis.RedisError as exc:
        logger.warning("could not note the poll of %s: %s", source, type(exc).__name__)


class StateCollector(Collector):
    """Collects the shared-state gauges on each scrape; ``sources`` are the configured
    source names (only they get a lag), ``clock`` returns the current instant."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        client: redis.Redis | None,
        broker: dramatiq.Broker | None,
        sources: Sequence[str],
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._broker = broker
        self._sources = tuple(sources)
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        """The gauges :meth:`collect` yields, without samples (reads nothing)."""
        for name in FAMILIES:
            yield _family(name)

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges of every part that could be read, and ``plaint_state_up``."""
        up = _family("plaint_state_up")
        parts: dict[str, Callable[[], list[Metric]]] = {
            "database": self._database,
            "queues": self._queues,
            "pollers": self._pollers,
        }
        for part, read in parts.items():
            try:
                metrics = read()
            except Exception as exc:  # a scrape must answer whatever is down
                logger.warning("metrics: cannot read the %s (%s)", part, type(exc).__name__)
                up.add_metric([part], 0)
                continue
            up.add_metric([part], 1)
            yield from metrics
        yield up

    def _database(self) -> list[Metric]:
        with self._sessions() as session:
            tickets = _counts(session, _TICKETS)
            quarantined = _counts(session, _QUARANTINED)
            unsent = session.execute(_UNSENT_QUERY).all()
        by_status = _family("plaint_tickets")
        for open_status in OPEN_STATUSES:
            by_status.add_metric([open_status.value], tickets.get(open_status.value, 0))
        held = _family("plaint_quarantined_items")
        _add_all(held, quarantined.items())
        outbox = _family("plaint_outbox_notifications")
        for channel, status, count in unsent:
            outbox.add_metric([channel or "none", status], count)
        return [by_status, held, outbox]

    def _queues(self) -> list[Metric]:
        if self._broker is None:
            return []
        depth = _family("plaint_queue_depth")
        _add_all(depth, queue_depths(self._broker).items())
        return [depth]

    def _pollers(self) -> list[Metric]:
        if self._client is None:
            return []
        raw = self._client.hgetall(LAST_POLL_KEY)
        last = {_text(k): float(v) for k, v in raw.items()}
        now = self._clock().timestamp()
        lag = _family("plaint_poller_lag_seconds")
        _add_all(lag, ((s, max(0.0, now - last[s])) for s in self._sources if s in last))
        return [lag]


def _family(name: str) -> GaugeMetricFamily:
    doc, labels = FAMILIES[name]
    return GaugeMetricFamily(name, doc, labels=list(labels))


def _counts(session: Session, query: Select[str, int]) -> dict[str, int]:
    return {str(key): int(count) for key, count in session.execute(query).all()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _add_all(family: GaugeMetricFamily, items: Iterable[tuple[str, float]]) -> None:
    for label, value in items:
        family.add_metric([label], value)
