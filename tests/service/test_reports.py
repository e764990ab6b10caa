"""SLA KPIs of a month (plaint.service.reports) and ``plaint report sla``, on SQLite and
PostgreSQL, from tickets written directly with known due and met times."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint import cli
from plaint.cli.report import GROUPS
from plaint.config import load_config
from plaint.models import Department, Resident, SlaMark, Ticket
from plaint.service.reports import (
    NO_COMMUNITY,
    TOTAL_GROUP,
    DurationKpi,
    GroupBy,
    KpiRow,
    Outcome,
    ShareKpi,
    month_period,
    percentile,
    sla_kpis,
    sla_outcome,
)
from plaint.service.store import sync_departments

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 12, 10, 12, 0, tzinfo=SHANGHAI)
NOVEMBER = month_period(year=2026, month=11, tz=SHANGHAI)
GARDEN = "翠湖苑"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("met_at", "due", "expected"),
    [
        (at(11, 2, 9), at(11, 2, 9), Outcome.MET),
        (at(11, 2, 8), at(11, 2, 9), Outcome.MET),
        (at(11, 2, 10), at(11, 2, 9), Outcome.MISSED),
        (None, AS_OF, Outcome.MISSED),
        (None, at(12, 1, 0), Outcome.MISSED),
        (None, at(12, 11, 0), Outcome.PENDING),
        (at(11, 2, 8), None, Outcome.PENDING),
        (None, None, Outcome.PENDING),
    ],
    ids=["on the due", "early", "late", "due now", "overdue", "not yet due", "no due", "none"],
)
def test_sla_outcome(met_at: datetime | None, due: datetime | None, expected: Outcome) -> None:
    assert sla_outcome(met_at=met_at, due=due, now=AS_OF) is expected


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.5, 7.0),
        ([7.0], 0.9, 7.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5),
        ([float(v) for v in range(1, 11)], 0.9, 9.1),
        ([1.0, 1.0, 10.0], 0.9, 8.2),
        ([1.0, 2.0], 0.0, 1.0),
        ([1.0, 2.0], 1.0, 2.0),
    ],
)
def test_percentile_interpolates_between_ranks(
    values: list[float], q: float, expected: float | None
) -> None:
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kpi", "target", "share", "meets"),
    [
        (ShareKpi(met=19, missed=1, pending=5), 0.95, 0.95, True),
        (ShareKpi(met=18, missed=1), 0.95, 18 / 19, False),
        (ShareKpi(met=4, missed=1), 0.80, 0.80, True),
        (ShareKpi(met=0, missed=0, pending=3), 0.80, None, None),
    ],
)
def test_share_leaves_pending_out_and_compares_with_the_target(
    kpi: ShareKpi, target: float, share: float | None, meets: bool | None
) -> None:
    assert kpi.share == share
    assert kpi.meets(target) is meets


def test_month_period_is_the_calendar_month_in_the_time_zone() -> None:
    assert (NOVEMBER.label, NOVEMBER.start, NOVEMBER.end) == ("2026-11", at(11, 1, 0), at(12, 1, 0))
    december = month_period(year=2026, month=12, tz=SHANGHAI)
    assert december.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="month"):
        month_period(year=2026, month=13, tz=SHANGHAI)


def test_the_cli_offers_every_grouping() -> None:
    assert tuple(g.value for g in GroupBy) == GROUPS


# ---------------------------------------------------------------- a month of tickets


class Desk:
    """Writes tickets with given codes, due and met times, and fired SLA marks."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.departments = {d.code: d for d in session.scalars(select(Department))}
        self.garden = Resident(phone="+8613800000001", community=GARDEN, created_at=AS_OF)
        session.add(self.garden)
        self.count = 0

    def ticket(self, received: datetime, *, level: int = 1, department: str = "engineering",
               marks: tuple[str, ...] = (), **fields: Any) -> Ticket:  # fmt: skip
        self.count += 1
        defaults = {"channel": "email", "category": "facility", "resident": self.garden,
                    "validity": "valid", "sla_policy": "default"}  # fmt: skip
        ticket = Ticket(
            number=f"TS-2026-{self.count:06d}", sub_topic="other", scope=1, level=level,
            urgency="normal", confidence=0.9, department=self.departments[department],
            received_at=received, created_at=received, **{**defaults, **fields},
        )  # fmt: skip
        self.session.add(ticket)
        self.session.flush()
        for mark in marks:
            self.session.add(SlaMark(ticket_id=ticket.id, clock="first_response", cycle=0,
                                     mark=mark, due_at=received, fired_at=received))  # fmt: skip
        return ticket


def cleaning(desk: Desk, received: datetime, **fields: Any) -> None:
    desk.ticket(received, department="cleaning", category="service", channel="sms",
                resident=None, **fields)  # fmt: skip


