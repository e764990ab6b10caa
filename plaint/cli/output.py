"""How the ``plaint`` commands print: tables, JSON, and progress on long work.

- Tables are drawn by ``rich``, which measures East-Asian wide characters (a Chinese
  character takes two columns), so columns line up with Chinese text. On a terminal the
  table fits the window (a long cell folds onto more lines) and has a bold header; piped
  or redirected it is plain text at its natural width — no ANSI codes, no wrapping,
  header underlined with ``-``, columns separated by spaces, no trailing spaces — so
  ``grep``, ``awk`` and ``cut`` work on it.
- ``--json`` output is one JSON document (an object or an array), UTF-8 as is.
- Progress (spinners, row counts) goes to stderr and only when stderr is a terminal, so it
  never reaches a pipe, a file or a test's captured output.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from rich import box
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

__all__ = [
    "local_time",
    "print_json",
    "print_table",
    "render_table",
    "row_progress",
    "steps",
    "utc_iso",
]

# A header underlined with "-" and nothing else: what a piped table looks like.
_PLAIN = box.Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
# Wide enough that a piped table is never wrapped, in terminal columns.
_NATURAL_WIDTH = 10_000


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, plain: bool) -> Table:
    table = Table(
        box=_PLAIN if plain else box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="" if plain else "bold",
    )
    for header in headers:
        # Chinese text has no spaces to wrap at: fold it rather than cut it short.
        table.add_column(Text(header), overflow="fold")
    for row in rows:
        # Text, not str: a cell such as "[b]" is shown as written, not read as markup.
        table.add_row(*(Text(cell) for cell in row))
    return table


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` under ``headers`` as plain aligned text (see the module docstring).

    Every row must have as many cells as there are headers."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=_NATURAL_WIDTH, color_system=None, force_terminal=False)
    console.print(_table(headers, rows, plain=True))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    json_rows: Sequence[Mapping[str, Any]] | None = None,
    as_json: bool = False,
) -> None:
    """Print a table on stdout; with ``as_json``, print ``json_rows`` (default: each row as
    an object keyed by the headers) as one JSON array instead."""
    if as_json:
        keyed = (
            json_rows
            if json_rows is not None
            else [dict(zip(headers, r, strict=True)) for r in rows]
        )
        print_json(list(keyed))
        return
    console = Console()
    if console.is_terminal:
        console.print(_table(headers, rows, plain=False))
    else:
        print(render_table(headers, rows))


def print_json(value: Any) -> None:
    """Print ``value`` as one line of JSON, non-ASCII characters kept as they are."""
    print(json.dumps(value, ensure_ascii=False))


def _stderr_console() -> Console | None:
    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextlib.contextmanager
def steps(first: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner and the step under way (``first``, then each name passed to the
    yielded function) on stderr while the block runs; nothing when stderr is not a
    terminal. The spinner is gone when the block ends; what the block prints on stderr (or
    on stdout, when that is the same terminal) appears above it."""
    console = _stderr_console()
    if console is None:
        yield lambda _step: None
        return
    spinner = Spinner("dots", text=first)
    with Live(spinner, console=console, transient=True, redirect_stdout=_to_terminal()) as live:

        def show(step: str) -> None:
            spinner.update(text=step)
            live.refresh()  # every step is drawn, however quickly the next one comes

        yield show


def _to_terminal() -> bool:
    # What is printed on stdout is drawn above the progress only when stdout is that same
    # terminal: output meant for a pipe must never land on the terminal instead.
    return sys.stdout.isatty()


@contextlib.contextmanager
def row_progress(what: str, *, total: Callable[[], int | None]) -> Iterator[Callable[[int], None]]:
    """Show ``what`` with a count of rows done (of ``total()``, called only when shown;
    ``None``: unknown) on stderr while the block runs; the yielded function adds rows done.
    Nothing when stderr is not a terminal."""
    console = _stderr_console()
    if console is None:
        yield lambda _rows: None
        return
    columns = (SpinnerColumn(), TextColumn(what), BarColumn(), MofNCompleteColumn())
    progress = Progress(*columns, console=console, transient=True, redirect_stdout=_to_terminal())
    with progress:
        task = progress.add_task(what, total=total())
        yield lambda rows: progress.advance(task, rows)


def local_time(value: datetime | None, zone: tzinfo, *, seconds: bool = False) -> str:
    """``value`` as a wall time in ``zone`` for a table cell ("2026-11-30 10:00"), or ``-``."""
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def utc_iso(value: datetime | None) -> str | None:
    """``value`` as an ISO 8601 string in UTC for JSON output, or ``None``."""
    return None if value is None else value.astimezone(UTC).isoformat()
