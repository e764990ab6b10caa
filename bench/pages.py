"""Response times of the operations pages on a large database: Today, a ticket page and a
filtered queue, signed in as the desk (every department) and as a department member.

    python bench/pages.py                      # a throwaway PostgreSQL, 100 000 tickets
    python bench/pages.py --tickets 20000 --requests 30
    python bench/pages.py --db-url postgresql://… --no-load   # measure data already there

The data come from :func:`plaint.service.monthly.sample.write_sample` (a realistic month
and the months before it, played through plaint's SLA planning); ``--tickets`` is the
total, split over the month and ``--history`` months before it. Requests go through the
app in process (Starlette's test client: the server's own time, no network), one at a
time, after one warm-up request each. Prints p50/p95/max per page and role; the target
is p95 < 300 ms with 100 000 tickets. The database is vacuumed and analysed before
measuring (as autovacuum keeps a production one).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import warnings
from datetime import datetime

from sla_sweep import postgres  # bench/ is on sys.path when run as a script
from sqlalchemy import select
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


def _load(sessions: sessionmaker[Session], config: Config, tickets: int, history: int) -> None:
    per_month = max(1, tickets // (history + 1))
    started = time.perf_counter()
    with sessions.begin() as session:
        summary = write_sample(session, config=config, year=2026, month=10, tickets=per_month,
                               history=history, history_tickets=per_month, as_of=AS_OF)  # fmt: skip
    print(f"loaded {summary.tickets:,} tickets in {time.perf_counter() - started:.0f} s")


def _client(engine: object, config: Config, code: str) -> TestClient:
    sessions = session_factory(engine)  # type: ignore[arg-type]
    with sessions.begin() as session:
        sync_staff(session, STAFF, now=AS_OF)
        token = issue_token(session, code, now=AS_OF)
    app = create_app(config=config, sessions=read_session_factory(engine),  # type: ignore[arg-type]
                     redis_ready=lambda: True, clock=lambda: AS_OF, writer=sessions,
                     secret_key="bench")  # fmt: skip
    client = TestClient(app)
    form = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    landed = client.post("/signin", data={"csrf": csrf.group(1), "token": token})
    assert landed.status_code == 200, landed.status_code
    return client


def _measure(client: TestClient, path: str, requests: int) -> list[float]:
    assert client.get(path).status_code == 200, path  # warm-up
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="default: a throwaway PostgreSQL server")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=5, help="months before October 2026")
    parser.add_argument("--requests", type=int, default=50, help="per page and role")
    parser.add_argument("--no-load", action="store_true", help="measure the data already there")
    args = parser.parse_args()
    config = load_config(None)
    with postgres(args.db_url) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        if not args.no_load:
            _load(session_factory(engine), config, args.tickets, args.history)
        # As autovacuum leaves a production database: statistics, and a visibility map
        # that lets counts by status read the index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        with session_factory(engine)() as session:
            cleaning = Ticket.department.has(code="cleaning")
            number = session.scalar(
                select(Ticket.number).where(cleaning).order_by(Ticket.id.desc()).limit(1)
            )
        print(f"{'page':48} {'as':6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for code, role in (("bench.desk", "desk"), ("bench.clean", "member")):
            client = _client(engine, config, code)
            for path in ("/today", f"/tickets/{number}",
                         "/queues?department=cleaning&status=open&page=2"):  # fmt: skip
                times = _measure(client, path, args.requests)
                p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
                print(f"{path:48} {role:6} {statistics.median(times):8.1f} {p95:8.1f} "
                      f"{max(times):8.1f}")  # fmt: skip
            client.close()
        engine.dispose()


if __name__ == "__main__":
    main()
