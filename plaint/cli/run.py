"""``plaint run``, ``plaint worker`` and ``plaint clock``: the long-running processes.

At start-up each loads the configuration for the current year (:func:`startup_calendar`):
only a year no calendar data covers at all stops it; a provisional year (statutory holidays
only, see :mod:`plaint.config.calendars`) is logged as a warning, and so is next year from
November. The clock repeats that check daily; ``plaint run`` also recomputes provisional
due times before starting its children (:mod:`plaint.service.recompute`). ``plaint run``
logs the notices once and starts its children with ``--no-start-notices`` (the clock's
daily check then first runs a day later), so that an operator reads them once, not once
per process.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaint.config import Config, Settings

__all__ = [
    "CALENDAR_CHECK_INTERVAL",
    "calendar_job",
    "configure_logging",
    "log_calendar_notices",
    "recompute_at_start",
    "register",
    "startup_calendar",
    "this_year",
]

CALENDAR_CHECK_INTERVAL = timedelta(days=1)
"""How often the clock logs the calendar notices (a provisional year, from November the
next year)."""

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``run``, ``worker`` and ``clock`` commands."""
    run = subparsers.add_parser(
        "run",
        help="run everything on this machine: Redis (embedded unless PLAINT_REDIS_URL), "
        "workers, the clock and the web server, restarting what dies",
    )
    run.set_defaults(handler=_run)
    notices = {
        "action": argparse.BooleanOptionalAction, "default": True,
        "help": "log the calendar notices (a provisional year) at start; plaint run, which "
        "has logged them, starts its children with --no-start-notices",
    }  # fmt: skip
    worker = subparsers.add_parser("worker", help="run dramatiq worker processes")
    worker.add_argument("--start-notices", **notices)
    worker.add_argument("--processes", type=int, help="worker processes (PLAINT_WORKER_PROCESSES)")
    worker.add_argument("--threads", type=int, help="threads per process (PLAINT_WORKER_THREADS)")
    worker.add_argument("--queues", nargs="+", help="queues to consume (default: all)")
    worker.set_defaults(handler=_worker)
    clock = subparsers.add_parser("clock", help="run the clock that enqueues periodic work")
    clock.add_argument("--start-notices", **notices)
    clock.set_defaults(handler=_clock)


def configure_logging(settings: Settings) -> None:
    """Log to stderr at ``PLAINT_LOG_LEVEL`` in ``PLAINT_LOG_FORMAT``, database error texts
    withheld (shared by run, worker, clock, idle and web: :mod:`plaint.workers.logs`)."""
    from plaint.workers.logs import configure

    configure(level=settings.log_level, log_format=settings.log_format)


