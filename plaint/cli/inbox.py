"""``plaint inbox import|list|show|replay``: taking mail and call records in from files,
and the inbox as a dead-letter view.

``import`` stores ``.eml`` files, mbox files, call-centre CSV exports and folders of them
as a poller would (:mod:`plaint.service.fileintake`); a CSV's layout is recognised
(Asterisk, FreeSWITCH), given with ``--format``, or that of the ``cdr-folder`` source named
by ``--source`` (its column map and time zone); malformed rows are stored quarantined,
naming their line. ``list`` and ``show`` never print a payload's text, sender or subject
(``show --raw`` writes the payload's bytes, and only then); ``replay`` puts quarantined
rows back to pending (rules in :mod:`plaint.service.inbox`).
With ``PLAINT_REDIS_URL`` set, the triage of rows left pending is enqueued; otherwise, or
if Redis cannot be reached, the rows wait in the inbox for ``plaint run``'s reconciler.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plaint.cli.common import open_db
from plaint.cli.output import local_time as _when
from plaint.cli.output import utc_iso as _iso

if TYPE_CHECKING:
    from plaint.channels.phone.cdr import CdrLayout
    from plaint.config import Config
    from plaint.service.fileintake import ImportProgress, ImportResult
    from plaint.service.inbox import Enqueue, InboxRow, QueueOutcome

__all__ = ["register"]

EXIT_PARTIAL = 1
DEFAULT_LIMIT = 50
# The values of plaint.models.InboxStatus (not imported here: it loads SQLAlchemy).
_STATUSES = ("pending", "done", "quarantined")
_LIST_HEADERS = ("id", "source", "channel", "status", "attempts", "received", "processed",
                 "reason")  # fmt: skip
# Output that does not go to a terminal is not wrapped to 80 columns.
_FILE_WIDTH = 200
_PATHS_HELP = ".eml, mbox or call-record .csv file, or a folder of them (read recursively)"
_FORMAT_HELP = ("layout of call-record CSV files (default: recognised per file, or that of "
                "the cdr-folder source named by --source)")  # fmt: skip
_SOURCE_HELP = ("source name (default: import); name a configured IMAP source to merge with "
                "what it polls")  # fmt: skip


def register(subparsers: Any) -> None:
    """Add the ``inbox`` command group."""
    inbox = subparsers.add_parser("inbox", help="import mail files; pending and quarantined items")
    commands = inbox.add_subparsers(dest="inbox_command", required=True, metavar="COMMAND")
    load = commands.add_parser("import", help="store .eml/mbox/CSV files or folders in the inbox")
    load.add_argument("paths", nargs="+", metavar="PATH", type=Path, help=_PATHS_HELP)
    load.add_argument("--source", help=_SOURCE_HELP)
    load.add_argument("--format", choices=("asterisk", "freeswitch"), help=_FORMAT_HELP)
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.set_defaults(handler=_import)
    listing = commands.add_parser("list", help="inbox rows, newest first (no content)")
    listing.add_argument("--status", choices=_STATUSES)
    listing.add_argument("--source")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many")
    listing.add_argument("--json", action="store_true", help="print the rows as JSON")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="one inbox row's fields (--raw: its payload)")
    show.add_argument("id", type=int)
    show.add_argument("--raw", action="store_true", help="write the raw payload to stdout")
    show.set_defaults(handler=_show)
    again = commands.add_parser("replay", help="put quarantined rows back to triage")
    again.add_argument("ids", nargs="*", type=int, metavar="ID")
    again.add_argument("--all-quarantined", action="store_true", help="every quarantined row")
    again.set_defaults(handler=_replay)


@contextlib.contextmanager
def _triage_queue() -> Iterator[Enqueue]:
    """Yield ``enqueue(inbox_id)`` sending triage over the broker (``PLAINT_BROKER_URL`` or
    ``PLAINT_REDIS_URL``) (a Redis error
    becomes TransientError), or ``None`` when it is not set."""
    from plaint.config import load_settings

    url = load_settings(os.environ).queue_url
    if url is None:
        yield None
        return
    import redis

    from plaint.errors import TransientError
    from plaint.queue.broker import build_broker
    from plaint.queue.producer import Producer

    broker = build_broker(url)
    producer = Producer(broker)

    def enqueue(inbox_id: int) -> None:
        try:
            producer.triage(inbox_id)
        except redis.RedisError as exc:
            raise TransientError(f"Redis unavailable ({type(exc).__name__})") from exc

    try:
        yield enqueue
    finally:
        broker.close()


def _queue_line(queue: QueueOutcome, *, what: str) -> str:
    if queue.configured and queue.error is None:
        return f"triage enqueued for {queue.enqueued} {what}"
    if not queue.configured:
        return (f"PLAINT_REDIS_URL is not set: `plaint run` will triage the {queue.waiting} "
                f"{what} (they wait in the inbox as pending)")  # fmt: skip
    return (f"could not enqueue triage: {queue.error}; {queue.waiting} {what} stay pending and "
            "the reconciler of `plaint run` triages pending rows older than a minute; "
            f"{queue.enqueued} were enqueued")  # fmt: skip


@contextlib.contextmanager
def _progress_bar(total_files: int) -> Iterator[Callable[[ImportProgress], None] | None]:
    """Yield a progress callback drawing a bar on stderr, or ``None`` if it is no TTY."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TextColumn(
        "files · {task.fields[messages]:,} messages · {task.fields[rate]} msgs/s"),
        TimeElapsedColumn())  # fmt: skip
    start = time.monotonic()
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("import", total=total_files, messages=0, rate="-")

        def update(progress: ImportProgress) -> None:
            elapsed = time.monotonic() - start
            rate = f"{progress.messages / elapsed:,.0f}" if elapsed > 0 else "-"
            bar.update(task, completed=progress.files_done, messages=progress.messages,
                       rate=rate)  # fmt: skip

        yield update


