"""Benchmark: one worker "machine" against two, on one PostgreSQL and one Redis: the same
load triaged exactly once by each, and the throughput of two as a multiple of one's.

    python bench/two_machines.py                     # 3,000 items, machines of 1 x 8
    python bench/two_machines.py --n 5000 --processes 2 --threads 8

A machine is a ``plaint worker --processes P --threads T`` process tree in a process group
and session of its own, with its own working, temporary and data directories and only the
database and Redis URLs in common (``tests/machines.py``, shared with the test
``tests/workers/test_two_machines.py``). Each phase gets a fresh database holding the same
``--n`` items (``bench/throughput_data.py``'s, stored as pending inbox rows), starts its
machines, waits until all their processes fetch from Redis, warms them up, enqueues the
items in one go (:func:`plaint.queue.bulk.enqueue_many`) and times until no item is
pending (probing the database every 20 ms, ``bench/throughput.py``'s probe). Then it
counts: items done or quarantined, message rows and distinct inbox ids among them (one
message per item: a duplicate is a message row too many), tickets, and each machine's share
(its "inbox N triaged" log lines, PLAINT_LOG_LEVEL=INFO in both phases). Printed per phase:
items/s, CPU of each machine, PostgreSQL and Redis, how busy the whole machine was, and
the ratio two/one. On two cores shared with others, two machines of one process each can
at best double one; past that the cores are the limit, and the "busy" column says so.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.throughput import Bench, Probe, _pending, servers, store_items  # noqa: E402
from bench.throughput_cpu import CpuMeter  # noqa: E402
from bench.throughput_data import Dataset, make_dataset  # noqa: E402
from plaint.cli.output import render_table  # noqa: E402
from plaint.queue.broker import build_broker  # noqa: E402
from plaint.queue.bulk import enqueue_many  # noqa: E402
from plaint.queue.producer import TRIAGE  # noqa: E402
from tests.machines import Machine, start_machine, stop_machine, wait_for_consumers  # noqa: E402

TRIAGED = re.compile(rb"inbox (\d+) triaged")
PHASE_TIMEOUT_SECONDS = 1800


@dataclass
class Phase:
    machines: int
    n: int
    wall: float
    cpu: dict[str, float]
    counts: dict[str, int]
    shares: list[int]

    @property
    def rate(self) -> float:
        return self.n / self.wall


def run_phase(bench: Bench, data: Dataset, *, machines: int, processes: int,
              threads: int) -> Phase:  # fmt: skip
    url = bench.fresh_database(data.directory)
    warm = make_dataset(4 * processes * threads * machines, seed=99, tag="w",
                        end=data.items[0].received_at)  # fmt: skip
    warm_ids = store_items(url, warm.items, source="warm")
    ids = store_items(url, data.items, source="bench")
    environ = {**bench.environ(url), "PLAINT_LOG_LEVEL": "INFO"}
    workdir = Path(tempfile.mkdtemp(dir=bench.workdir, prefix=f"phase{machines}-"))
    broker = build_broker(bench.redis.url)
    client = redis.Redis.from_url(bench.redis.url)
    client.flushall()  # the last phase's consumers, gone, still in the heartbeat set
    client.close()
    group = [start_machine(f"m{k + 1}", workdir=workdir, environ=environ, processes=processes,
                           threads=threads) for k in range(machines)]  # fmt: skip
    probe = Probe(url)
    try:
        wait_for_consumers(bench.redis.url, machines * processes, machines=group)
        enqueue_many(broker, TRIAGE, ((i,) for i in warm_ids))
        probe.wait(lambda: _pending(probe, warm_ids) == 0)
        roots = {m.name: m.pid for m in group}
        assert bench.pg.process is not None
        assert bench.redis.process is not None
        roots |= {"postgres": bench.pg.process.pid, "redis": bench.redis.process.pid}
        with CpuMeter(roots) as meter:
            start = time.perf_counter()
            enqueue_many(broker, TRIAGE, ((i,) for i in ids))
            probe.wait(lambda: _pending(probe, ids) == 0)
            wall = time.perf_counter() - start
    finally:
        for machine in group:
            stop_machine(machine)
    counts = _counts(probe, ids)
    probe.close()
    broker.close()
    return Phase(machines, len(ids), wall, meter.used, counts, _shares(group, set(ids)))


def _counts(probe: Probe, ids: Sequence[int]) -> dict[str, int]:
    span = (ids[0], ids[-1])
    rows = probe.conn.execute("SELECT status, count(*) FROM inbox WHERE id BETWEEN %s AND %s "
                              "GROUP BY status", span).fetchall()  # fmt: skip
    counts = {str(status): int(k) for status, k in rows}
    messages, distinct = probe.conn.execute(
        "SELECT count(*), count(DISTINCT inbox_id) FROM messages WHERE inbox_id BETWEEN %s AND %s",
        span,
    ).fetchone() or (0, 0)
    counts |= {"messages": int(messages), "duplicates": int(messages) - int(distinct)}
    counts["tickets"] = int(probe.scalar("SELECT count(*) FROM tickets"))
    return counts


def _shares(group: Sequence[Machine], ids: set[int]) -> list[int]:
    """Items of ``ids`` each machine's log says it triaged."""
    return [sum(int(i) in ids for i in TRIAGED.findall(m.log.read_bytes())) for m in group]


def report(phases: Sequence[Phase], *, processes: int, threads: int) -> None:
    rows = []
    for p in phases:
        machines = sum(v for k, v in p.cpu.items() if k.startswith("m"))
        busy = sum(p.cpu.values()) / p.wall / (os.cpu_count() or 1)
        rows.append([str(p.machines), f"{p.n:,}", f"{p.wall:.1f}", f"{p.rate:,.1f}",
                     " + ".join(f"{s:,}" for s in p.shares), f"{machines / p.wall:.2f}",
                     f"{p.cpu['postgres'] / p.wall:.2f}", f"{p.cpu['others'] / p.wall:.2f}",
                     f"{busy:.0%}", str(p.counts)])  # fmt: skip
    print(f"\nmachines of {processes} process(es) x {threads} threads")
    print(render_table(("machines", "items", "wall s", "items/s", "triaged by each",
                        "workers cores", "pg cores", "others cores", "machine busy",
                        "counts"), rows))  # fmt: skip
    one, two = phases
    print(f"two/one: items/s {two.rate / one.rate:.3f}")
    for p in phases:
        done = p.counts.get("done", 0) + p.counts.get("quarantined", 0)
        once = done == p.n and p.counts["duplicates"] == 0 and sum(p.shares) <= p.n
        print(f"{p.machines} machine(s): every item exactly once: {'yes' if once else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="items per phase (default 3000)")
    parser.add_argument("--processes", type=int, default=1, help="per machine (default 1)")
    parser.add_argument("--threads", type=int, default=8, help="per process (default 8)")
    args = parser.parse_args()
    started = time.perf_counter()
    data = make_dataset(args.n, end=datetime.now(UTC))
    pt = {"processes": args.processes, "threads": args.threads}
    with servers() as bench:
        phases = [run_phase(bench, data, machines=k, **pt) for k in (1, 2)]
    report(phases, **pt)
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
