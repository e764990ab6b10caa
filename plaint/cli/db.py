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
    upgrade = commands.add_parser("upgrade", help="migrate the database to the newest schema")
    upgrade.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from plaint.config import load_settings
    from plaint.workers.stack import prepare_database

    settings = load_settings(os.environ)
    prepare_database(settings)
    print("database is at the newest schema")
    return 0
