"""``plaint staff import``: staff from a CSV file into the directory (``origin = "import"``).

Rows are upserted by code. A header names the columns in English or Chinese (工号/编号,
姓名, 角色/岗位, 部门, 电话/手机, 邮箱, 工作时间, 在岗, 在职); roles may be written in Chinese
(员工 → member, 主管 → department_head, 客服 → desk, 物业经理 → property_manager, …) and the
department by its code or its Chinese name. An empty cell never clears a value. Staff the
TOML file lists are the TOML file's: a row naming one is rejected (``configured_in_toml``)
rather than silently undone at the next start-up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config.sla import ROLES
from plaint.errors import ConfigError, MalformedMessageError
from plaint.models import Department, StaffRecord
from plaint.pipeline.calendar import parse_working_hours
from plaint.pipeline.contacts import normalise_email, normalise_phone
from plaint.pipeline.csvtable import Columns, header_key
from plaint.service.csvimport import ImportResult, RejectedRowError, import_rows
from plaint.service.directory import DEPARTMENT_ROLES

__all__ = [
    "COLUMNS",
    "FIELDS",
    "ROLE_NAMES",
    "import_staff",
    "normalise_working_hours",
    "parse_role",
]

COLUMNS = Columns(
    aliases={
        "code": "code", "工号": "code", "编号": "code", "员工编号": "code",
        "name": "name", "姓名": "name",
        "role": "role", "角色": "role", "岗位": "role", "职务": "role",
        "department": "department", "部门": "department",
        "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone",
        "电话/手机": "phone",
        "email": "email", "邮箱": "email", "电子邮箱": "email",
        "working_hours": "working_hours", "working hours": "working_hours",
        "工作时间": "working_hours",
        "on_duty": "on_duty", "on duty": "on_duty", "在岗": "on_duty",
        "active": "active", "在职": "active",
    },
    required=(("code",),),
    hint="a code column (code/工号/编号)",
)  # fmt: skip
# The fields a row may carry besides its code; any other key is ignored.
FIELDS = ("name", "role", "department", "phone", "email", "working_hours", "on_duty", "active")
# Roles as people write them (folded: header_key, spaces and dashes to "_") to role codes.
ROLE_NAMES = {
    **{role: role for role in ROLES},
    "员工": "member", "维修员": "member", "维修工": "member", "职员": "member",
    "主管": "department_head", "部门负责人": "department_head", "部门主管": "department_head",
    "部门经理": "department_head", "head": "department_head",
    "客服": "desk", "客服专员": "desk", "客服中心": "desk",
    "物业经理": "property_manager", "项目经理": "property_manager",
    "区域经理": "regional_manager",
    "管理员": "admin", "系统管理员": "admin", "administrator": "admin",
}  # fmt: skip
_FLAGS = {
    "1": True, "true": True, "yes": True, "y": True, "是": True, "在岗": True, "在职": True,
    "启用": True, "√": True, "✓": True,
    "0": False, "false": False, "no": False, "n": False, "否": False, "不在岗": False,
    "离岗": False, "休假": False, "离职": False, "停用": False, "×": False,
}  # fmt: skip
# The widths of the staff table's columns.
_MAX_LENGTHS = {"code": 100, "name": 200, "working_hours": 100}
_CODE = re.compile(r"[\w.@-]+")
_RANGE_DASHES = re.compile(r"\s*[~～—–至到]\s*|\s+-\s+")
_PERIOD_SEPARATORS = re.compile(r"\s*[,，;；、]\s*|\s+")


def parse_role(raw: str) -> str:
    """Return the role code for ``raw`` ("主管" → "department_head", "Desk" → "desk").
    Raises MalformedMessageError(reason="bad_role") for a role the directory lacks."""
    role = ROLE_NAMES.get(re.sub(r"[\s-]+", "_", header_key(raw)))
    if role is None:
        raise MalformedMessageError("not a staff role", reason="bad_role")
    return role


def normalise_working_hours(raw: str) -> str:
    """Return working hours as "09:00-12:00,13:30-18:00" from the ways people write them
    ("9:00～12:00，13:30-18:00", "9:00至18:00"). Raises MalformedMessageError(
    reason="bad_working_hours") when they do not parse (bad time, overlap, end before start)."""
    text = _RANGE_DASHES.sub("-", unicodedata.normalize("NFKC", raw).strip())
    text = _PERIOD_SEPARATORS.sub(",", text)
    try:
        periods = parse_working_hours(text)
    except ConfigError as exc:
        raise MalformedMessageError("not working hours", reason="bad_working_hours") from exc
    if not periods:
        raise MalformedMessageError("no working hours", reason="bad_working_hours")
    return ",".join(str(period) for period in periods)


def import_staff(
    session: Session,
    rows: Iterable[Mapping[str, str]],
    *,
    now: datetime,
    lines: Iterable[int] | None = None,
    first_line: int = 1,
) -> ImportResult:
    """Upsert one member of staff per row of ``rows`` (keys: the fields of :data:`COLUMNS`)
    and return the counts; rows are reported by ``lines`` (else ``first_line`` on).

    A new code needs a name; its role defaults to ``member``, ``on_duty`` and ``active`` to
    true. Members and department heads need a department (a code, or a department's name).
    Phones are stored in E.164, emails lower-cased, working hours in one normal form.
    Rejected, with a reason code and skipped: ``no_code``, ``bad_code``, ``no_name``,
    ``bad_role``, ``unknown_department``, ``department_required``, ``bad_phone``,
    ``bad_email``, ``bad_working_hours``, ``bad_on_duty``, ``bad_active``, ``…_too_long``,
    ``configured_in_toml`` (an active TOML-listed code). Each row runs in a savepoint; the
    caller owns the transaction. Raises only for database failures."""
    departments: dict[str, str] = {}
    for department in session.scalars(select(Department)):
        departments[header_key(department.name)] = department.code
        departments[header_key(department.code)] = department.code
    return import_rows(
        session, rows, lines=lines, first_line=first_line,
        upsert=lambda row: _upsert(session, row, departments=departments, now=now),
    )  # fmt: skip


def _upsert(
    session: Session, row: Mapping[str, str], *, departments: Mapping[str, str], now: datetime
) -> str:
    code = _code(row)
    record = session.scalar(select(StaffRecord).where(StaffRecord.code == code))
    if record is not None and record.origin == "config" and record.active:
        raise RejectedRowError("configured_in_toml")
    values = _values(row, departments)
    if record is None:
        if "name" not in values:
            raise RejectedRowError("no_name")
        values = {"role": "member", "on_duty": True, "active": True, **values}
        _check_department(values)
        session.add(StaffRecord(code=code, origin="import", updated_at=now, **values))
        session.flush()
        return "created"
    _check_department({"role": record.role, "department": record.department, **values})
    if record.origin != "import":  # a code the TOML file no longer lists: taken over
        values = {"active": True, **values, "origin": "import"}
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    for key, value in changed.items():
        setattr(record, key, value)
    if changed:
        record.updated_at = now
    session.flush()
    return "updated" if changed else "unchanged"


def _code(row: Mapping[str, str]) -> str:
    code = unicodedata.normalize("NFKC", row.get("code") or "").strip()
    if not code:
        raise RejectedRowError("no_code")
    if len(code) > _MAX_LENGTHS["code"]:
        raise RejectedRowError("code_too_long")
    if not _CODE.fullmatch(code):
        raise RejectedRowError("bad_code")
    return code


def _values(row: Mapping[str, str], departments: Mapping[str, str]) -> dict[str, Any]:
    """The row's non-empty values in stored form; rejects the row at the first bad one."""
    values: dict[str, Any] = {}
    for key in FIELDS:
        cell = " ".join((row.get(key) or "").split())
        if not cell:
            continue
        if len(cell) > _MAX_LENGTHS.get(key, 320):
            raise RejectedRowError(f"{key}_too_long")
        values[key] = _value(key, cell, departments)
    return values


def _value(key: str, cell: str, departments: Mapping[str, str]) -> str | bool:
    try:
        if key == "role":
            return parse_role(cell)
        if key == "department":
            if header_key(cell) not in departments:
                raise RejectedRowError("unknown_department")
            return departments[header_key(cell)]
        if key == "phone":
            return normalise_phone(cell)
        if key == "email":
            return normalise_email(cell)
        if key == "working_hours":
            return normalise_working_hours(cell)
        if key in ("on_duty", "active"):
            if header_key(cell) not in _FLAGS:
                raise RejectedRowError(f"bad_{key}")
            return _FLAGS[header_key(cell)]
    except MalformedMessageError as exc:
        raise RejectedRowError(exc.reason) from None
    return cell  # the name


def _check_department(values: Mapping[str, Any]) -> None:
    if values.get("role") in DEPARTMENT_ROLES and not values.get("department"):
        raise RejectedRowError("department_required")
