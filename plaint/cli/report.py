"""``plaint report sla --month YYYY-MM``: one month's SLA compliance against the targets;
``plaint report monthly --month YYYY-MM --out FILE [--csv-dir DIR]``: the monthly report.

The month is a calendar month in the company's time zone (``company.timezone``) and
holds the tickets *received* in it. Rows are grouped ``--by`` department (default),
category, channel or resident community, with a last row for all tickets; ``--json``
prints one JSON object instead of the table. Deadlines neither met nor due yet are
pending, judged at ``--as-of`` (default: now). The figures come from
:func:`plaint.service.reports.sla_kpis`. A second table (and the JSON's ``satisfaction``)
gives the follow-up survey's answers given in the month, per group
(:func:`plaint.service.satisfaction.satisfaction`).

The monthly report (:mod:`plaint.service.monthly`) is one HTML page with inline SVG charts
and, with ``--csv-dir``, one CSV file per table; its SLA figures are ``sla_kpis`` rows too.

A bad ``--month`` or ``--as-of`` raises :class:`~plaint.errors.ConfigError`, which the
``plaint`` command turns into ``plaint: error: …`` and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plaint.cli.common import open_db, parse_instant
from plaint.cli.warnings_report import register_warnings
from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.service.reports import DurationKpi, KpiRow, Period, ShareKpi
    from plaint.service.satisfaction import SatisfactionRow

__all__ = ["GROUPS", "register"]

# The values of plaint.service.reports.GroupBy, named here so `plaint --help` stays light.
GROUPS = ("department", "category", "channel", "community")
_MAX_HISTORY = 36
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_LEGEND = (
    "✓ meets the target, ✗ misses it; met/judged in brackets. Pending deadlines (not met, not "
    "yet due) are left out of the shares. Hours are elapsed time from receipt (p50 / p90)."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` command and its ``sla`` sub-command to ``subparsers``."""
    report = subparsers.add_parser("report", help="monthly reports")
    commands = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    sla = commands.add_parser(
        "sla",
        help="SLA compliance of one month against the industry targets",
        description="Tickets received in a month: deadlines met against the targets "
        "(95 % of level-1 answered in time, 80 % of level-2 closed in time), response "
        "and closure times, breaches and escalations.",
    )
    sla.add_argument("--month", required=True, metavar="YYYY-MM", help="the month to report")
    sla.add_argument("--by", choices=GROUPS, default="department", help="group rows by this")
    sla.add_argument("--json", action="store_true", help="print one JSON object")
    sla.add_argument(
        "--as-of",
        metavar="ISO8601",
        help="judge pending deadlines at this instant (default: now); "
        "without an offset it is read in the company's time zone",
    )
    sla.set_defaults(handler=_sla)
    _register_monthly(commands)
    register_warnings(commands)


def _register_monthly(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    monthly = commands.add_parser(
        "monthly",
        help="the monthly report as an HTML page with charts, and CSV files",
        description="Tickets received in a month: volume by channel, category, department "
        "and community; SLA compliance against the targets (the figures of plaint report "
        "sla); breaches, escalations, repeat complainants, satisfaction, top problems and "
        "the trend, with charts (SVG in the page; needs plaint[reports]).",
    )
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="the month to report")
    monthly.add_argument("--out", required=True, type=Path, metavar="FILE", help="the HTML file")
    monthly.add_argument("--csv-dir", type=Path, metavar="DIR",
                         help="also write the rows of every figure as DIR/NAME.csv")  # fmt: skip
    monthly.add_argument("--history", type=int, default=6, metavar="N",
                         help="months before --month in the trend (default 6)")  # fmt: skip
    monthly.add_argument("--as-of", metavar="ISO8601",
                         help="judge pending deadlines at this instant (default: now)")  # fmt: skip
    monthly.set_defaults(handler=_monthly)


def _monthly(args: argparse.Namespace) -> int:
    """Write the report of ``args.month``; raise ConfigError on bad options, a missing
    matplotlib or a file that cannot be written."""
    from plaint.service.monthly.render import write_csv
    from plaint.service.monthly.report import monthly_report

    year, month = _parse_month(args.month)
    if not 0 <= args.history <= _MAX_HISTORY:
        raise ConfigError(f"--history must be between 0 and {_MAX_HISTORY}")
    with open_db() as (sessions, config), sessions() as session:
        as_of = parse_instant(args.as_of, config.timezone, option="--as-of")
        report = monthly_report(session, year=year, month=month, history=args.history,
                                tz=config.timezone, now=as_of)  # fmt: skip
    figures, tables, page = report.figures, report.tables, report.html
    period = figures.period
    try:
        args.out.write_text(page, "utf-8")
        written = write_csv(tables, args.csv_dir) if args.csv_dir else []
    except OSError as exc:
        raise ConfigError(f"cannot write the report: {exc.strerror}: {exc.filename}") from exc
    tickets = figures.total.tickets if figures.total else 0
    print(f"wrote {args.out} ({period.label}: {tickets} tickets)")
    if written:
        print(f"wrote {len(written)} CSV files to {args.csv_dir}")
    return 0


