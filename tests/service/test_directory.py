"""The staff directory: kept in step with the TOML file, the one source of who handles
tickets and who is escalated to, and API tokens shown once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from plaint.config import Config
from plaint.errors import NotFoundError
from plaint.models import Department, Ticket, TicketStatus
from plaint.pipeline.calendar import next_working_instant
from plaint.service.assign import choose_assignee
from plaint.service.directory import (
    StaffEntry,
    authenticate,
    issue_token,
    list_staff,
    load_directory,
    personal_calendar,
    revoke_tokens,
    sync_directory,
)
from plaint.service.staffimport import import_staff
from tests.workers.test_sla_flow import STAFF

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def synced(sessions: Any, make_config: Callable[..., Config]) -> Any:
    with sessions.begin() as session:
        sync_directory(session, make_config(STAFF), now=NOW)
    return sessions


def _import(sessions: Any, *rows: dict[str, str]) -> None:
    with sessions.begin() as session:
        result = import_staff(session, rows, now=NOW)
    assert not result.rejected


def test_sync_creates_departments_and_staff_and_deactivates_dropped_ones(
    synced: Any, make_config: Callable[..., Config]
) -> None:
    _import(synced, {"code": "0012", "name": "赵工", "role": "员工", "department": "cleaning"})
    with synced() as session:
        assert session.scalar(select(Department.name).where(Department.code == "cleaning"))
        assert [e.code for e in load_directory(session).staff] == [
            "0012", "li.pm", "wang.gong", "zhang.head", "zhao.rm"]  # fmt: skip
    with synced.begin() as session:  # the TOML file drops three; the imported one stays
        sync_directory(session, make_config(STAFF.split('[[staff]]\ncode = "zhang')[0]), now=NOW)
    with synced() as session:
        assert [e.code for e in load_directory(session).staff] == ["0012", "wang.gong"]
        listed = {s.entry.code: s.entry.active for s in list_staff(session)}
    assert listed == {"0012": True, "li.pm": False, "wang.gong": True, "zhang.head": False,
                      "zhao.rm": False}  # fmt: skip


def test_the_directory_answers_who_is_escalated_to(synced: Any) -> None:
    other_head = {"code": "head2", "name": "另一个主管", "role": "主管", "department": "cleaning"}
    _import(synced, {"code": "rm", "name": "区域", "role": "区域经理"}, other_head)
    with synced() as session:
        directory = load_directory(session)
    heads = directory.with_role("department_head", department="engineering")
    assert [s.code for s in heads] == ["zhang.head"]
    managers = directory.with_role("regional_manager", department="x")
    assert [s.code for s in managers] == ["rm", "zhao.rm"]
    assert directory.member("li.pm") is not None
    assert directory.member("nobody") is None


def test_list_filters_by_department_code_or_name_and_shows_tokens_only_as_a_flag(
    synced: Any,
) -> None:
    with synced.begin() as session:
        issue_token(session, "wang.gong", now=NOW)
    with synced() as session:
        by_code = list_staff(session, department="engineering")
        by_name = list_staff(session, department="工程维修部")
        with pytest.raises(NotFoundError, match="no department"):
            list_staff(session, department="物业部")
    assert by_code == by_name
    assert [(s.entry.code, s.has_token) for s in by_code] == [
        ("wang.gong", True), ("zhang.head", False)]  # fmt: skip


def test_a_token_works_until_revoked(synced: Any) -> None:
    with synced.begin() as session:
        first, second = (issue_token(session, "li.pm", now=NOW) for _ in range(2))
    with synced() as session:
        who = authenticate(session, first)
        assert who is not None
        assert (who.code, who.sees_all_departments) == ("li.pm", True)
        assert authenticate(session, first + "x") is None
    with synced.begin() as session:
        assert revoke_tokens(session, "li.pm", now=NOW) == 2
        assert revoke_tokens(session, "li.pm", now=NOW) == 0
        with pytest.raises(NotFoundError):
            issue_token(session, "nobody", now=NOW)
    with synced() as session:
        assert authenticate(session, second) is None


def _ticket(session: Any, n: int, assignee: str, status: str = TicketStatus.OPEN) -> None:
    department = session.scalar(select(Department).where(Department.code == "engineering"))
    session.add(Ticket(
        number=f"T{n}", status=status, channel="email", category="facility", sub_topic="lift",
        scope=1, level=1, urgency="normal", validity="valid", confidence=0.9,
        department=department, received_at=NOW, created_at=NOW, assignee=assignee,
    ))  # fmt: skip


def test_assignment_takes_imported_staff_on_duty_with_the_fewest_open_tickets(
    synced: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(STAFF)
    _import(synced, {"code": "a.new", "name": "新人", "role": "member", "department": "工程维修部"},
            {"code": "b.off", "name": "休假", "role": "member", "department": "engineering",
             "on_duty": "否"})  # fmt: skip
    with synced.begin() as session:
        _ticket(session, 1, "wang.gong")
        _ticket(session, 2, "a.new", TicketStatus.CLOSED)
        chosen = choose_assignee(session, config=config, department="engineering")
        assert chosen is not None
        assert chosen.code == "a.new"  # no open ticket; b.off is not on duty
        _ticket(session, 3, "a.new")
        _ticket(session, 4, "a.new")
        chosen = choose_assignee(session, config=config, department="engineering")
        assert chosen is not None
        assert chosen.code == "wang.gong"
        assert choose_assignee(session, config=config, department="cleaning") is None


def test_personal_hours_move_the_next_working_instant(make_config: Callable[..., Config]) -> None:
    company = make_config("").staff_calendar
    shanghai = ZoneInfo("Asia/Shanghai")
    evening = datetime(2026, 11, 3, 20, 0, tzinfo=shanghai)  # a Tuesday

    def entry(hours: str | None) -> StaffEntry:
        return StaffEntry("x", "X", "member", "engineering", None, None, hours, True, True,
                          "import")  # fmt: skip

    def next_at(hours: str | None) -> datetime:
        return next_working_instant(at=evening, calendar=personal_calendar(entry(hours), company))

    assert next_at(None) == evening + timedelta(hours=13)  # 09:00 staff hours
    assert next_at("14:00-22:00") == evening
    assert next_at("13:30-17:30") == evening + timedelta(hours=17, minutes=30)
    assert next_at("not hours") == next_at(None)
