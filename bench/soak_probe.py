"""What ``bench/soak.py`` samples every minute, read from the running system without
disturbing it: counts and latencies from PostgreSQL, queue depths and memory from Redis,
resident memory of plaint's processes from /proc. A part that cannot be read (a server
down in a fault) is ``None`` in the sample, never an exception."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import redis
from sqlalchemy import Engine, func, select, text

from bench.throughput_cpu import process_rss
from plaint.models import Inbox, InboxStatus, Message, Notification, Ticket
from plaint.queue.broker import QUEUES, build_broker
from plaint.queue.depth import queue_depths

T = TypeVar("T")
REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Counts:
    """Totals from the database at one moment."""

    tickets: int
    messages: int
    sent: int  # notifications sent
    pending_inbox: int  # inbox rows not yet triaged
    unsent: int  # notifications pending or sending
    quarantined: int
    failed: int  # notifications failed for good


@dataclass(frozen=True)
class Sample:
    """One minute's line."""

    elapsed: float  # seconds since the load started
    offered: int
    counts: Counts | None
    queues: dict[str, int] | None  # dramatiq messages held per queue
    dead: int | None  # dead-lettered dramatiq messages, all queues
    ticket_latency: list[float] | None  # intake -> ticket, items triaged this minute (s)
    ack_latency: list[float] | None  # intake -> acknowledgement sent, this minute (s)
    rss: dict[int, int]  # bytes per live plaint process
    redis_bytes: int | None
    db_bytes: int | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by the nearest-rank method; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _guard(read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception:  # a server is down (a fault of the soak): no figure this minute
        return None


class Probe:
    """Reads one :class:`Sample`; ``pids`` returns the live pids of plaint's processes."""

    def __init__(self, engine: Engine, redis_url: str, pids: Callable[[], list[int]]) -> None:
        self.engine, self.pids = engine, pids
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS)
        self.broker = build_broker(redis_url)

    def close(self) -> None:
        self.redis.close()
        with contextlib.suppress(Exception):
            self.broker.close()

    def sample(self, *, elapsed: float, offered: int, since: datetime, until: datetime) -> Sample:
        rss: dict[int, int] = {}
        for pid in self.pids():
            rss.update(process_rss(pid))
        return Sample(
            elapsed=elapsed, offered=offered, counts=_guard(self.counts),
            queues=_guard(lambda: queue_depths(self.broker)), dead=_guard(self.dead),
            ticket_latency=_guard(lambda: self.ticket_latency(since, until)),
            ack_latency=_guard(lambda: self.ack_latency(since, until)), rss=rss,
            redis_bytes=_guard(lambda: int(self.redis.info("memory")["used_memory"])),
            db_bytes=_guard(self.db_bytes),
        )  # fmt: skip

    def _scalar(self, query: Any) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def counts(self) -> Counts:
        def count(table: Any, *where: Any) -> Any:
            return select(func.count()).select_from(table).where(*where)

        return Counts(
            tickets=self._scalar(count(Ticket)), messages=self._scalar(count(Message)),
            sent=self._scalar(count(Notification, Notification.status == "sent")),
            pending_inbox=self._scalar(count(Inbox, Inbox.status.not_in(
                [InboxStatus.DONE, InboxStatus.QUARANTINED]))),
            unsent=self._scalar(count(Notification, Notification.status.in_(
                ["pending", "sending"]))),
            quarantined=self._scalar(count(Inbox, Inbox.status == InboxStatus.QUARANTINED)),
            failed=self._scalar(count(Notification, Notification.status == "failed")),
        )  # fmt: skip

    def dead(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.hlen(f"dramatiq:{queue}.XQ.msgs")
        return sum(int(n) for n in pipe.execute())

    def db_bytes(self) -> int:
        return self._scalar(text("SELECT pg_database_size(current_database())"))

    def ticket_latency(self, since: datetime, until: datetime) -> list[float]:
        """Seconds from storing to triaging, of the items triaged in [since, until)."""
        query = select(Inbox.created_at, Inbox.processed_at).where(
            Inbox.status == InboxStatus.DONE, Inbox.processed_at >= since,
            Inbox.processed_at < until)  # fmt: skip
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_seconds(done - stored) for stored, done in rows if done is not None]

    def ack_latency(self, since: datetime, until: datetime) -> list[float]:
        """Seconds from storing a ticket's first item to sending its acknowledgement, of
        the acknowledgements sent in [since, until)."""
        query = (
            select(Notification.sent_at, func.min(Inbox.created_at))
            .join(Message, Message.ticket_id == Notification.ticket_id)
            .join(Inbox, Inbox.id == Message.inbox_id)
            .where(Notification.template == "ack", Notification.status == "sent",
                   Notification.sent_at >= since, Notification.sent_at < until)
            .group_by(Notification.id, Notification.sent_at)
        )  # fmt: skip
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_seconds(sent - stored) for sent, stored in rows if sent is not None]

    def processed(self, since: datetime, until: datetime) -> int:
        """Items triaged (done or quarantined) in [since, until)."""
        return self._scalar(select(func.count()).select_from(Inbox).where(
            Inbox.processed_at >= since, Inbox.processed_at < until))  # fmt: skip


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()
