"""The monthly report on a generated month (October 2026: the National Day holiday, 1-7
October, with Saturday 10 October a make-up working day), on SQLite and PostgreSQL.

The month is written once per database by :func:`write_sample`; the tests only read it
(the consistency test's refresh is rolled back, its sweep finds nothing to do)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint import cli
from plaint.config import Config, load_config
from plaint.errors import ConfigError
from plaint.models import (
    Resident,
    SlaClockEvent,
    SlaMark,
    Ticket,
    create_db_engine,
    session_factory,
)
from plaint.service.monthly.charts import chart_svg
from plaint.service.monthly.figures import MonthlyFigures, month_periods, monthly_figures
from plaint.service.monthly.render import CSV_ENCODING, render_html
from plaint.service.monthly.sample import SampleSummary
from plaint.service.monthly.survey import SurveySummary
from plaint.service.monthly.tables import report_tables
from plaint.service.reports import GroupBy
from plaint.service.sla import plan_for, refresh_sla, sweep
from tests.service.sample_db import sample_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
MONTH = "2026-10"
TICKETS = 1200
HISTORY, HISTORY_TICKETS = 2, 150


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def month_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, config: Config
) -> str:
    """A migrated database holding the generated month and the two before it."""
    url, summary = sample_database(
        request, tmp_path_factory, name="monthly", config=config, year=2026, month=10,
        tickets=TICKETS, history=HISTORY, history_tickets=HISTORY_TICKETS, as_of=AS_OF,
    )  # fmt: skip
    assert summary == SampleSummary(
        (("2026-08", 150), ("2026-09", 150), (MONTH, TICKETS)), summary.residents, summary.marks
    )
    return url


@pytest.fixture
def month_sessions(month_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(month_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def figures(month_sessions: sessionmaker[Session]) -> MonthlyFigures:
    *history, period = month_periods(year=2026, month=10, history=HISTORY, tz=SHANGHAI)
    with month_sessions() as session:
        return monthly_figures(session, period=period, history=history, now=AS_OF)


@dataclasses.dataclass(frozen=True)
class Outputs:
    """What ``plaint report monthly`` and ``plaint report sla --json`` printed and wrote."""

    printed: str
    page: str
    csv_dir: Path
    sla: list[dict[str, Any]]
    sla_by_channel: list[dict[str, Any]]


def cli_out(*args: str | Path) -> str:
    """Run ``plaint ARGS`` (only the ``report`` commands); return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main([str(a) for a in args]) == 0
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outputs(month_url: str, tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """The report of the generated month, rendered once per database by the CLI."""
    directory = tmp_path_factory.mktemp("report")
    as_of = ("--as-of", AS_OF.isoformat())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.report",))
        patch.delenv("PLAINT_CONFIG", raising=False)
        patch.setenv("PLAINT_DATABASE_URL", month_url)
        printed = cli_out("report", "monthly", "--month", MONTH, "--out",
                          directory / "report.html", "--csv-dir", directory / "csv",
                          "--history", str(HISTORY), *as_of)  # fmt: skip
        sla = cli_out("report", "sla", "--month", MONTH, "--json", *as_of)
        by_channel = cli_out("report", "sla", "--month", MONTH, "--json", "--by", "channel",
                             *as_of)  # fmt: skip
    return Outputs(printed, (directory / "report.html").read_text("utf-8"), directory / "csv",
                   json.loads(sla)["rows"], json.loads(by_channel)["rows"])  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding=CSV_ENCODING, newline="") as file:
        return list(csv.DictReader(file))


# ---------------------------------------------------------------- the generated month


def counts(session: Session, column: Any, *where: Any, join: bool = False) -> Counter[str]:
    """Rows per value of ``column`` (of the tickets' residents with ``join``)."""
    query = select(column, func.count()).where(*where).group_by(column)
    if join:
        query = query.join(Ticket, Ticket.resident_id == Resident.id)
    return Counter({value: count for value, count in session.execute(query)})


@pytest.mark.slow
def test_the_sample_is_what_plaint_itself_would_hold(
    month_sessions: sessionmaker[Session], config: Config
) -> None:
    """plaint's own refresh recomputes the same due times, finds every mark that should
    have fired already fired, and its sweep has nothing to do at the same instant."""
    with month_sessions() as session:
        tickets = session.scalars(
            select(Ticket).where(Ticket.sla_policy.is_not(None), Ticket.id % 6 == 0)
        ).all()
        assert len(tickets) > 200
        for ticket in tickets:
            stored = (ticket.first_response_due, ticket.closure_due, ticket.next_sla_at)
            assert plan_for(session, ticket, config=config, now=AS_OF).due_now == ()
            refresh_sla(session, ticket, config=config, now=AS_OF)
            assert (ticket.first_response_due, ticket.closure_due, ticket.next_sla_at) == stored
        session.rollback()
    assert sweep(month_sessions, config=config, now=AS_OF).marks == 0


