"""Write a generated, realistic month of tickets (and the months before it) into a
database, for the monthly report's tests, demos and benchmarks.

:func:`write_sample` draws stories (:mod:`plaint.service.monthly.story`), plays them
through plaint's SLA planning (:mod:`plaint.service.monthly.play`) and writes what plaint
itself would have written — residents, tickets with their due times and
``next_sla_at``, one inbound message each, the audit trail, clock events and fired SLA
marks — in bulk: one multi-row INSERT per table and chunk of :data:`CHUNK` tickets,
without the ORM's unit of work, so 100 000 tickets load in minutes on PostgreSQL.

Meant for an empty database (or one without residents in the sample's phone range):
ticket numbers continue the ``ticket:YEAR`` counters, residents get made-up numbers
``+861700000…`` (``seed`` picks the range) and ``example.com`` addresses. Not safe to run
twice at once on one database.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.models import (
    Counter,
    Department,
    Message,
    Resident,
    SlaClockEvent,
    SlaMark,
    Ticket,
    TicketEvent,
)
from plaint.pipeline.numbering import ticket_number
from plaint.pipeline.texts import sub_topic_name
from plaint.service.monthly.figures import month_periods
from plaint.service.monthly.play import Played, play
from plaint.service.monthly.story import Story, draw_community, draw_stories
from plaint.service.store import sync_departments

__all__ = ["CHUNK", "SampleSummary", "write_sample"]

CHUNK = 2000  # tickets per round of INSERTs
_RESIDENTS_PER_TICKET = 0.4  # the resident pool of a month of N tickets: 0.4 N people
_HISTORY_SPREAD = 0.15  # an earlier month's volume varies by up to 15 % from the last one's
_BUILDINGS = 24
_ON_RECORD_SINCE = datetime(2020, 1, 1, tzinfo=UTC)  # created_at of the residents


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`write_sample` wrote: per month (``YYYY-MM``) the tickets received."""

    months: tuple[tuple[str, int], ...]
    residents: int
    marks: int

    @property
    def tickets(self) -> int:
        """Tickets of every month together."""
        return sum(count for _, count in self.months)


def write_sample(
    session: Session,
    *,
    config: Config,
    year: int,
    month: int,
    tickets: int,
    as_of: datetime,
    history: int = 5,
    history_tickets: int | None = None,
    seed: int = 2026,
) -> SampleSummary:
    """Write ``tickets`` tickets received in ``year``-``month`` and ``history_tickets``
    (default about as many, ± 15 %) in each of the ``history`` months before it, as plaint
    would hold them at ``as_of``, in the caller's transaction; the configuration's
    departments are created if missing. The same arguments write the same data."""
    rng = random.Random(seed)  # noqa: S311 - made-up data, not secrets
    sync_departments(session, config.departments)
    session.flush()
    departments = {
        code: id_ for code, id_ in session.execute(select(Department.code, Department.id))
    }
    pool = max(20, int(tickets * _RESIDENTS_PER_TICKET))
    resident_ids = _write_residents(session, rng, pool, seed)
    review = config.routing.fallback_department
    months, marks = [], 0
    periods = month_periods(year=year, month=month, history=history, tz=config.timezone)
    for period in periods:
        count = tickets if period is periods[-1] else _history_count(rng, tickets, history_tickets)
        stories = draw_stories(rng, period=period, count=count, residents=pool,
                               sub_topics=config.taxonomy.sub_topics,
                               review_department=review)  # fmt: skip
        first = _reserve(session, f"ticket:{period.start.year}", count)
        for start in range(0, count, CHUNK):
            chunk = stories[start : start + CHUNK]
            played = [play(story, config=config, as_of=as_of) for story in chunk]
            numbers = [
                ticket_number(prefix=config.ticket_prefix, year=period.start.year, sequence=n)
                for n in range(first + start, first + start + len(chunk))
            ]
            marks += _write_tickets(session, chunk, played, numbers=numbers,
                                    departments=departments, residents=resident_ids)  # fmt: skip
        months.append((period.label, count))
    return SampleSummary(tuple(months), pool, marks)


def _history_count(rng: random.Random, tickets: int, history_tickets: int | None) -> int:
    """An earlier month's volume: ``history_tickets``, else the last month's ± 15 %."""
    if history_tickets is not None:
        return history_tickets
    return round(tickets * rng.uniform(1 - _HISTORY_SPREAD, 1 + _HISTORY_SPREAD))


def _reserve(session: Session, name: str, count: int) -> int:
    """Take ``count`` values of counter ``name``; return the first."""
    row = session.get(Counter, name)
    if row is None:
        row = Counter(name=name, value=0)
        session.add(row)
    first = row.value + 1
    row.value += count
    session.flush()
    return first