def _import(args: argparse.Namespace) -> int:
    from plaint.service.fileintake import DEFAULT_SOURCE, import_files
    from plaint.service.filereaders import scan_paths

    start = time.monotonic()
    with open_db() as (sessions, config), _triage_queue() as enqueue:
        scan = scan_paths(args.paths, cdr_layout=_cdr_layout(config, args))
        with _progress_bar(len(scan.files)) as progress:
            result = import_files(
                sessions, scan, source=args.source or DEFAULT_SOURCE, enqueue=enqueue,
                clock=lambda: datetime.now(UTC), progress=progress,
            )  # fmt: skip
    seconds = time.monotonic() - start
    if args.json:
        print(json.dumps(_import_json(result, seconds), ensure_ascii=False))
    else:
        for item in result.unreadable:
            print(f"plaint: {item.where}: unreadable: {item.reason}", file=sys.stderr)
        quarantined = f" ({result.quarantined} quarantined)" if result.quarantined else ""
        print(f"imported {result.new} new{quarantined}, {result.already} already there, "
              f"{result.skipped} skipped, {len(result.unreadable)} unreadable")  # fmt: skip
        if result.new or result.queue.error:
            print(_queue_line(result.queue, what="new rows"))
    return EXIT_PARTIAL if result.unreadable else 0


def _cdr_layout(config: Config, args: argparse.Namespace) -> CdrLayout:
    """The layout CSV call records are read in: ``--format``, else the named cdr-folder
    source's, else recognised per file; stamps in the source's or the company's zone."""
    from zoneinfo import ZoneInfo

    from plaint.channels.phone.cdr import CdrLayout

    options = None
    if args.source and any(s.name == args.source for s in config.sources):
        options = config.source(args.source).cdr
    if options is None:
        return CdrLayout(args.format or "auto", config.timezone)
    return CdrLayout(args.format or options.format, ZoneInfo(options.timezone), options.columns)