@pytest.mark.slow
def test_the_sample_has_breaches_pauses_reopens_and_the_holiday(
    month_sessions: sessionmaker[Session],
) -> None:
    with month_sessions() as session:
        kinds = counts(session, SlaClockEvent.kind)
        marks = counts(session, SlaMark.mark)
        statuses = {s for (s,) in session.execute(select(Ticket.status).distinct())}
        holiday = session.execute(
            select(Ticket.received_at, Ticket.closure_due)
            .join(SlaClockEvent)
            .where(
                Ticket.level == 1,
                Ticket.urgency == "normal",
                SlaClockEvent.kind == "started",
                SlaClockEvent.clock == "closure",
            )
        ).all()
    assert min(kinds["paused"], kinds["resumed"], kinds["restarted"], kinds["acknowledged"]) > 0
    assert min(marks["warn:50"], marks["breach"], marks["escalate:1"]) > 0
    assert {"open", "responded", "resolved", "closed"} <= statuses
    # Received on a National Day holiday: 3 working days are 8, 9 and Saturday 10 October.
    during = [
        due.astimezone(SHANGHAI) for received, due in holiday
        if date(2026, 10, 1) <= received.astimezone(SHANGHAI).date() <= date(2026, 10, 7)
    ]  # fmt: skip
    assert len(during) > 10
    assert Counter(during).most_common(1)[0][0] == datetime(2026, 10, 11, tzinfo=SHANGHAI)


# ---------------------------------------------------------------- the report


@pytest.mark.slow
def test_its_sla_figures_are_plaint_report_sla(outputs: Outputs) -> None:
    report = outputs.csv_dir.parent / "report.html"
    assert outputs.printed.splitlines()[0] == f"wrote {report} ({MONTH}: {TICKETS} tickets)"
    rows = read_csv(outputs.csv_dir / "sla_department.csv")
    assert [r["department"] for r in rows] == [r["group"] for r in outputs.sla]
    for row, kpi in zip(rows, outputs.sla, strict=True):
        assert row == sla_cells_of(row["department"], row["name"], kpi)
    trend = read_csv(outputs.csv_dir / "trend.csv")
    assert [r["month"] for r in trend] == ["2026-08", "2026-09", MONTH]
    assert {k: v for k, v in trend[-1].items() if k != "month"} == {
        k: v for k, v in rows[-1].items() if k not in ("department", "name")
    }
    volume = read_csv(outputs.csv_dir / "volume_channel.csv")
    assert {r["channel"]: int(r["tickets"]) for r in volume} == {
        r["group"]: r["tickets"] for r in outputs.sla_by_channel[:-1]
    }
    total = outputs.sla[-1]["first_response_level_1"]
    assert f"{total['share'] * 100:.1f} %" in outputs.page