@dataclass(frozen=True)
class _Contact:
    id: int
    phone: str
    email: str


def _write_residents(session: Session, rng: random.Random, count: int, seed: int) -> list[_Contact]:
    rows = []
    for i in range(count):
        building = rng.randrange(1, _BUILDINGS + 1)
        rows.append({
            "name": "", "phone": f"+8617{seed % 1000:03d}{i:06d}",
            "email": f"owner{seed}.{i}@example.com", "community": draw_community(rng),
            "building": str(building), "unit": f"{rng.randrange(1, 33)}0{rng.randrange(1, 5)}",
            "language": "zh", "created_at": _ON_RECORD_SINCE,
        })  # fmt: skip
    ids = _insert_returning_ids(session, Resident, rows)
    return [
        _Contact(i, str(row["phone"]), str(row["email"])) for i, row in zip(ids, rows, strict=True)
    ]


def _insert_returning_ids(
    session: Session, table: Any, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in one multi-row statement; the new ids in the order of ``rows``."""
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return list(session.execute(statement, list(rows)).scalars())


def _write_tickets(
    session: Session, stories: Sequence[Story], played: Sequence[Played], *,
    numbers: Sequence[str], departments: dict[str, int], residents: Sequence[_Contact],
) -> int:  # fmt: skip
    rows = [_ticket_row(s, p, number=n, departments=departments, residents=residents)
            for s, p, n in zip(stories, played, numbers, strict=True)]  # fmt: skip
    ids = _insert_returning_ids(session, Ticket, rows)
    messages = [_message_row(i, s, residents[s.resident], subject=r["subject"])
                for i, s, r in zip(ids, stories, rows, strict=True)]  # fmt: skip
    _insert(session, Message, messages)
    _insert(session, TicketEvent, _event_rows(ids, played))
    _insert(session, SlaClockEvent, _clock_rows(ids, played))
    marks = _mark_rows(ids, played)
    _insert(session, SlaMark, marks)
    return len(marks)


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table), rows)


def _ticket_row(
    story: Story, played: Played, *, number: str, departments: dict[str, int],
    residents: Sequence[_Contact],
) -> dict[str, Any]:  # fmt: skip
    return {
        "number": number, "status": str(played.status), "channel": story.channel,
        "subject": f"{sub_topic_name(story.sub_topic, language='zh')}问题",
        "category": story.category, "sub_topic": story.sub_topic, "scope": story.scope,
        "level": story.level, "urgency": story.urgency, "validity": story.validity,
        "confidence": 0.9, "language": "zh", "department_id": departments[played.department],
        "resident_id": residents[story.resident].id, "received_at": story.received_at,
        "created_at": story.received_at, "first_response_due": played.first_response_due,
        "first_responded_at": played.first_responded_at, "closure_due": played.closure_due,
        "closed_at": played.closed_at, "next_sla_at": played.next_sla_at,
        "sla_policy": played.sla_policy, "sla_provisional": False,
        "sla_breached": any(mark.mark == "breach" for mark in played.marks),
    }  # fmt: skip


def _message_row(ticket_id: int, story: Story, sender: _Contact, *, subject: str) -> dict[str, Any]:
    topic = sub_topic_name(story.sub_topic, language="zh")
    return {
        "ticket_id": ticket_id, "direction": "in", "channel": story.channel,
        "sender": sender.email if story.channel == "email" else sender.phone,
        "subject": subject,
        "body": f"{topic}有问题，已经影响到正常生活，请尽快安排处理。", "language": "zh",
        "created_at": story.received_at,
    }  # fmt: skip


def _event_rows(ids: Iterable[int], played: Iterable[Played]) -> list[dict[str, Any]]:
    return [{"ticket_id": i, "kind": e.kind, "at": e.at, "actor": e.actor, "data": e.data}
            for i, p in zip(ids, played, strict=True) for e in p.events]  # fmt: skip


def _clock_rows(ids: Iterable[int], played: Iterable[Played]) -> list[dict[str, Any]]:
    return [{"ticket_id": i, "clock": e.clock.value, "kind": e.kind.value, "at": e.at,
             "actor": actor}
            for i, p in zip(ids, played, strict=True) for e, actor in p.clock_events]  # fmt: skip


def _mark_rows(ids: Iterable[int], played: Iterable[Played]) -> list[dict[str, Any]]:
    return [{"ticket_id": i, "clock": m.clock.value, "cycle": m.cycle, "mark": m.mark,
             "due_at": m.at, "fired_at": m.at}
            for i, p in zip(ids, played, strict=True) for m in p.marks]  # fmt: skip
