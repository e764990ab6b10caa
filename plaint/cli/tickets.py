"""``plaint tickets``: list, show and explain tickets, and the staff actions on them.

``list`` and ``show`` take ``--json``: times are ISO 8601 with their offset (UTC), absent
values are ``null``, and the keys are those of :func:`ticket_json` (``show`` adds the
ticket's details, messages and events). The staff actions are :mod:`plaint.cli.actions`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from plaint.cli.actions import register_actions
from plaint.cli.common import open_db, parse_instant
from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.models import Ticket

__all__ = ["TICKET_HEADERS", "register", "ticket_json", "ticket_rows"]

TICKET_HEADERS = ("number", "status", "category", "sub_topic", "department", "level", "urgency",
                  "first response due", "closure due")  # fmt: skip
DEFAULT_LIMIT = 50


def register(subparsers: Any) -> None:
    """Add the ``tickets`` command group."""
    tickets = subparsers.add_parser("tickets", help="look at tickets and act on them")
    commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="the newest tickets, newest first")
    listing.add_argument("--status", help="only tickets with this status (e.g. open)")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="one ticket with its messages and events")
    show.add_argument("number", help="the ticket's number, e.g. TS-2026-000123")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(handler=_show)
    explain = commands.add_parser("explain", help="the SLA timeline: policy, days, due times")
    explain.add_argument("number", help="the ticket's number")
    explain.add_argument("--at", help="explain as of this instant (ISO 8601; default now)")
    explain.set_defaults(handler=_explain)
    register_actions(commands)


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return "-" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def ticket_rows(tickets: Sequence[Ticket], tz: ZoneInfo) -> list[list[str]]:
    """Return the table rows of ``tickets`` under TICKET_HEADERS, times shown in ``tz``."""
    return [
        [t.number, t.status, t.category, t.sub_topic, t.department.code, str(t.level), t.urgency,
         _when(t.first_response_due, tz), _when(t.closure_due, tz)]
        for t in tickets
    ]  # fmt: skip


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """Return the listing keys of ``ticket`` as JSON values (times ISO 8601 in UTC)."""
    return {
        "number": ticket.number, "status": ticket.status, "channel": ticket.channel,
        "category": ticket.category, "sub_topic": ticket.sub_topic,
        "department": ticket.department.code, "level": ticket.level, "urgency": ticket.urgency,
        "validity": ticket.validity, "assignee": ticket.assignee,
        "received_at": _iso(ticket.received_at),
        "first_response_due": _iso(ticket.first_response_due),
        "closure_due": _iso(ticket.closure_due),
    }  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from plaint.cli.output import print_table
    from plaint.models import Ticket, TicketStatus

    statuses = [s.value for s in TicketStatus]
    if args.status is not None and args.status not in statuses:
        raise ConfigError(f"--status must be one of {', '.join(statuses)}")
    if args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    query = select(Ticket).order_by(Ticket.id.desc()).limit(args.limit)
    if args.status:
        query = query.where(Ticket.status == args.status)
    with open_db() as (sessions, config), sessions() as session:
        tickets = session.scalars(query).all()
        print_table(TICKET_HEADERS, ticket_rows(tickets, config.timezone), as_json=args.json,
                    json_rows=[ticket_json(t) for t in tickets])  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    from plaint.cli.output import print_json
    from plaint.service.staff import find_ticket

    with open_db() as (sessions, config), sessions() as session:
        ticket = find_ticket(session, args.number)
        if args.json:
            print_json(_detail_json(ticket))
        else:
            print("\n".join(_detail_lines(ticket, config.timezone)))
    return 0


def _detail_json(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_json(ticket), "subject": ticket.subject, "scope": ticket.scope,
        "confidence": ticket.confidence, "department_name": ticket.department.name,
        "sla_policy": ticket.sla_policy, "first_responded_at": _iso(ticket.first_responded_at),
        "closed_at": _iso(ticket.closed_at),
        "messages": [
            {"at": _iso(m.created_at), "direction": m.direction, "channel": m.channel,
             "sender": m.sender, "subject": m.subject, "body": m.body}
            for m in ticket.messages
        ],
        "events": [
            {"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "data": e.data}
            for e in ticket.events
        ],
    }  # fmt: skip


def _detail_lines(ticket: Ticket, tz: ZoneInfo) -> list[str]:
    lines = [
        f"{ticket.number}  {ticket.status}  {ticket.channel}",
        f"subject:      {ticket.subject}",
        f"codes:        category={ticket.category} sub_topic={ticket.sub_topic} "
        f"scope={ticket.scope} level={ticket.level} urgency={ticket.urgency} "
        f"validity={ticket.validity} confidence={ticket.confidence:.2f}",
        f"department:   {ticket.department.code} ({ticket.department.name})",
        f"received:     {_when(ticket.received_at, tz)}",
        f"first response due {_when(ticket.first_response_due, tz)}, "
        f"met {_when(ticket.first_responded_at, tz)}",
        f"closure due   {_when(ticket.closure_due, tz)}, met {_when(ticket.closed_at, tz)}",
        "",
        "messages:",
    ]
    for message in ticket.messages:
        lines.append(f"  [{_when(message.created_at, tz)}] {message.direction} "
                     f"{message.channel} {message.sender}: {message.subject}")  # fmt: skip
        lines.extend(f"      {line}" for line in message.body.strip().splitlines())
    lines += ["", "events:"]
    lines.extend(f"  [{_when(e.at, tz)}] {e.kind} by {e.actor} {e.data}" for e in ticket.events)
    return lines


def _explain(args: argparse.Namespace) -> int:
    from plaint.service.explain import explain_ticket

    with open_db() as (sessions, config), sessions() as session:
        now = parse_instant(args.at, config.timezone, option="--at")
        print("\n".join(explain_ticket(session, args.number, config=config, now=now)))
    return 0
