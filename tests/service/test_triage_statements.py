"""Triage stays cheap: the SQL statements one triage sends, counted by a SQLAlchemy
``before_cursor_execute`` listener, stay within a budget on SQLite and PostgreSQL.

Every statement costs the worker a few hundred microseconds of Python and the database a
round trip, so a change that adds one to every triage (a lazy load, an extra flush, an
UPDATE of a row just inserted) fails here before it shows in ``bench/throughput.py``.
The budgets are what triage sends today; the figures before the statement diet of issue 8
are in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.config import Config, load_config
from plaint.inbound import ChannelKind
from plaint.service.directory import sync_directory
from plaint.service.store import store_delivery
from plaint.service.triage import TriageOutcome, triage_inbox
from tests.workers.test_flow import complaint

# Statements of one triage, by dialect. SQLite's count includes its BEGIN IMMEDIATE and
# has no advisory locks (its write lock serialises triage); on PostgreSQL the ticket
# number's increment runs on a connection of its own, and counts.
#
# A new complaint from a new sender who names building and unit: the inbox row, the
# resident (looked up, then inserted with its place, RETURNING it), the reporter lock,
# the unit's near-duplicates, the number, the assignee, the ticket, its message, its
# events, its clock events, the series lock and lookup, its LSH keys, the inbox row done.
# Before: 23 on PostgreSQL and 25 on SQLite (an UPDATE of the new resident's place, a
# departments SELECT, an UPDATE of the new ticket for its SLA due times and another for
# its signature, a lazy load of its clock events, and on SQLite one INSERT per event).
# Plus, since the outbox dispatcher (issue 10), the acknowledgement's outbox row (16/15).
NEW_SENDER = {"postgresql": 16, "sqlite": 15}
# A reply joining its thread: the inbox row, the check for a still pending original, the
# resident, the lock, the thread's ticket, the message, its event, the inbox row done.
# Before: 8 on both (the same statements, through the ORM's unit of work).
FOLLOW_UP = {"postgresql": 8, "sqlite": 8}
# The same complaint again, re-worded: the near-duplicate lookup instead of the thread's,
# and the "already tracked" notification. Before: 8 on both.
NEAR_DUPLICATE = {"postgresql": 8, "sqlite": 8}

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


class Counter:
    """Counts the statements sent through ``engine`` while on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.on = False
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.statements.append(statement.split("\n", 1)[0][:80])

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> tuple[sessionmaker[Session], Config]:
    config = load_config(None)
    with sessions.begin() as session:
        sync_directory(session, config, now=START)
    return sessions, config


def _store(sessions: sessionmaker[Session], n: int, raw: bytes, *, after: timedelta) -> int:
    delivery = Delivery("mail", ChannelKind.EMAIL, f"<s{n}@example.com>", raw, START + after, "")
    with sessions.begin() as session:
        return store_delivery(session, delivery, now=START + after).inbox_id


def _triage(sessions: sessionmaker[Session], config: Config, inbox_id: int,
            counter: Counter | None = None) -> tuple[TriageOutcome, list[str]]:  # fmt: skip
    if counter is not None:
        counter.statements.clear()
        counter.on = True
    try:
        with sessions.begin() as session:
            outcome = triage_inbox(session, inbox_id, config=config, now=START)
    finally:
        if counter is not None:
            counter.on = False
    return outcome, list(counter.statements) if counter is not None else []


def test_statements_of_a_new_sender_a_follow_up_and_a_near_duplicate(
    setup: tuple[sessionmaker[Session], Config],
) -> None:
    sessions, config = setup
    engine = sessions.kw["bind"]
    dialect = engine.dialect.name
    # Another resident's complaint first: this process has read the departments since.
    warm = _store(sessions, 0, complaint(90, "门口垃圾两天没人清运"), after=timedelta(0))
    assert _triage(sessions, config, warm)[0] is TriageOutcome.TICKET
    new = _store(sessions, 1, complaint(1, "3号楼2单元1201的电梯又坏了，困在里面半小时"),
                 after=timedelta(minutes=1))  # fmt: skip
    reply = _store(sessions, 2, complaint(2, "还没修好，请尽快", In_Reply_To="<c1@example.com>")
                   .replace(b"resident2@", b"resident1@"), after=timedelta(minutes=2))  # fmt: skip
    again = _store(sessions, 3, complaint(3, "3号楼2单元的电梯又坏了，刚才困在里面半小时了")
                   .replace(b"resident3@", b"resident1@"), after=timedelta(minutes=3))  # fmt: skip
    counter = Counter(engine)
    try:
        measured = {
            "new sender": (_triage(sessions, config, new, counter), NEW_SENDER[dialect]),
            "follow-up": (_triage(sessions, config, reply, counter), FOLLOW_UP[dialect]),
            "near-duplicate": (_triage(sessions, config, again, counter), NEAR_DUPLICATE[dialect]),
        }
    finally:
        counter.close()
    outcomes = {name: outcome for name, ((outcome, _), _) in measured.items()}
    assert outcomes == {"new sender": TriageOutcome.TICKET, "follow-up": TriageOutcome.APPENDED,
                        "near-duplicate": TriageOutcome.APPENDED}  # fmt: skip
    for name, ((_, statements), budget) in measured.items():
        listing = "\n  ".join(statements)
        assert len(statements) <= budget, (
            f"{name} on {dialect}: {len(statements)} statements, budget {budget}:\n  {listing}"
        )
