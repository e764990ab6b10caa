"""Running Alembic migrations from code (``plaint db upgrade``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine

__all__ = ["alembic_config", "upgrade"]


def alembic_config(url: str) -> AlembicConfig:
    """Return an Alembic configuration for the migrations shipped in this package."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(resources.files("plaint.models") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``; safe to run again."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
