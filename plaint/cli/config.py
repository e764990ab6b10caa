"""``plaint config check [FILE]``: validate the business configuration without starting
anything or opening a database.

FILE defaults to ``PLAINT_CONFIG``, else the packaged defaults alone. Prints
``config OK: FILE`` and exits 0, or one ``plaint: error: ...`` line per problem and exits 2.
A year the working-day calendar knows only provisionally or not at all (this year or the
next) and a source's password variable unset here are ``plaint: warning: ...`` lines, not
errors. ``--show`` prints the effective configuration (the defaults merged in, every key
filled) as JSON on standard output; the file holds no secrets, so this is safe to share.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plaint.config import Config

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``config check`` command."""
    config = subparsers.add_parser("config", help="check the business configuration")
    commands = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check", help="validate a TOML config file (default: PLAINT_CONFIG, else the defaults)"
    )
    check.add_argument("file", nargs="?", type=Path, help="the TOML file to check")
    check.add_argument(
        "--show", action="store_true", help="print the effective configuration as JSON"
    )
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    from plaint.config import load_settings
    from plaint.config.business import build_config, load_file

    path = args.file or load_settings(os.environ).config_path
    document = load_file(path)  # a ConfigError ends the command: plaint: error: ..., exit 2
    for warning in _warnings(build_config(document), year=datetime.now(UTC).year):
        print(f"plaint: warning: {warning}", file=sys.stderr)
    verdict = f"config OK: {path if path is not None else 'packaged defaults'}"
    if args.show:
        shown = document.model_dump(mode="json", exclude_none=True)
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        print(verdict, file=sys.stderr)  # standard output stays pure JSON
    else:
        print(verdict)
    return 0


def _warnings(config: Config, *, year: int) -> list[str]:
    """What would stop or hamper the processes later, though the file is valid."""
    from plaint.config.calendars import year_notice

    notices = (year_notice(config.calendar, needed) for needed in (year, year + 1))
    warnings = [notice for notice in notices if notice]
    warnings.extend(
        f"sources[{index}].{key}: {name} is not set in this environment"
        for index, source in enumerate(config.sources)
        for key, name in source.secret_envs
        if not os.environ.get(name)
    )
    return warnings
