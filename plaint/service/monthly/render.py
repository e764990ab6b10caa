"""The monthly report as one HTML page (charts inline as SVG) and as CSV files.

The page is rendered by jinja2 from ``templates/monthly.html`` with autoescaping on, so
community names and other text from the database are escaped; the charts are marked safe
because matplotlib's SVG writer escapes the text it draws. The page needs nothing else: no
scripts, no external files, print CSS for A4 (each section kept on one page where it fits).

CSV files are UTF-8 with a byte-order mark (``utf-8-sig``): the encoding Excel needs to
open Chinese text without a wizard; other readers skip the mark.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from plaint.pipeline.kpi import CLOSURE_TARGET, FIRST_RESPONSE_TARGET
from plaint.service.monthly.charts import chart_svg
from plaint.service.monthly.figures import MonthlyFigures
from plaint.service.monthly.tables import Table, report_tables

__all__ = ["CSV_ENCODING", "render_html", "write_csv"]

CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class _Section:
    table: Table
    svgs: tuple[Markup, ...]


@dataclass(frozen=True)
class _Headline:
    label: str
    value: str
    target: str
    ok: bool | None


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("plaint.service.monthly", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, not blanks
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(figures: MonthlyFigures, *, tables: list[Table] | None = None) -> str:
    """The report page of ``figures`` (``tables`` default to :func:`report_tables`).
    Raises ConfigError when matplotlib is missing."""
    tables = report_tables(figures) if tables is None else tables
    sections = [
        _Section(table, tuple(Markup(chart_svg(table, c)) for c in table.charts))  # noqa: S704
        for table in tables
    ]
    template = _environment().get_template("monthly.html")
    return template.render(
        figures=figures, sections=sections, headlines=_headlines(figures),
        zone=str(figures.period.start.tzinfo),
        as_of=figures.as_of.astimezone(figures.period.start.tzinfo).strftime("%Y-%m-%d %H:%M"),
        show=_cell,
    )  # fmt: skip


def write_csv(tables: list[Table], directory: Path) -> list[Path]:
    """Write each table as ``directory/NAME.csv`` (the directory is created); return the
    paths. Empty cells are written for missing values."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in tables:
        path = directory / f"{table.name}.csv"
        with path.open("w", encoding=CSV_ENCODING, newline="") as file:
            writer = csv.writer(file)
            writer.writerow(table.headers)
            writer.writerows([["" if v is None else v for v in row] for row in table.rows])
        paths.append(path)
    return paths


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _headlines(figures: MonthlyFigures) -> list[_Headline]:
    total = figures.total
    if total is None:
        return []
    fr, cl = total.first_response, total.closure
    return [
        _Headline("投诉总量 tickets", f"{total.tickets:,}", f"无效 {total.invalid}", None),
        _Headline("一级24小时答复率 L1 answered in 24 h", _share(fr.share),
                  f"目标 {FIRST_RESPONSE_TARGET * 100:g} % · {fr.met}/{fr.judged}",
                  fr.meets(FIRST_RESPONSE_TARGET)),
        _Headline("二级3个工作日办结率 L2 closed in 3 working days", _share(cl.share),
                  f"目标 {CLOSURE_TARGET * 100:g} % · {cl.met}/{cl.judged}",
                  cl.meets(CLOSURE_TARGET)),
        _Headline("超时 / 升级 breaches / escalations",
                  f"{total.breaches:,} / {total.escalations:,}", "", None),
    ]  # fmt: skip


def _share(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"
