"""Benchmark: the cost of taking in and triaging one email, against the floor cost of
just making it durable, measured in the same run.

    python bench/triage.py                       # SQLite in a temporary directory
    python bench/triage.py --db-url postgresql://user@host/db   # an empty PostgreSQL DB
    python bench/triage.py -n 5000
    python bench/triage.py -n 1000 --history 20000   # the cost after a long history

Prints, per stage: items per second, latency percentiles per item, and the ratio of the
full triage to the baseline (inbox insert only). Also the rule classifier alone in texts
per second on one core. Peak memory (max RSS) at the end.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from plaint.channels.base import Delivery
from plaint.channels.email.imap import email_external_id
from plaint.config import load_config
from plaint.inbound import ChannelKind
from plaint.models import create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.pipeline.classify import classify
from plaint.pipeline.normalise import complaint_text
from plaint.service.directory import sync_directory
from plaint.service.store import store_delivery
from plaint.service.triage import triage_inbox

TEXTS = (
    "3号楼2单元电梯停在12楼困人了，请马上派人！",
    "我家5栋1101卫生间天花板滴水，楼上水管漏了两天了。",
    "7号楼从早上开始停水，也没有通知。",
    "晚上十点以后中心花园广场舞噪音太大，孩子睡不着。",
    "地下车库消防通道长期被私家车占用，保安不管。",
    "门口垃圾桶满了两天没人清运，味道很大。",
    "今年物业费涨价没有公示收费明细，要求解释。",
    "前台工作人员态度很差，不耐烦。",
    "The lift in Building 8 has been broken since Monday, third time this month.",
    "Large cracks in the living room wall of unit 6-402, please arrange a warranty repair.",
    "Dogs off the lead near the playground every evening.",
    "Please send me an invoice for the parking fee I paid.",
)


def mails(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        message = EmailMessage()
        message["From"] = f"resident{i % 500}@example.com"
        message["Subject"] = TEXTS[i % len(TEXTS)][:12]
        message["Message-ID"] = f"<bench-{i}@example.com>"
        message.set_content(TEXTS[i % len(TEXTS)] + f"\n\n编号 {i}")
        out.append(bytes(message))
    return out


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49] * 1e3:6.2f} ms  p95 {q[94] * 1e3:6.2f} ms  p99 {q[98] * 1e3:6.2f} ms"


def timed(items: list[int], step: Callable[[int], None]) -> tuple[float, list[float]]:
    latencies = []
    start = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        step(item)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - start, latencies


def run(db_url: str, n: int, history: int = 0) -> None:
    config = load_config(None)
    engine = create_db_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        sync_directory(session, config, now=datetime.now(UTC))
    raw = mails(n + history)
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    deliveries = [
        Delivery("bench", ChannelKind.EMAIL, email_external_id(r), r, now + timedelta(seconds=i),
                 "{}")
        for i, r in enumerate(raw)
    ]  # fmt: skip
    ids: list[int] = []

    def store(i: int) -> None:
        with sessions.begin() as session:
            ids.append(store_delivery(session, deliveries[i], now=now).inbox_id)

    def triage(i: int) -> None:
        with sessions.begin() as session:
            triage_inbox(session, ids[i], config=config, now=now)

    if history:
        timed(list(range(history)), store)
        timed(list(range(history)), triage)  # past tickets, not timed
    items = list(range(history, history + n))
    base_total, base_lat = timed(items, store)
    full_total, full_lat = timed(items, triage)
    print(f"database: {engine.dialect.name}, {n} mails after {history} past mails")
    print(f"  baseline inbox insert: {n / base_total:8.0f} /s   {percentiles(base_lat)}")
    print(f"  triage (parse..ticket): {n / full_total:7.0f} /s   {percentiles(full_lat)}")
    print(f"  triage / baseline time per item: {full_total / base_total:.2f}x")
    engine.dispose()


def classify_rate(n: int) -> None:
    taxonomy = load_config(None).taxonomy
    texts = [complaint_text(subject="", body=t) for t in TEXTS] * (n // len(TEXTS) + 1)
    texts = texts[:n]
    start = time.perf_counter()
    for text in texts:
        text.casefold()
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        classify(text, taxonomy=taxonomy)
    elapsed = time.perf_counter() - start
    print(f"rule classifier: {n / elapsed:8.0f} texts/s on one core "
          f"(baseline casefold only: {n / baseline:,.0f}/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="mails (default 2000)")
    parser.add_argument("--db-url", help="an empty database (default: SQLite in a temp dir)")
    parser.add_argument("--history", type=int, default=0, help="past mails triaged first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}", args.n, args.history)
    classify_rate(args.n * 10)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {rss:.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
