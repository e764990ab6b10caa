"""One month's report from the database, as ``plaint report monthly`` writes it and the
report page serves it: figures, the rows behind them, and the HTML page with its charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from plaint.service.monthly.figures import MonthlyFigures, month_periods, monthly_figures
from plaint.service.monthly.render import render_html
from plaint.service.monthly.tables import Table, report_tables

__all__ = ["MonthlyReport", "monthly_report"]


@dataclass(frozen=True)
class MonthlyReport:
    """The month's figures, the tables behind them (one CSV each) and the HTML page."""

    figures: MonthlyFigures
    tables: list[Table]
    html: str


def monthly_report(
    session: Session, *, year: int, month: int, history: int, tz: tzinfo, now: datetime
) -> MonthlyReport:
    """The report of ``year``-``month`` (in time zone ``tz``) with the ``history`` months
    before it for the trend, pending deadlines judged at ``now``. Reads only; raises
    ConfigError when matplotlib (the ``reports`` extra) is missing."""
    *earlier, period = month_periods(year=year, month=month, history=history, tz=tz)
    figures = monthly_figures(session, period=period, history=earlier, now=now)
    tables = report_tables(figures)
    return MonthlyReport(figures, tables, render_html(figures, tables=tables))
