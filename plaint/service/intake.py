"""One poll of one source: pull, persist, enqueue, then ack, in that order.

A crash between any two steps repeats the poll and changes nothing: the inbox's unique
key absorbs the redelivered items, triage is idempotent, and the cursor only moves after
every pulled item is durable. For a :class:`~plaint.channels.base.StagedAck` channel the
cursor is written in the transaction that stores the items: it moves exactly when they
become durable, with one commit a batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Channel, Delivery, StagedAck
from plaint.models import Inbox, InboxStatus
from plaint.service.store import SessionCursors, store_deliveries, store_delivery

__all__ = ["MAX_BATCHES", "PollResult", "poll_once", "poll_until_drained"]

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 100
# Batches one poll takes at most before yielding to the next (the rest waits a tick).
MAX_BATCHES = 50


@dataclass(frozen=True)
class PollResult:
    """How many items a poll pulled, how many were new to the inbox, how many it enqueued."""

    pulled: int
    new: int
    enqueued: int


def poll_once(
    channel: Channel,
    *,
    sessions: sessionmaker[Session],
    enqueue: Callable[[int], None],
    clock: Callable[[], datetime],
    limit: int = DEFAULT_BATCH,
) -> PollResult:
    """Pull up to ``limit`` items from ``channel`` and make them durable (one transaction,
    with the channel's new position if it is a :class:`StagedAck`) before acking.

    ``enqueue`` is called with the inbox id of every row still awaiting triage, after the
    transaction committed. Raises ChannelUnavailableError from the channel unchanged.
    """
    deliveries = channel.pull(limit=limit)
    # One transaction and multi-row INSERTs for the batch (one commit, one fsync).
    # Items the adapter already knows malformed are stored quarantined, nothing to enqueue.
    good = [d for d in deliveries if d.quarantine is None]
    with sessions.begin() as session:
        for bad in (d for d in deliveries if d.quarantine is not None):
            store_delivery(session, bad, now=clock())
        created = store_deliveries(session, good, now=clock())
        waiting = _still_pending(session, good, exclude=created)
        if deliveries and isinstance(channel, StagedAck):
            channel.stage(deliveries, cursors=SessionCursors(session, now=clock()))
    for inbox_id in sorted([*created, *waiting]):
        enqueue(inbox_id)
    channel.ack(deliveries)
    enqueued = len(created) + len(waiting)
    if deliveries:
        logger.info(
            "polled source %s: %d pulled, %d enqueued", channel.source, len(deliveries), enqueued
        )
    return PollResult(pulled=len(deliveries), new=len(created), enqueued=enqueued)


def _still_pending(
    session: Session, deliveries: Sequence[Delivery], *, exclude: Sequence[int]
) -> list[int]:
    """Rows of redelivered items (stored by an earlier poll) that still await triage: their
    triage is sent again (a crash may have come between the commit and the send)."""
    if len(exclude) >= len({(d.source, d.external_id) for d in deliveries}):
        return []
    ids = session.scalars(
        select(Inbox.id).where(
            Inbox.source.in_({d.source for d in deliveries}),
            Inbox.external_id.in_({d.external_id for d in deliveries}),
            Inbox.status == InboxStatus.PENDING.value,
        )
    ).all()
    skip = set(exclude)
    return [i for i in ids if i not in skip]


def poll_until_drained(
    channel: Channel,
    *,
    sessions: sessionmaker[Session],
    enqueue: Callable[[int], None],
    clock: Callable[[], datetime],
    limit: int = DEFAULT_BATCH,
    max_batches: int = MAX_BATCHES,
) -> PollResult:
    """Poll batch after batch (each made durable and acked before the next is pulled)
    until a batch comes back short or ``max_batches`` were taken: a backlog after an
    outage is taken in oldest first, in bounded batches, without waiting for the clock.
    Returns the totals; raises ChannelUnavailableError from the channel unchanged (what
    was acked stays acked)."""
    pulled = new = enqueued = 0
    for _ in range(max_batches):
        result = poll_once(channel, sessions=sessions, enqueue=enqueue, clock=clock, limit=limit)
        pulled, new, enqueued = pulled + result.pulled, new + result.new, enqueued + result.enqueued
        if result.pulled < limit:
            break
    return PollResult(pulled=pulled, new=new, enqueued=enqueued)
