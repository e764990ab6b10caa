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
from plaint.workers.embedded_redis import EmbeddedRedis
from plaint.workers.supervisor import ChildSpec, Supervisor

__all__ = ["Stack", "open_stack"]


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
    here. Every child gets ``environ`` with ``PLAINT_REDIS_URL`` set."""
    prepare_database(settings)
    with contextlib.ExitStack() as stack:
        url = settings.redis_url
        if url is None:
            url = stack.enter_context(EmbeddedRedis(settings.data_dir / "redis")).url
        env = {**environ, "PLAINT_REDIS_URL": url}
        command = [sys.executable, "-m", "plaint"]
        names = ["worker", "clock", *(["web"] if web else [])]
        supervisor = Supervisor([ChildSpec(name, [*command, name], env) for name in names])
        yield Stack(supervisor=supervisor, redis_url=url, environ=env)
