"""Staff from a CSV into the directory: roles and departments as people write them,
contacts in normal form, bad rows rejected by line and reason, TOML staff left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plaint.config import Config
from plaint.errors import MalformedMessageError
from plaint.models import StaffRecord
from plaint.service.csvimport import ImportResult
from plaint.service.directory import sync_directory
from plaint.service.staffimport import import_staff, normalise_working_hours, parse_role

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
TOML_STAFF = """
[[staff]]
code = "zhang.head"
name = "张经理"
role = "department_head"
department = "engineering"
"""


@pytest.mark.parametrize(
    ("raw", "role"),
    [("member", "member"), ("员工", "member"), ("维修员", "member"), ("主管", "department_head"),
     ("部门负责人", "department_head"), ("Department Head", "department_head"),
     ("department-head", "department_head"), ("客服", "desk"), ("物业经理", "property_manager"),
     ("项目经理", "property_manager"), ("区域经理", "regional_manager"), ("管理员", "admin"),
     (" ADMIN ", "admin")],
)  # fmt: skip
def test_roles_in_chinese_or_english(raw: str, role: str) -> None:
    assert parse_role(raw) == role


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(MalformedMessageError) as caught:
        parse_role("保安队长")
    assert caught.value.reason == "bad_role"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("09:00-18:00", "09:00-18:00"), ("9:00-18:00", "09:00-18:00"),
     ("9：00～12：00，13：30-18：00", "09:00-12:00,13:30-18:00"),
     ("8:30至17:30", "08:30-17:30"), ("08:00 - 12:00; 14:00 - 18:00", "08:00-12:00,14:00-18:00"),
     ("08:00-12:00 14:00-18:00", "08:00-12:00,14:00-18:00")],
)  # fmt: skip
def test_working_hours_as_people_write_them(raw: str, normal: str) -> None:
    assert normalise_working_hours(raw) == normal


@pytest.mark.parametrize("raw", ["全天", "18:00-09:00", "09:00-12:00,11:00-18:00", "25:00-26:00"])
def test_bad_working_hours_are_refused(raw: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        normalise_working_hours(raw)
    assert caught.value.reason == "bad_working_hours"


def _row(**values: str) -> dict[str, str]:
    return {"code": "", "name": "", "role": "", "department": "", "phone": "", "email": "",
            "working_hours": "", "on_duty": "", **values}  # fmt: skip


@pytest.fixture
def synced(sessions: Any, make_config: Callable[..., Config]) -> Any:
    """The test database with the default departments and one TOML member of staff."""
    with sessions.begin() as session:
        sync_directory(session, make_config(TOML_STAFF), now=NOW)
    return sessions


def _import(sessions: Any, *rows: dict[str, str], now: datetime = NOW) -> ImportResult:
    with sessions.begin() as session:
        result: ImportResult = import_staff(session, rows, now=now, first_line=2)
    return result


def _staff(sessions: Any) -> dict[str, StaffRecord]:
    with sessions() as session:
        return {r.code: r for r in session.scalars(select(StaffRecord))}


def test_import_creates_then_updates_by_code(synced: Any) -> None:
    first = _import(
        synced,
        _row(code="0012", name="王 工", role="维修员", department="工程维修部",
             phone="138 0013 8000", working_hours="8:30-17:30"),
        _row(code="li.pm", name="李总", role="物业经理", email="Li.PM@Property.example"),
    )  # fmt: skip
    assert first == ImportResult(created=2)
    wang = _staff(synced)["0012"]
    assert (wang.name, wang.role, wang.department, wang.phone, wang.working_hours) == (
        "王 工", "member", "engineering", "+8613800138000", "08:30-17:30")  # fmt: skip
    assert (wang.on_duty, wang.active, wang.origin, wang.updated_at) == (True, True, "import", NOW)
    later = NOW + timedelta(days=1)
    again = _import(
        synced, _row(code="0012", on_duty="否"), _row(code="li.pm", name="李总"), now=later
    )
    assert again == ImportResult(updated=1, unchanged=1)
    staff = _staff(synced)
    assert (staff["0012"].on_duty, staff["0012"].phone, staff["0012"].updated_at) == (
        False, "+8613800138000", later)  # fmt: skip
    assert (staff["li.pm"].email, staff["li.pm"].updated_at) == ("li.pm@property.example", NOW)


def test_bad_rows_are_rejected_by_line_and_reason_and_the_rest_imported(synced: Any) -> None:
    result = _import(
        synced,
        _row(code="a1", name="A", role="保安队长", department="engineering"),
        _row(code="a2", name="B", department="物业部"),
        _row(code="a3", name="C", role="member"),
        _row(code="a4", name="D", department="cleaning", phone="1380013"),
        _row(code="a5", name="E", department="cleaning", email="e@"),
        _row(code="a6", name="F", department="cleaning", working_hours="全天"),
        _row(code="a7", department="cleaning"),
        _row(code="zhang.head", name="张三", department="cleaning"),
        _row(code="a 8", name="G", department="cleaning"),
        _row(name="H", department="cleaning"),
        _row(code="a9", name="I", department="cleaning", on_duty="maybe"),
        _row(),
        _row(code="ok", name="好", role="区域经理"),
    )
    assert result.rejected == [
        (2, "bad_role"), (3, "unknown_department"), (4, "department_required"),
        (5, "bad_phone"), (6, "bad_email"), (7, "bad_working_hours"), (8, "no_name"),
        (9, "configured_in_toml"), (10, "bad_code"), (11, "no_code"), (12, "bad_on_duty"),
    ]  # fmt: skip
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert set(_staff(synced)) == {"zhang.head", "ok"}
    assert _staff(synced)["zhang.head"].name == "张经理"


def test_a_code_dropped_from_the_toml_file_can_be_imported(
    synced: Any, make_config: Callable[..., Config]
) -> None:
    with synced.begin() as session:
        sync_directory(session, make_config(""), now=NOW)
    assert _staff(synced)["zhang.head"].active is False
    result = _import(synced, _row(code="zhang.head", role="主管"))
    assert result == ImportResult(updated=1)
    head = _staff(synced)["zhang.head"]
    assert (head.origin, head.active, head.name, head.role) == (
        "import", True, "张经理", "department_head")  # fmt: skip
