"""CSV tables as spreadsheets in China save them: bytes to rows keyed by field.

Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in the system's code page,
GBK on a Chinese Windows; :func:`decode_text` reads both (GB18030, the superset of GBK,
for the second). The header row names the columns in English or Chinese; a
:class:`Columns` value maps those names to the fields an import knows, and
:func:`parse_table` returns the data rows keyed by field. Pure: no file, no database.
"""

from __future__ import annotations

import contextlib
import csv
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from plaint.errors import ConfigError

__all__ = ["ENCODINGS", "Columns", "Table", "decode_text", "header_key", "parse_table"]

# Tried in order: UTF-8 (a BOM is dropped), then GB18030, the superset of Excel's GBK.
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Columns:
    """What a header may say: ``aliases`` maps a column name (as :func:`header_key`
    folds it) to a field; each group of ``required`` is a set of fields of which the
    header must give at least one; ``hint`` lists the expected names for the error."""

    aliases: Mapping[str, str]
    required: tuple[tuple[str, ...], ...]
    hint: str


@dataclass(frozen=True)
class Table:
    """The data rows of a CSV file keyed by field (a missing cell is ``""``), and the
    line of the file each row starts on (the header is line 1)."""

    rows: tuple[Mapping[str, str], ...]
    lines: tuple[int, ...]


def header_key(name: str) -> str:
    """Fold a column name for lookup: full-width forms to ASCII (NFKC), a stray BOM and
    surrounding spaces dropped, lower case ("Ｅｍａｉｌ " → "email")."""
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip().lower()


def decode_text(data: bytes, *, where: str) -> str:
    """Return ``data`` decoded as UTF-8 (BOM or not), else as GB18030. Raises ConfigError
    (prefixed with ``where``, e.g. the file name) when it is neither."""
    for encoding in ENCODINGS:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    raise ConfigError(f"{where}: neither UTF-8 nor GBK/GB18030 text")


def parse_table(data: bytes, *, columns: Columns, where: str) -> Table:
    """Decode ``data`` and return its data rows keyed by the fields of ``columns``;
    columns the header does not name are ignored.

    Raises ConfigError prefixed with ``where`` when the bytes are not text, the text is not
    CSV, two columns give one field, or a required group is missing from the header."""
    text = decode_text(data, where=where)
    # strict: an unclosed quote is an error, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
        fields = _fields(header, columns, where)
        rows, lines = [], []
        line = reader.line_num + 1
        for record in reader:
            rows.append({f: (record[i] if i < len(record) else "") for i, f in fields.items()})
            lines.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ConfigError(f"{where}: not a CSV file (line {reader.line_num}): {exc}") from exc
    return Table(tuple(rows), tuple(lines))


def _fields(header: list[str], columns: Columns, where: str) -> dict[int, str]:
    """Map column positions to fields; raise ConfigError for an unusable header."""
    fields: dict[int, str] = {}
    for position, name in enumerate(header):
        field = columns.aliases.get(header_key(name))
        if field is None:
            continue
        if field in fields.values():
            raise ConfigError(f"{where}: two columns give the {field}")
        fields[position] = field
    found = set(fields.values())
    if not all(found.intersection(group) for group in columns.required):
        raise ConfigError(f"{where}: the header needs {columns.hint}")
    return fields
