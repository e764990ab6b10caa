"""What the database commands share: opening the configured database (checked first, so
a new user sees one line saying what to do, never a traceback), describing a database
failure without secrets, and reading an instant given on the command line."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from plaint.config import Config

__all__ = ["database_failure", "open_db", "parse_instant", "redact_url", "sqlite_file"]

_UPGRADE_HINT = "run plaint db upgrade"


@contextlib.contextmanager
def open_db() -> Iterator[tuple[sessionmaker[Session], Config]]:
    """Yield (session factory, config) from the ``PLAINT_*`` environment; the engine is
    disposed of afterwards.

    Before yielding, one read of Alembic's version table checks that the database exists,
    can be reached and is at the newest schema. Raises ConfigError, in one line naming the
    database (password hidden) and the fix, for bad settings or configuration, a SQLite file
    that does not exist (it is not created), an unreachable server, no plaint schema, a
    schema older than the code (``plaint db upgrade``) or newer (upgrade plaint)."""
    from plaint.config import load_config, load_settings
    from plaint.models import create_db_engine, session_factory

    settings = load_settings(os.environ)
    config = load_config(settings.config_path)
    _require_sqlite_file(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        _require_current_schema(engine, settings.database_url)
        yield session_factory(engine), config
    finally:
        engine.dispose()


def redact_url(url: str) -> str:
    """Return the database ``url`` with its password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unparsable PLAINT_DATABASE_URL)"


def database_failure(exc: BaseException) -> str:
    """Return the class of the driver's error behind ``exc`` (a SQLAlchemy DBAPIError), e.g.
    ``psycopg.OperationalError``: never its message, which may quote SQL or values."""
    cause = getattr(exc, "orig", None) or exc
    kind = type(cause)
    module = kind.__module__.split(".")[0]
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def sqlite_file(url: str) -> Path | None:
    """Return the file of a SQLite ``url``; None for other databases and in-memory ones."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"PLAINT_DATABASE_URL {url!r} is not a database URL") from None
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    database = parsed.database
    return None if not database or database == ":memory:" else Path(database)


def _require_sqlite_file(url: str) -> None:
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise ConfigError(
            f"there is no database at {redact_url(url)} yet; {_UPGRADE_HINT} "
            "(or set PLAINT_DATABASE_URL)"
        )


def _require_current_schema(engine: Engine, url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    from plaint.models.migrate import SchemaState, schema_state

    shown = redact_url(url)
    try:
        with engine.connect() as connection:
            state, revision = schema_state(connection)
    except DBAPIError as exc:
        raise ConfigError(f"cannot reach the database at {shown}: {database_failure(exc)}") from exc
    if state is SchemaState.MISSING:
        raise ConfigError(f"the database at {shown} has no plaint schema yet; {_UPGRADE_HINT}")
    if state is SchemaState.BEHIND:
        raise ConfigError(
            f"the database at {shown} is at schema {revision}, older than this plaint; "
            f"{_UPGRADE_HINT}"
        )
    if state is SchemaState.AHEAD:
        raise ConfigError(
            f"the database at {shown} is at schema {revision}, newer than this plaint knows; "
            "upgrade plaint"
        )


def parse_instant(text: str | None, zone: tzinfo, *, option: str) -> datetime:
    """Parse an ISO 8601 instant given as ``option``; without an offset it is read in
    ``zone``; ``None`` means now. Raises ConfigError naming the option."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not an ISO 8601 date and time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
