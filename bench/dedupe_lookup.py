"""Benchmark: the production near-duplicate and series lookups against history size.

    python bench/dedupe_lookup.py                        # 10k, 100k and 1M past tickets
    python bench/dedupe_lookup.py --sizes 10000,100000   # a quick run

Starts a throwaway PostgreSQL (tests/servers.py) and, for each size N, a fresh database:
N/10 residents (4 communities, buildings 1..200, units) and N past tickets received over
the last ``--days`` (365) days, 80 % closed and 20 % open, random sub-topics, each with
21 random LSH keys in ``ticket_lsh_keys`` and no signature, all loaded in bulk
(``INSERT … SELECT generate_series``) and ANALYZEd. Then 200 probe tickets received in
the last day, one for each of 200 residents, with real fingerprints of Chinese complaint
texts, are added through the ORM (``index_ticket``). For each probe a re-worded text of
the same complaint from the same resident is looked up with the production
``find_near_duplicate`` (recall: the probe is found), and ``group_series`` is run for a
new ticket flushed in a SAVEPOINT that is rolled back. Prints p50/p99 per size, the
ratio to the smallest size, and EXPLAIN ANALYZE of both candidate queries at the largest
size. Peak memory (max RSS) at the end.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from plaint.cli.output import render_table
from plaint.config import Config, load_config
from plaint.models import Department, Resident, Ticket, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.store import sync_departments
from plaint.workers import dedupe

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PROBES = 200
COMMUNITIES = 4
BUILDINGS = 200

_INSERT_RESIDENTS = """
INSERT INTO residents (name, phone, email, community, building, unit, language, created_at)
SELECT 'R' || g, '+86139' || lpad(g::text, 8, '0'), 'r' || g || '@example.test',
    '社区' || ((g - 1) % :communities + 1),
    ((g - 1) / :communities % :buildings + 1)::text,
    ((g - 1) / (:communities * :buildings) % 250 + 1)::text,
    'zh', CAST(:now AS TIMESTAMPTZ) - interval '2 years'
FROM generate_series(1, CAST(:r AS BIGINT)) AS g
"""
_INSERT_TICKETS = """
INSERT INTO tickets (number, status, channel, subject, category, sub_topic, scope, level,
    urgency, validity, confidence, department_id, resident_id, received_at, created_at,
    sla_policy, text_signature)
SELECT 'H' || lpad(g::text, 10, '0'), CASE WHEN g % 5 = 0 THEN 'open' ELSE 'closed' END,
    'sms', '', (CAST(:categories AS TEXT[]))[x.i], (CAST(:codes AS TEXT[]))[x.i], 1, 1,
    'normal', 'valid', 0.9, (CAST(:departments AS INTEGER[]))[x.i],
    1 + (g * 7919) % :r, x.received, x.received, 'default', NULL
FROM generate_series(1, CAST(:n AS BIGINT)) AS g
CROSS JOIN LATERAL (SELECT 1 + floor(random() * :k)::int + 0 * g AS i,
    CAST(:now AS TIMESTAMPTZ) - interval '1 day'
      - make_interval(secs => random() * :span + 0 * g) AS received) AS x
