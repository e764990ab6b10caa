"""``plaint tickets new`` (a complaint taken by the desk: by telephone, in person or in
writing) and ``plaint tickets extend`` (延期: more time to close, told to the resident).

``new`` writes the complaint to the inbox (:mod:`plaint.service.desk`) and, with
``PLAINT_REDIS_URL`` set, enqueues its triage; otherwise it waits for ``plaint run``'s
reconciler. It prints the inbox item's id (``plaint inbox show ID`` follows it); the ticket
number appears once triaged. Who acts is named with ``--by CODE``.
"""

from __future__ import annotations

import argparse
from typing import Any

from plaint.cli.common import open_db, parse_instant

__all__ = ["register_desk"]

_RESIDENT = ("phone", "email", "name", "community", "building", "unit", "language")
_CODES = ("category", "sub_topic", "department")


def register_desk(commands: Any) -> None:
    """Add ``new`` and ``extend`` to the ``tickets`` command group."""
    new = commands.add_parser("new", help="record a complaint taken by phone, visit or letter")
    new.add_argument("--by", required=True, metavar="CODE", help="who took it (a staff code)")
    new.add_argument("--text", required=True, help="the complaint, as told")
    new.add_argument("--subject", default="", help="a short subject")
    new.add_argument("--mode", choices=("phone", "visit", "letter"), default="phone",
                     help="电话 phone (default), 来访 visit, 书面/信函 letter")  # fmt: skip
    new.add_argument("--name", default="", help="the resident's name")
    for name in _RESIDENT[:-1]:
        if name != "name":
            new.add_argument(f"--{name}", help=f"the resident's {name}")
    new.add_argument("--language", help="zh or en (a new resident)")
    for name in _CODES:
        new.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"a {name} code")
    new.add_argument("--at", help="when the resident complained (ISO 8601; default now)")
    new.add_argument("--idempotency-key", help="a retried command with it records nothing new")
    new.set_defaults(handler=_new)
    extend = commands.add_parser(
        "extend",
        help="extend (延期) the closure due time "
        "(the resolution due time under a policy with that clock)",
    )
    extend.add_argument("number", help="the ticket's number")
    extend.add_argument("--by", required=True, metavar="CODE", help="who acts (a staff code)")
    extend.add_argument("--until", required=True, help="the new due time (ISO 8601)")
    extend.add_argument("--reason", required=True, help="why (sent to the resident)")
    extend.add_argument("--at", help="when (ISO 8601; default now)")
    extend.set_defaults(handler=_extend)


def _new(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from plaint.cli.inbox import _triage_queue
    from plaint.service.desk import DeskComplaint, DeskMode, take_complaint
    from plaint.service.directory import find_staff
    from plaint.service.retry import enqueue_stored
    from plaint.service.store import StoredItem

    fields = {k: getattr(args, k) for k in (*_RESIDENT, *_CODES)}
    with open_db() as (sessions, config), _triage_queue() as enqueue:
        at = parse_instant(args.at, config.timezone, option="--at") if args.at else None
        complaint = DeskComplaint(text=args.text, subject=args.subject, mode=DeskMode(args.mode),
                                  complained_at=at, **fields)  # fmt: skip
        with sessions.begin() as session:
            _staff_known(session, config)
            taken = take_complaint(session, complaint, actor=find_staff(session, args.by),
                                   config=config, now=datetime.now(UTC),
                                   idempotency_key=args.idempotency_key)  # fmt: skip
        item = StoredItem(taken.inbox_id, created=taken.created, pending=taken.pending)
        enqueue_stored(sessions, item, enqueue=enqueue)
    queued = "triage enqueued" if enqueue is not None else "waits for `plaint run` to triage"
    again = "" if taken.created else " (already recorded with this key)"
    print(f"inbox item {taken.inbox_id} recorded{again}: {queued}")
    return 0


def _extend(args: argparse.Namespace) -> int:
    from plaint.cli.output import local_time
    from plaint.service.directory import find_staff
    from plaint.service.extension import extend_by_number

    with open_db() as (sessions, config), sessions.begin() as session:
        now = parse_instant(args.at, config.timezone, option="--at")
        until = parse_instant(args.until, config.timezone, option="--until")
        _staff_known(session, config)
        who = find_staff(session, args.by)
        done = extend_by_number(session, number=args.number, who=who, until=until,
                                reason=args.reason, config=config, now=now)  # fmt: skip
        print(f"{done.number}: closure due {local_time(done.closure_due, config.timezone)} "
              f"(limit without a manager {local_time(done.limit, config.timezone)}); "
              "the resident is told")  # fmt: skip
    return 0


def _staff_known(session: Any, config: Any) -> None:
    """Make the TOML file's staff known in the command's own transaction (as
    :func:`plaint.cli.actions._run` does), so ``--by`` is checked before any start-up sync."""
    from datetime import UTC, datetime

    from plaint.service.directory import sync_staff

    sync_staff(session, config.staff, now=datetime.now(UTC))
