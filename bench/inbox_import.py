"""Benchmark: ``plaint inbox import`` of N generated .eml files, against a baseline measured
in the same run on the same files: one ``store_delivery`` transaction per message (what a
loop over the poller's write path would do).

    python bench/inbox_import.py                     # 1,000 and 10,000 files, SQLite
    python bench/inbox_import.py --postgres          # the same on a throwaway PostgreSQL
    python bench/inbox_import.py --db-url postgresql://user@host/db -n 10000

Each size gets fresh databases (files are written to a temporary folder first, not timed).
Prints messages per second for: the baseline, the batched import (scan + read + store, as
the command does, without a queue), the same import again (everything already there), and
reading and parsing the files without storing them (the floor the database adds to).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from plaint.models import create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.fileintake import import_files
from plaint.service.filereaders import Unreadable, email_delivery, read_file, scan_paths
from plaint.service.store import store_delivery

TEXTS = (
    "3号楼2单元电梯停在12楼困人了，请马上派人！",
    "我家5栋1101卫生间天花板滴水，楼上水管漏了两天了。",
    "今年物业费涨价没有公示收费明细，要求解释。",
    "The lift in Building 8 has been broken since Monday, third time this month.",
    "Dogs off the lead near the playground every evening.",
)


def write_files(folder: Path, n: int) -> None:
    """Write ``n`` .eml files (UTF-8 and GBK, Chinese and English), 1,000 per sub-folder."""
    for i in range(n):
        message = EmailMessage()
        message["From"] = f"resident{i % 500}@example.com"
        message["Subject"] = TEXTS[i % len(TEXTS)][:12]
        message["Message-ID"] = f"<bench-{i}@example.com>"
        message["Date"] = "Mon, 02 Nov 2026 09:00:00 +0800"
        charset = "gbk" if i % 3 == 0 else "utf-8"
        message.set_content(TEXTS[i % len(TEXTS)] + f"\n\n编号 {i}", charset=charset)
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{i:06d}.eml").write_bytes(bytes(message))


def baseline(url: str, folder: Path) -> float:
    """Read every file and store it with one transaction per message; messages/s."""
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    start = time.perf_counter()
    count = 0
    for found in scan_paths([folder]).files:
        raw = found.path.read_bytes()
        item = email_delivery(raw, source="baseline", where=str(found.path),
                              fallback_received=now, now=now)  # fmt: skip
        assert not isinstance(item, Unreadable)
        with sessions.begin() as session:
            store_delivery(session, item, now=now)
        count += 1
    elapsed = time.perf_counter() - start
    engine.dispose()
    return count / elapsed


def read_only(folder: Path) -> float:
    """Scan and read every file into deliveries without storing them: the floor; msgs/s."""
    now = datetime.now(UTC)
    start = time.perf_counter()
    count = sum(1 for f in scan_paths([folder]).files for _ in read_file(f, source="x", now=now))
    return count / (time.perf_counter() - start)


def batched(url: str, folder: Path) -> tuple[float, float]:
    """Import ``folder`` twice as the command does; messages/s of each run."""
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    rates = []
    for _ in range(2):
        start = time.perf_counter()
        result = import_files(sessions, scan_paths([folder]), clock=lambda: datetime.now(UTC),
                              enqueue=None)  # fmt: skip
        rates.append(result.messages / (time.perf_counter() - start))
    engine.dispose()
    return rates[0], rates[1]


def run(sizes: list[int], make_url: Callable[[Path, str], str], label: str) -> None:
    """Measure each size; ``make_url(tmp, name)`` gives a database for one measurement."""
    print(f"database: {label}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "mail"
            folder.mkdir()
            write_files(folder, n)
            floor = read_only(folder)
            base = baseline(make_url(Path(tmp), f"base{n}"), folder)
            first, again = batched(make_url(Path(tmp), f"import{n}"), folder)
        print(f"  {n:>6,} files, msgs/s: baseline (1 txn/msg) {base:6,.0f} | import "
              f"{first:6,.0f} ({first / base:4.1f}x) | re-import (all there) {again:6,.0f} | "
              f"read+parse only {floor:6,.0f}")  # fmt: skip
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", default="1000,10000", help="files, comma-separated (%(default)s)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--db-url", help="an empty database (the runs use distinct sources)")
    where.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL")
    args = parser.parse_args()
    sizes = [int(n) for n in args.n.split(",")]
    if args.db_url:
        run(sizes, lambda _tmp, _name: str(args.db_url), args.db_url)
    elif not args.postgres:
        run(sizes, lambda tmp, name: f"sqlite:///{tmp / name}.db", "SQLite file (temp dir)")
    else:
        from tests.servers import running_postgres

        with running_postgres("bench-pg") as server:
            run(sizes, lambda _tmp, name: server.create_database(name),
                "PostgreSQL 15, throwaway server, fresh database per run")  # fmt: skip


if __name__ == "__main__":
    main()
