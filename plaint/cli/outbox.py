"""``plaint outbox list|retry``: what plaint has sent, is sending, retries or gave up on,
and why (never an address or a message's text); putting a failed notification back.

``retry`` enqueues a dispatcher run when ``PLAINT_REDIS_URL`` is set; otherwise the
clock of ``plaint run`` sends the row within seconds.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from plaint.cli.common import open_db
from plaint.cli.output import local_time, print_json, print_table, utc_iso

if TYPE_CHECKING:
    from plaint.service.outbox_view import OutboxRow

__all__ = ["register"]

DEFAULT_LIMIT = 50
# The values of plaint.models.NotificationStatus (not imported here: it loads SQLAlchemy).
_STATUSES = ("pending", "sending", "sent", "failed")
_HEADERS = ("id", "status", "channel", "template", "ticket", "recipient", "attempts",
            "next / sent", "provider status", "reason")  # fmt: skip


def register(subparsers: Any) -> None:
    """Add the ``outbox`` command group."""
    outbox = subparsers.add_parser("outbox", help="notifications: sent, waiting, failed and why")
    commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="notifications, newest first (no content)")
    listing.add_argument("--status", choices=_STATUSES)
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many")
    listing.add_argument("--json", action="store_true", help="print the rows as JSON")
    listing.set_defaults(handler=_list)
    again = commands.add_parser("retry", help="send a failed notification again")
    again.add_argument("id", type=int)
    again.set_defaults(handler=_retry)


def _json(row: OutboxRow) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "status": row.status, "channel": row.channel,
            "template": row.template, "ticket": row.ticket, "recipient": row.recipient,
            "attempts": row.attempts, "next_attempt_at": utc_iso(row.next_attempt_at),
            "sent_at": utc_iso(row.sent_at), "provider_id": row.provider_id,
            "provider_status": row.provider_status, "reason": row.last_error}  # fmt: skip


def _cells(row: OutboxRow, tz: tzinfo) -> list[str]:
    when = row.sent_at if row.status == "sent" else row.next_attempt_at
    return [str(row.id), row.status, row.channel or "-", row.template, row.ticket or "-",
            row.recipient, str(row.attempts), local_time(when, tz, seconds=True),
            row.provider_status or "-", row.last_error or "-"]  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    from plaint.errors import ConfigError
    from plaint.models import NotificationStatus
    from plaint.service.outbox_view import list_outbox

    if args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    status = NotificationStatus(args.status) if args.status else None
    with open_db() as (sessions, config), sessions() as session:
        page = list_outbox(session, status=status, limit=args.limit)
    if args.json:
        print_json({"total": page.total, "rows": [_json(r) for r in page.rows]})
        return 0
    print_table(_HEADERS, [_cells(r, config.timezone) for r in page.rows])
    print(f"{len(page.rows)} of {page.total} notifications, newest first")
    return 0


def _retry(args: argparse.Namespace) -> int:
    from plaint.service.outbox_view import retry_notification

    with open_db() as (sessions, _config), sessions.begin() as session:
        row = retry_notification(session, args.id, now=datetime.now(UTC))
    kicked = _kick()
    when = "a dispatcher run is enqueued" if kicked else "plaint run's clock sends it shortly"
    print(f"notification {row.id} ({row.template}) is pending again; {when}")
    return 0


def _kick() -> bool:
    """Enqueue a dispatcher run if ``PLAINT_REDIS_URL`` is set and Redis answers."""
    from plaint.config import load_settings

    url = load_settings(os.environ).queue_url
    if url is None:
        return False
    import redis

    from plaint.queue.broker import build_broker
    from plaint.queue.producer import Producer

    broker = build_broker(url)
    try:
        Producer(broker).dispatch_outbox()
    except redis.RedisError:
        return False
    finally:
        broker.close()
    return True
