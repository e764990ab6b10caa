"""Benchmark: the early-warning query (:func:`plaint.service.early_warning.current_warnings`)
against the number of tickets on PostgreSQL.

    python bench/early_warning.py                        # 100k tickets
    python bench/early_warning.py --tickets 1000000      # a larger table
    python bench/early_warning.py --db-url postgresql://user@host/db   # an empty database

Without ``--db-url`` it starts a throwaway PostgreSQL (tests/servers.py). It loads
residents in 20 communities x 20 buildings and ``--tickets`` tickets spread evenly over
the ``--days`` before the bench's ``now`` (10 sub-topics), plus a spike of 8 lift tickets
in one building in the last hours, times ``current_warnings`` (median of ``--repeats``)
and prints the statements' EXPLAIN ANALYZE: the two GROUP BY queries read the recent
window and the baseline through ``ix_tickets_received_at``, so their cost is the tickets
of those five weeks, not of the whole table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sla_sweep import postgres
from plaint.config import load_config
from plaint.models import Department, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.directory import sync_directory
from plaint.service.early_warning import current_warnings

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SUB_TOPICS = ("lift", "water_leak", "water_supply", "power", "noise", "parking", "cleaning",
              "garbage", "property_fee", "door_access")  # fmt: skip
_RESIDENTS = """
INSERT INTO residents (name, community, building, unit, language, created_at)
SELECT '', 'C' || (g / 20), 'B' || (g % 20), '101', 'zh', CAST(:now AS TIMESTAMPTZ)
FROM generate_series(0, 399) AS g
"""
_TICKETS = """
INSERT INTO tickets (number, status, channel, subject, category, sub_topic, scope, level,
    urgency, validity, confidence, department_id, resident_id, received_at, created_at)
SELECT 'W' || lpad(g::text, 10, '0'), 'closed', 'sms', '', 'facility',
    (CAST(:topics AS TEXT[]))[1 + (g * 7) % 10], 1, 1, 'normal', 'valid', 0.9,
    :department, :first_resident + (g * 7919) % 400,
    CAST(:now AS TIMESTAMPTZ) - make_interval(secs => (g * :span) / :n), CAST(:now AS TIMESTAMPTZ)
FROM generate_series(CAST(1 AS BIGINT), CAST(:n AS BIGINT)) AS g
"""


def load(engine: Engine, *, tickets: int, days: int) -> float:
    started = time.perf_counter()
    config = load_config(None)
    with session_factory(engine).begin() as session:
        sync_directory(session, config, now=NOW)
        department = session.scalar(select(Department.id).where(Department.code == "engineering"))
        session.execute(text(_RESIDENTS), {"now": NOW})
        first = session.scalar(text("SELECT min(id) FROM residents"))
        session.execute(text(_TICKETS), {
            "now": NOW, "topics": list(SUB_TOPICS), "department": department,
            "first_resident": first, "span": days * 86_400, "n": tickets,
        })  # fmt: skip
        session.execute(text(
            "INSERT INTO tickets (number, status, channel, subject, category, sub_topic, scope,"
            " level, urgency, validity, confidence, department_id, resident_id, received_at,"
            " created_at) SELECT 'SPIKE' || g, 'open', 'sms', '', 'facility', 'lift', 1, 1,"
            " 'normal', 'valid', 0.9, :department, :resident,"
            " CAST(:now AS TIMESTAMPTZ) - make_interval(mins => g * 20), CAST(:now AS TIMESTAMPTZ)"
            " FROM generate_series(1, 8) AS g"
        ), {"department": department, "resident": first + 3, "now": NOW})  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def measure(engine: Engine, *, repeats: int) -> tuple[list[float], list[tuple[str, Any]], int]:
    config = load_config(None)
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    sessions = session_factory(engine)
    timings, found = [], 0
    for i in range(repeats):
        if i == repeats - 1:
            event.listen(engine, "before_cursor_execute", record)
        with sessions() as session:
            started = time.perf_counter()
            found = len(current_warnings(session, config=config, now=NOW))
            timings.append(time.perf_counter() - started)
    event.remove(engine, "before_cursor_execute", record)
    return timings, statements, found


def explain(engine: Engine, statements: list[tuple[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, params)
            print("\n".join(f"    {row[0]}" for row in cursor.fetchall()))
            print()
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="default %(default)s")
    parser.add_argument("--days", type=int, default=365, help="history span (default 365)")
    parser.add_argument("--repeats", type=int, default=5, help="default %(default)s")
    parser.add_argument("--db-url", help="an empty PostgreSQL database (default: start one)")
    args = parser.parse_args()
    with postgres(args.db_url) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        loaded = load(engine, tickets=args.tickets, days=args.days)
        timings, statements, found = measure(engine, repeats=args.repeats)
        print(f"PostgreSQL, {args.tickets:,} tickets over {args.days} days (loaded in "
              f"{loaded:.1f} s): current_warnings median {statistics.median(timings) * 1e3:.0f} "
              f"ms (min {min(timings) * 1e3:.0f}, max {max(timings) * 1e3:.0f}), "
              f"{len(statements)} statements, {found} spike(s)")  # fmt: skip
        explain(engine, statements)
        engine.dispose()


if __name__ == "__main__":
    main()
