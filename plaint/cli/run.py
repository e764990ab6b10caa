"""``plaint run``, ``plaint worker`` and ``plaint clock``: the long-running processes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``run``, ``worker`` and ``clock`` commands."""
    run = subparsers.add_parser(
        "run",
        help="run everything on this machine: Redis (embedded unless PLAINT_REDIS_URL), "
        "workers, the clock and the web server, restarting what dies",
    )
    run.set_defaults(handler=_run)
    worker = subparsers.add_parser("worker", help="run dramatiq worker processes")
    worker.add_argument("--processes", type=int, help="worker processes (PLAINT_WORKER_PROCESSES)")
    worker.add_argument("--threads", type=int, help="threads per process (PLAINT_WORKER_THREADS)")
    worker.add_argument("--queues", nargs="+", help="queues to consume (default: all)")
    worker.set_defaults(handler=_worker)
    clock = subparsers.add_parser("clock", help="run the clock that enqueues periodic work")
    clock.set_defaults(handler=_clock)


def _logging(level: str) -> None:
    from plaint.workers.logfilter import install

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install()


def _run(args: argparse.Namespace) -> int:
    from plaint.config import load_config, load_settings
    from plaint.workers.stack import open_stack

    settings = load_settings(os.environ)
    # Fail here, naming the key or the uncovered year, not in every child.
    load_config(settings.config_path, required_years=[_this_year()])
    _logging(settings.log_level)
    _warn_if_next_year_is_missing(settings.config_path)
    with open_stack(settings, os.environ, web=True) as stack:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stack.supervisor.stop())
        logging.getLogger(__name__).info("plaint is running; Ctrl-C stops it")
        stack.supervisor.run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    from plaint.config import load_settings
    from plaint.queue.broker import QUEUES

    settings = load_settings(os.environ)
    logging.getLogger("dramatiq").setLevel(settings.log_level)
    argv = [
        "plaint.workers.entry",
        "--processes", str(args.processes or settings.worker_processes),
        "--threads", str(args.threads or settings.worker_threads),
        "--queues", *(args.queues or QUEUES),
    ]  # fmt: skip
    code: int = dramatiq_main(make_argument_parser().parse_args(argv))
    return code


def _clock(args: argparse.Namespace) -> int:
    import redis

    from plaint.config import load_config, load_settings, require_redis_url
    from plaint.pipeline.schedule import Schedule
    from plaint.queue import producer as names
    from plaint.queue.broker import build_broker
    from plaint.workers.actors import RECONCILE_GRACE, SLA_SWEEP_INTERVAL
    from plaint.workers.clock import run_clock

    settings = load_settings(os.environ)
    config = load_config(settings.config_path, required_years=[_this_year()])
    _logging(settings.log_level)
    redis_url = require_redis_url(settings)
    producer = names.Producer(build_broker(redis_url))
    jobs: dict[str, tuple[timedelta, Callable[[], None]]] = {
        f"poll:{s.name}": (s.poll_interval, partial(producer.send, names.POLL_SOURCE, s.name))
        for s in config.sources
    }
    jobs["reconcile"] = (RECONCILE_GRACE, partial(producer.send, names.RECONCILE_INBOX))
    jobs["sla_sweep"] = (SLA_SWEEP_INTERVAL, partial(producer.send, names.SLA_SWEEP))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_clock(
        client=redis.Redis.from_url(redis_url),
        schedule=Schedule({name: interval for name, (interval, _) in jobs.items()}),
        jobs={name: send for name, (_, send) in jobs.items()},
        stop=stop,
    )
    return 0


def _this_year() -> int:
    from datetime import UTC, datetime

    return datetime.now(UTC).year


def _warn_if_next_year_is_missing(path: Any) -> None:
    """Due times late in the year reach into the next one: say early if it is not known."""
    from plaint.config import load_config
    from plaint.errors import CalendarCoverageError

    try:
        load_config(path, required_years=[_this_year() + 1])
    except CalendarCoverageError as exc:
        logging.getLogger(__name__).warning("due times in %d will fail: %s", _this_year() + 1, exc)
