"""Benchmark: the SLA sweep's cost against the number of open tickets on PostgreSQL.

    python bench/sla_sweep.py                       # 10k, 100k and 1M open tickets
    python bench/sla_sweep.py --sizes 10000,100000  # a quick run
    python bench/sla_sweep.py --db-url postgresql://user@host/db   # an empty database

Without ``--db-url`` it starts a throwaway PostgreSQL (tests/servers.py). It loads open
tickets in bulk (``INSERT … SELECT generate_series``), each with a STARTED event on both
clocks and ``next_sla_at`` spread over the next four weeks, except exactly ``--due`` of
them (1 000) whose first-response 50 % warning is due at the bench's ``now``. For each size
(growing the same table) it times ``plaint.service.sla.sweep`` several times, resetting
the due tickets (``next_sla_at``, their marks, notifications and events) in between, and
prints the median sweep time, the time per due ticket, the ratio to the smallest size, the
statements per sweep and EXPLAIN ANALYZE of the due-ticket query as the sweep sent it.
A flat ratio means the sweep's cost does not grow with the number of open tickets.
Peak memory (max RSS) of this process, and of the largest PostgreSQL process, at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select, text

from plaint.cli.output import render_table
from plaint.config import Config, load_config
from plaint.models import Department, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.directory import sync_directory
from plaint.service.sla import sweep

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
HORIZON_SECONDS = 28 * 86_400  # next_sla_at of the tickets not due: within 4 weeks
PRIME = 7919  # scatters next_sla_at, so the index order is not the insertion order

# Tickets numbered 1..:due were received 13 h before now: the 24 h first-response clock's
# 50 % warning (at 12 h) is due, its 80 % warning (19.2 h) is not. The others were received
# within the last 10 h and come due later.
_INSERT_TICKETS = """
INSERT INTO tickets (number, status, channel, subject, category, sub_topic, scope, level,
    urgency, validity, confidence, department_id, received_at, created_at,
    first_response_due, closure_due, next_sla_at, sla_policy)
SELECT 'B' || lpad(g::text, 10, '0'), 'open', 'email', '', 'facility', 'lift', 1, 1,
    'normal', 'valid', 0.9,
    (CAST(:departments AS INTEGER[]))[CAST(1 + g % :n_departments AS INTEGER)],
    r.received, r.received, r.received + interval '24 hours', r.received + interval '3 days',
    CASE WHEN g <= :due THEN r.received + interval '12 hours'
         ELSE CAST(:now AS TIMESTAMPTZ) + make_interval(secs => 1 + (g * :prime) % :horizon)
    END,
    'default'
FROM generate_series(CAST(:lo AS BIGINT), CAST(:hi AS BIGINT)) AS g
CROSS JOIN LATERAL (SELECT CASE
    WHEN g <= :due THEN CAST(:now AS TIMESTAMPTZ) - interval '13 hours' - make_interval(secs => g)
    ELSE CAST(:now AS TIMESTAMPTZ) - make_interval(secs => g % 36000)
END AS received) AS r
"""
_INSERT_CLOCKS = """
INSERT INTO sla_clock_events (ticket_id, clock, kind, at, actor)
SELECT t.id, c.clock, 'started', t.received_at, 'plaint'
FROM tickets AS t CROSS JOIN (VALUES ('first_response'), ('closure')) AS c(clock)
WHERE t.id > :after
"""
_SCAN = re.compile(r"[A-Z][\w ]*Scan(?: using \w+)? on \w+")
_RESET = (
    "DELETE FROM sla_marks WHERE ticket_id = ANY(:ids)",
    "DELETE FROM notifications WHERE ticket_id = ANY(:ids)",
    "DELETE FROM ticket_events WHERE ticket_id = ANY(:ids)",
    "UPDATE tickets SET next_sla_at = received_at + interval '12 hours' WHERE id = ANY(:ids)",
)


@dataclass
class Recorder:
    """Counts the statements sent while ``on``, and keeps the sweep's due-ticket query."""

    on: bool = False
    statements: int = 0
    due_query: tuple[str, Any] | None = None

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.on:
            self.statements += 1
            if self.due_query is None and "SKIP LOCKED" in statement:
                self.due_query = (statement, params)


@dataclass
class Result:
    """The figures of one size."""

    open_tickets: int
    load_seconds: float
    sweep_seconds: list[float] = field(default_factory=list)
    statements: int = 0
    marks: int = 0
    plan: list[str] = field(default_factory=list)


def load(engine: Engine, *, lo: int, hi: int, due: int) -> float:
    """Insert tickets numbered lo..hi and their clock events; return the seconds taken."""
    start = time.perf_counter()
    with engine.begin() as conn:
        departments = list(conn.scalars(select(Department.id).order_by(Department.id)))
        after = conn.scalar(text("SELECT coalesce(max(id), 0) FROM tickets"))
        conn.execute(text(_INSERT_TICKETS), {
            "departments": departments, "n_departments": len(departments), "due": due,
            "now": NOW, "prime": PRIME, "horizon": HORIZON_SECONDS, "lo": lo, "hi": hi,
        })  # fmt: skip
        conn.execute(text(_INSERT_CLOCKS), {"after": after})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE tickets")
        conn.exec_driver_sql("VACUUM ANALYZE sla_clock_events")
    return time.perf_counter() - start