def _run(args: argparse.Namespace) -> int:
    from plaint.config import load_settings
    from plaint.workers.stack import open_stack

    settings = load_settings(os.environ)
    configure_logging(settings)
    # Fail here, naming the key or the uncovered year, not in every child.
    config = _start_up(settings.config_path)
    with open_stack(settings, os.environ, web=True) as stack:
        recompute_at_start(settings, config, now=datetime.now(UTC))  # before the children
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stack.supervisor.stop())
        logger.info("plaint is running; Ctrl-C stops it")
        stack.supervisor.run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    from plaint.config import load_settings
    from plaint.queue.broker import QUEUES
    from plaint.telemetry.exporter import FORK_FUNCTION, multiprocess_directory

    settings = load_settings(os.environ)
    # dramatiq's own logging setup is skipped: its processes inherit this one's, and
    # plaint.workers.entry sets it again in each (dramatiq's lines in plaint's format).
    configure_logging(settings)
    _start_up(settings.config_path, notices=args.start_notices)
    argv = [
        "plaint.workers.entry", "--skip-logging",
        "--processes", str(args.processes or settings.worker_processes),
        "--threads", str(args.threads or settings.worker_threads),
        "--queues", *(args.queues or QUEUES),
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        if settings.metrics_addr is not None:
            stack.enter_context(multiprocess_directory(os.environ))
            argv += ["--fork-function", FORK_FUNCTION]
        _preload_actors()
        code: int = dramatiq_main(make_argument_parser().parse_args(argv))
    return code


def _preload_actors() -> None:
    """Import the actors' modules (the service layer, SQLAlchemy, the channels) here, in
    dramatiq's main process, before it forks the worker processes: each of them then
    starts with these modules already imported instead of importing them again (about a
    second of CPU per process). Importing them opens nothing; the entry module
    (:mod:`plaint.workers.entry`) still builds the broker and the actors in each worker
    process. Called after prometheus-client's multiprocess directory is set, which it
    reads when its metrics are created. (On Python 3.14, where dramatiq starts its
    processes with forkserver, this only costs the main process the imports.)"""
    import plaint.workers.actors  # noqa: F401


def _clock(args: argparse.Namespace) -> int:
    import redis

    from plaint.config import load_settings, require_broker_url, require_redis_url
    from plaint.pipeline.schedule import Schedule
    from plaint.queue import producer as names
    from plaint.queue.broker import build_broker
    from plaint.workers.cadence import OUTBOX_INTERVAL, RECONCILE_GRACE, SLA_SWEEP_INTERVAL
    from plaint.workers.clock import run_clock

    settings = load_settings(os.environ)
    configure_logging(settings)
    config = _start_up(settings.config_path, notices=False)  # the daily job logs them
    redis_url = require_redis_url(settings)
    producer = names.Producer(build_broker(require_broker_url(settings)))
    jobs: dict[str, tuple[timedelta, Callable[[], None]]] = {
        f"poll:{s.name}": (s.poll_interval, partial(producer.send, names.POLL_SOURCE, s.name))
        for s in config.sources
    }
    jobs["reconcile"] = (RECONCILE_GRACE, partial(producer.send, names.RECONCILE_INBOX))
    jobs["sla_sweep"] = (SLA_SWEEP_INTERVAL, partial(producer.send, names.SLA_SWEEP))
    jobs["outbox"] = (OUTBOX_INTERVAL, producer.dispatch_outbox)
    warnings = (config.early_warning.sweep_interval, partial(producer.send, names.WARNING_SWEEP))
    jobs["warning_sweep"] = warnings
    skip = 0 if args.start_notices else 1  # the first check is at start: plaint run's
    jobs["calendar_check"] = (CALENDAR_CHECK_INTERVAL, calendar_job(config, skip=skip))
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


def this_year() -> int:
    """The current year (UTC)."""
    return datetime.now(UTC).year


def startup_calendar(path: Path | None, *, now: datetime) -> tuple[Config, tuple[str, ...]]:
    """Load the configuration at ``path`` as a process starting at ``now`` does; return it
    with the calendar notices to log (:func:`plaint.config.calendars.calendar_notices`:
    this year provisional, from November next year provisional or uncovered).

    Raises ConfigError for a bad file and CalendarCoverageError only if ``now``'s year has
    no calendar data at all; a provisional year never stops a process.
    """
    from plaint.config import load_config
    from plaint.config.calendars import calendar_notices

    config = load_config(path, required_years=[now.astimezone(UTC).year])
    today = now.astimezone(config.timezone).date()
    return config, calendar_notices(config.calendar, today=today)


def _start_up(path: Path | None, *, notices: bool = True) -> Config:
    from plaint.channels import open_senders

    open_senders(os.environ)  # a half-configured sender (SMTP without a secret) stops here
    config, found = startup_calendar(path, now=datetime.now(UTC))
    for notice in found if notices else ():
        logger.warning("%s", notice)
    return config


def log_calendar_notices(config: Config, *, now: datetime) -> tuple[str, ...]:
    """The clock's daily calendar check: log (as warnings) and return the calendar notices
    of ``now``'s local date; never raises."""
    from plaint.config.calendars import calendar_notices

    found = calendar_notices(config.calendar, today=now.astimezone(config.timezone).date())
    for notice in found:
        logger.warning("%s", notice)
    return found


def calendar_job(
    config: Config, *, skip: int = 0, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Callable[[], None]:
    """The clock's daily calendar job: log the notices of ``config`` at ``clock()``'s
    date (:func:`log_calendar_notices`), except on its first ``skip`` runs (1 when the
    parent process has logged them at start)."""
    runs = 0

    def check() -> None:
        nonlocal runs
        runs += 1
        if runs > skip:
            log_calendar_notices(config, now=clock())

    return check


def recompute_at_start(settings: Settings, config: Config, *, now: datetime) -> None:
    """Recompute provisional due times in the database of ``settings`` with ``config``, just
    loaded (a year may have been added since the last start), and log what changed."""
    from plaint.models import create_db_engine, session_factory
    from plaint.service.recompute import recompute_provisional

    engine = create_db_engine(settings.database_url)
    try:
        result = recompute_provisional(session_factory(engine), config=config, now=now)
    finally:
        engine.dispose()
    if result.changes:
        logger.info(
            "recomputed due times: %d tickets changed, %d now final, %d still provisional",
            len(result.changes), result.confirmed, result.provisional,
        )  # fmt: skip
    if result.failed:
        logger.warning("%d open tickets still have no due times: a calendar year is missing",
                       result.failed)  # fmt: skip