def _import_json(result: ImportResult, seconds: float) -> dict[str, Any]:
    return {
        "source": result.source, "files": result.files, "messages": result.messages,
        "new": result.new, "quarantined": result.quarantined, "already_there": result.already,
        "skipped": result.skipped,
        "unreadable": len(result.unreadable),
        "unreadable_items": [{"path": u.where, "reason": u.reason} for u in result.unreadable],
        "seconds": round(seconds, 3),
        "messages_per_second": round(result.messages / seconds) if seconds > 0 else None,
        "triage": _queue_json(result.queue),
    }  # fmt: skip


def _queue_json(queue: QueueOutcome) -> dict[str, Any]:
    return {"queue": "redis" if queue.configured else None, "enqueued": queue.enqueued,
            "waiting": queue.waiting, "error": queue.error}  # fmt: skip


def _row_json(row: InboxRow) -> dict[str, Any]:
    return {"id": row.id, "source": row.source, "channel": row.channel, "status": row.status,
            "attempts": row.attempts, "received_at": _iso(row.received_at),
            "processed_at": _iso(row.processed_at), "reason": row.reason}  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    from plaint.models import InboxStatus
    from plaint.service.inbox import list_inbox

    status = InboxStatus(args.status) if args.status else None
    with open_db() as (sessions, config), sessions() as session:
        page = list_inbox(session, status=status, source=args.source, limit=args.limit)
    if args.json:
        print(json.dumps({"total": page.total, "rows": [_row_json(r) for r in page.rows]},
                         ensure_ascii=False))  # fmt: skip
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(*_LIST_HEADERS, box=None, header_style="bold")
    for row in page.rows:
        table.add_row(str(row.id), row.source, row.channel, row.status, str(row.attempts),
                      _when(row.received_at, config.timezone),
                      _when(row.processed_at, config.timezone), row.reason or "-")  # fmt: skip
    console = Console(width=None if sys.stdout.isatty() else _FILE_WIDTH)
    console.print(table)
    console.print(f"{len(page.rows)} of {page.total} rows, newest first")
    return 0


def _show(args: argparse.Namespace) -> int:
    from plaint.service.inbox import inbox_detail, inbox_payload

    with open_db() as (sessions, config), sessions() as session:
        if args.raw:
            payload = inbox_payload(session, args.id)
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
            return 0
        detail = inbox_detail(session, args.id)
    row, tz = detail.row, config.timezone
    print(f"inbox {row.id}  {row.status}  {row.channel}  source {row.source}")
    print(f"external id:  {detail.external_id}")
    print(f"received:     {_when(row.received_at, tz)}")
    print(f"stored:       {_when(detail.created_at, tz)}")
    print(f"processed:    {_when(row.processed_at, tz)}")
    print(f"attempts:     {row.attempts}")
    print(f"reason:       {row.reason or '-'}")
    print(f"ticket:       {detail.ticket_number or '-'}")
    print(f"payload:      {detail.size:,} bytes (plaint inbox show {row.id} --raw)")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from plaint.errors import ConfigError
    from plaint.service.inbox import replay, replay_quarantined

    if bool(args.ids) == args.all_quarantined:
        raise ConfigError("give inbox ids or --all-quarantined (not both)")
    now = datetime.now(UTC)
    with open_db() as (sessions, _config), _triage_queue() as enqueue:
        if args.all_quarantined:
            result = replay_quarantined(sessions, enqueue=enqueue, now=now)
        else:
            result = replay(sessions, args.ids, enqueue=enqueue, now=now)
    for refusal in result.refused:
        print(f"plaint: inbox {refusal.inbox_id} not replayed: {refusal.reason}", file=sys.stderr)
    shown = ", ".join(str(i) for i in result.replayed[:20])
    more = f", … ({len(result.replayed) - 20} more)" if len(result.replayed) > 20 else ""
    rows = "row" if len(result.replayed) == 1 else "rows"
    print(f"replayed {len(result.replayed)} {rows}" + (f": {shown}{more}" if shown else ""))
    if result.replayed:
        print(_queue_line(result.queue, what="replayed rows"))
    return EXIT_PARTIAL if result.refused else 0
