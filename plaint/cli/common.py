"""What the database commands share: opening the configured database, and reading an
instant given on the command line."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from plaint.config import Config

__all__ = ["open_db", "parse_instant"]


@contextlib.contextmanager
def open_db() -> Iterator[tuple[sessionmaker[Session], Config]]:
    """Yield (session factory, config) from the ``PLAINT_*`` environment; the engine is
    disposed of afterwards. Raises ConfigError for bad settings or configuration."""
    from plaint.config import load_config, load_settings
    from plaint.models import create_db_engine, session_factory

    settings = load_settings(os.environ)
    config = load_config(settings.config_path)
    engine = create_db_engine(settings.database_url)
    try:
        yield session_factory(engine), config
    finally:
        engine.dispose()


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