def write_month(session: Session) -> None:
    """Engineering: level 1 answered 2 of 4 in time, level 2 closed 1 of 1; cleaning:
    level 1 1 of 1 (1 pending), level 2 0 of 1 (1 pending); one invalid ticket; one
    ticket just before and one just after November in Shanghai time."""
    desk = Desk(session)
    desk.ticket(at(11, 1, 0), first_response_due=at(11, 2, 0), first_responded_at=at(11, 1, 6))
    desk.ticket(at(11, 2, 9), first_response_due=at(11, 3, 9), first_responded_at=at(11, 2, 11),
                closed_at=at(11, 4, 9))  # fmt: skip
    desk.ticket(at(11, 3, 10), first_response_due=at(11, 4, 10), first_responded_at=at(11, 4, 16),
                marks=("breach", "escalate:1", "escalate:2"))  # fmt: skip
    desk.ticket(at(11, 30, 23, 30), first_response_due=at(12, 1, 23, 30), marks=("breach",))
    desk.ticket(at(11, 10, 8), level=2, first_response_due=at(11, 11, 8),
                first_responded_at=at(11, 10, 12), closure_due=at(11, 13, 8),
                closed_at=at(11, 12, 8))  # fmt: skip
    cleaning(desk, at(11, 20, 10), first_response_due=at(11, 21, 10),
             first_responded_at=at(11, 20, 20), closed_at=at(11, 25, 10))  # fmt: skip
    cleaning(desk, at(11, 28, 10), level=2, first_response_due=at(11, 29, 10),
             first_responded_at=at(11, 28, 11), closure_due=at(12, 15, 10))  # fmt: skip
    cleaning(desk, at(11, 5, 9), level=2, first_response_due=at(11, 6, 9),
             first_responded_at=at(11, 5, 10), closure_due=at(11, 8, 9), closed_at=at(11, 9, 9),
             marks=("warn:50", "warn:80", "breach"))  # fmt: skip
    cleaning(desk, at(11, 29, 10), first_response_due=at(12, 20, 10))
    desk.ticket(at(11, 15, 9), department="customer_service", category="service",
                validity="invalid", sla_policy=None, first_responded_at=at(11, 19, 13))  # fmt: skip
    desk.ticket(at(12, 1, 0, 10), first_response_due=at(12, 2, 0, 10),
                first_responded_at=at(12, 1, 1, 10))  # fmt: skip
    desk.ticket(at(10, 31, 23, 59), first_response_due=at(11, 1, 23, 59), marks=("breach",))


