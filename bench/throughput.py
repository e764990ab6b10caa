"""Benchmark: how many complaints per second plaint's workers triage on PostgreSQL, against
the floor costs of the queue and of one database write, with the same workers.

    python bench/throughput.py                        # N=5000, 2 processes x 8 threads: a, b, c
    python bench/throughput.py --n 10000 --processes 2 --threads 8
    python bench/throughput.py --only c --sweep-processes 1,2,4 --statements 0
    python bench/throughput.py --only c --latency --statements 0
    python bench/throughput.py --only c --n 2000     # one phase (a, b, c: a comma list)

It starts a throwaway PostgreSQL 15 and a redis-server (tests/servers.py), writes a TOML
configuration with three staff members on duty in every department (so assignment runs),
and for each phase starts real worker processes on a fresh database, warms them up, then
drains ``--n`` queued items: (a) dramatiq's no-op actor and (b) an actor doing one ORM
insert per message, both declared in ``bench/throughput_actors.py`` and run by ``python -m
dramatiq``, and (c) plaint's triage, run by ``python -m plaint worker`` (env
PLAINT_DATABASE_URL, PLAINT_REDIS_URL, PLAINT_CONFIG), from the inbox row to the ticket with
its message, events, SLA clocks, dedupe keys and incidents. Every phase uses the same
``--processes`` x ``--threads`` and the same broker middleware. The items
(``bench/throughput_data.py``) are diverse Chinese and English complaints by email, SMS
and phone from ~1,200 senders per 5,000 items, so every dedupe layer runs.

Wall time runs from the first enqueue (from four threads of this process) to the moment a
probe sees the last item done: the database for (b) and (c), Redis for (a); probes poll
every 20 ms, nothing waits a fixed time. (a) usually drains as fast as it is enqueued, so
its rate is the producer's, a lower bound of the queue's. Printed per phase: items/s, the
ratios c/a and c/b, p50/p99 per item ((b): enqueue -> row written; (c): inbox
``created_at`` -> ``processed_at``, the instant triage began, so queueing is included),
CPU seconds of the worker processes, the PostgreSQL server, Redis, this process and
everything else on the machine (/proc/<pid>/stat utime+stime of each process tree,
children included; ``bench/throughput_cpu.py``), the PostgreSQL sessions opened, and for
(c) the backends seen running and waiting on locks, by kind (advisory locks by scope:
community, building, resident or unit). Then the SQL statements per triage, counted by a
SQLAlchemy ``before_cursor_execute`` listener over an in-process run of ``--statements``
(200) triages of the same kind of items one at a time, by outcome and kind, with the CPU
per triage of this process and of PostgreSQL.

``--sweep-processes 1,2,4`` runs (c) again at each process count and says what saturates:
the cores (the machine at 90 % or more), the workers' GIL (a process near one core), or
PostgreSQL's locks (half the active backends waiting). ``--latency`` stores and enqueues
items one by one at a fixed rate, half the maximum rate of (c) just measured, as a
poller does, and gives p50/p99 from the inbox row to done (first seen done by a probe) and
to ``processed_at``. A default run takes about two minutes on two cores; a sweep about
five, the latency run about three.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import dramatiq
import psycopg
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import event, insert, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.throughput_cpu import CpuMeter, tree_cpu  # noqa: E402
from bench.throughput_data import (  # noqa: E402
    BENCH_QUEUE,
    BUILDINGS,
    COMMUNITIES,
    INSERT,
    NOOP,
    ROW_PREFIX,
    Dataset,
    Item,
    make_dataset,
    write_config,
)
from plaint.channels.base import Delivery  # noqa: E402
from plaint.cli.output import render_table  # noqa: E402
from plaint.config import load_config  # noqa: E402
from plaint.models import Inbox, InboxStatus, create_db_engine, session_factory  # noqa: E402
from plaint.models.migrate import upgrade  # noqa: E402
from plaint.queue.broker import build_broker  # noqa: E402
from plaint.queue.producer import Producer  # noqa: E402
from plaint.service.directory import sync_directory  # noqa: E402
from plaint.service.locks import advisory_key  # noqa: E402
from plaint.service.residents import import_residents  # noqa: E402
from plaint.service.store import store_delivery  # noqa: E402
from plaint.service.triage import triage_inbox  # noqa: E402
from tests.servers import PostgresServer, RedisServer, running_postgres, stop  # noqa: E402

ACTORS_MODULE = "bench.throughput_actors"
PROBE_SECONDS = 0.02  # the interval between completion probes
ENQUEUE_THREADS = 4
PHASE_TIMEOUT_SECONDS = 1800
STATEMENT_ITEMS = 200


# ---------------------------------------------------------------- servers and databases


@dataclass
class Bench:
    pg: PostgresServer
    redis: RedisServer
    config_path: Path
    workdir: Path
    databases: int = 0

    def fresh_database(self, directory: list[dict[str, str]]) -> str:
        """A new migrated database with the departments, staff and resident directory."""
        self.databases += 1
        url = self.pg.create_database(f"bench{self.databases}")
        engine = create_db_engine(url)
        upgrade(engine)
        config = load_config(self.config_path)
        with session_factory(engine).begin() as session:
            sync_directory(session, config, now=datetime.now(UTC))
            import_residents(session, directory, now=datetime.now(UTC))
        engine.dispose()
        return url

    def environ(self, db_url: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "PLAINT_DATABASE_URL": db_url,
                "PLAINT_REDIS_URL": self.redis.url,
                "PLAINT_CONFIG": str(self.config_path)}  # fmt: skip


@contextlib.contextmanager
def servers() -> Iterator[Bench]:
    with running_postgres("bench-tp") as pg, tempfile.TemporaryDirectory() as tmp:
        redis = RedisServer(Path(tmp))
        redis.start()
        try:
            yield Bench(pg, redis, write_config(Path(tmp)), Path(tmp))
        finally:
            redis.stop()


@contextlib.contextmanager
def workers(bench: Bench, argv: Sequence[str], db_url: str, name: str) -> Iterator[int]:
    """Run worker processes; yield the pid of their parent; stop them at the end."""
    log = bench.workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=REPO, env=bench.environ(db_url),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process.pid
    except BaseException:
        sys.stderr.write(log.read_text("utf-8", "replace")[-4000:])
        raise
    finally:
        stop(process)


# ------------------------------------------------------------------------------ phases


@dataclass
class Result:
    name: str
    n: int
    wall: float
    enqueue: float
    latencies: list[float]
    cpu: dict[str, float]
    lock_waiting: float = 0.0
    waits: dict[str, float] = field(default_factory=dict)
    active: float = 0.0
    sessions: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.n / self.wall


# Active backends, and for one waiting on an advisory lock the lock's 64-bit key (PostgreSQL
# splits it into classid, the high half, and objid).
_BACKENDS = """
SELECT a.wait_event_type, a.wait_event, (l.classid::bigint << 32) | l.objid::bigint
FROM pg_stat_activity AS a
LEFT JOIN pg_locks AS l ON l.pid = a.pid AND NOT l.granted AND l.locktype = 'advisory'
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state = 'active'
"""
# The advisory keys of the series scopes the items use (plaint.service.dedupe.series_keys).
_SCOPES = {
    advisory_key(f"community:{c}") & (2**64 - 1): "advisory community" for c in COMMUNITIES
} | {advisory_key(f"building:{b}") & (2**64 - 1): "advisory building"
     for b in range(1, BUILDINGS + 1)}  # fmt: skip


def _wait_label(event: str, key: int | None) -> str:
    if event != "advisory" or key is None:
        return str(event)
    return _SCOPES.get(key & (2**64 - 1), "advisory resident or unit")


class Probe:
    """A connection of its own that asks PostgreSQL how far the work is."""

    def __init__(self, url: str) -> None:
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.samples: list[tuple[int, int]] = []
        self.waits: Counter[str] = Counter()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def sample_backends(self) -> None:
        """Count the backends of this database that run a statement, and those waiting on
        a lock, by what they wait for: an advisory lock by its scope (community, building,
        resident or unit), a row, a transaction..."""
        rows = self.conn.execute(_BACKENDS).fetchall()
        locks = [_wait_label(event, key) for kind, event, key in rows if kind == "Lock"]
        self.waits.update(locks)
        self.samples.append((len(locks), len(rows)))

    def sessions(self) -> int:
        return int(self.scalar("SELECT sessions FROM pg_stat_database "
                               "WHERE datname = current_database()"))  # fmt: skip

    def wait(self, done: Callable[[], bool], *, backends: bool = False) -> None:
        deadline = time.monotonic() + PHASE_TIMEOUT_SECONDS
        while not done():
            if backends:
                self.sample_backends()
            if time.monotonic() > deadline:
                raise SystemExit("the phase did not finish in time (see the worker log)")
            time.sleep(PROBE_SECONDS)

    def close(self) -> None:
        self.conn.close()


def enqueue_all(send: Callable[[int], object], count: int) -> float:
    """Call ``send(i)`` for every i below ``count`` from ENQUEUE_THREADS threads; return
    the seconds taken."""

    def share(first: int) -> None:
        for i in range(first, count, ENQUEUE_THREADS):
            send(i)

    start = time.perf_counter()
    threads = [threading.Thread(target=share, args=(k,)) for k in range(ENQUEUE_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _message(actor: str, n: int) -> dramatiq.Message[Any]:
    args: tuple[Any, ...] = (n, time.time()) if actor == INSERT else (n,)
    return dramatiq.Message(queue_name=BENCH_QUEUE, actor_name=actor, args=args, kwargs={},
                            options={})  # fmt: skip


def run_floor(bench: Bench, actor: str, *, n: int, processes: int, threads: int) -> Result:
    """(a) or (b): drain ``n`` messages of a bench-only actor."""
    url = bench.fresh_database([])
    broker = cast(RedisBroker, build_broker(bench.redis.url))
    probe = Probe(url)
    written = f"SELECT count(*) FROM channel_cursors WHERE source LIKE '{ROW_PREFIX}%'"
    argv = ["-m", "dramatiq", ACTORS_MODULE, "--processes", str(processes),
            "--threads", str(threads), "--queues", BENCH_QUEUE]  # fmt: skip
    warm = 4 * processes * threads
    with workers(bench, argv, url, actor) as pid:
        for i in range(warm):
            broker.enqueue(_message(actor, -1 - i))
        if actor == INSERT:
            probe.wait(lambda: probe.scalar(written) == warm)
        broker.join(BENCH_QUEUE, interval=int(PROBE_SECONDS * 1000))
        sessions = probe.sessions()
        with CpuMeter(_servers(bench, pid)) as meter:
            start = time.perf_counter()
            enqueue = enqueue_all(lambda i: broker.enqueue(_message(actor, i)), n)
            if actor == INSERT:
                probe.wait(lambda: probe.scalar(written) == warm + n)
            broker.join(BENCH_QUEUE, interval=int(PROBE_SECONDS * 1000))
            wall = time.perf_counter() - start
        latencies = _insert_latencies(probe) if actor == INSERT else []
        sessions = probe.sessions() - sessions
    probe.close()
    broker.close()
    name = "(a) no-op actor" if actor == NOOP else "(b) one ORM insert"
    return Result(name, n, wall, enqueue, latencies, meter.used, sessions=sessions)


def _insert_latencies(probe: Probe) -> list[float]:
    rows = probe.conn.execute(
        "SELECT value, extract(epoch FROM updated_at) FROM channel_cursors "
        "WHERE source LIKE %s AND source NOT LIKE %s",
        (f"{ROW_PREFIX}%", f"{ROW_PREFIX}-%"),
    ).fetchall()
    return [float(done) - float(value) for value, done in rows]


def _servers(bench: Bench, workers_pid: int) -> dict[str, int]:
    """The process trees whose CPU is counted."""
    assert bench.pg.process is not None
    assert bench.redis.process is not None
    return {"workers": workers_pid, "postgres": bench.pg.process.pid,
            "redis": bench.redis.process.pid}  # fmt: skip


def store_items(url: str, items: Sequence[Item], *, source: str) -> list[int]:
    """Write ``items`` to the inbox in bulk (as pending, never enqueued); return the ids."""
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    rows = [{"source": f"{source}-{it.channel.value}", "external_id": it.external_id,
             "channel": it.channel.value, "payload": it.payload, "received_at": it.received_at,
             "created_at": now, "status": InboxStatus.PENDING.value} for it in items]  # fmt: skip
    with engine.begin() as conn:
        statement = insert(Inbox).returning(Inbox.id, sort_by_parameter_order=True)
        ids = list(conn.scalars(statement, rows))
    engine.dispose()
    return ids


def _pending(probe: Probe, ids: Sequence[int]) -> int:
    return int(probe.scalar("SELECT count(*) FROM inbox WHERE status = 'pending' "
                            "AND id BETWEEN %s AND %s", (min(ids), max(ids))))  # fmt: skip


def run_triage(bench: Bench, data: Dataset, *, processes: int, threads: int) -> Result:
    """(c): drain the dataset through ``plaint worker``; a fresh database each time."""
    url = bench.fresh_database(data.directory)
    warm = make_dataset(4 * processes * threads, seed=99, tag="w",
                        end=data.items[0].received_at)  # fmt: skip
    warm_ids = store_items(url, warm.items, source="warm")
    ids = store_items(url, data.items, source="bench")
    broker = build_broker(bench.redis.url)
    producer = Producer(broker)
    probe = Probe(url)
    argv = ["-m", "plaint", "worker", "--processes", str(processes), "--threads", str(threads)]
    with workers(bench, argv, url, f"plaint-worker-{processes}") as pid:
        for inbox_id in warm_ids:
            producer.triage(inbox_id)
        probe.wait(lambda: _pending(probe, warm_ids) == 0)
        sessions = probe.sessions()
        with CpuMeter(_servers(bench, pid)) as meter:
            start = time.perf_counter()
            with probe.conn.transaction():
                probe.conn.execute("UPDATE inbox SET created_at = now(), enqueued_at = now() "
                                   "WHERE id BETWEEN %s AND %s", (ids[0], ids[-1]))  # fmt: skip
            enqueue = enqueue_all(lambda i: producer.triage(ids[i]), len(ids))
            probe.wait(lambda: _pending(probe, ids) == 0, backends=True)
            wall = time.perf_counter() - start
        sessions = probe.sessions() - sessions
    result = Result("(c) plaint triage", len(ids), wall, enqueue, [], meter.used,
                    sessions=sessions)  # fmt: skip
    _triage_figures(probe, result, ids)
    probe.close()
    broker.close()
    return result


def _triage_figures(probe: Probe, result: Result, ids: Sequence[int]) -> None:
    rows = probe.conn.execute(
        "SELECT extract(epoch FROM processed_at - created_at), status FROM inbox "
        "WHERE id BETWEEN %s AND %s", (ids[0], ids[-1])
    ).fetchall()  # fmt: skip
    result.latencies = [float(r[0]) for r in rows if r[0] is not None]
    result.outcomes = dict(Counter(str(r[1]) for r in rows))
    tickets = probe.scalar("SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id "
                           "WHERE m.inbox_id BETWEEN %s AND %s AND m.inbox_id = ("
                           "SELECT min(inbox_id) FROM messages WHERE ticket_id = t.id)",
                           (ids[0], ids[-1]))  # fmt: skip
    result.outcomes["tickets"] = int(tickets)
    result.outcomes["incidents"] = int(probe.scalar("SELECT count(*) FROM incidents"))
    if probe.samples:
        result.lock_waiting = statistics.mean(s[0] for s in probe.samples)
        result.active = statistics.mean(s[1] for s in probe.samples)
        result.waits = {k: v / len(probe.samples) for k, v in probe.waits.most_common()}


# ------------------------------------------------------------------------------ latency


def run_latency(bench: Bench, data: Dataset, *, rate: float, processes: int,
                threads: int) -> tuple[list[float], list[float], float]:  # fmt: skip
    """Store and enqueue one item every 1/``rate`` s, as a poller does; return the seconds
    from the inbox row to done (first seen done) and to ``processed_at``, and the rate
    reached."""
    url = bench.fresh_database(data.directory)
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    producer = Producer(build_broker(bench.redis.url))
    probe = Probe(url)
    stored: list[tuple[int, float]] = []
    seen: dict[int, float] = {}
    argv = ["-m", "plaint", "worker", "--processes", str(processes), "--threads", str(threads)]
    with workers(bench, argv, url, "plaint-worker-latency") as _pid:
        warm = make_dataset(4 * processes * threads, seed=99, tag="w",
                            end=data.items[0].received_at)  # fmt: skip
        for inbox_id in store_items(url, warm.items, source="warm"):
            producer.triage(inbox_id)
        probe.wait(lambda: probe.scalar("SELECT count(*) FROM inbox WHERE status = 'pending'") == 0)
        feeder = threading.Thread(target=_feed, args=(sessions, producer, data.items, rate,
                                                      stored))  # fmt: skip
        start = time.perf_counter()
        feeder.start()
        while feeder.is_alive() or len(seen) < len(stored):
            known = list(stored)
            pending = {r[0] for r in probe.conn.execute(
                "SELECT id FROM inbox WHERE status = 'pending'").fetchall()}  # fmt: skip
            now = time.time()
            for inbox_id, _created in known:
                if inbox_id not in pending and inbox_id not in seen:
                    seen[inbox_id] = now
            time.sleep(PROBE_SECONDS)
        wall = time.perf_counter() - start
        rows = probe.conn.execute(
            "SELECT id, extract(epoch FROM processed_at) FROM inbox WHERE source LIKE 'lat-%'"
        ).fetchall()
    processed = {int(r[0]): float(r[1]) for r in rows}
    created = dict(stored)
    to_done = [seen[i] - created[i] for i in created]
    to_processed = [processed[i] - created[i] for i in created]
    probe.close()
    engine.dispose()
    return to_done, to_processed, len(stored) / wall


def _feed(sessions: Any, producer: Producer, items: Sequence[Item], rate: float,
          stored: list[tuple[int, float]]) -> None:  # fmt: skip
    start = time.perf_counter()
    for i, item in enumerate(items):
        pause = start + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)  # pacing the producer, not waiting for a result
        delivery = Delivery(f"lat-{item.channel.value}", item.channel, item.external_id,
                            item.payload, item.received_at, "")  # fmt: skip
        created = time.time()
        with sessions.begin() as session:
            inbox_id = store_delivery(session, delivery, now=datetime.fromtimestamp(created, UTC))
        producer.triage(inbox_id.inbox_id)
        stored.append((inbox_id.inbox_id, created))


# ------------------------------------------------------------------ statements per triage


@dataclass
class Statements:
    per_outcome: dict[str, list[int]] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    cpu: list[float] = field(default_factory=list)
    pg_cpu: float = 0.0


def count_statements(bench: Bench, n: int) -> Statements:
    """Triage ``n`` items in this process, one transaction each, counting statements."""
    data = make_dataset(n, seed=11, tag="s", end=datetime.now(UTC))
    url = bench.fresh_database(data.directory)
    ids = store_items(url, data.items, source="stmt")
    engine = create_db_engine(url)
    sessions = session_factory(engine)
    config = load_config(bench.config_path)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    result = Statements()
    assert bench.pg.process is not None
    pg_cpu = tree_cpu(bench.pg.process.pid)
    for inbox_id in ids:
        seen.clear()
        cpu = time.process_time()
        with sessions.begin() as session:
            outcome = triage_inbox(session, inbox_id, config=config, now=datetime.now(UTC))
        result.cpu.append(time.process_time() - cpu)
        result.per_outcome.setdefault(outcome.value, []).append(len(seen))
        result.kinds.update(seen)
    result.pg_cpu = tree_cpu(bench.pg.process.pid) - pg_cpu
    with sessions() as session:
        left = session.scalar(select(Inbox.id).where(Inbox.status == InboxStatus.PENDING))
        assert left is None, "an item was left pending"
    engine.dispose()
    return result


# ------------------------------------------------------------------------------ report


def _ms(values: Sequence[float], q: int) -> str:
    if len(values) < 2:
        return "-"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1e3:,.0f}"


def report(results: Sequence[Result], *, processes: int, threads: int) -> None:
    by = {r.name[1]: r for r in results}
    headers = ("phase", "items", "wall s", "items/s", "enqueue s", "p50 ms", "p99 ms",
               "worker cpu s", "pg cpu s", "redis cpu s", "bench cpu s", "others cpu s",
               "new pg sessions")  # fmt: skip
    rows = [[r.name, f"{r.n:,}", f"{r.wall:.1f}", f"{r.rate:,.1f}", f"{r.enqueue:.1f}",
             _ms(r.latencies, 50), _ms(r.latencies, 99), f"{r.cpu['workers']:.1f}",
             f"{r.cpu['postgres']:.1f}", f"{r.cpu['redis']:.1f}", f"{r.cpu['bench']:.1f}",
             f"{r.cpu['others']:.1f}",
             str(r.sessions)] for r in results]  # fmt: skip
    print(f"\n{processes} processes x {threads} threads, {os.cpu_count()} cores")
    print(render_table(headers, rows))
    if "c" in by:
        c = by["c"]
        ratios = [f"c/{k} = {c.rate / by[k].rate:.3f}" for k in ("a", "b") if k in by]
        # The same ratio from CPU cost per item, which other users of the machine disturb less.
        costs = [f"{k}/c = {_cost(by[k]) / _cost(c):.3f}" for k in ("a", "b") if k in by]
        if ratios:
            print(f"ratios of items/s: {', '.join(ratios)}; of CPU per item (workers, "
                  f"PostgreSQL and Redis: "
                  f"{', '.join(f'{k} {_cost(r) * 1e3:.2f} ms' for k, r in by.items())}): "
                  f"{', '.join(costs)}")  # fmt: skip
        print(f"(c) per item: worker CPU {c.cpu['workers'] / c.n * 1e3:.1f} ms, PostgreSQL CPU "
              f"{c.cpu['postgres'] / c.n * 1e3:.1f} ms; backends active {c.active:.1f}, "
              f"waiting on locks {c.lock_waiting:.1f} ({_waits(c)}; mean of probes); outcomes "
              f"{c.outcomes}")  # fmt: skip


def _cost(result: Result) -> float:
    """CPU seconds per item of the workers, PostgreSQL and Redis."""
    return sum(result.cpu[k] for k in ("workers", "postgres", "redis")) / result.n


def _waits(result: Result) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in result.waits.items()) or "none"


def report_statements(s: Statements) -> None:
    everything = [x for v in s.per_outcome.values() for x in v]
    print(f"\nstatements per triage, in-process, {len(everything)} triages on PostgreSQL: "
          f"mean {statistics.mean(everything):.2f}")  # fmt: skip
    rows = [[k, str(len(v)), f"{statistics.mean(v):.2f}", str(min(v)), str(max(v))]
            for k, v in sorted(s.per_outcome.items())]  # fmt: skip
    print(render_table(("outcome", "triages", "mean", "min", "max"), rows))
    kinds = ", ".join(f"{k} {v / len(everything):.2f}" for k, v in s.kinds.most_common())
    print(f"by kind, per triage: {kinds}")
    print(f"CPU per triage, one at a time: this process p50 {_ms(s.cpu, 50)} ms, mean "
          f"{statistics.mean(s.cpu) * 1e3:.1f} ms; PostgreSQL mean "
          f"{s.pg_cpu / len(everything) * 1e3:.1f} ms")  # fmt: skip


def report_sweep(results: Sequence[tuple[int, Result]], threads: int) -> None:
    cores = os.cpu_count() or 1
    headers = ("processes", "threads", "items/s", "p50 ms", "p99 ms", "worker cores",
               "pg cores", "others cores", "busy of machine", "lock waiters",
               "saturated")  # fmt: skip
    rows = []
    for processes, r in results:
        used = {k: v / r.wall for k, v in r.cpu.items()}
        busy = sum(used.values()) / cores
        verdict = ("the cores" if busy >= 0.9
                   else "the workers' GIL (a core per process)"
                   if used["workers"] >= 0.85 * processes
                   else "PostgreSQL locks" if r.lock_waiting >= 0.5 * r.active > 0
                   else "neither (latency-bound)")  # fmt: skip
        rows.append([str(processes), str(threads), f"{r.rate:,.1f}", _ms(r.latencies, 50),
                     _ms(r.latencies, 99), f"{used['workers']:.2f}", f"{used['postgres']:.2f}",
                     f"{used['others']:.2f}", f"{busy:.0%}", f"{r.lock_waiting:.1f}",
                     verdict])  # fmt: skip
    print(f"\n(c) by worker processes, {cores} cores")
    print(render_table(headers, rows))


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="items per phase (default 5000)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads each (default 8)")
    parser.add_argument("--only", default="a,b,c", help="phases to run (default a,b,c)")
    parser.add_argument("--sweep-processes", help="run (c) at these process counts, e.g. 1,2,4")
    parser.add_argument("--latency", action="store_true",
                        help="p50/p99 at half the maximum rate of (c)")  # fmt: skip
    parser.add_argument("--statements", type=int, default=STATEMENT_ITEMS,
                        help="in-process triages counted (default 200; 0: skip)")  # fmt: skip
    args = parser.parse_args()
    phases = set(args.only.split(","))
    started = time.perf_counter()
    data = make_dataset(args.n, end=datetime.now(UTC))
    print(f"{len(data.items):,} items from {data.senders:,} senders "
          f"({len(data.directory):,} in the directory): "
          f"{dict(Counter(i.channel.value for i in data.items))}", flush=True)  # fmt: skip
    with servers() as bench:
        results = []
        pt = {"processes": args.processes, "threads": args.threads}
        if "a" in phases:
            results.append(run_floor(bench, NOOP, n=args.n, **pt))
        if "b" in phases:
            results.append(run_floor(bench, INSERT, n=args.n, **pt))
        if "c" in phases or args.latency:
            results.append(run_triage(bench, data, **pt))
        if results:
            report(results, **pt)
        if args.statements:
            report_statements(count_statements(bench, args.statements))
        if args.sweep_processes:
            sweep = [(p, run_triage(bench, data, processes=p, threads=args.threads))
                     for p in (int(x) for x in args.sweep_processes.split(","))]  # fmt: skip
            report_sweep(sweep, args.threads)
        if args.latency:
            rate = results[-1].rate / 2
            done, processed, reached = run_latency(bench, data, rate=rate, **pt)
            print(f"\nlatency at {rate:,.1f} items/s offered ({reached:,.1f} reached): inbox row "
                  f"-> done p50 {_ms(done, 50)} ms, p99 {_ms(done, 99)} ms; -> processed_at "
                  f"p50 {_ms(processed, 50)} ms, p99 {_ms(processed, 99)} ms")  # fmt: skip
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
