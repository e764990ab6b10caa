"""The ``plaint`` command. Each sub-command lives in its own module with a
``register(subparsers)`` function; heavy imports stay inside the handlers, so
``plaint sla due`` does not import dramatiq.

Handlers take the parsed arguments and return the process exit code. A
:class:`~plaint.errors.PlaintError` ends the command with its message and exit code 2; so
does a database failure (SQLAlchemy's ``DBAPIError``), told in one line naming the error's
class and the database with its password hidden, never the SQL or its parameters.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from plaint import __version__
from plaint.errors import PlaintError

__all__ = ["main"]

_COMMAND_MODULES = (
    "plaint.cli.run",
    "plaint.cli.idle",
    "plaint.cli.db",
    "plaint.cli.tickets",
    "plaint.cli.demo",
    "plaint.cli.classify",
    "plaint.cli.sla",
    "plaint.cli.residents",
    "plaint.cli.report",
    "plaint.cli.notice",
    "plaint.cli.config",
    "plaint.cli.staff",
    "plaint.cli.inbox",
    "plaint.cli.outbox",
    "plaint.cli.web",
)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="plaint", description="Residents' complaints, routed and answered in time."
    )
    parser.add_argument("--version", action="version", version=f"plaint {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plaint`` command with ``argv`` (default: the process arguments)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except PlaintError as exc:
        for line in str(exc).splitlines() or [""]:  # a ConfigError may list several problems
            print(f"plaint: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        print(f"plaint: error: {_database_error_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    return code


def _is_database_error(exc: Exception) -> bool:
    # sqlalchemy is imported only by the commands that use it; if it is not loaded, the
    # exception cannot be one of its errors.
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)


def _database_error_line(exc: Exception) -> str:
    from plaint.cli.common import database_failure, redact_url
    from plaint.config import load_settings

    try:
        where = f" at {redact_url(load_settings(os.environ).database_url)}"
    except PlaintError:
        where = ""
    return f"the database{where} failed: {database_failure(exc)}"