@pytest.fixture
def month(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        sync_departments(session, load_config(None).departments)
    with sessions.begin() as session:
        write_month(session)
    return sessions


def kpis(sessions: sessionmaker[Session], group_by: GroupBy | None, **period: Any) -> list[KpiRow]:
    bounds = period or {"start": NOVEMBER.start, "end": NOVEMBER.end}
    with sessions() as session:
        return sla_kpis(session, now=AS_OF, group_by=group_by, **bounds)


def test_kpis_by_department(month: sessionmaker[Session]) -> None:
    rows = {row.group: row for row in kpis(month, GroupBy.DEPARTMENT)}
    assert list(rows) == ["cleaning", "customer_service", "engineering", TOTAL_GROUP]

    engineering = rows["engineering"]
    assert (engineering.tickets, engineering.invalid) == (5, 0)
    assert engineering.first_response == ShareKpi(met=2, missed=2, pending=0)
    assert engineering.first_response.share == 0.5
    assert engineering.closure == ShareKpi(met=1, missed=0, pending=0)
    assert engineering.hours_to_first_response == DurationKpi(4, 5.0, 22.8)
    assert engineering.hours_to_closure == DurationKpi(2, 48.0, 48.0)
    assert (engineering.breaches, engineering.escalations) == (2, 2)

    clean = rows["cleaning"]
    assert clean.first_response == ShareKpi(met=1, missed=0, pending=1)
    assert clean.closure == ShareKpi(met=0, missed=1, pending=1)
    assert clean.hours_to_first_response == DurationKpi(3, 1.0, 8.2)
    assert clean.hours_to_closure == DurationKpi(2, 108.0, 117.6)
    assert (clean.breaches, clean.escalations) == (1, 0)

    invalid = rows["customer_service"]
    assert (invalid.tickets, invalid.invalid) == (1, 1)
    assert invalid.first_response == invalid.closure == ShareKpi()
    assert invalid.hours_to_first_response == DurationKpi()


def test_the_total_row_counts_every_ticket_of_the_month(month: sessionmaker[Session]) -> None:
    total = kpis(month, GroupBy.DEPARTMENT)[-1]
    assert total == kpis(month, None)[0]
    assert (total.group, total.tickets, total.invalid) == (TOTAL_GROUP, 10, 1)
    assert total.first_response == ShareKpi(met=3, missed=2, pending=1)
    assert total.first_response.share == 0.6
    assert total.closure == ShareKpi(met=1, missed=1, pending=1)
    assert total.hours_to_first_response == DurationKpi(7, 4.0, 18.0)
    assert total.hours_to_closure == DurationKpi(4, 72.0, 112.8)
    assert (total.breaches, total.escalations) == (3, 2)


@pytest.mark.parametrize(
    ("group_by", "tickets"),
    [
        (GroupBy.CATEGORY, {"facility": 5, "service": 5, TOTAL_GROUP: 10}),
        (GroupBy.CHANNEL, {"email": 6, "sms": 4, TOTAL_GROUP: 10}),
        (GroupBy.COMMUNITY, {NO_COMMUNITY: 4, GARDEN: 6, TOTAL_GROUP: 10}),
    ],
)
def test_grouping(month: sessionmaker[Session], group_by: GroupBy, tickets: dict[str, int]) -> None:
    assert {row.group: row.tickets for row in kpis(month, group_by)} == tickets


def test_month_boundaries_are_midnight_in_shanghai(month: sessionmaker[Session]) -> None:
    def tickets_in(month_number: int) -> int:
        period = month_period(year=2026, month=month_number, tz=SHANGHAI)
        rows = kpis(month, None, start=period.start, end=period.end)
        return rows[-1].tickets if rows else 0

    # 2026-11-01T00:00 and 2026-11-30T23:30 are November; 2026-10-31T23:59 (with its
    # breach) and 2026-12-01T00:10 are not, although all four are 2026-10-31/11-30 in UTC.
    assert (tickets_in(10), tickets_in(11), tickets_in(12)) == (1, 10, 1)
    assert kpis(month, None)[0].breaches == 3


def test_a_month_without_tickets_has_no_rows(month: sessionmaker[Session]) -> None:
    september = month_period(year=2026, month=9, tz=SHANGHAI)
    assert kpis(month, GroupBy.DEPARTMENT, start=september.start, end=september.end) == []


# ---------------------------------------------------------------- plaint report sla


@pytest.fixture
def report_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only ``report``, with the packaged configuration (Asia/Shanghai)."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.report",))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["report", "sla", *args, "--as-of", "2026-12-10T12:00"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def month_db(
    month: sessionmaker[Session], db_url: str, report_cli: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)


@pytest.mark.usefixtures("month_db")
def test_report_table_marks_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = report(capsys, "--month", "2026-11")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "SLA report 2026-11 (Asia/Shanghai), by department, as of 2026-12-10 12:00"
    assert "L1 answered in time (target 95 %)" in lines[1]
    assert "L2 closed in time (target 80 %)" in lines[1]
    rows = {line.split()[0]: line for line in lines[3:-1]}
    assert list(rows) == ["cleaning", "customer_service", "engineering", "all"]
    assert "50.0 % ✗ (2/4)" in rows["engineering"]
    assert "100.0 % ✓ (1/1)" in rows["engineering"]
    assert "5.0 / 22.8" in rows["engineering"]
    assert "100.0 % ✓ (1/1)" in rows["cleaning"]
    assert "0.0 % ✗ (0/1)" in rows["cleaning"]
    assert rows["all"].split()[1:3] == ["10", "1"]
    assert "60.0 % ✗ (3/5)" in rows["all"]
    assert lines[-1].startswith("✓ meets the target")


@pytest.mark.usefixtures("month_db")
def test_report_json_by_community(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = report(capsys, "--month", "2026-11", "--by", "community", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["month"], data["timezone"], data["group_by"]) == ("2026-11", "Asia/Shanghai",
                                                                   "community")  # fmt: skip
    assert data["as_of"] == "2026-12-10T12:00:00+08:00"
    assert data["tickets"] == 10
    assert [row["group"] for row in data["rows"]] == [NO_COMMUNITY, GARDEN, "all"]
    total = data["rows"][-1]
    assert total["first_response_level_1"] == {"met": 3, "missed": 2, "pending": 1,
                                               "share": 0.6, "target": 0.95,
                                               "meets_target": False}  # fmt: skip
    assert total["closure_level_2"]["share"] == 0.5
    assert total["hours_to_closure"] == {"count": 4, "median": 72.0, "p90": 112.8}
    assert (total["breaches"], total["escalations"], total["invalid"]) == (3, 2, 1)


@pytest.mark.usefixtures("month_db")
def test_report_of_an_empty_month_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(capsys, "--month", "2026-09") == (
        0, "no tickets were received in 2026-09 (Asia/Shanghai)\n", "",
    )  # fmt: skip


@pytest.mark.usefixtures("report_cli")
@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "2026/11", "11-2026", "nov"])
def test_a_bad_month_is_a_usage_error(capsys: pytest.CaptureFixture[str], text: str) -> None:
    assert report(capsys, "--month", text) == (
        2, "", "plaint: error: --month must be YYYY-MM\n",
    )  # fmt: skip
