"""What the CSV imports share (``plaint residents import``, ``plaint staff import``):
reading the file, and upserting its rows one savepoint each so that a bad row is
rejected with its line and a reason, and does not stop the rows after it.

Reasons are short codes (``bad_phone``, ``unknown_department``), never the rejected
values: the summary of an import of personal data carries no personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plaint.errors import ConfigError
from plaint.pipeline.csvtable import Columns, Table, parse_table

__all__ = ["ImportResult", "RejectedRowError", "import_rows", "read_table"]

Outcome = str  # "created", "updated" or "unchanged"


@dataclass(frozen=True)
class ImportResult:
    """What an import did: counts of records created, updated and left unchanged, and
    the rejected rows as ``(line, reason)`` pairs (reasons are codes such as
    ``bad_phone``, never the rejected values)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class RejectedRowError(Exception):
    """Raised by an upsert for a row it refuses; ``reason`` is a code safe to print."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_table(path: Path, *, columns: Columns) -> Table:
    """Read the CSV file at ``path`` (UTF-8 with or without BOM, or GBK/GB18030) and
    return its rows keyed by the fields of ``columns``. Raises ConfigError naming the file
    when it cannot be read, is not text or CSV, or its header lacks a required column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_table(data, columns=columns, where=str(path))


def import_rows(
    session: Session,
    rows: Iterable[Mapping[str, str]],
    *,
    upsert: Callable[[Mapping[str, str]], Outcome],
    lines: Iterable[int] | None = None,
    first_line: int = 1,
) -> ImportResult:
    """Call ``upsert`` on each row inside its own savepoint and count the outcomes it
    returns. A row is reported as the matching item of ``lines``, else as ``first_line``
    plus its position. :class:`RejectedRowError` rejects the row with its reason, an
    IntegrityError (a concurrent writer took a unique value) as ``conflict``; either way
    the savepoint is rolled back and the next row goes on. Rows whose cells are all empty
    are skipped silently. The caller owns the transaction. Raises only for database
    failures."""
    counts: Counter[Outcome] = Counter()
    rejected: list[tuple[int, str]] = []
    for line, row in zip(count(first_line) if lines is None else lines, rows, strict=False):
        if not any((value or "").strip() for value in row.values()):
            continue
        try:
            with session.begin_nested():
                outcome = upsert(row)
        except RejectedRowError as exc:
            rejected.append((line, exc.reason))
            continue
        except IntegrityError:
            rejected.append((line, "conflict"))
            continue
        counts[outcome] += 1
    return ImportResult(counts["created"], counts["updated"], counts["unchanged"], rejected)
