"""``plaint residents import FILE.csv``, ``plaint residents show PHONE_OR_EMAIL`` and
``plaint residents language PHONE_OR_EMAIL zh|en|auto`` (the language set for a resident
wins over the one detected in their messages).

The CSV may be UTF-8 (with or without a BOM) or GBK/GB18030 as Excel saves it in China;
its header names the columns in English or Chinese (姓名, 电话/手机, 邮箱, 小区, 楼栋,
单元/房号, 语言) and needs a name column and a phone or email column. The whole file is one
transaction; rejected lines are reported by number and reason only, never by content
(:mod:`plaint.cli.importing`; the decoding and the header names are in
:mod:`plaint.pipeline.csvtable` and :data:`plaint.service.residents.COLUMNS`).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``residents`` command group."""
    residents = subparsers.add_parser("residents", help="the resident directory")
    commands = residents.add_subparsers(dest="residents_command", required=True, metavar="COMMAND")
    load = commands.add_parser("import", help="add or update residents from a CSV file")
    load.add_argument("file", metavar="FILE.csv", help="UTF-8 or GBK CSV with a header row")
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.set_defaults(handler=_import)
    show = commands.add_parser("show", help="one resident, by phone number or email")
    show.add_argument("key", metavar="PHONE_OR_EMAIL")
    show.set_defaults(handler=_show)
    language = commands.add_parser(
        "language", help="answer a resident in zh or en whatever they write in (auto: detect)"
    )
    language.add_argument("key", metavar="PHONE_OR_EMAIL")
    language.add_argument("language", choices=["zh", "en", "auto"])
    language.set_defaults(handler=_language)


def _import(args: argparse.Namespace) -> int:
    from plaint.cli.importing import run_import
    from plaint.service.residents import COLUMNS, import_residents

    return run_import(
        args.file, columns=COLUMNS, label="residents", as_json=args.json,
        importer=lambda session, _config, rows, lines, now: import_residents(
            session, rows, lines=lines, now=now),
    )  # fmt: skip


def _show(args: argparse.Namespace) -> int:
    from plaint.cli.common import open_db
    from plaint.service.residents import find_resident

    with open_db() as (sessions, _config), sessions() as session:
        resident = find_resident(session, args.key)
        print(f"name:       {resident.name}")
        print(f"phone:      {resident.phone or '-'}")
        print(f"email:      {resident.email or '-'}")
        print(f"community:  {resident.community or '-'}")
        print(f"building:   {resident.building or '-'}")
        print(f"unit:       {resident.unit or '-'}")
        print(f"language:   {resident.language_override or 'detected'} (directory: "
              f"{resident.language})")  # fmt: skip
        print(f"created:    {resident.created_at:%Y-%m-%d %H:%M} UTC")
    return 0


def _language(args: argparse.Namespace) -> int:
    from plaint.cli.common import open_db
    from plaint.service.residents import set_language

    with open_db() as (sessions, _config), sessions.begin() as session:
        resident = set_language(session, args.key, args.language)
        print(f"resident {resident.id}: language {resident.language_override or 'detected'}")
    return 0
