"""Response times of the operations pages on a large database: Today, a ticket page and a
filtered queue, signed in as the desk (every department) and as a department member.

    python bench/pages.py                                  # throwaway PostgreSQL, 100 000 tickets
    python bench/pages.py --reuse /work/scratch/pages-pg   # generate once, keep, measure again
    python bench/pages.py --tickets 2000 --requests 5      # a smoke run
    python bench/pages.py --db-url postgresql://… --no-load   # measure data already there

The data come from :func:`plaint.service.monthly.sample.write_sample` (realistic months,
played through plaint's SLA planning: departments, communities, statuses, breaches, one
message, the audit trail and clock events per ticket); ``--tickets`` is the total, split
evenly over ``--history`` months before October 2026 and October itself (12 months by
default), measured as of 6 November 2026. A second database of ``--tickets / 10`` is the
baseline measured in the same run: the same pages, the same roles, one tenth of the data,
so the ratio shows how each page grows with the tickets (1.0: not at all).

``--reuse DIR`` keeps the PostgreSQL cluster in ``DIR`` (``DIR/data``): the first run
generates both databases there, later runs start the server on it again and measure at
once (after migrating them, so new indexes apply); the server is stopped (fast shutdown)
when the bench ends. Delete ``DIR`` to start over. Without it, a throwaway server in a
temporary directory. Generating 100 000 tickets takes about 4 minutes of CPU (playing each
story through the SLA planning), 20 minutes on a busy 2-core machine.

Requests go through the app in process (Starlette's test client: the server's own time,
no network), one at a time, after one warm-up request each. Prints p50/p95/max per page
and role, the SQL statements per request, and the baseline's p95 and the ratio; the
target is p95 < 300 ms with 100 000 tickets. The databases are vacuumed and analysed
before measuring (as autovacuum keeps a production one).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sla_sweep import postgres  # bench/ is on sys.path when run as a script
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning

from plaint.config import Config, load_config
from plaint.config.sla import StaffMember
from plaint.models import Ticket, create_db_engine, read_session_factory, session_factory
from plaint.models.migrate import upgrade
from plaint.service.directory import issue_token, sync_staff
from plaint.service.monthly.sample import write_sample
from plaint.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

AS_OF = datetime.fromisoformat("2026-11-06T10:00:00+08:00")
STAFF = (StaffMember("bench.desk", "客服", "desk", None, None, None),
         StaffMember("bench.clean", "保洁", "member", "cleaning", None, None))  # fmt: skip
BASELINE_SHARE = 10  # the baseline database holds 1/10 of the tickets
ROLES = (("bench.desk", "desk"), ("bench.clean", "member"))


@dataclass(frozen=True)
class Figures:
    """One page as one role: milliseconds per request, statements per request."""

    times: tuple[float, ...]
    statements: int

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times, n=20, method="inclusive")[-1]


def _load(sessions: sessionmaker[Session], config: Config, tickets: int, history: int) -> None:
    per_month = max(1, tickets // (history + 1))
    started = time.perf_counter()
    with sessions.begin() as session:
        summary = write_sample(session, config=config, year=2026, month=10, tickets=per_month,
                               history=history, history_tickets=per_month, as_of=AS_OF)  # fmt: skip
    print(f"loaded {summary.tickets:,} tickets in {time.perf_counter() - started:.0f} s",
          flush=True)  # fmt: skip


@contextlib.contextmanager
def _kept_postgres(directory: Path) -> Iterator[tuple[str, bool]]:
    """A PostgreSQL server on the cluster in ``directory`` (created if missing); yields the
    URL of database ``bench`` and whether it was there already. Fast shutdown at the end."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.servers import PostgresServer

    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    server = PostgresServer(directory)
    server.start()
    try:
        with psycopg.connect(server.admin_dsn) as connection:
            found = connection.execute("SELECT 1 FROM pg_database WHERE datname = 'bench'")
            kept = found.fetchone() is not None
        yield (server.create_database("bench") if not kept else
               f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/bench"), kept  # fmt: skip
    finally:
        server.pause()
        server.stop()


@contextlib.contextmanager
def _database(args: argparse.Namespace) -> Iterator[tuple[str, bool]]:
    if args.reuse is not None:
        with _kept_postgres(args.reuse) as (url, kept):
            yield url, kept
    else:
        with postgres(args.db_url) as url:
            yield url, args.no_load


def _sibling(url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``url``, created if missing."""
    base, _, _ = url.rpartition("/")
    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _prepare(url: str, config: Config, *, tickets: int, history: int, load: bool) -> Engine:
    engine = create_db_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session:
        present = session.scalar(select(func.count(Ticket.id))) or 0
    if load and not present:
        _load(session_factory(engine), config, tickets, history)
    # As autovacuum leaves a production database: statistics, and a visibility map that
    # lets counts read an index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    return engine


def _client(engine: Engine, config: Config, code: str) -> TestClient:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        sync_staff(session, STAFF, now=AS_OF)
        token = issue_token(session, code, now=AS_OF)
    app = create_app(config=config, sessions=read_session_factory(engine),
                     redis_ready=lambda: True, clock=lambda: AS_OF, writer=sessions,
                     secret_key="bench")  # fmt: skip
    client = TestClient(app)
    form = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    landed = client.post("/signin", data={"csrf": csrf.group(1), "token": token})
    assert landed.status_code == 200, landed.status_code
    return client


def _measure(client: TestClient, engine: Engine, path: str, requests: int) -> Figures:
    sent: list[Any] = []

    def count(*_: Any) -> None:
        sent.append(None)

    assert client.get(path).status_code == 200, path  # warm-up
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return Figures(tuple(times), len(sent))


def _paths(engine: Engine) -> tuple[str, ...]:
    with session_factory(engine)() as session:
        cleaning = Ticket.department.has(code="cleaning")
        number = session.scalar(
            select(Ticket.number).where(cleaning).order_by(Ticket.id.desc()).limit(1)
        )
    queue = "/queues?department=cleaning&page=2&status="
    return ("/today", f"/tickets/{number}", f"{queue}open", f"{queue}closed")


def _run(engine: Engine, config: Config, requests: int) -> dict[tuple[str, str], Figures]:
    """Figures per (page, role); the ticket page's path is named ``/tickets/…``."""
    figures = {}
    for code, role in ROLES:
        client = _client(engine, config, code)
        for path in _paths(engine):
            page = re.sub(r"/tickets/.+", "/tickets/…", path)
            figures[page, role] = _measure(client, engine, path, requests)
        client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db-url", help="default: a throwaway PostgreSQL server")
    where.add_argument("--reuse", type=Path, metavar="DIR",
                       help="keep the PostgreSQL cluster in DIR and use it again")  # fmt: skip
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=11, help="months before October 2026")
    parser.add_argument("--requests", type=int, default=50, help="per page and role")
    parser.add_argument("--no-load", action="store_true", help="measure the data already there")
    args = parser.parse_args()
    config = load_config(None)
    with _database(args) as (url, kept):
        load = not (kept or args.no_load)
        small = _prepare(_sibling(url, "bench_small"), config, history=args.history, load=load,
                         tickets=max(1, args.tickets // BASELINE_SHARE))  # fmt: skip
        large = _prepare(url, config, tickets=args.tickets, history=args.history, load=load)
        with session_factory(large)() as session:
            total = session.scalar(select(func.count(Ticket.id)))
        print(f"measuring {total:,} tickets; baseline 1/{BASELINE_SHARE} of them", flush=True)
        baseline = _run(small, config, args.requests)
        figures = _run(large, config, args.requests)
        print(f"{'page':48} {'as':6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
              f"{'stmts':>6} {'base p95':>9} {'ratio':>6}")  # fmt: skip
        for (page, role), found in figures.items():
            base = baseline[page, role]
            print(f"{page:48} {role:6} {statistics.median(found.times):8.1f} {found.p95:8.1f} "
                  f"{max(found.times):8.1f} {found.statements:6d} {base.p95:9.1f} "
                  f"{found.p95 / base.p95:6.2f}")  # fmt: skip
        small.dispose()
        large.dispose()


if __name__ == "__main__":
    main()
