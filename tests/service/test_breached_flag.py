"""``tickets.sla_breached`` summarises the ticket's ``breach`` marks: on a generated month
(the sample of :mod:`plaint.service.monthly.sample`), after the sweep fires new breaches,
and after ``plaint sla recompute`` repairs a flag that disagrees, it equals the folded
truth (a ``breach`` mark exists), and the lists' "breached" is that truth."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config, load_config
from plaint.models import (
    OPEN_STATUSES,
    SlaMark,
    Ticket,
    create_db_engine,
    session_factory,
)
from plaint.service.directory import StaffIdentity
from plaint.service.recompute import recompute_provisional
from plaint.service.sla import sweep
from plaint.service.tickets import MAX_LIMIT, TicketFilters, list_tickets
from tests.service.sample_db import sample_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
DESK = StaffIdentity("desk.wu", "吴客服", "desk", None)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """A migrated database holding a generated October 2026 and the month before."""
    url, _ = sample_database(request, tmp_path_factory, name="breached", config=load_config(None),
                             year=2026, month=10, tickets=300, history=1, history_tickets=100,
                             as_of=AS_OF)  # fmt: skip
    engine = create_db_engine(url)
    yield session_factory(engine)
    engine.dispose()


def flags(sessions: sessionmaker[Session]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Each ticket's stored flag, and whether a breach mark exists for it (the truth)."""
    marked = exists().where(SlaMark.ticket_id == Ticket.id, SlaMark.mark == "breach")
    with sessions() as session:
        rows = session.execute(select(Ticket.number, Ticket.sla_breached, marked)).all()
    return {n: bool(f) for n, f, _ in rows}, {n: bool(m) for n, _, m in rows}


def open_breached(sessions: sessionmaker[Session], now: datetime) -> set[str]:
    """The numbers the breached list of open tickets shows (every page)."""
    numbers: set[str] = set()
    with sessions() as session:
        for offset in itertools.count(0, MAX_LIMIT):
            page = list_tickets(session, filters=TicketFilters(breached=True, open_only=True),
                                who=DESK, now=now, limit=MAX_LIMIT, offset=offset)  # fmt: skip
            numbers |= {item.number for item in page.items}
            if offset + MAX_LIMIT >= page.total:
                return numbers
    raise AssertionError("unreachable")


def open_numbers(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        statuses = [s.value for s in OPEN_STATUSES]
        return set(session.scalars(select(Ticket.number).where(Ticket.status.in_(statuses))))


def test_the_flag_is_the_folded_truth_on_a_generated_month_and_after_sweeps(
    sessions: sessionmaker[Session],
) -> None:
    config: Config = load_config(None)
    stored, truth = flags(sessions)
    assert stored == truth
    assert sum(truth.values()) > 10
    before = sum(truth.values())
    later = AS_OF + timedelta(days=4)
    assert sweep(sessions, config=config, now=later).marks > 0
    stored, truth = flags(sessions)
    assert stored == truth
    assert sum(truth.values()) > before
    breached = {n for n, b in truth.items() if b} & open_numbers(sessions)
    assert breached
    assert open_breached(sessions, later) == breached


def test_recompute_repairs_a_flag_that_disagrees_with_the_marks(
    sessions: sessionmaker[Session],
) -> None:
    _, truth = flags(sessions)
    wrong = sorted(truth)[:40]
    with sessions.begin() as session:
        for number in wrong:  # flip: as if a writer had forgotten the summary
            session.execute(update(Ticket).where(Ticket.number == number)
                            .values(sla_breached=not truth[number]))  # fmt: skip
    assert flags(sessions)[0] != truth
    result = recompute_provisional(sessions, config=load_config(None), now=AS_OF)
    assert result.breached_repaired == len(wrong)
    assert flags(sessions) == (truth, truth)
    again = recompute_provisional(sessions, config=load_config(None), now=AS_OF)
    assert again.breached_repaired == 0
