"""The rows behind every figure of the monthly report, as :class:`Table` values.

One table per section: the HTML shows it under its charts, the CSV export writes it as
``NAME.csv``, and each chart is drawn from the table's own columns (:class:`Chart`), so the
picture, the printed table and the CSV file cannot disagree. Counts are integers, hours
are the ``sla_kpis`` values (0.001 h), shares are percentages rounded to 0.01 %.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from plaint.pipeline.kpi import (
    CLOSURE_TARGET,
    FIRST_RESPONSE_TARGET,
    NO_COMMUNITY,
    TOTAL_GROUP,
    KpiRow,
)
from plaint.pipeline.texts import category_name, sub_topic_name
from plaint.service.monthly.figures import MonthlyFigures
from plaint.service.monthly.survey import SCORES
from plaint.service.reports import GroupBy

__all__ = ["Chart", "ChartKind", "Table", "report_tables"]

CHANNEL_NAMES = {"phone": "电话", "sms": "短信", "email": "邮件"}
ALL_NAME = "全部"
NO_COMMUNITY_NAME = "（未登记小区）"
_PERCENT_DECIMALS = 2


class ChartKind(enum.StrEnum):
    """How a chart draws its columns."""

    BARS = "bars"  # horizontal bars, one group of bars per row
    TREND = "trend"  # columns of the first value, lines of the others (percent axis)


@dataclass(frozen=True)
class Chart:
    """A chart of a table: labels from column ``label``, one series per ``values``
    column (named by ``series``), reference ``targets`` (percent) drawn as lines;
    ``without_total`` leaves the table's last row (all tickets) out."""

    kind: ChartKind
    title: str
    label: int
    values: tuple[int, ...]
    series: tuple[str, ...]
    axis: str
    targets: tuple[float, ...] = ()
    without_total: bool = False


@dataclass(frozen=True)
class Table:
    """The rows of one section: ``name`` is the CSV file's stem, ``headers`` its first
    line (stable English column names), ``title`` the heading (Chinese · English)."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    charts: tuple[Chart, ...] = ()
    note: str = ""


def report_tables(figures: MonthlyFigures) -> list[Table]:
    """Every table of the report, in the order of its sections."""
    tables = [
        _volume(figures, GroupBy.CHANNEL, "渠道 · by channel"),
        _volume(figures, GroupBy.CATEGORY, "类别 · by category"),
        _volume(figures, GroupBy.DEPARTMENT, "部门 · by department"),
        _volume(figures, GroupBy.COMMUNITY, "小区 · by community"),
        _sla(figures),
        _problems(figures),
        _repeaters(figures),
        _trend(figures),
    ]
    if figures.survey is not None:
        tables.append(_survey(figures))
    return tables


def percent(share: float | None) -> float | None:
    """A share (0..1) as a percentage rounded to 0.01 %."""
    return None if share is None else round(share * 100, _PERCENT_DECIMALS)


def group_name(figures: MonthlyFigures, by: GroupBy, code: str) -> str:
    """The Chinese name of group ``code`` of grouping ``by``."""
    if code == TOTAL_GROUP:
        return ALL_NAME
    if by is GroupBy.DEPARTMENT:
        return figures.department_names.get(code, code)
    if by is GroupBy.CATEGORY:
        return category_name(code, language="zh")
    if by is GroupBy.CHANNEL:
        return CHANNEL_NAMES.get(code, code)
    return NO_COMMUNITY_NAME if code == NO_COMMUNITY else code


def _volume(figures: MonthlyFigures, by: GroupBy, title: str) -> Table:
    rows = figures.by_group[by]
    total = rows[-1].tickets if rows else 0
    body = sorted(rows[:-1], key=lambda r: (-r.tickets, r.group))
    return Table(
        name=f"volume_{by.value}", title=f"投诉量 · volume, {title}",
        headers=(by.value, "name", "tickets", "share_pct"),
        rows=tuple((r.group, group_name(figures, by, r.group), r.tickets,
                    percent(r.tickets / total)) for r in body),
        charts=(Chart(ChartKind.BARS, f"投诉量（按{title.split(' · ')[0]}）", 1, (2,), ("投诉量",),
                      "件 tickets"),),
    )  # fmt: skip


_SLA_HEADERS = (
    "department", "name", "tickets", "invalid",
    "l1_answered_met", "l1_answered_missed", "l1_answered_pending", "l1_answered_pct",
    "l2_closed_met", "l2_closed_missed", "l2_closed_pending", "l2_closed_pct",
    "first_response_count", "first_response_p50_h", "first_response_p90_h",
    "closure_count", "closure_p50_h", "closure_p90_h", "breaches", "escalations",
)  # fmt: skip


def sla_cells(row: KpiRow) -> tuple[Any, ...]:
    """The figures of one ``sla_kpis`` row, in the order of :data:`_SLA_HEADERS` after
    the group's code and name."""
    fr, cl = row.first_response, row.closure
    to_fr, to_cl = row.hours_to_first_response, row.hours_to_closure
    return (
        row.tickets, row.invalid, fr.met, fr.missed, fr.pending, percent(fr.share),
        cl.met, cl.missed, cl.pending, percent(cl.share), to_fr.count, to_fr.median, to_fr.p90,
        to_cl.count, to_cl.median, to_cl.p90, row.breaches, row.escalations,
    )  # fmt: skip