def _sla(args: argparse.Namespace) -> int:
    """Print the report of ``args.month``; raise ConfigError on a bad --month/--as-of."""
    from plaint.service.reports import GroupBy, month_period, sla_kpis
    from plaint.service.satisfaction import satisfaction

    year, month = _parse_month(args.month)
    with open_db() as (sessions, config), sessions() as session:
        period = month_period(year=year, month=month, tz=config.timezone)
        as_of = parse_instant(args.as_of, config.timezone, option="--as-of")
        rows = sla_kpis(
            session, start=period.start, end=period.end, now=as_of, group_by=GroupBy(args.by),
            resolution=config.sla.tracks_resolution,
        )  # fmt: skip
        scores = satisfaction(session, start=period.start, end=period.end, group_by=args.by)
    if args.json:
        report = _json(period, args.by, as_of, rows)
        report["satisfaction"] = [row.as_dict() for row in scores]
        print(json.dumps(report, ensure_ascii=False))
    elif not rows:
        print(f"no tickets were received in {period.label} ({period.start.tzinfo})")
    else:
        print(f"SLA report {period.label} ({period.start.tzinfo}), by {args.by}, "
              f"as of {as_of.astimezone(config.timezone):%Y-%m-%d %H:%M}")  # fmt: skip
        _print_table(args.by, rows)
        print(_LEGEND)
    if scores and not args.json:
        _print_satisfaction(args.by, scores)
    return 0


def _print_satisfaction(by: str, rows: Sequence[SatisfactionRow]) -> None:
    from plaint.cli.output import print_table

    print("Satisfaction (回访 answers given this month; satisfied 4-5, unhappy 1-2)")
    headers = (by, "answers", "mean score", "satisfied", "unhappy")
    print_table(headers, [[r.group, str(r.answers), f"{r.mean:.2f}", str(r.satisfied),
                           str(r.unhappy)] for r in rows])  # fmt: skip


def _parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12 or not 1 <= int(match[1]) <= 9998:
        raise ConfigError("--month must be YYYY-MM")
    return int(match[1]), int(match[2])


def _json(period: Period, by: str, as_of: datetime, rows: Sequence[KpiRow]) -> dict[str, Any]:
    return {
        "report": "sla",
        "month": period.label,
        "timezone": str(period.start.tzinfo),
        "group_by": by,
        "as_of": as_of.isoformat(),
        "tickets": rows[-1].tickets if rows else 0,
        "rows": [row.as_dict() for row in rows],
    }


def _print_table(by: str, rows: Sequence[KpiRow]) -> None:
    from plaint.cli.output import print_table
    from plaint.service.reports import CLOSURE_TARGET, FIRST_RESPONSE_TARGET, RESOLUTION_TARGET

    headers: tuple[str, ...] = (
        *(by, "tickets", "invalid"),
        f"L1 answered in time (target {FIRST_RESPONSE_TARGET * 100:.0f} %)",
        f"L2 closed in time (target {CLOSURE_TARGET * 100:.0f} %)",
        *("pending L1/L2", "hours to answer", "hours to close", "breaches", "escalations"),
        "extensions",
    )
    cells = [
        [r.group, str(r.tickets), str(r.invalid),
         _share(r.first_response, FIRST_RESPONSE_TARGET), _share(r.closure, CLOSURE_TARGET),
         f"{r.first_response.pending}/{r.closure.pending}",
         _hours(r.hours_to_first_response), _hours(r.hours_to_closure),
         str(r.breaches), str(r.escalations), str(r.extensions)]
        for r in rows
    ]  # fmt: skip
    if rows and rows[-1].resolution is not None:  # some policy runs the resolution clock
        headers = (*headers, f"resolved in time (target {RESOLUTION_TARGET * 100:.0f} %)")
        cells = [[*cell, "-" if r.resolution is None else _share(r.resolution, RESOLUTION_TARGET)]
                 for cell, r in zip(cells, rows, strict=True)]  # fmt: skip
    print_table(headers, cells)


def _share(kpi: ShareKpi, target: float) -> str:
    if kpi.share is None:
        return "-"
    mark = "✓" if kpi.meets(target) else "✗"
    return f"{kpi.share * 100:.1f} % {mark} ({kpi.met}/{kpi.judged})"


def _hours(kpi: DurationKpi) -> str:
    if kpi.median is None or kpi.p90 is None:
        return "-"
    return f"{kpi.median:.1f} / {kpi.p90:.1f}"
