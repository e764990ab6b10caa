"""Running Alembic migrations from code (``plaint db upgrade``), and telling whether a
database is at the schema this code expects (:func:`schema_state`)."""

from __future__ import annotations

import enum
from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

__all__ = ["SchemaState", "alembic_config", "current_revision", "schema_state", "upgrade"]


class SchemaState(enum.StrEnum):
    """How a database's schema compares with the migrations shipped in this package."""

    MISSING = "missing"  # no Alembic version: no plaint schema at all
    BEHIND = "behind"  # an older revision: run the migrations
    CURRENT = "current"  # the newest revision
    AHEAD = "ahead"  # a revision this code does not know: a newer plaint migrated it


def _script_location() -> str:
    return str(resources.files("plaint.models") / "migrations")


def alembic_config(url: str) -> AlembicConfig:
    """Return an Alembic configuration for the migrations shipped in this package."""
    config = AlembicConfig()
    config.set_main_option("script_location", _script_location())
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``; safe to run again."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(connection: Connection) -> str | None:
    """Return the database's Alembic revision (``None`` when it has no version table or an
    empty one). Reads only Alembic's version table; raises SQLAlchemy's DBAPIError when
    the database cannot be reached."""
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def schema_state(connection: Connection) -> tuple[SchemaState, str | None]:
    """Return how the database on ``connection`` compares with the shipped migrations,
    and its current revision. Raises SQLAlchemy's DBAPIError when it cannot be reached."""
    current = current_revision(connection)
    if current is None:
        return SchemaState.MISSING, None
    script = ScriptDirectory(_script_location())
    revisions = set(current.split(","))
    if revisions == set(script.get_heads()):
        return SchemaState.CURRENT, current
    known = {s.revision for s in script.walk_revisions()}
    return (SchemaState.BEHIND if revisions <= known else SchemaState.AHEAD), current
