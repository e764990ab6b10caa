"""The public notice's figures (公示) on a generated month, on SQLite and PostgreSQL: the
community's totals are the monthly report's row of that community, the types add up to
them, and each top problem's counts are those of its tickets."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import load_config
from plaint.models import Department, Resident, Ticket
from plaint.pipeline.kpi import TOTAL_GROUP
from plaint.service.monthly.figures import month_periods, monthly_figures
from plaint.service.monthly.sample import write_sample
from plaint.service.notice import TOP_PROBLEMS, communities, has_residents, notice_figures
from plaint.service.reports import GroupBy, sla_kpis

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def month(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        write_sample(session, config=load_config(None), year=2026, month=10, tickets=400,
                     history=1, history_tickets=60, as_of=AS_OF)  # fmt: skip
    return sessions


def test_the_notice_has_the_monthly_reports_figures_of_its_community(
    month: sessionmaker[Session],
) -> None:
    *history, period = month_periods(year=2026, month=10, history=1, tz=SHANGHAI)
    with month() as session:
        report = monthly_figures(session, period=period, history=history, now=AS_OF)
        rows = {row.group: row for row in report.by_group[GroupBy.COMMUNITY]}
        names = communities(session)
        assert len(names) >= 2
        for community in names:
            notice = notice_figures(session, community=community, period=period, now=AS_OF)
            assert notice.total is not None
            assert notice.total == replace(rows[community], group=TOTAL_GROUP)
            assert sum(row.tickets for row in notice.by_category) == notice.total.tickets
            by_category = sla_kpis(session, start=period.start, end=period.end, now=AS_OF,
                                   group_by=GroupBy.CATEGORY)  # fmt: skip
            assert {r.group for r in notice.by_category} <= {r.group for r in by_category}


def test_the_top_problems_count_the_communitys_tickets(month: sessionmaker[Session]) -> None:
    [period] = month_periods(year=2026, month=10, history=0, tz=SHANGHAI)
    with month() as session:
        community = communities(session)[0]
        notice = notice_figures(session, community=community, period=period, now=AS_OF)
        query = (
            select(Ticket.sub_topic, Department.code, Ticket.closed_at, Ticket.validity)
            .join(Resident, Resident.id == Ticket.resident_id)
            .join(Department, Department.id == Ticket.department_id)
            .where(Resident.community == community, Ticket.received_at >= period.start,
                   Ticket.received_at < period.end)
        )  # fmt: skip
        tickets = list(session.execute(query))
    per_topic = Counter(row.sub_topic for row in tickets)
    assert len(notice.problems) == min(TOP_PROBLEMS, len(per_topic))
    assert [p.tickets for p in notice.problems] == [n for _, n in per_topic.most_common(
        len(notice.problems))]  # fmt: skip
    for problem in notice.problems:
        mine = [row for row in tickets if row.sub_topic == problem.sub_topic]
        assert problem.tickets == len(mine)
        closed = [r for r in mine if r.closed_at is not None and r.validity != "invalid"]
        assert problem.closed == len(closed)
        assert (problem.median_hours_to_close is None) == (not closed)
        departments = Counter(row.code for row in mine)
        assert departments[problem.department] == max(departments.values())
        assert problem.department_name != ""


def test_a_community_nobody_lives_in_has_no_notice(month: sessionmaker[Session]) -> None:
    [period] = month_periods(year=2026, month=10, history=0, tz=SHANGHAI)
    with month() as session:
        assert not has_residents(session, "不存在的小区")
        empty = notice_figures(session, community="不存在的小区", period=period, now=AS_OF)
    assert (empty.total, empty.by_category, empty.problems) == (None, (), ())
