"""The pages stay cheap as the tickets grow: the SQL statements one request of Today, a
ticket page and a filtered queue sends, counted by a SQLAlchemy ``before_cursor_execute``
listener, stay within a budget and do not grow with the tickets listed, on SQLite and
PostgreSQL.

``bench/pages.py`` measures the pages on 100 000 tickets; a statement per listed row (a
lazy load of each ticket's department, resident or marks: an N+1) would cost a round trip
per row there, and fails here first: the same requests are counted before and after 30
more tickets of a generated month are added, and must send the same statements.
The budgets are what the pages send today (the figures before issue 13's work on the
pages are in the comments).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from plaint.config import Config
from plaint.service.monthly.sample import write_sample
from tests.web.conftest import NOW
from tests.web.pages.conftest import Pages

# Statements per request, by dialect: (desk, cleaning member). SQLite's count includes
# its BEGIN. Every request first resumes the session (the token, then the staff row).
#
# Today: the counts by status, the at-risk list, the breached list (each list's count
# only when it fills its 20 rows), the load per department; for the desk also the three
# stage depths (intake, triage, outbox: one statement) and the pollers. Before: 12 and 8
# on PostgreSQL (both lists counted, always), then 10 and 6 (a statement per stage).
TODAY = {"postgresql": (8, 6), "sqlite": (9, 7)}
# A ticket: the ticket, its summary flags, messages, audit trail, resident, SLA marks and
# clock events, the outbox rows and their count, the staff who can take it. Before: 15 on
# PostgreSQL, 16 on SQLite (``plaint tickets explain``'s lines were planned a second
# time: the ticket again, its marks twice).
TICKET = {"postgresql": (12, 12), "sqlite": (13, 13)}
# A queue: its page (and its count, when the page is not a first page that is not
# full). Before: 4 on PostgreSQL (always counted).
QUEUE = {"postgresql": (3, 3), "sqlite": (4, 4)}
_SAMPLE_TICKETS = 30  # a generated October, as of NOW (2 November): some still open
_SAMPLE_AS_OF = datetime.fromisoformat("2026-11-02T14:00:00+00:00")


class Counter:
    """Counts the statements sent through ``engine`` while on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(" ".join(statement.split())[:100])

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _paths(pages: Pages) -> dict[str, str]:
    return {"today": "/today", "ticket": f"/tickets/{pages.numbers['corridor']}",
            "queue": "/queues?department=cleaning"}  # fmt: skip


def _count(pages: Pages, code: str) -> dict[str, list[str]]:
    """The statements of one request of each page, signed in as ``code``."""
    pages.sign_in(code)
    counter = Counter(pages.sessions.kw["bind"])
    counted = {}
    try:
        for name, path in _paths(pages).items():
            counter.statements.clear()
            assert pages.client.get(path).status_code == 200, path
            counted[name] = list(counter.statements)
    finally:
        counter.close()
    return counted


def _more_tickets(pages: Pages, config: Config) -> None:
    with pages.sessions.begin() as session:
        write_sample(session, config=config, year=2026, month=10, tickets=_SAMPLE_TICKETS,
                     history=0, as_of=_SAMPLE_AS_OF)  # fmt: skip


@pytest.mark.parametrize(("code", "column"), [("desk.wu", 0), ("li.clean", 1)])
def test_the_pages_send_a_few_statements_however_many_tickets_they_list(
    pages: Pages, web_config: Config, code: str, column: int
) -> None:
    assert pages.clock.now == NOW
    before = _count(pages, code)
    _more_tickets(pages, web_config)
    after = _count(pages, code)
    dialect = pages.sessions.kw["bind"].dialect.name
    tables = {"today": TODAY, "ticket": TICKET, "queue": QUEUE}
    budgets = {name: table[dialect][column] for name, table in tables.items()}
    for name, budget in budgets.items():
        listing = "\n  ".join(after[name])
        assert len(after[name]) <= budget, (
            f"{name} as {code}: {len(after[name])} statements, budget {budget}:\n  {listing}"
        )
        assert len(after[name]) == len(before[name]), f"{name} grew with the tickets:\n  {listing}"
    queue = pages.client.get(_paths(pages)["queue"]).text
    assert queue.count("/tickets/") > 4  # the generated tickets are listed
