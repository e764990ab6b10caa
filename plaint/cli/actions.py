"""``plaint tickets <action> NUMBER --by CODE …``: the staff actions, through the same
service functions as ``POST /api/v1/tickets/{number}/<action>`` and under the same rules
(:mod:`plaint.service.permissions`: ``--by`` acts with their own role and department).

Each prints one line: the ticket's status and due times after the action.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from plaint.cli.common import open_db, parse_instant
from plaint.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from plaint.config import Config
    from plaint.service.directory import StaffIdentity
    from plaint.service.ticket_actions import ActionResult

__all__ = ["ACTION_HELP", "register_actions"]

ACTION_HELP = {
    "respond": "record the first response by staff (starts counting as answered)",
    "accept": "record the acceptance (受理) that reached the resident",
    "wait": "waiting on the resident: pause the clocks (--needed: what for)",
    "resume": "the resident answered: restart the clocks",
    "resolve": "the problem is solved: the closure (or resolution) clock is met (--resolution)",
    "close": "close the ticket",
    "reopen": "reopen a resolved or closed ticket: a new closure cycle starts",
    "transfer": "hand the ticket to another department (the clocks keep running)",
    "acknowledge": "acknowledge a breach: the escalation ladder stops climbing",
    "assign": "give the ticket to a staff member",
    "plan": "record the investigation and a solution or initial plan (--plan); meets the "
    "closure clock under a policy with a resolution clock",
}
# The value each action carries, as (option, event data key, help).
_DETAILS = {
    "wait": ("--needed", "needed", "what is needed from the resident"),
    "resolve": ("--resolution", "resolution", "what was done"),
    "transfer": ("--reason", "reason", "why it goes to another department"),
    "plan": ("--plan", "plan", "the investigation and the solution or initial plan"),
}
_CODES = ("sub_topic", "category", "level", "urgency")


def _staff_command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(name, help=text)
    command.add_argument("number", help="the ticket's number")
    command.add_argument("--by", required=True, metavar="CODE", help="who acts (a staff code)")
    command.add_argument("--at", help="when (ISO 8601; default now)")
    return command


def register_actions(commands: Any) -> None:
    """Add the staff actions to the ``tickets`` command group's ``commands``."""
    for action, text in ACTION_HELP.items():
        command = _staff_command(commands, action, text)
        if action in ("transfer", "assign"):
            target = "department code" if action == "transfer" else "staff code"
            command.add_argument("--to", required=True, help=target)
        if action in _DETAILS:
            option, _key, about = _DETAILS[action]
            command.add_argument(option, required=True, help=about)
        command.set_defaults(handler=_act, action=action)
    reply = _staff_command(commands, "reply", "answer the resident (through the outbox)")
    reply.add_argument("--text", required=True, help="what the resident is told")
    reply.add_argument("--channel", choices=("sms", "email"), help="default: as they wrote")
    reply.add_argument("--key", help="an idempotency key: the same key never sends twice")
    reply.set_defaults(handler=_reply)
    note = _staff_command(commands, "note", "add an internal note (nothing goes out)")
    note.add_argument("--text", required=True, help="the note")
    note.set_defaults(handler=_note)
    _staff_command(commands, "claim", "assign the ticket to yourself (--by)").set_defaults(
        handler=_claim
    )
    merge = _staff_command(commands, "merge", "merge into another ticket and close this one")
    merge.add_argument("--into", required=True, metavar="NUMBER", help="the ticket kept")
    merge.set_defaults(handler=_merge)
    recode = _staff_command(commands, "reclassify", "correct the codes (the SLA policy follows)")
    for code in _CODES:
        recode.add_argument(f"--{code.replace('_', '-')}", dest=code,
                            type=int if code == "level" else str)  # fmt: skip
    recode.set_defaults(handler=_reclassify)


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return "-" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# What a command does, given the session, who acts, when, and the configuration.
Call = Callable[["Session", "StaffIdentity", datetime, "Config"], "ActionResult"]


def _run(args: argparse.Namespace, call: Call) -> int:
    """Run ``call`` as ``--by`` at ``--at`` in one transaction; print the outcome."""
    from plaint.service.directory import find_staff, sync_staff

    with open_db() as (sessions, config), sessions.begin() as session:
        at = parse_instant(args.at, config.timezone, option="--at")
        # The staff of the TOML file are made known in the action's own transaction,
        # so --by is checked against the directory even before any start-up sync.
        sync_staff(session, config.staff, now=datetime.now(UTC))
        result = call(session, find_staff(session, args.by), at, config)
        _print(result, config.timezone)
    return 0


def _print(result: ActionResult, tz: ZoneInfo) -> None:
    extra = " (already done: nothing changed)" if result.replayed else ""
    print(f"{result.number}: {result.action} recorded{extra}; status {result.status}, "
          f"department {result.department}, policy {result.sla_policy}, first response due "
          f"{_when(result.first_response_due, tz)}, closure due "
          f"{_when(result.closure_due, tz)}" + (
              "" if result.resolution_due is None
              else f", resolution due {_when(result.resolution_due, tz)}"))  # fmt: skip


def _act(args: argparse.Namespace) -> int:
    from plaint.service.staff import Action
    from plaint.service.ticket_actions import perform

    details = None
    if args.action in _DETAILS:
        _option, key, _about = _DETAILS[args.action]
        details = {key: getattr(args, key)}
    return _run(args, lambda session, who, at, config: perform(
        session, number=args.number, who=who, action=Action(args.action), at=at,
        config=config, target=getattr(args, "to", None), details=details,
    ))  # fmt: skip


def _reply(args: argparse.Namespace) -> int:
    from plaint.service.replies import reply

    return _run(args, lambda session, who, at, config: reply(
        session, number=args.number, who=who, text=args.text, at=at, config=config,
        channel=args.channel, idempotency_key=args.key,
    ))  # fmt: skip


def _note(args: argparse.Namespace) -> int:
    from plaint.service.replies import add_note

    return _run(args, lambda session, who, at, config: add_note(
        session, number=args.number, who=who, text=args.text, at=at,
    ))  # fmt: skip


def _claim(args: argparse.Namespace) -> int:
    from plaint.service.ticket_actions import claim

    return _run(args, lambda session, who, at, config: claim(
        session, number=args.number, who=who, at=at, config=config,
    ))  # fmt: skip


def _merge(args: argparse.Namespace) -> int:
    from plaint.service.merge import merge

    return _run(args, lambda session, who, at, config: merge(
        session, number=args.number, into=args.into, who=who, at=at, config=config,
    ))  # fmt: skip


def _reclassify(args: argparse.Namespace) -> int:
    from plaint.service.ticket_actions import reclassify_codes

    codes = {k: getattr(args, k) for k in _CODES if getattr(args, k) is not None}
    if not codes:
        raise ConfigError("reclassify needs --sub-topic, --category, --level or --urgency")
    return _run(args, lambda session, who, at, config: reclassify_codes(
        session, number=args.number, who=who, at=at, config=config, codes=codes,
    ))  # fmt: skip
