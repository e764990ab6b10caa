"""A year nobody has published yet: due times from 2027's statutory holidays, marked
provisional, explained, and recomputed once the schedule is in the configuration — on
SQLite and PostgreSQL, with the clock injected at 2027 and chinesecalendar ending at 2026.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.calendars import package_years
from plaint.models import Ticket, TicketEvent
from plaint.service.explain import explain_ticket
from plaint.service.recompute import recompute_provisional
from plaint.service.sla import sweep
from plaint.service.store import sync_departments
from tests.web.conftest import triage_mail

pytestmark = pytest.mark.skipif(2027 in package_years(), reason="chinesecalendar has 2027")

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROVISIONAL_LINE = (
    "provisional: closure due (2027's make-up working days are not published yet; due "
    "times computed from the statutory holidays; will be recomputed when the schedule is added)"
)
# The schedule as a company would add it once published (a made-up one): Spring Festival
# 5-11 February, and Saturday 13 February a make-up working day.
SCHEDULE_2027 = """
[calendar]
years = [2027]
holidays = [2027-01-01, 2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08, 2027-02-09,
            2027-02-10, 2027-02-11]
working_days = [2027-02-13]
"""


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def unpublished(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> Config:
    config = make_config("")
    with sessions.begin() as session:
        sync_departments(session, config.departments)
    return config


def ticket(sessions: sessionmaker[Session], number: str) -> Ticket:
    with sessions() as session:
        row = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        _ = row.events
        return row


def explain(sessions: sessionmaker[Session], number: str, config: Config, now: str) -> list[str]:
    with sessions() as session:
        return explain_ticket(session, number, config=config, now=sh(now))


def test_a_ticket_before_spring_festival_2027_gets_provisional_due_times(
    sessions: sessionmaker[Session], unpublished: Config
) -> None:
    number = triage_mail(sessions, unpublished, 1, "门口垃圾两天没人清运", sh("2027-02-04 10:00"))
    row = ticket(sessions, number)
    assert row.sla_provisional
    assert row.first_response_due == sh("2027-02-05 10:00")  # 24 clock hours: no calendar
    assert row.closure_due == sh("2027-02-11 10:00")  # after the statutory 5-8 February
    assert "sla_error" not in [e.kind for e in row.events]

    lines = explain(sessions, number, unpublished, "2027-02-04 12:00")
    assert PROVISIONAL_LINE in lines
    assert "    2027-02-05 Fri: statutory public holiday (2027 provisional), skipped" in lines
    assert "    due      2027-02-11 10:00 (provisional)" in lines
    assert "    due      2027-02-05 10:00" in lines  # the first response is final


def test_the_published_schedule_recomputes_the_due_times_once(
    sessions: sessionmaker[Session], unpublished: Config, make_config: Callable[..., Config]
) -> None:
    spring = triage_mail(sessions, unpublished, 1, "门口垃圾两天没人清运", sh("2027-02-04 10:00"))
    january = triage_mail(sessions, unpublished, 2, "楼道灯坏了", sh("2027-01-04 09:00"))
    now = sh("2027-02-04 12:00")
    unchanged = recompute_provisional(sessions, config=unpublished, now=now)
    assert (unchanged.checked, unchanged.changes, unchanged.provisional) == (2, (), 2)

    published = make_config(SCHEDULE_2027)
    result = recompute_provisional(sessions, config=published, now=now)
    assert (result.checked, result.confirmed, result.provisional) == (2, 2, 0)
    by_number = {change.number: change for change in result.changes}
    moved = by_number[spring]
    assert (moved.closure_before, moved.closure_after) == (sh("2027-02-11 10:00"),
                                                           sh("2027-02-15 10:00"))  # fmt: skip
    assert moved.first_response_before == moved.first_response_after == sh("2027-02-05 10:00")
    assert by_number[january].closure_after == sh("2027-01-07 09:00")  # same, now final

    row = ticket(sessions, spring)
    assert not row.sla_provisional
    assert row.closure_due == sh("2027-02-15 10:00")  # the make-up Saturday counted
    [recomputed] = [e for e in row.events if e.kind == "sla_recomputed"]
    assert recomputed.data["before"]["closure"] == "2027-02-11T02:00:00+00:00"
    assert recomputed.data["after"]["closure"] == "2027-02-15T02:00:00+00:00"
    assert recomputed.data["provisional_years"] == []

    lines = explain(sessions, spring, published, "2027-02-04 12:00")
    assert not [line for line in lines if line.startswith("provisional:")]
    assert "    2027-02-13 Sat: make-up working day (调休), counted" in lines
    assert "  2027-02-04 12:00  closure 2027-02-11 10:00 → 2027-02-15 10:00 (final)" in lines

    again = recompute_provisional(sessions, config=published, now=now)
    assert (again.checked, again.changes) == (0, ())
    with sessions() as session:
        kinds = session.scalars(
            select(TicketEvent.kind).where(TicketEvent.kind == "sla_recomputed")
        )
        assert len(list(kinds)) == 2


def test_a_sweep_with_the_published_calendar_records_the_recomputation_too(
    sessions: sessionmaker[Session], unpublished: Config, make_config: Callable[..., Config]
) -> None:
    """On many machines a worker restarted with the new file may reach a ticket before
    anyone runs ``plaint sla recompute``: the change is recorded all the same."""
    number = triage_mail(sessions, unpublished, 1, "门口垃圾两天没人清运", sh("2027-02-04 10:00"))
    sweep(sessions, config=make_config(SCHEDULE_2027), now=sh("2027-02-04 23:00"))
    row = ticket(sessions, number)
    assert (row.closure_due, row.sla_provisional) == (sh("2027-02-15 10:00"), False)
    assert [e.kind for e in row.events][-2:] == ["sla_recomputed", "sla_warn"]


def test_tickets_left_without_due_times_get_them(
    sessions: sessionmaker[Session], unpublished: Config
) -> None:
    """Before provisional years, a due time reaching 2027 was an ``sla_error``: no due times."""
    number = triage_mail(sessions, unpublished, 1, "门口垃圾两天没人清运", sh("2026-12-30 10:00"))
    with sessions.begin() as session:
        session.execute(
            update(Ticket).values(first_response_due=None, closure_due=None, next_sla_at=None,
                                  sla_provisional=False)
        )  # fmt: skip
    result = recompute_provisional(sessions, config=unpublished, now=sh("2027-01-04 09:00"))
    assert [c.closure_after for c in result.changes] == [sh("2027-01-05 10:00")]
    row = ticket(sessions, number)
    assert row.sla_provisional
    assert row.next_sla_at is not None


def test_recomputing_reads_a_batch_in_three_statements(
    sessions: sessionmaker[Session], unpublished: Config, make_config: Callable[..., Config]
) -> None:
    for n in range(5):
        triage_mail(sessions, unpublished, n, f"{n}号楼门口垃圾没人清运", sh("2027-02-04 10:00"))
    published = make_config(SCHEDULE_2027)
    with count_selects(sessions) as selects:
        result = recompute_provisional(sessions, config=published, now=sh("2027-02-04 12:00"),
                                       batch=2)  # fmt: skip
    assert (result.checked, result.confirmed) == (5, 5)
    assert len(selects) == 3 * 3  # three batches (2, 2, 1): tickets, clock events, marks


@contextlib.contextmanager
def count_selects(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    """Collect the SELECT statements run through ``sessions``' engine meanwhile."""
    engine, statements = sessions.kw["bind"], []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
