"""``plaint tickets list`` and ``plaint tickets show NUMBER``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from plaint.cli.common import open_db, parse_instant

__all__ = ["TICKET_HEADERS", "register", "ticket_rows"]

_ACTION_HELP = {
    "respond": "record the first response by staff (starts counting as answered)",
    "accept": "record the acceptance (受理) that reached the resident",
    "wait": "waiting on the resident: pause the clocks",
    "resume": "the resident answered: restart the clocks",
    "resolve": "the problem is solved: the closure clock is met",
    "close": "close the ticket",
    "reopen": "reopen a resolved or closed ticket: a new closure cycle starts",
    "transfer": "hand the ticket to another department (the clocks keep running)",
    "acknowledge": "acknowledge a breach: the escalation ladder stops climbing",
    "assign": "give the ticket to a staff member",
}
TICKET_HEADERS = ("number", "status", "category", "sub_topic", "department", "level", "urgency",
                  "first response due", "closure due")  # fmt: skip
DEFAULT_LIMIT = 50


def register(subparsers: Any) -> None:
    """Add the ``tickets`` command group."""
    tickets = subparsers.add_parser("tickets", help="look at tickets")
    commands = tickets.add_subparsers(dest="tickets_command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="the newest tickets, newest first")
    listing.add_argument("--status", help="only tickets with this status (e.g. open)")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="at most this many")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", help="one ticket with its messages and events")
    show.add_argument("number", help="the ticket's number, e.g. TS-2026-000123")
    show.set_defaults(handler=_show)
    explain = commands.add_parser("explain", help="the SLA timeline: policy, days, due times")
    explain.add_argument("number", help="the ticket's number")
    explain.add_argument("--at", help="explain as of this instant (ISO 8601; default now)")
    explain.set_defaults(handler=_explain)
    for action, text in _ACTION_HELP.items():
        command = commands.add_parser(action, help=text)
        command.add_argument("number", help="the ticket's number")
        command.add_argument("--by", required=True, help="who acts (a staff code)")
        command.add_argument("--at", help="when (ISO 8601; default now)")
        if action in ("transfer", "assign"):
            target = "department code" if action == "transfer" else "staff code"
            command.add_argument("--to", required=True, help=target)
        command.set_defaults(handler=_act, action=action)
    recode = commands.add_parser("reclassify", help="correct the codes (the SLA policy follows)")
    recode.add_argument("number", help="the ticket's number")
    recode.add_argument("--by", required=True, help="who corrects (a staff code)")
    recode.add_argument("--at", help="when (ISO 8601; default now)")
    recode.add_argument("--sub-topic", dest="sub_topic")
    recode.add_argument("--category")
    recode.add_argument("--level", type=int)
    recode.add_argument("--urgency")
    recode.set_defaults(handler=_reclassify)


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return "-" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def ticket_rows(tickets: Sequence[Any], tz: ZoneInfo) -> list[list[str]]:
    """Return the table rows of ``tickets``, times shown in ``tz``."""
    return [
        [t.number, t.status, t.category, t.sub_topic, t.department.code, str(t.level), t.urgency,
         _when(t.first_response_due, tz), _when(t.closure_due, tz)]
        for t in tickets
    ]  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from plaint.cli.textable import render_table
    from plaint.models import Ticket

    query = select(Ticket).order_by(Ticket.id.desc()).limit(args.limit)
    if args.status:
        query = query.where(Ticket.status == args.status)
    with open_db() as (sessions, config), sessions() as session:
        tickets = session.scalars(query).all()
        print(render_table(TICKET_HEADERS, ticket_rows(tickets, config.timezone)))
    return 0


def _show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from plaint.errors import NotFoundError
    from plaint.models import Ticket

    with open_db() as (sessions, config), sessions() as session:
        tz = config.timezone
        ticket = session.scalar(select(Ticket).where(Ticket.number == args.number))
        if ticket is None:
            raise NotFoundError(f"no ticket numbered {args.number!r}")
        print(f"{ticket.number}  {ticket.status}  {ticket.channel}")
        print(f"subject:      {ticket.subject}")
        print(f"codes:        category={ticket.category} sub_topic={ticket.sub_topic} "
              f"scope={ticket.scope} level={ticket.level} urgency={ticket.urgency} "
              f"validity={ticket.validity} confidence={ticket.confidence:.2f}")  # fmt: skip
        print(f"department:   {ticket.department.code} ({ticket.department.name})")
        print(f"received:     {_when(ticket.received_at, tz)}")
        print(f"first response due {_when(ticket.first_response_due, tz)}, "
              f"met {_when(ticket.first_responded_at, tz)}")  # fmt: skip
        print(f"closure due   {_when(ticket.closure_due, tz)}, met {_when(ticket.closed_at, tz)}")
        print("\nmessages:")
        for message in ticket.messages:
            print(f"  [{_when(message.created_at, tz)}] {message.direction} {message.channel} "
                  f"{message.sender}: {message.subject}")  # fmt: skip
            for line in message.body.strip().splitlines():
                print(f"      {line}")
        print("\nevents:")
        for event in ticket.events:
            print(f"  [{_when(event.at, tz)}] {event.kind} by {event.actor} {event.data}")
    return 0


def _ticket(session: Any, number: str) -> Any:
    from sqlalchemy import select

    from plaint.errors import NotFoundError
    from plaint.models import Ticket

    ticket = session.scalar(
        select(Ticket).where(Ticket.number == number).with_for_update(of=Ticket)
    )
    if ticket is None:
        raise NotFoundError(f"no ticket numbered {number!r}")
    return ticket


def _act(args: argparse.Namespace) -> int:
    from plaint.service.staff import Action, act

    with open_db() as (sessions, config), sessions.begin() as session:
        ticket = _ticket(session, args.number)
        at = parse_instant(args.at, config.timezone, option="--at")
        act(session, ticket, Action(args.action), actor=args.by, at=at, config=config,
            target=getattr(args, "to", None))  # fmt: skip
        print(f"{ticket.number}: {args.action} recorded; status {ticket.status}, first response "
              f"due {_when(ticket.first_response_due, config.timezone)}, closure due "
              f"{_when(ticket.closure_due, config.timezone)}")  # fmt: skip
    return 0


def _explain(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from plaint.models import SlaMark
    from plaint.service.explain import explain_lines
    from plaint.service.sla import plan_for, policy_of

    with open_db() as (sessions, config), sessions() as session:
        ticket = _ticket(session, args.number)
        now = parse_instant(args.at, config.timezone, option="--at")
        plan = plan_for(session, ticket, config=config, now=now) if ticket.sla_policy else None
        marks = session.scalars(select(SlaMark).where(SlaMark.ticket_id == ticket.id)).all()
        lines = explain_lines(ticket, plan=plan, policy=policy_of(ticket, config), marks=marks,
                              calendar=config.calendar, now=now)  # fmt: skip
        print("\n".join(lines))
    return 0


def _reclassify(args: argparse.Namespace) -> int:
    from plaint.errors import ConfigError
    from plaint.service.staff import reclassify

    fields = ("sub_topic", "category", "level", "urgency")
    codes = {k: getattr(args, k) for k in fields if getattr(args, k) is not None}
    if not codes:
        raise ConfigError("reclassify needs --sub-topic, --category, --level or --urgency")
    with open_db() as (sessions, config), sessions.begin() as session:
        ticket = _ticket(session, args.number)
        at = parse_instant(args.at, config.timezone, option="--at")
        reclassify(session, ticket, actor=args.by, at=at, config=config, codes=codes)
        print(f"{ticket.number}: {ticket.category}/{ticket.sub_topic} level {ticket.level} "
              f"{ticket.urgency}; policy {ticket.sla_policy}, first response due "
              f"{_when(ticket.first_response_due, config.timezone)}")  # fmt: skip
    return 0
