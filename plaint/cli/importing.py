"""What the CSV import commands share (``plaint residents import``, ``plaint staff
import``): read the file, run the import in one transaction with a progress bar on long
files, and print the summary (or a JSON object with ``--json``).

The summary goes to stdout: ``N created, N updated, N unchanged, N rejected``; each
rejected row to stderr as ``line N: rejected: REASON`` (a code, never the row's content).
The exit status is 1 when a row was rejected, else 0.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

    from plaint.config import Config
    from plaint.pipeline.csvtable import Columns
    from plaint.service.csvimport import ImportResult

__all__ = ["EXIT_REJECTED", "PROGRESS_MIN_ROWS", "report", "run_import", "tracked"]

EXIT_REJECTED = 1
# Files with fewer data rows than this import too fast for a progress bar to help.
PROGRESS_MIN_ROWS = 200

T = TypeVar("T")
# (session, config, rows, their line numbers, now) -> result
Importer = Callable[
    ["Session", "Config", Iterable[Mapping[str, str]], Sequence[int], datetime], "ImportResult"
]


def tracked(rows: Sequence[T], *, label: str, console: Console | None = None) -> Iterator[T]:
    """Yield ``rows``, drawing a progress bar on ``console`` (default: stderr) while they
    are consumed, when it is a terminal and there are at least :data:`PROGRESS_MIN_ROWS`.
    The bar is removed when done, so nothing of it stays in the output."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = console if console is not None else Console(stderr=True)
    if len(rows) < PROGRESS_MIN_ROWS or not console.is_terminal:
        yield from rows
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        yield from progress.track(rows, total=len(rows), description=label)


def report(result: ImportResult, *, as_json: bool) -> int:
    """Print ``result`` (see the module docstring) and return the exit status."""
    if as_json:
        rejected = [{"line": line, "reason": reason} for line, reason in result.rejected]
        print(json.dumps({"created": result.created, "updated": result.updated,
                          "unchanged": result.unchanged, "rejected": rejected}))  # fmt: skip
    else:
        print(f"{result.created} created, {result.updated} updated, "
              f"{result.unchanged} unchanged, {len(result.rejected)} rejected")  # fmt: skip
        for line, reason in result.rejected:
            print(f"line {line}: rejected: {reason}", file=sys.stderr)
    return EXIT_REJECTED if result.rejected else 0


def run_import(
    path: str, *, columns: Columns, label: str, importer: Importer, as_json: bool
) -> int:
    """Read the CSV at ``path`` with ``columns`` (before touching the database: a bad file
    changes nothing), run ``importer`` on its rows in one transaction, report, and return
    the exit status. Raises ConfigError for an unreadable file or an unusable header."""
    from plaint.cli.common import open_db
    from plaint.service.csvimport import read_table

    table = read_table(Path(path), columns=columns)
    now = datetime.now(UTC)
    with open_db() as (sessions, config), sessions.begin() as session:
        rows = tracked(table.rows, label=label)
        result = importer(session, config, rows, table.lines, now)
    return report(result, as_json=as_json)