def due_ids(engine: Engine, due: int) -> list[int]:
    """The ids of the tickets due at NOW."""
    with engine.connect() as conn:
        last = f"B{due:010d}"
        return list(conn.scalars(text("SELECT id FROM tickets WHERE number <= :n"), {"n": last}))


def reset(engine: Engine, ids: list[int]) -> None:
    """Make the due tickets due again, as if no sweep had run, and vacuum away the dead
    row versions (as autovacuum would), so every repetition starts from the same table."""
    with engine.begin() as conn:
        for statement in _RESET:
            conn.execute(text(statement), {"ids": ids})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM tickets, sla_marks, ticket_events, notifications")


def explain(engine: Engine, query: tuple[str, Any]) -> list[str]:
    """EXPLAIN ANALYZE of the sweep's own due-ticket query (rolled back: it locks rows)."""
    statement, params = query
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", params)
        plan = [row[0] for row in rows]
        conn.rollback()
    return plan


def measure(engine: Engine, config: Config, result: Result, *, ids: list[int],
            repeats: int, recorder: Recorder) -> None:  # fmt: skip
    """Time ``repeats`` sweeps (after one warm-up), each over the same due tickets."""
    sessions = session_factory(engine)
    for repetition in range(-1, repeats):  # -1: a warm-up sweep, not timed
        reset(engine, ids)
        recorder.statements, recorder.on = 0, True
        start = time.perf_counter()
        done = sweep(sessions, config=config, now=NOW)
        seconds = time.perf_counter() - start
        recorder.on = False
        if repetition >= 0:
            result.sweep_seconds.append(seconds)
        if done.tickets != len(ids):
            raise SystemExit(f"the sweep took {done.tickets} tickets, expected {len(ids)}")
        result.statements, result.marks = recorder.statements, done.marks
    reset(engine, ids)
    assert recorder.due_query is not None
    result.plan = explain(engine, recorder.due_query)


def run(db_url: str, *, sizes: list[int], due: int, repeats: int, config: Config) -> None:
    engine = create_db_engine(db_url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        sync_directory(session, config, now=NOW)
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder)
    results: list[Result] = []
    loaded = 0
    for size in sorted(sizes):
        seconds = load(engine, lo=loaded + 1, hi=size, due=due)
        print(f"loaded {size - loaded:,} tickets (+{2 * (size - loaded):,} clock events) "
              f"in {seconds:.1f} s; {size:,} open", flush=True)  # fmt: skip
        loaded = size
        result = Result(size, seconds)
        measure(engine, config, result, ids=due_ids(engine, due), repeats=repeats,
                recorder=recorder)  # fmt: skip
        results.append(result)
        report_plan(result)
    engine.dispose()
    report(results, due)


def report_plan(result: Result) -> None:
    found = (_SCAN.search(line) for line in result.plan)
    scans = [m[0] for m in found if m and ("on tickets" in m[0] or "ix_tickets" in m[0])]
    print(f"  EXPLAIN ANALYZE of the sweep's due-ticket query at {result.open_tickets:,} open "
          f"tickets; tickets read by: {' <- '.join(scans)}")  # fmt: skip
    for line in result.plan:
        print(f"    {line}")


def report(results: list[Result], due: int) -> None:
    base = statistics.median(results[0].sweep_seconds)
    headers = ("open tickets", "due", "sweep median s", "min s", "max s", "ms per due ticket",
               f"vs {results[0].open_tickets:,}", "statements", "marks", "load s")  # fmt: skip
    rows = []
    for r in results:
        median = statistics.median(r.sweep_seconds)
        rows.append([f"{r.open_tickets:,}", f"{due:,}", f"{median:.3f}",
                     f"{min(r.sweep_seconds):.3f}", f"{max(r.sweep_seconds):.3f}",
                     f"{median / due * 1e3:.2f}", f"{median / base:.2f}x",
                     str(r.statements), str(r.marks), f"{r.load_seconds:.1f}"])  # fmt: skip
    print()
    print(render_table(headers, rows))


@contextlib.contextmanager
def postgres(db_url: str | None) -> Iterator[str]:
    """Yield ``db_url``, or the URL of a database on a throwaway PostgreSQL server."""
    if db_url:
        yield db_url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.servers import running_postgres

    with running_postgres("bench-pg") as server:
        yield server.create_database("bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="open tickets, comma-separated (default %(default)s)")  # fmt: skip
    parser.add_argument("--due", type=int, default=1000, help="tickets due (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="sweeps per size (default 5)")
    parser.add_argument("--db-url", help="an empty PostgreSQL database (default: start one)")
    parser.add_argument("--config", type=Path, help="plaint TOML (default: packaged defaults)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if min(sizes) < args.due:
        parser.error("every size must be at least --due")
    started = time.perf_counter()
    with postgres(args.db_url) as url:
        print(f"PostgreSQL, now = {NOW.isoformat()}, {args.due:,} due, {args.repeats} sweeps "
              "per size", flush=True)  # fmt: skip
        run(url, sizes=sizes, due=args.due, repeats=args.repeats, config=load_config(args.config))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = f"peak memory (max RSS): this process {own:.0f} MiB"
    if not args.db_url:
        server = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        line += f", largest PostgreSQL process {server:.0f} MiB"
    print(f"{line}; total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
