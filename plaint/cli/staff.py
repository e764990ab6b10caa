"""``plaint staff import|list|token``: the staff directory and API tokens.

Every command first makes the database's directory match the TOML ``[[staff]]`` tables
(:func:`~plaint.service.directory.sync_directory`), so configured staff are there even on
a database no worker has opened. ``import`` reads a CSV like ``plaint residents import``
(UTF-8 or GBK, English or Chinese headers); ``list`` never shows tokens, only whether a
live one exists; ``token`` prints a new token alone on stdout, once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from plaint.config import Config
    from plaint.service.csvimport import ImportResult
    from plaint.service.directory import StaffListing

__all__ = ["LIST_HEADERS", "register"]

LIST_HEADERS = ("code", "name", "role", "department", "on duty", "working hours", "origin",
                "active", "token")  # fmt: skip
# Wide enough for every column when the output is not a terminal (a file or a pipe).
_PIPE_WIDTH = 200


def register(subparsers: Any) -> None:
    """Add the ``staff`` command group."""
    staff = subparsers.add_parser("staff", help="the staff directory and API tokens")
    commands = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    load = commands.add_parser("import", help="add or update staff from a CSV file")
    load.add_argument("file", metavar="FILE.csv", help="UTF-8 or GBK CSV with a header row")
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.set_defaults(handler=_import)
    listing = commands.add_parser("list", help="everyone in the directory (never tokens)")
    listing.add_argument("--department", help="only this department (code or name)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=_list)
    token = commands.add_parser("token", help="issue an API token (shown once) or revoke")
    token.add_argument("code", metavar="CODE", help="the staff member's code")
    token.add_argument("--revoke", action="store_true", help="revoke all of CODE's tokens")
    token.set_defaults(handler=_token)


def _sync(session: Session, config: Config, now: datetime) -> None:
    from plaint.service.directory import sync_directory

    sync_directory(session, config, now=now)


def _import(args: argparse.Namespace) -> int:
    from plaint.cli.importing import run_import
    from plaint.service.staffimport import COLUMNS

    return run_import(
        args.file, columns=COLUMNS, label="staff", importer=_sync_and_import, as_json=args.json
    )


def _sync_and_import(
    session: Session, config: Config, rows: Iterable[Mapping[str, str]], lines: Sequence[int],
    now: datetime,
) -> ImportResult:  # fmt: skip
    from plaint.service.staffimport import import_staff

    _sync(session, config, now)
    return import_staff(session, rows, lines=lines, now=now)


def _list(args: argparse.Namespace) -> int:
    from plaint.cli.common import open_db
    from plaint.service.directory import list_staff

    with open_db() as (sessions, config), sessions.begin() as session:
        _sync(session, config, datetime.now(UTC))
        listings = list_staff(session, department=args.department)
    if args.json:
        print(json.dumps([{**asdict(s.entry), "has_token": s.has_token} for s in listings],
                         ensure_ascii=False, indent=2))  # fmt: skip
    else:
        _print_table(listings)
    return 0


def _print_table(listings: Sequence[StaffListing]) -> None:
    """A table whose columns line up with Chinese names (rich counts wide characters)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not console.is_terminal:
        console = Console(width=_PIPE_WIDTH)
    table = Table(*LIST_HEADERS, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for s in listings:
        e = s.entry
        cells = (e.code, e.name, e.role, e.department or "-", _yes(e.on_duty),
                 e.working_hours or "staff hours", e.origin, _yes(e.active),
                 _yes(s.has_token))  # fmt: skip
        table.add_row(*(Text(cell) for cell in cells))  # Text: a name is never markup
    console.print(table)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _token(args: argparse.Namespace) -> int:
    from plaint.cli.common import open_db
    from plaint.service.directory import issue_token, revoke_tokens

    now = datetime.now(UTC)
    with open_db() as (sessions, config), sessions.begin() as session:
        _sync(session, config, now)
        if args.revoke:
            revoked = revoke_tokens(session, args.code, now=now)
        else:
            token = issue_token(session, args.code, now=now)
    # Printed only once the transaction committed: a shown token always works.
    if args.revoke:
        print(f"revoked {revoked} token{'' if revoked == 1 else 's'} of {args.code}")
    else:
        print("plaint: the token is shown only this once; store it now", file=sys.stderr)
        print(token)
    return 0