def sla_cells_of(code: str, name: str, kpi: dict[str, Any]) -> dict[str, str]:
    """What sla_department.csv must say of a ``plaint report sla --json`` row."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    def pct(share: float | None) -> str:
        return text(None if share is None else round(share * 100, 2))

    fr, cl = kpi["first_response_level_1"], kpi["closure_level_2"]
    to_fr, to_cl = kpi["hours_to_first_response"], kpi["hours_to_closure"]
    values = {
        "department": code, "name": name, "tickets": kpi["tickets"], "invalid": kpi["invalid"],
        "l1_answered_met": fr["met"], "l1_answered_missed": fr["missed"],
        "l1_answered_pending": fr["pending"], "l1_answered_pct": pct(fr["share"]),
        "l2_closed_met": cl["met"], "l2_closed_missed": cl["missed"],
        "l2_closed_pending": cl["pending"], "l2_closed_pct": pct(cl["share"]),
        "first_response_count": to_fr["count"], "first_response_p50_h": to_fr["median"],
        "first_response_p90_h": to_fr["p90"], "closure_count": to_cl["count"],
        "closure_p50_h": to_cl["median"], "closure_p90_h": to_cl["p90"],
        "breaches": kpi["breaches"], "escalations": kpi["escalations"],
    }  # fmt: skip
    return {key: text(value) for key, value in values.items()}


@pytest.mark.slow
def test_the_page_has_its_charts_with_chinese_labels(outputs: Outputs) -> None:
    page = outputs.page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 10
    labels = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", " ".join(svgs)))
    for label in ("工程维修部", "短信", "设施/产品投诉", "翠湖苑", "电梯", "达标率", "目标 95"):
        assert label in labels, label
    assert "@media print" in page
    assert "No survey data" in page
    assert "<script" not in page


@pytest.mark.slow
def test_the_csv_files_are_the_rows_behind_the_figures(
    figures: MonthlyFigures, month_sessions: sessionmaker[Session], outputs: Outputs
) -> None:
    tables = report_tables(figures)
    paths = sorted(outputs.csv_dir.iterdir())
    assert [p.name for p in paths] == sorted(f"{t.name}.csv" for t in tables)
    for table in tables:
        rows = read_csv(outputs.csv_dir / f"{table.name}.csv")
        assert [tuple(r) for r in rows] == [table.headers] * len(rows)
        assert [tuple(r.values()) for r in rows] == [
            tuple("" if v is None else str(v) for v in row) for row in table.rows
        ]
    with month_sessions() as session:
        period = figures.period
        in_month = (Ticket.received_at >= period.start, Ticket.received_at < period.end)
        topics = counts(session, Ticket.sub_topic, *in_month)
        places = counts(session, Resident.community, *in_month, join=True)
    problems = read_csv(outputs.csv_dir / "top_problems.csv")
    assert {r["sub_topic"]: int(r["tickets"]) for r in problems} == dict(
        topics.most_common(len(problems))
    )
    volume = read_csv(outputs.csv_dir / "volume_community.csv")
    assert {r["community"]: int(r["tickets"]) for r in volume} == dict(places)
    assert sum(places.values()) == TICKETS


def test_satisfaction_shows_once_the_survey_has_answers() -> None:
    period = month_periods(year=2026, month=10, history=0, tz=SHANGHAI)[0]
    survey = SurveySummary(surveyed=40, counts={1: 2, 2: 1, 3: 5, 4: 12, 5: 16})
    figures = MonthlyFigures(period, AS_OF, {}, {g: () for g in GroupBy}, 0, 0, (), (), (),
                             survey)  # fmt: skip
    [table] = [t for t in report_tables(figures) if t.name == "satisfaction"]
    assert table.rows == ((1, 2), (2, 1), (3, 5), (4, 12), (5, 16))
    page = render_html(figures, tables=[table])
    assert "No survey data" not in page
    assert page.count("<svg") == 1
    assert "回访评分分布" in page
    assert "回访 40 件，回复 36 条，平均 4.1 分，满意（4–5 分）77.8 %" in page


# ---------------------------------------------------------------- failures, without data


def test_without_matplotlib_the_charts_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plaint.service.monthly.tables import Chart, ChartKind, Table

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    table = Table("t", "t", ("a", "b"), (("x", 1),))
    chart = Chart(ChartKind.BARS, "t", 0, (1,), ("b",), "n")
    with pytest.raises(ConfigError, match=r"pip install 'plaint\[reports\]'"):
        chart_svg(table, chart)


@pytest.fixture
def report_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.report",))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)


@pytest.mark.usefixtures("report_cli")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--month", "2026-13"), "--month must be YYYY-MM"),
        (("--month", "November"), "--month must be YYYY-MM"),
        (("--month", "2026-11", "--history", "-1"), "--history must be between 0 and 36"),
    ],
)
def test_bad_options_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    code, out, err = run(capsys, "report", "monthly", *args, "--out", tmp_path / "r.html")
    assert (code, out) == (2, "")
    assert err == f"plaint: error: {expected}\n"
    assert not (tmp_path / "r.html").exists()


def test_an_empty_month_renders(
    sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str], tmp_path: Path,
    db_url: str, report_cli: None, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    out_file = tmp_path / "empty.html"
    code, out, err = run(capsys, "report", "monthly", "--month", "2026-09", "--out", out_file,
                         "--csv-dir", tmp_path / "csv", "--as-of", "2026-10-01T00:00")  # fmt: skip
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote {out_file} (2026-09: 0 tickets)")
    page = out_file.read_text("utf-8")
    assert "No tickets were received in 2026-09" in page
    assert read_csv(tmp_path / "csv" / "volume_channel.csv") == []
