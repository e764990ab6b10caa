"""``plaint db upgrade``: migrate the database to the newest schema."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``db`` command group."""
    db = subparsers.add_parser("db", help="database maintenance")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = commands.add_parser(
        "upgrade",
        help="create or migrate the database to the newest schema",
        description="Create the data directory (PLAINT_DATA_DIR) and the database if "
        "needed, and migrate it to the newest schema; safe to run again.",
    )
    upgrade.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from plaint.cli.common import database_failure, redact_url, sqlite_file
    from plaint.config import load_settings
    from plaint.errors import ConfigError
    from plaint.workers.stack import prepare_database

    settings = load_settings(os.environ)
    shown = redact_url(settings.database_url)
    path = sqlite_file(settings.database_url)
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        prepare_database(settings)
    except OSError as exc:
        raise ConfigError(f"cannot create the data directory: {exc}") from exc
    except DBAPIError as exc:
        raise ConfigError(
            f"cannot migrate the database at {shown}: {database_failure(exc)}"
        ) from exc
    print(f"the database at {shown} is at the newest schema")
    return 0
