"""Engines and sessions: SQLite on one machine, PostgreSQL in production."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["READ_ONLY", "create_db_engine", "read_session_factory", "session_factory"]

# Execution option marking a connection whose transactions only read (see _sqlite_begin).
READ_ONLY = "plaint_read_only"

# How long a SQLite writer waits for another writer's lock before failing, in milliseconds.
_SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_db_engine(url: str) -> Engine:
    """Create an engine for ``url``. SQLite gets WAL, foreign keys and a busy timeout so
    that several worker processes can share one file; PostgreSQL gets pre-ping so a
    restarted server costs one retry, not an error. SQL parameters never appear in error
    messages (they would carry residents' phone numbers and text into logs)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps every commit atomic and ordered; power loss may roll back the
    # newest commits, but never an inbox row without the cursor advance that came after it.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A writer takes the write lock at BEGIN, so two writers queue (busy timeout) instead of
    # failing when both try to upgrade a read lock. A reader (READ_ONLY) begins deferred:
    # under WAL it reads a snapshot and never waits for, or blocks, a writer.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory every worker uses; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory for transactions that only read (API and page views,
    listings, the reconciler's scan). On SQLite they begin deferred and never queue behind
    a writer; a write attempted in one fails (SQLite cannot upgrade a deferred read of a
    busy database safely), so use :func:`session_factory` for anything that writes. On
    PostgreSQL they behave like any other session."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
