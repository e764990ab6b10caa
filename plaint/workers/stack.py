"""The process tree of one machine: an embedded Redis unless ``PLAINT_REDIS_URL`` is set,
the dramatiq workers, the clock and (for ``plaint run``) the web server, supervised. Used by
``plaint run`` and ``plaint demo``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from plaint.config import Settings
from plaint.models import create_db_engine
from plaint.models.migrate import upgrade
from plaint.queue.broker import QUEUES
from plaint.workers.embedded_redis import EmbeddedRedis
from plaint.workers.supervisor import ChildSpec, Supervisor

__all__ = ["INTAKE_WORKER", "WORK_QUEUES", "Stack", "open_stack"]

# ``plaint run``'s intake worker: one process, two threads, the intake queue only.
INTAKE_WORKER = ("--processes", "1", "--threads", "2", "--queues", "intake")
# The queues of ``plaint run``'s main worker.
WORK_QUEUES = tuple(q for q in QUEUES if q != "intake")


@dataclass(frozen=True)
class Stack:
    """A running (or ready to run) tree: call ``supervisor.run()`` to block in it."""

    supervisor: Supervisor
    redis_url: str
    environ: Mapping[str, str]


def prepare_database(settings: Settings) -> None:
    """Create the data directory for SQLite and migrate the database to the newest schema."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def open_stack(
    settings: Settings, environ: Mapping[str, str], *, web: bool = False
) -> Iterator[Stack]:
    """Migrate the database, start Redis if embedded, and yield the supervisor of the
    worker and clock children, and of ``plaint web`` if ``web`` (off by default, so that
    ``plaint demo`` does not take ``PLAINT_WEB_PORT``); on exit, stop whatever was started
    here. Every child gets ``environ`` with ``PLAINT_REDIS_URL`` set. The children do not
    log the calendar notices at start: the caller does, once."""
    prepare_database(settings)
    with contextlib.ExitStack() as stack:
        url = settings.redis_url
        if url is None:
            url = stack.enter_context(EmbeddedRedis(settings.data_dir / "redis")).url
        env = {**environ, "PLAINT_REDIS_URL": url}
        # The intake worker counts no metrics (poll times are in Redis) and must not take
        # the metrics address from the main worker.
        intake_env = {k: v for k, v in env.items() if k != "PLAINT_METRICS_ADDR"}
        command = [sys.executable, "-m", "plaint"]
        # The calendar notices are the caller's to log, once (plaint run, plaint demo).
        quiet = ["--no-start-notices"]
        children = [
            # Polling in a process of its own: a crash of a triage worker (dramatiq takes
            # all of its processes down with it) or a deep triage queue never stalls intake.
            ChildSpec("intake", [*command, "worker", *quiet, *INTAKE_WORKER], intake_env),
            ChildSpec("worker", [*command, "worker", *quiet, "--queues", *WORK_QUEUES], env),
            ChildSpec("clock", [*command, "clock", *quiet], env),
            # IMAP IDLE: enqueues a source's poll the moment mail arrives.
            ChildSpec("idle", [*command, "idle"], env),
        ]
        if web:
            children.append(ChildSpec("web", [*command, "web"], env))
        supervisor = Supervisor(children)
        yield Stack(supervisor=supervisor, redis_url=url, environ=env)