"""
_INSERT_KEYS = """
INSERT INTO ticket_lsh_keys (ticket_id, key)
SELECT t.id, b || ':' || substr(md5(random()::text || t.id || ':' || b), 1, 16)
FROM tickets AS t CROSS JOIN generate_series(0, :bands - 1) AS b
ORDER BY t.id
"""
_SCAN = re.compile(
    r"(?:Parallel )?(?:Bitmap )?(?:Index Only |Index |Seq |Heap )?Scan(?: using \w+)? on \w+"
)

# (sub-topic, original, re-worded); {b} building, {u} unit.
TEMPLATES = [
    ("lift", "{b}号楼{u}单元电梯又坏了，困人了",
     "{b}号楼{u}单元的电梯坏了有人被困"),
    ("lift", "{b}号楼{u}单元电梯停在12楼困人了，请马上派人！",
     "{b}号楼{u}单元电梯卡在12楼，有人困在里面，快派人"),
    ("water_supply", "{b}号楼从早上开始停水，也没有通知。",
     "{b}号楼早上开始就停水了，没有任何通知"),
    ("water_leak", "我家{b}栋{u}01卫生间天花板滴水，楼上水管漏了两天了。",
     "{b}栋{u}01卫生间天花板一直滴水，楼上水管漏水两天了"),
    ("gas", "{b}号楼楼道里燃气味很重，我不敢开灯，快派人来！",
     "{b}号楼楼道燃气味特别重，不敢开灯，请快派人"),
    ("public_facility", "{b}号楼地下车库B区的灯坏了好几天，晚上特别黑",
     "{b}号楼地下车库B区灯坏了几天了，晚上很黑"),
    ("parking", "外来车辆随便停在{b}号楼下，业主自己都没地方停",
     "外面的车随便停{b}号楼下，业主都没地方停车"),
    ("garbage", "{b}栋楼下垃圾桶满了没人清理，臭味很大",
     "{b}栋楼下的垃圾桶满了也没人清，很臭"),
    ("property_fee", "{b}号楼物业费为什么又涨了，没有任何公示",
     "{b}号楼物业费怎么又涨了？也没公示"),
    ("noise", "{b}号楼楼上装修每天早上七点就开始电钻，太吵了",
     "{b}号楼楼上装修早上7点就开始打电钻，吵死了"),
    ("public_facility", "{b}号楼{u}单元楼道灯不亮",
     "{b}号楼{u}单元的楼道灯不亮了"),
    ("power", "{b}号楼{u}单元突然停电了，冰箱里的东西都要坏了",
     "{b}号楼{u}单元突然就停电了，冰箱东西要坏了"),
    ("door_access", "{b}号楼{u}单元门禁坏了好几天，谁都能进来",
     "{b}号楼{u}单元的门禁坏了几天了，谁都可以进"),
    ("drainage", "{b}号楼门口下水道堵了，污水漫到路上",
     "{b}号楼门口的下水道堵住了，污水都漫到路上了"),
    ("pest", "{b}号楼地下室老鼠很多，晚上到处跑",
     "{b}号楼地下室好多老鼠，晚上到处乱跑"),
    ("cleaning", "{b}号楼{u}单元楼道一个星期没人打扫了，到处是垃圾",
     "{b}号楼{u}单元楼道一周没人打扫，到处都是垃圾"),
    ("greening", "{b}号楼前面的草坪好久没修剪了，蚊子特别多",
     "{b}号楼前草坪很久没修剪，蚊子非常多"),
    ("pets", "{b}号楼有人遛狗不拴绳，还随地大小便",
     "{b}号楼有人遛狗不拴狗绳，狗还随地大小便"),
    ("security", "{b}号楼晚上门岗没人值班，陌生人随便进出",
     "{b}号楼晚上门岗没有人值班，陌生人随便进出小区"),
    ("fire_safety", "{b}号楼{u}单元消防通道被电动车堵死了",
     "{b}号楼{u}单元的消防通道被电动车堵住了"),
]  # fmt: skip


@dataclass
class Recorder:
    """Keeps the first candidate queries the lookups send while ``on``."""

    on: bool = False
    near: tuple[str, Any] | None = None
    series: tuple[str, Any] | None = None

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not self.on or "FROM tickets JOIN residents" not in statement:
            return
        if "ticket_lsh_keys" in statement:
            self.near = self.near or (statement, params)
        elif "sub_topic" in statement:
            self.series = self.series or (statement, params)


@dataclass
class Result:
    """The figures of one size."""

    tickets: int
    load_seconds: float
    in_window: int = 0
    near_ms: list[float] = field(default_factory=list)
    series_ms: list[float] = field(default_factory=list)
    found: int = 0
    incidents: int = 0


def load(engine: Engine, config: Config, n: int, *, days: int) -> float:
    """Bulk-load N/10 residents and N past tickets with their LSH keys; ANALYZE."""
    start = time.perf_counter()
    near = config.dedupe.near_duplicate
    with engine.begin() as conn:
        ids = {d.code: d.id for d in conn.execute(select(Department.code, Department.id))}
        codes = list(config.taxonomy.sub_topics)
        entries = [config.taxonomy.sub_topics[c] for c in codes]
        conn.execute(text(_INSERT_RESIDENTS), {
            "communities": COMMUNITIES, "buildings": BUILDINGS, "now": NOW, "r": n // 10,
        })  # fmt: skip
        conn.execute(text(_INSERT_TICKETS), {
            "categories": [e[0] for e in entries], "codes": codes,
            "departments": [ids[e[1]] for e in entries], "k": len(codes), "r": n // 10,
            "n": n, "now": NOW, "span": days * 86_400 - 86_400,
        })  # fmt: skip
        # Build the key index once after the load (same definition), not row by row.
        indexdefs = list(conn.scalars(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'ticket_lsh_keys' "
            "AND indexname NOT LIKE '%pkey'"
        )))  # fmt: skip
        for definition in indexdefs:
            conn.exec_driver_sql(f"DROP INDEX {definition.split()[2]}")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        conn.execute(text(_INSERT_KEYS), {"bands": near.bands})
        for definition in indexdefs:
            conn.exec_driver_sql(definition)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE residents, tickets, ticket_lsh_keys")
    return time.perf_counter() - start


def plant(engine: Engine, config: Config) -> list[tuple[int, int, str, int, str]]:
    """Add the probe tickets through the ORM; return (resident, probe ticket, sub-topic,
    department, re-worded query text) for each."""
    probes = []
    with session_factory(engine).begin() as session:
        departments = {d.code: d.id for d in session.scalars(select(Department))}
        residents = session.scalars(select(Resident).order_by(Resident.id).limit(PROBES))
        for i, resident in enumerate(residents):
            sub_topic, original, reworded = TEMPLATES[i % len(TEMPLATES)]
            place = {"b": resident.building, "u": resident.unit}
            category, department, scope = config.taxonomy.sub_topics[sub_topic]
            received = NOW - timedelta(minutes=30 + 5 * i)
            ticket = Ticket(
                number=f"P{i:06d}", status="open", channel="sms", subject="",
                category=category, sub_topic=sub_topic, scope=scope, level=1,
                urgency="normal", validity="valid", confidence=0.9,
                department_id=departments[department], resident_id=resident.id,
                received_at=received, created_at=received, sla_policy="default",
            )  # fmt: skip
            session.add(ticket)
            session.flush()
            dedupe.index_ticket(session, ticket, dedupe.fingerprint(original.format(**place),
                                                                    config=config))  # fmt: skip
            probes.append((resident.id, ticket.id, sub_topic, ticket.department_id,
                           reworded.format(**place)))  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE tickets, ticket_lsh_keys")
    return probes


def lookup(session: Session, config: Config, probe: tuple[int, int, str, int, str],
           result: Result | None) -> None:  # fmt: skip
    """One near-duplicate lookup and one series grouping, timed into ``result``."""
    resident_id, probe_id, sub_topic, department_id, query = probe
    resident = session.get(Resident, resident_id)
    assert resident is not None
    print_ = dedupe.fingerprint(query, config=config)
    start = time.perf_counter()
    best = dedupe.find_near_duplicate(session, print_, resident, config=config, received_at=NOW)
    near = time.perf_counter() - start
    category, _, scope = config.taxonomy.sub_topics[sub_topic]
    with session.begin_nested() as savepoint:
        ticket = Ticket(
            number=f"Q{probe_id}", status="open", channel="sms", subject="",
            category=category, sub_topic=sub_topic, scope=scope, level=1, urgency="normal",
            validity="valid", confidence=0.9, department_id=department_id, resident_id=resident_id,
            received_at=NOW, created_at=NOW, sla_policy="default",
        )  # fmt: skip
        session.add(ticket)
        session.flush()
        start = time.perf_counter()
        incident = dedupe.group_series(session, ticket, resident, print_, config=config, now=NOW)
        series = time.perf_counter() - start
        savepoint.rollback()
    if result is not None:
        result.near_ms.append(near * 1e3)
        result.series_ms.append(series * 1e3)
        result.found += best is not None and best[0].id == probe_id
        result.incidents += incident is not None


def explain(engine: Engine, query: tuple[str, Any]) -> list[str]:
    statement, params = query
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", params)
        plan = [row[0] for row in rows]
        conn.rollback()
    return plan


def measure(url: str, config: Config, n: int, *, days: int, last: bool) -> Result:
    engine = create_db_engine(url)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        sync_departments(session, config.departments)
    result = Result(n, load(engine, config, n, days=days))
    probes = plant(engine, config)
    with engine.connect() as conn:
        result.in_window = conn.scalar(text(
            "SELECT count(*) FROM tickets WHERE status = 'open' AND received_at >= :since"
        ), {"since": NOW - config.dedupe.near_duplicate_window})  # fmt: skip
    print(f"{n:,} tickets: loaded in {result.load_seconds:.1f} s, {len(probes)} probes planted",
          flush=True)  # fmt: skip
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder)
    sessions = session_factory(engine)
    for probe in probes[:20]:  # warm-up, not timed
        with sessions() as session:
            lookup(session, config, probe, None)
    for probe in probes:
        with sessions() as session:
            recorder.on = True
            lookup(session, config, probe, result)
            recorder.on = False
    if last:
        for name, query in (("near-duplicate", recorder.near), ("series", recorder.series)):
            assert query is not None
            plan = explain(engine, query)
            scans = [m[0] for m in map(_SCAN.search, plan) if m]
            print(f"  EXPLAIN ANALYZE of the {name} candidate query at {n:,} tickets; "
                  f"scans: {', '.join(scans)}")  # fmt: skip
            for line in plan:
                print(f"    {line}")
    engine.dispose()
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(results: list[Result]) -> None:
    base = results[0]
    near0, series0 = statistics.median(base.near_ms), statistics.median(base.series_ms)
    headers = ("past tickets", "open in 7 d", "load s", "near p50 ms", "near p99 ms",
               f"near vs {base.tickets:,}", "recall", "series p50 ms", "series p99 ms",
               f"series vs {base.tickets:,}", "incidents")  # fmt: skip
    rows = []
    for r in results:
        near, series = statistics.median(r.near_ms), statistics.median(r.series_ms)
        rows.append([f"{r.tickets:,}", f"{r.in_window:,}", f"{r.load_seconds:.1f}",
                     f"{near:.2f}", f"{pct(r.near_ms, 0.99):.2f}", f"{near / near0:.2f}x",
                     f"{r.found}/{len(r.near_ms)}", f"{series:.2f}",
                     f"{pct(r.series_ms, 0.99):.2f}", f"{series / series0:.2f}x",
                     str(r.incidents)])  # fmt: skip
    print()
    print(render_table(headers, rows))


def server() -> Any:
    """A throwaway PostgreSQL server (the tests' fixture code)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.servers import running_postgres

    return running_postgres("bench-pg")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="past tickets, comma-separated (default %(default)s)")  # fmt: skip
    parser.add_argument("--days", type=int, default=365, help="history span (default 365)")
    parser.add_argument("--config", type=Path, help="plaint TOML (default: packaged defaults)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    config = load_config(args.config)
    started = time.perf_counter()
    results = []
    with server() as pg:
        print(f"PostgreSQL, now = {NOW.isoformat()}, {PROBES} probes per size", flush=True)
        for i, n in enumerate(sizes):
            url = pg.create_database(f"bench{i}")
            results.append(measure(url, config, n, days=args.days, last=n == sizes[-1]))
    report(results)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (max RSS): this process {own:.0f} MiB, largest PostgreSQL process "
          f"{children:.0f} MiB; total time {time.perf_counter() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
