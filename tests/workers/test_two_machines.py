"""Two worker "machines" (process groups of their own) on one database and one Redis: a
load enqueued once is triaged exactly once, shared between them, and a bulk enqueue lands
in dramatiq's own layout."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func, insert, select

from plaint.inbound import ChannelKind
from plaint.models import Inbox, InboxStatus, Message, Ticket, create_db_engine, session_factory
from plaint.queue.broker import build_broker
from plaint.queue.bulk import enqueue_many
from plaint.queue.depth import queue_depths
from plaint.queue.producer import TRIAGE
from tests.machines import probe_until, start_machine, stop_machine, wait_for_consumers
from tests.workers.test_flow import complaint

ITEMS = 60
DONE_SECONDS = 60.0
TRIAGED = re.compile(r"inbox (\d+) triaged")


def _store(db_url: str, count: int) -> list[int]:
    """``count`` complaints from distinct residents about distinct buildings, as pending
    inbox rows."""
    now = datetime.now(UTC)
    rows = [{"source": "mail", "external_id": f"<c{n}@example.com>",
             "channel": ChannelKind.EMAIL.value, "payload": complaint(n, f"{n + 1}号楼门口灯坏了"),
             "received_at": now, "created_at": now, "status": InboxStatus.PENDING.value}
            for n in range(count)]  # fmt: skip
    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        ids = list(conn.scalars(insert(Inbox).returning(Inbox.id, sort_by_parameter_order=True),
                                rows))  # fmt: skip
    engine.dispose()
    return ids


def _pending(db_url: str) -> int:
    engine = create_db_engine(db_url)
    with session_factory(engine)() as session:
        count = session.scalar(
            select(func.count()).select_from(Inbox).where(Inbox.status == InboxStatus.PENDING)
        )
    engine.dispose()
    return int(count or 0)


def test_bulk_enqueue_lands_as_single_enqueues_do(redis_url: str) -> None:
    broker = build_broker(redis_url)
    assert isinstance(broker, RedisBroker)
    assert enqueue_many(broker, TRIAGE, ((n,) for n in range(2500)), chunk=1000) == 2500
    assert queue_depths(broker)["triage"] == 2500
    consumer = broker.consume("triage", prefetch=3, timeout=1000)
    first = [next(consumer) for _ in range(3)]
    assert [(m.actor_name, m.args) for m in first] == [(TRIAGE, (n,)) for n in range(3)]
    consumer.close()
    broker.close()


@pytest.mark.slow
def test_two_machines_triage_a_load_exactly_once(
    db_url: str, redis_url: str, tmp_path: Path
) -> None:
    ids = _store(db_url, ITEMS)
    environ = {**os.environ, "PLAINT_DATABASE_URL": db_url, "PLAINT_REDIS_URL": redis_url,
               "PLAINT_LOG_LEVEL": "INFO"}  # fmt: skip
    environ.pop("PLAINT_CONFIG", None)
    machines = [start_machine(name, workdir=tmp_path, environ=environ, processes=1, threads=2)
                for name in ("m1", "m2")]  # fmt: skip
    try:
        wait_for_consumers(redis_url, 2, machines=machines)
        broker = build_broker(redis_url)
        enqueue_many(broker, TRIAGE, ((i,) for i in ids))
        broker.close()
        probe_until(lambda: _pending(db_url) == 0, what="every item triaged", machines=machines,
                    timeout=DONE_SECONDS)  # fmt: skip
    finally:
        for machine in machines:
            stop_machine(machine)
    engine = create_db_engine(db_url)
    with session_factory(engine)() as session:
        inbox_ids = list(session.scalars(select(Message.inbox_id)))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        statuses = Counter(session.scalars(select(Inbox.status)))
    engine.dispose()
    assert sorted(inbox_ids) == ids  # one message per item, none twice
    assert tickets == ITEMS
    assert statuses == {InboxStatus.DONE: ITEMS}
    by_machine = [TRIAGED.findall(m.log.read_text("utf-8", "replace")) for m in machines]
    assert all(by_machine), "one machine triaged nothing"
    assert sorted(int(i) for found in by_machine for i in found) == ids
