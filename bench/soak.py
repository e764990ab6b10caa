"""Soak: a steady mixed load at a fixed arrival rate for minutes on end against plaint's
whole process tree, with optional faults; a line of figures every minute and, at the end,
the exactly-once accounting, a leak check and a drift check.

    PYTHONPATH=. .venv/bin/python bench/soak.py --minutes 30 --faults
    PYTHONPATH=. .venv/bin/python bench/soak.py --minutes 2 --rate 60

It reuses the chaos suite (``tests/chaos/harness.py``): every server of its own on loopback
(PostgreSQL, Redis, Dovecot, the Twilio stand-in, an SMTP server, RabbitMQ), plaint's
supervised tree (poller, triage worker, dispatcher, clock, web) and its mixed load, a round
at a time: a mail on IMAP, an SMS by signed webhook, an SMS for the Twilio poller, a
call-centre CSV file, an AMQP call event (published twice), and every third round a mail
reply and a second SMS once the originals have their tickets. ``--rate`` is items per
minute (a round is 5 items); rounds start on a fixed schedule, so a round held up (the
webhook retried while PostgreSQL is down) is followed by rounds without a pause.

``--faults``: ``kill -9`` of a random one of poller, triage worker, dispatcher and clock
every ``--kill-every`` seconds, Redis killed and restarted once (a third of the way) and
PostgreSQL stopped for ``--pg-outage`` seconds once (two thirds of the way).

Each minute: items offered, tickets, messages, notifications sent, backlog (dramatiq
messages per queue, inbox rows untriaged, notifications unsent), p50/p95 intake->ticket
latency (stored in the inbox -> triaged) and p95 intake->ack-sent latency of that minute,
RSS of plaint's processes (sum, largest), Redis used memory, the database's size, and
quarantined items / failed notifications / dead-lettered messages. After the load it
waits for everything to be triaged and sent, then prints the accounting of
:mod:`tests.chaos.accounting` (lost = 0 and duplicated = 0 at the stand-in and the SMTP
server, no SLA mark repeated), RSS and latency of the first quarter against the last, and
its baseline: the first ``--baseline`` minutes against the last, measured in this run.
Exits 1 if anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.soak_probe import Probe, Sample  # noqa: E402
from bench.soak_report import header, line, summary  # noqa: E402
from tests.chaos.harness import Load, Servers, Tree, account, running_rig  # noqa: E402

KILLABLE = ("intake", "worker", "dispatcher", "clock")
ROUND_ITEMS = 5  # items a round of the chaos load offers (replies come on top)
SAMPLE_SECONDS = 60.0
TICK_SECONDS = 0.25  # the loop's longest sleep between due rounds, faults and samples


@dataclass
class Faults:
    """The faults due at offsets (seconds into the load), and what was done."""

    plan: list[tuple[float, str]]
    chance: random.Random
    outage_seconds: float
    done: list[tuple[float, str]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def run_due(self, elapsed: float, tree: Tree, servers: Servers) -> None:
        while self.plan and self.plan[0][0] <= elapsed:
            _, fault = self.plan.pop(0)
            if fault == "kill":
                name = self.chance.choice(KILLABLE)
                fault = f"kill -9 {name}" + ("" if tree.kill(name) else " (was restarting)")
            elif fault == "redis":
                servers.redis.kill()
                servers.redis.start()
                fault = "redis killed and restarted"
            else:
                self.threads.append(threading.Thread(target=self._outage, args=(servers,)))
                self.threads[-1].start()
                fault = f"postgresql stopped for {self.outage_seconds:.0f} s"
            self.done.append((elapsed, fault))
            print(f"  {elapsed / 60:5.1f} min  fault: {fault}", flush=True)

    def _outage(self, servers: Servers) -> None:
        servers.postgres.pause()
        time.sleep(self.outage_seconds)  # the outage itself, not a wait for a server
        servers.postgres.start()


def fault_plan(*, seconds: float, kill_every: float) -> list[tuple[float, str]]:
    """Kills every ``kill_every`` seconds, Redis at a third, PostgreSQL at two thirds."""
    kills = [(k * kill_every, "kill") for k in range(1, int(seconds // kill_every) + 1)
             if k * kill_every < seconds]  # fmt: skip
    return sorted([*kills, (seconds / 3, "redis"), (2 * seconds / 3, "postgres")])


def plaint_pids(tree: Tree) -> list[int]:
    pids = (tree.supervisor.pid(name) for name in Tree.NAMES)
    return [pid for pid in pids if pid is not None]


def soak(servers: Servers, args: argparse.Namespace) -> int:
    seconds = args.minutes * 60
    interval = 60 * ROUND_ITEMS / args.rate
    faults = Faults(fault_plan(seconds=seconds, kill_every=args.kill_every) if args.faults
                    else [], random.Random(args.seed), args.pg_outage)  # fmt: skip
    with Tree(servers.rig) as tree:
        load = Load(servers.rig)
        probe = Probe(tree.engine, servers.rig.redis_url, lambda: plaint_pids(tree))
        try:
            start, samples = run_load(tree, load, probe, faults, servers,
                                      seconds=seconds, interval=interval)  # fmt: skip
            for thread in faults.threads:
                thread.join()
            settled = settle(tree, load, seconds=args.settle)
            samples.append(take(probe, load, start, datetime.now(UTC) - start))
            print(line(samples[-1]), " (settled)", flush=True)
            tally = account(tree, load)
            print(summary(probe, samples, tally, start=start, seconds=seconds,
                          baseline=args.baseline * 60, settled=settled,
                          faults=faults.done, tree=tree, load=load), flush=True)  # fmt: skip
        finally:
            probe.close()
    return 0 if tally.clean else 1


def run_load(
    tree: Tree, load: Load, probe: Probe, faults: Faults, servers: Servers, *,
    seconds: float, interval: float,
) -> tuple[datetime, list[Sample]]:  # fmt: skip
    """Feed rounds on schedule for ``seconds``, run faults when due, sample each minute."""
    print(header(), flush=True)
    start, began = datetime.now(UTC), time.monotonic()
    samples: list[Sample] = []
    rounds, next_sample = 0, SAMPLE_SECONDS
    while (elapsed := time.monotonic() - began) < seconds:
        if elapsed >= rounds * interval:
            rounds += 1
            load.round(tree, rounds)
        load.send_replies(tree)
        faults.run_due(elapsed, tree, servers)
        if elapsed >= next_sample:
            samples.append(take(probe, load, start, timedelta(seconds=next_sample)))
            print(line(samples[-1]), flush=True)
            next_sample += SAMPLE_SECONDS
        due = min(rounds * interval, next_sample, faults.plan[0][0] if faults.plan else seconds)
        time.sleep(min(TICK_SECONDS, max(0.0, due - (time.monotonic() - began))))
    return start, samples


def take(probe: Probe, load: Load, start: datetime, at: timedelta) -> Sample:
    """The sample of the minute ending ``at`` after ``start``."""
    until = start + at
    return probe.sample(elapsed=at.total_seconds(), offered=load.items,
                        since=until - timedelta(seconds=SAMPLE_SECONDS), until=until)  # fmt: skip


def settle(tree: Tree, load: Load, *, seconds: float) -> float | None:
    """Seconds until every item is triaged and every notification sent; None if that did
    not happen within ``seconds`` (the accounting then shows what is missing)."""
    try:
        return tree.settle(load, seconds=seconds)
    except AssertionError:
        return None


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the load")
    parser.add_argument("--rate", type=float, default=60.0, help="items offered per minute")
    parser.add_argument("--faults", action="store_true", help="kill, restart, stop servers")
    parser.add_argument("--kill-every", type=float, default=180.0, help="seconds between kills")
    parser.add_argument("--pg-outage", type=float, default=30.0, help="seconds PostgreSQL is down")
    parser.add_argument("--settle", type=float, default=600.0, help="seconds to wait at the end")
    parser.add_argument("--baseline", type=float, default=3.0, help="minutes compared first/last")
    parser.add_argument("--seed", type=int, default=14, help="the faults' random seed")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    print(f"soak: {args.minutes:g} min at {args.rate:g} items/min, faults "
          f"{'on' if args.faults else 'off'}; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="plaint-soak-") as home, running_rig(Path(home)) as s:
        status = soak(s, args)
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"exit {status}", flush=True)  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
