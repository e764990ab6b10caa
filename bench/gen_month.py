"""Load a generated, realistic month of tickets (and the months before it) into a database.

    python bench/gen_month.py --db-url sqlite:///month.db --tickets 3000
    python bench/gen_month.py --db-url postgresql://user@host/db --tickets 100000

The database is migrated first (``plaint db upgrade``); the data come from
:func:`plaint.service.monthly.sample.write_sample` (residents, tickets, one message each,
audit trail, clock events and SLA marks, played through plaint's SLA planning) with the
packaged configuration. Prints what was written and how long playing and writing took;
then ``plaint report monthly --month … --as-of …`` or the pages can be measured on it.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from plaint.config import load_config
from plaint.models import create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.monthly.sample import write_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--month", default="2026-10", help="YYYY-MM (default 2026-10)")
    parser.add_argument("--tickets", type=int, default=3000, help="tickets of the month")
    parser.add_argument("--history", type=int, default=6, help="months before it")
    parser.add_argument("--history-tickets", type=int, help="tickets per earlier month")
    parser.add_argument("--as-of", help="ISO instant the data are as of (default: 5 days "
                        "after the month)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    config = load_config(None)
    year, month = (int(part) for part in args.month.split("-"))
    as_of = (
        datetime.fromisoformat(args.as_of).astimezone(config.timezone) if args.as_of
        else datetime(year + month // 12, month % 12 + 1, 6, tzinfo=config.timezone)
    )  # fmt: skip
    engine = create_db_engine(args.db_url)
    upgrade(engine)
    started = time.perf_counter()
    with session_factory(engine).begin() as session:
        summary = write_sample(
            session, config=config, year=year, month=month, tickets=args.tickets,
            history=args.history, history_tickets=args.history_tickets, as_of=as_of,
            seed=args.seed,
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    engine.dispose()
    months = ", ".join(f"{label}: {count}" for label, count in summary.months)
    print(f"wrote {summary.tickets} tickets ({months}), {summary.residents} residents, "
          f"{summary.marks} SLA marks as of {as_of.isoformat()} in {elapsed:.1f} s "
          f"({summary.tickets / elapsed:.0f} tickets/s)")  # fmt: skip


if __name__ == "__main__":
    main()