def _sla(figures: MonthlyFigures) -> Table:
    rows = figures.by_group[GroupBy.DEPARTMENT]
    targets = (FIRST_RESPONSE_TARGET * 100, CLOSURE_TARGET * 100)
    return Table(
        name="sla_department", title="时限达标 · SLA compliance by department",
        headers=_SLA_HEADERS,
        rows=tuple((r.group, group_name(figures, GroupBy.DEPARTMENT, r.group), *sla_cells(r))
                   for r in rows),
        charts=(
            Chart(ChartKind.BARS, "达标率：一级24小时内答复、二级3个工作日内办结（%）", 1, (7, 11),
                  ("一级答复达标率", "二级办结达标率"), "% 达标 met", targets=targets),
            Chart(ChartKind.BARS, "首次响应用时（小时）", 1, (13, 14), ("中位数", "P90"),
                  "小时 hours"),
            Chart(ChartKind.BARS, "办结用时（小时）", 1, (16, 17), ("中位数", "P90"), "小时 hours"),
            Chart(ChartKind.BARS, "超时与升级（次）", 1, (18, 19), ("超时", "升级"), "次 count",
                  without_total=True),
        ),
        note="达标率只计已到期或已完成的工单（未到期的不计）。"
             "Shares leave out deadlines still pending; the same figures as plaint report sla.",
    )  # fmt: skip


def _problems(figures: MonthlyFigures) -> Table:
    return Table(
        name="top_problems", title="高发问题 · top recurring problems (sub-topics)",
        headers=("sub_topic", "name", "tickets", "level_2", "top_community",
                 "top_community_tickets", "previous_month"),
        rows=tuple((p.sub_topic, sub_topic_name(p.sub_topic, language="zh"), p.tickets,
                    p.level_2, p.top_community, p.top_community_tickets, p.previous_month)
                   for p in figures.problems),
        charts=(Chart(ChartKind.BARS, "高发问题：本月与上月（件）", 1, (2, 6), ("本月", "上月"),
                      "件 tickets"),),
    )  # fmt: skip


def _repeaters(figures: MonthlyFigures) -> Table:
    total = figures.total.tickets if figures.total else 0
    share = percent(figures.repeat_tickets / total) if total else None
    return Table(
        name="repeat_complainants", title="重复投诉人 · repeat complainants",
        headers=("resident_id", "community", "building", "tickets", "sub_topics"),
        rows=tuple((r.resident_id, r.community, r.building, r.tickets,
                    " ".join(sub_topic_name(t, language="zh") for t in r.sub_topics))
                   for r in figures.repeaters),
        note=f"本月投诉 2 次及以上的住户 {figures.repeat_residents} 人，"
             f"共 {figures.repeat_tickets} 件（占 {share or 0} %）。"
             "Residents with two or more tickets this month; the top ones are listed "
             "(no contact data).",
    )  # fmt: skip


def _trend(figures: MonthlyFigures) -> Table:
    rows = []
    for point in figures.trend:
        cells = sla_cells(point.total) if point.total else (0, 0, *([None] * 16))
        rows.append((point.period.label, *cells))
    targets = (FIRST_RESPONSE_TARGET * 100, CLOSURE_TARGET * 100)
    return Table(
        name="trend", title="趋势 · trend against the previous months",
        headers=("month", *_SLA_HEADERS[2:]), rows=tuple(rows),
        charts=(Chart(ChartKind.TREND, "月度投诉量与达标率", 0, (1, 6, 10),
                      ("投诉量", "一级答复达标率", "二级办结达标率"), "件 tickets",
                      targets=targets),),
    )  # fmt: skip


def _survey(figures: MonthlyFigures) -> Table:
    survey = figures.survey
    assert survey is not None
    return Table(
        name="satisfaction", title="满意度 · satisfaction (follow-up survey)",
        headers=("score", "answers"),
        rows=tuple((score, survey.counts.get(score, 0)) for score in SCORES),
        charts=(Chart(ChartKind.BARS, "回访评分分布", 0, (1,), ("回复数",), "条 answers"),),
        note=f"回访 {survey.surveyed} 件，回复 {survey.answered} 条，平均 {_one(survey.mean)} 分，"
             f"满意（4–5 分）{_one(percent(survey.satisfied_share))} %。Surveyed tickets, "
             "answers, mean score and the share of answers of 4 or 5.",
    )  # fmt: skip


def _one(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
