"""``plaint sla due|sweep|recompute``: SLA deadlines from the command line.

``due`` uses the default China calendar (chinesecalendar, and the statutory holidays of
later years from the ``holidays`` package, no company overrides); a working-day due time
counted through such a provisional year is refused unless ``--provisional`` is given, and
then printed followed by ``provisional``. ``recompute`` recomputes the due times of open
tickets computed through provisional years (after the year was added to the configuration)
and prints what changed. Every bad input raises :class:`~plaint.errors.ConfigError`, which
the ``plaint`` command turns into a one-line ``plaint: error: …`` and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.pipeline.calendar import Budget
    from plaint.service.recompute import RecomputeResult

__all__ = ["register"]

_DEFAULT_TIME_ZONE = "Asia/Shanghai"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sla`` command and its ``due`` sub-command to ``subparsers``."""
    sla = subparsers.add_parser("sla", help="service-level deadlines")
    commands = sla.add_subparsers(dest="sla_command", required=True, metavar="SLA_COMMAND")
    due = commands.add_parser(
        "due",
        help="print when an SLA clock runs out",
        description="Print the due instant (ISO 8601 with offset) for each --start, in order.",
    )
    due.add_argument(
        "--start",
        action="append",
        required=True,
        metavar="ISO8601",
        help="when the clock starts; repeatable; without an offset it is read in --tz",
    )
    budget = due.add_mutually_exclusive_group(required=True)
    budget.add_argument("--working-days", metavar="N", help="N working days (may be 0.5)")
    budget.add_argument("--hours", metavar="N", help="N clock hours of plain elapsed time")
    due.add_argument(
        "--working-hours",
        metavar="PERIODS",
        help="only count these hours of a working day, e.g. 09:00-12:00,13:30-18:00",
    )
    due.add_argument(
        "--tz",
        default=_DEFAULT_TIME_ZONE,
        metavar="ZONE",
        help="IANA time zone (default %(default)s)",
    )
    due.add_argument(
        "--provisional",
        action="store_true",
        help="print a due time counted through a year whose make-up working days are not "
        "published yet (statutory holidays only), marked provisional, instead of refusing",
    )
    due.set_defaults(handler=_due)
    sweep = commands.add_parser(
        "sweep",
        help="fire the SLA warnings, breaches and escalations due now (the clock does this "
        "every 15 s)",
    )
    sweep.add_argument("--now", metavar="ISO8601", help="sweep as of this instant (default now)")
    sweep.set_defaults(handler=_sweep)
    recompute = commands.add_parser(
        "recompute",
        help="recompute the due times of open tickets computed through provisional calendar "
        "years (after adding a year to [calendar] years or upgrading chinesecalendar)",
    )
    recompute.add_argument("--now", metavar="ISO8601", help="recompute as of this instant")
    recompute.add_argument("--json", action="store_true", help="print the result as JSON")
    recompute.set_defaults(handler=_recompute)


def _due(args: argparse.Namespace) -> int:
    """Print one due instant per ``--start``; raise ConfigError on bad input."""
    from plaint.config.calendars import china_calendar, load_zone
    from plaint.pipeline.calendar import (
        WorkingHours,
        due,
        parse_working_hours,
        provisional_years_of_due,
    )

    zone = load_zone(args.tz)
    hours = None
    if args.working_hours is not None:
        hours = WorkingHours(parse_working_hours(args.working_hours))
    calendar = china_calendar(zone=zone, hours=hours)
    budget = _budget(working_days=args.working_days, clock_hours=args.hours)
    starts = [_parse_start(text, zone) for text in args.start]
    try:
        dues = [(s, due(start=s, budget=budget, calendar=calendar)) for s in starts]
    except OverflowError:
        raise ConfigError("the due instant is beyond the year 9999; use a smaller budget") from None
    lines = []
    for start, end in dues:
        years = provisional_years_of_due(start=start, due=end, budget=budget, calendar=calendar)
        if years and not args.provisional:
            raise ConfigError(
                f"the due time of --start {start.isoformat()} is provisional: "
                f"{_reason(years)}; pass --provisional to print it anyway"
            )
        lines.append(end.isoformat() + (" provisional" if years else ""))
    print("\n".join(lines))
    return 0


