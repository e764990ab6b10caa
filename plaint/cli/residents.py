"""``plaint residents import FILE.csv`` and ``plaint residents show PHONE_OR_EMAIL``.

The CSV may be UTF-8 (with or without a BOM) or GBK/GB18030 as Excel saves it in China;
its header names the columns in English or Chinese (姓名, 电话/手机, 邮箱, 小区, 楼栋,
单元/房号, 语言) and needs a name column and a phone or email column. The whole file is one
transaction; rejected lines are reported by number and reason only, never by content.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

EXIT_REJECTED = 1
# Header names (stripped, lower-cased) and the import field each one fills.
_HEADERS = {
    "name": "name", "姓名": "name",
    "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone", "电话/手机": "phone",
    "email": "email", "邮箱": "email", "电子邮箱": "email",
    "community": "community", "小区": "community",
    "building": "building", "楼栋": "building", "楼号": "building",
    "unit": "unit", "单元": "unit", "房号": "unit", "单元/房号": "unit",
    "language": "language", "语言": "language",
}  # fmt: skip
# Tried in order: UTF-8 (a BOM is dropped), then GB18030, the superset of Excel's GBK.
_ENCODINGS = ("utf-8-sig", "gb18030")


def register(subparsers: Any) -> None:
    """Add the ``residents`` command group."""
    residents = subparsers.add_parser("residents", help="the resident directory")
    commands = residents.add_subparsers(dest="residents_command", required=True, metavar="COMMAND")
    load = commands.add_parser("import", help="add or update residents from a CSV file")
    load.add_argument("file", metavar="FILE.csv", help="UTF-8 or GBK CSV with a header row")
    load.set_defaults(handler=_import)
    show = commands.add_parser("show", help="one resident, by phone number or email")
    show.add_argument("key", metavar="PHONE_OR_EMAIL")
    show.set_defaults(handler=_show)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Return the data rows of the CSV at ``path`` as dicts keyed by import field.

    Raises ConfigError when the file cannot be read or decoded, is not CSV, or its header
    lacks a name column or both a phone and an email column."""
    from plaint.errors import ConfigError

    try:
        text = _decode(path, path.read_bytes())
        records = list(csv.reader(io.StringIO(text, newline="")))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a CSV file: {exc}") from exc
    fields = _fields(path, records[0] if records else [])
    return [
        {field: (record[i] if i < len(record) else "") for i, field in fields.items()}
        for record in records[1:]
    ]


def _decode(path: Path, data: bytes) -> str:
    from plaint.errors import ConfigError

    for encoding in _ENCODINGS:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    raise ConfigError(f"{path}: neither UTF-8 nor GBK/GB18030 text")


def _fields(path: Path, header: list[str]) -> dict[int, str]:
    """Map column positions to import fields; raise ConfigError for an unusable header."""
    from plaint.errors import ConfigError

    fields: dict[int, str] = {}
    for position, name in enumerate(header):
        field = _HEADERS.get(name.strip().lower())
        if field is None:
            continue
        if field in fields.values():
            raise ConfigError(f"{path}: two columns give the {field}")
        fields[position] = field
    found = set(fields.values())
    if "name" not in found or not found & {"phone", "email"}:
        raise ConfigError(
            f"{path}: the header needs a name column and a phone or email column "
            "(name/姓名, phone/电话/手机, email/邮箱)"
        )
    return fields


def _import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from plaint.service.residents import import_residents

    rows = read_rows(Path(args.file))
    from plaint.cli.common import open_db

    with open_db() as (sessions, _config), sessions.begin() as session:
        # The header is line 1, so the first data row is line 2.
        result = import_residents(session, rows, now=datetime.now(UTC), first_line=2)
    print(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
          f"{len(result.rejected)} rejected")  # fmt: skip
    for line, reason in result.rejected:
        print(f"line {line}: rejected: {reason}", file=sys.stderr)
    return EXIT_REJECTED if result.rejected else 0


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
        print(f"language:   {resident.language}")
        print(f"created:    {resident.created_at:%Y-%m-%d %H:%M} UTC")
    return 0
