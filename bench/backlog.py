"""Benchmark: plaint's triage throughput with a large backlog already queued, against the
same workers on an empty queue, in one run; and the workers' memory in both.

    python bench/backlog.py                      # -n 1,000,000 queued, windows of 2,000
    python bench/backlog.py -n 100000 --window 2000 --processes 2 --threads 8

Help-desk job tables have been reported to fall from 6,000 to 180 jobs/s at 100 k queued:
a queue whose cost per job grows with its length. This shows whether plaint's does. It
starts a throwaway PostgreSQL and redis-server (``bench/throughput.py``'s servers, data
and configuration), starts ``plaint worker --processes P --threads T`` once,
warms it up with half a window of items, then measures two windows of ``--window`` items
triaged by those same workers:

- empty: ``--window`` plus a margin (4 x P x T, so no thread idles before the window
  ends) items stored and enqueued onto the empty queue;
- backlog: ``-n`` items stored in the inbox by bulk inserts and enqueued by Redis
  transactions (:func:`plaint.queue.bulk.enqueue_many`) under a staging namespace the
  workers do not read, then moved onto the (drained) triage queue in one ``MULTI`` of two
  ``RENAME``; the window starts then, with the whole backlog queued and nothing of it
  processed yet (so both windows triage items of the same stretch of the data).

A window runs from its start until Redis holds ``--window`` fewer triage messages
(dramatiq deletes a message when it is acknowledged, after the triage's commit; ``HLEN``,
O(1), every 50 ms). Printed per window: items/s, CPU per item of the workers, PostgreSQL
and Redis (less disturbed by other users of the machine than items/s), the queue depth
and pending inbox rows at its start, and the workers' peak resident memory (the sum over
the process tree of /proc VmRSS, sampled with the probe; pages shared after the fork
count in each); then the ratios backlog/empty (target: items/s >= 0.9), the time the
backlog took to store and to enqueue, Redis's memory, and the workers' lifetime peak
(VmHWM). The items are ``bench/throughput_data.py``'s (Chinese and English complaints by
email, SMS and phone, with repeats): ``--base`` of them generated, then cycled with fresh
ids, so both windows triage the same kind of items (those of the first cycle: new
tickets, threads, near-duplicates).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.throughput import Bench, _servers, servers, store_items, workers  # noqa: E402
from bench.throughput_cpu import CpuMeter, tree_rss  # noqa: E402
from bench.throughput_data import Dataset, Item, make_dataset  # noqa: E402
from plaint.cli.output import render_table  # noqa: E402
from plaint.queue.broker import build_broker  # noqa: E402
from plaint.queue.bulk import enqueue_many  # noqa: E402
from plaint.queue.producer import ACTOR_QUEUES, TRIAGE  # noqa: E402

PROBE_SECONDS = 0.05
STORE_CHUNK = 10_000  # inbox rows per INSERT ... RETURNING
WINDOW_TIMEOUT_SECONDS = 1800
MESSAGES = f"dramatiq:{ACTOR_QUEUES[TRIAGE]}.msgs"  # the triage queue's message hash


# ------------------------------------------------------------------------------ items


class Stream:
    """An endless run of items: the base dataset, then copies of it with fresh ids."""

    def __init__(self, base: Dataset) -> None:
        self.base = base.items
        self.next = 0

    def take(self, count: int) -> Iterator[Item]:
        for i in range(self.next, self.next + count):
            item, cycle = self.base[i % len(self.base)], i // len(self.base)
            yield item if cycle == 0 else _copy(item, cycle)
        self.next += count


def _copy(item: Item, cycle: int) -> Item:
    """``item`` under a new external id (the payload's own id rewritten with it)."""
    new = f"{item.external_id}.{cycle}"
    if item.external_id.startswith("<"):  # an email's Message-ID: <r-12@residents.example>
        new = f"{item.external_id[:-1]}.{cycle}>"
        payload = item.payload.replace(item.external_id.encode(), new.encode(), 1)
    else:  # an SMS or call record: a JSON string value
        payload = item.payload.replace(f'"{item.external_id}"'.encode(), f'"{new}"'.encode(), 1)
    return replace(item, external_id=new, payload=payload)


def load(url: str, broker: dramatiq.Broker, items: Iterator[Item], *,
         source: str) -> tuple[float, float]:  # fmt: skip
    """Store ``items`` in the inbox in chunks and enqueue their triage; return the seconds
    spent storing and enqueueing."""
    stored = enqueued = 0.0
    while True:
        chunk = [item for _, item in zip(range(STORE_CHUNK), items, strict=False)]
        if not chunk:
            return stored, enqueued
        start = time.perf_counter()
        ids = store_items(url, chunk, source=source)
        middle = time.perf_counter()
        enqueue_many(broker, TRIAGE, ((i,) for i in ids))
        stored, enqueued = stored + middle - start, enqueued + time.perf_counter() - middle


# ----------------------------------------------------------------------------- windows


@dataclass
class Window:
    name: str
    items: int
    wall: float
    depth: int
    pending: int
    peak_rss: int
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.items / self.wall

    @property
    def cost(self) -> float:
        """CPU seconds per item of the workers, PostgreSQL and Redis."""
        return sum(self.cpu[k] for k in ("workers", "postgres", "redis")) / self.items


def measure(bench: Bench, client: redis.Redis, url: str, workers_pid: int, *, name: str,
            items: int) -> Window:  # fmt: skip
    """Time the workers through ``items`` triage messages from now."""
    start_depth = int(client.hlen(MESSAGES))
    pending = _pending(url)
    peak = 0
    deadline = time.monotonic() + WINDOW_TIMEOUT_SECONDS
    with CpuMeter(_servers(bench, workers_pid)) as meter:
        start = time.perf_counter()
        while int(client.hlen(MESSAGES)) > start_depth - items:
            peak = max(peak, tree_rss(workers_pid))
            if time.monotonic() > deadline:
                raise SystemExit(f"the {name} window did not finish in time")
            time.sleep(PROBE_SECONDS)
        wall = time.perf_counter() - start
    return Window(name, items, wall, start_depth, pending, peak, meter.used)


def _pending(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()
    return int(row[0]) if row else 0


def publish(client: redis.Redis, staging: RedisBroker) -> float:
    """Move the staged backlog onto the empty triage queue at once; return the seconds."""
    queue = ACTOR_QUEUES[TRIAGE]
    start = time.perf_counter()
    pipe = client.pipeline(transaction=True)
    pipe.rename(f"{staging.namespace}:{queue}", f"dramatiq:{queue}")
    pipe.rename(f"{staging.namespace}:{queue}.msgs", MESSAGES)
    pipe.execute()
    return time.perf_counter() - start


def _drain(client: redis.Redis) -> None:
    while int(client.hlen(MESSAGES)) > 0:
        time.sleep(PROBE_SECONDS)


# ------------------------------------------------------------------------------ report


def report(windows: Sequence[Window], *, stored: float, enqueued: float, backlog: int,
           redis_bytes: int, hwm: int) -> None:  # fmt: skip
    mib = 1024 * 1024
    rows = [[w.name, f"{w.depth:,}", f"{w.pending:,}", f"{w.items:,}", f"{w.wall:.1f}",
             f"{w.rate:,.1f}", f"{w.cost * 1e3:.2f}", f"{w.cpu['workers'] / w.items * 1e3:.2f}",
             f"{w.cpu['postgres'] / w.items * 1e3:.2f}", f"{w.cpu['others']:.1f}",
             f"{w.peak_rss / mib:,.0f}"] for w in windows]  # fmt: skip
    headers = ("window", "queued at start", "pending rows", "items", "wall s", "items/s",
               "cpu ms/item", "worker ms/item", "pg ms/item", "others cpu s",
               "worker peak RSS MiB")  # fmt: skip
    print(render_table(headers, rows))
    empty, full = windows
    print(f"backlog/empty: items/s {full.rate / empty.rate:.3f} (target >= 0.9); CPU per "
          f"item {full.cost / empty.cost:.3f}; worker peak RSS {full.peak_rss / mib:,.0f} vs "
          f"{empty.peak_rss / mib:,.0f} MiB ({full.peak_rss / empty.peak_rss:.2f}x)")  # fmt: skip
    print(
        f"backlog of {backlog:,}: stored in the inbox in {stored:.1f} s "
        f"({backlog / stored:,.0f} rows/s), enqueued in {enqueued:.1f} s "
        f"({backlog / enqueued:,.0f} messages/s); Redis used {redis_bytes / mib:,.0f} MiB "
        f"with it queued; workers' lifetime peak (VmHWM, summed) {hwm / mib:,.0f} MiB"
    )


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="backlog (default 1,000,000)")
    parser.add_argument("--window", type=int, default=2000, help="items timed (default 2000)")
    parser.add_argument("--base", type=int, default=6000, help="distinct items (default 6000)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads each (default 8)")
    args = parser.parse_args()
    margin = 4 * args.processes * args.threads
    warm = max(margin, args.window // 2)
    if args.n < args.window + margin or args.base < warm + 2 * (args.window + margin):
        parser.error("need -n >= window + margin and --base >= warm-up + 2 x (window + margin)")
    started = time.perf_counter()
    base = make_dataset(args.base, end=datetime.now(UTC))
    stream = Stream(base)
    print(
        f"{args.base:,} distinct items, {len(base.directory):,} residents; backlog "
        f"{args.n:,}; {args.processes} processes x {args.threads} threads",
        flush=True,
    )
    with servers() as bench:
        url = bench.fresh_database(base.directory)
        broker = build_broker(bench.redis.url)
        client = redis.Redis.from_url(bench.redis.url)
        argv = ["-m", "plaint", "worker", "--processes", str(args.processes),
                "--threads", str(args.threads), "--queues", ACTOR_QUEUES[TRIAGE]]  # fmt: skip
        with workers(bench, argv, url, "backlog-worker") as pid:
            load(url, broker, stream.take(warm), source="warm")
            _drain(client)
            load(url, broker, stream.take(args.window + margin), source="empty")
            empty = measure(bench, client, url, pid, name="empty", items=args.window)
            _drain(client)
            print(f"empty window done; loading the backlog of {args.n:,}", flush=True)
            staging = RedisBroker(url=bench.redis.url, namespace="plaint-bench-staging")
            stored, enqueued = load(url, staging, stream.take(args.n), source="backlog")
            enqueued += publish(client, staging)
            staging.close()
            redis_bytes = int(client.info("memory")["used_memory"])
            full = measure(bench, client, url, pid, name="backlog", items=args.window)
            hwm = tree_rss(pid, field="VmHWM")
        client.close()
        broker.close()
    report([empty, full], stored=stored, enqueued=enqueued, backlog=args.n,
           redis_bytes=redis_bytes, hwm=hwm)  # fmt: skip
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