def _reason(years: frozenset[int]) -> str:
    from plaint.config.calendars import provisional_reason

    return provisional_reason(min(years))


def _sweep(args: argparse.Namespace) -> int:
    """Run one SLA sweep against the configured database and print what it did."""
    from plaint.cli.common import open_db, parse_instant
    from plaint.service.sla import sweep

    with open_db() as (sessions, config):
        now = parse_instant(args.now, config.timezone, option="--now")
        result = sweep(sessions, config=config, now=now)
    print(f"swept {result.tickets} tickets: {result.marks} warnings/breaches/escalations, "
          f"{result.notifications} notifications queued")  # fmt: skip
    return 0


def _recompute(args: argparse.Namespace) -> int:
    """Recompute provisional due times in the configured database and print what changed."""
    from plaint.cli.common import open_db, parse_instant
    from plaint.service.recompute import recompute_provisional

    with open_db() as (sessions, config):
        now = parse_instant(args.now, config.timezone, option="--now")
        result = recompute_provisional(sessions, config=config, now=now)
    print(json.dumps(_recompute_json(result), ensure_ascii=False, indent=2) if args.json
          else _recompute_text(result, config.timezone))  # fmt: skip
    return 0


def _recompute_text(result: RecomputeResult, zone: tzinfo) -> str:
    lines = [
        f"recomputed {result.checked} tickets: {len(result.changes)} changed, "
        f"{result.confirmed} now final, {result.provisional} still provisional, "
        f"{result.failed} without calendar data"
    ]
    if result.breached_repaired:
        lines.append(f"  breached flag repaired on {result.breached_repaired} tickets")
    for c in result.changes:
        state = f"provisional {list(c.provisional_years)}" if c.provisional_years else "final"
        lines.append(f"  {c.number}: first response {_local(c.first_response_before, zone)} → "
                     f"{_local(c.first_response_after, zone)}, closure "
                     f"{_local(c.closure_before, zone)} → {_local(c.closure_after, zone)} "
                     f"({state})")  # fmt: skip
    return "\n".join(lines)


def _local(value: datetime | None, zone: tzinfo) -> str:
    return "-" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _recompute_json(result: RecomputeResult) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(UTC).isoformat()

    changes = [
        {
            "number": c.number,
            "before": {"first_response": iso(c.first_response_before),
                       "closure": iso(c.closure_before)},
            "after": {"first_response": iso(c.first_response_after),
                      "closure": iso(c.closure_after)},
            "provisional_years": list(c.provisional_years),
        }
        for c in result.changes
    ]  # fmt: skip
    return {"checked": result.checked, "changed": len(result.changes),
            "confirmed": result.confirmed, "provisional": result.provisional,
            "failed": result.failed, "breached_repaired": result.breached_repaired,
            "changes": changes}  # fmt: skip


def _budget(*, working_days: str | None, clock_hours: str | None) -> Budget:
    from plaint.pipeline.calendar import Budget

    try:
        if working_days is not None:
            return Budget.working_days(_non_negative(working_days, "--working-days"))
        assert clock_hours is not None  # argparse requires one of the two
        return Budget.clock(timedelta(hours=_non_negative(clock_hours, "--hours")))
    except OverflowError:
        raise ConfigError("the budget is too large (at most 999999999 days)") from None


def _non_negative(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{option} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{option} must be a finite number ≥ 0, got {text!r}")
    return value


def _parse_start(text: str, zone: tzinfo) -> datetime:
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start {text!r} is not an ISO 8601 date and time") from None
    return start if start.tzinfo is not None else start.replace(tzinfo=zone)
