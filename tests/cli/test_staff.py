"""``plaint staff import|list|token`` as a user runs them, and imported staff handling
and being escalated to end to end."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from plaint.cli import main
from plaint.cli.importing import PROGRESS_MIN_ROWS, tracked
from plaint.models import Notification
from plaint.service.directory import authenticate
from tests.cli.test_output import width as display_width
from tests.conftest import source_toml
from tests.plant import Plant
from tests.service.test_staffimport import TOML_STAFF
from tests.workers.test_flow import complaint

Run = Callable[..., tuple[int, str, str]]
# As Excel saves it on a Chinese Windows: GBK, Chinese headers and roles, CRLF.
STAFF_CSV = (
    "工号,姓名,岗位,部门,手机,邮箱,工作时间,在岗\r\n"
    "0012,王建国,维修员,工程维修部,138 0013 8000,,14:00-16:00,是\r\n"
    "0013,Li Na,主管,engineering,,li.na@property.example,,\r\n"
    "0020,欧阳 娜娜,物业经理,,,,,\r\n"
    "0030,赵总,区域经理,,,,,\r\n"
)


@pytest.fixture
def run(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:  # fmt: skip
    """Run ``plaint ARGS`` on a migrated database no worker has opened, with TOML staff;
    return (exit code, stdout, stderr)."""
    config = tmp_path / "plaint.toml"
    config.write_text(TOML_STAFF, "utf-8")
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.setenv("PLAINT_CONFIG", str(config))

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _csv(tmp_path: Path, text: str, encoding: str = "gbk", name: str = "staff.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_list_shows_toml_staff_on_a_database_no_worker_opened(run: Run) -> None:
    code, out, err = run("staff", "list", "--json")
    assert (code, err) == (0, "")
    [head] = json.loads(out)
    assert head == {"code": "zhang.head", "name": "张经理", "role": "department_head",
                    "department": "engineering", "phone": None, "email": None,
                    "working_hours": None, "on_duty": True, "active": True,
                    "origin": "config", "has_token": False}  # fmt: skip


def test_import_gbk_with_chinese_headers_then_list_lines_up(run: Run, tmp_path: Path) -> None:
    path = _csv(tmp_path, STAFF_CSV)
    assert run("staff", "import", path) == (
        0, "4 created, 0 updated, 0 unchanged, 0 rejected\n", "")  # fmt: skip
    assert run("staff", "import", path)[1] == "0 created, 0 updated, 4 unchanged, 0 rejected\n"
    code, out, _ = run("staff", "list", "--department", "工程维修部")
    assert code == 0
    lines = [line for line in out.splitlines() if line.strip()]
    header, rows = lines[0], lines[2:] if set(lines[1].strip()) <= {"─", " "} else lines[1:]
    assert [row.split()[0] for row in rows] == ["0012", "0013", "zhang.head"]

    def column(line: str, text: str) -> int:  # the display column where ``text`` starts
        return display_width(line[: line.index(text)])

    for row, role in zip(rows, ("member", "department_head", "department_head"), strict=True):
        assert column(row, role) == column(header, "role")
        assert column(row, "engineering") == column(header, "department")
    assert "14:00-16:00" in rows[0]
    assert "13800138000" not in out  # contacts are for --json, tokens for nobody


def test_rejected_rows_carry_line_and_reason_but_no_personal_data(run: Run, tmp_path: Path) -> None:
    text = (
        "code,name,role,department,phone,email,working_hours\n"
        "a1,Good Person,member,cleaning,,,\n"
        "a2,Secret Name,member,cleaning,1380013,,\n"
        "a3,Other Name,保安队长,cleaning,,,\n"
        "zhang.head,Taken Name,member,cleaning,,,\n"
        "a4,Hours Name,member,cleaning,,,all day long\n"
    )
    code, out, err = run("staff", "import", _csv(tmp_path, text, "utf-8"))
    assert (code, out) == (1, "1 created, 0 updated, 0 unchanged, 4 rejected\n")
    assert err.splitlines() == [
        "line 3: rejected: bad_phone",
        "line 4: rejected: bad_role",
        "line 5: rejected: configured_in_toml",
        "line 6: rejected: bad_working_hours",
    ]
    for private in ("1380013", "Secret", "Other", "Taken", "保安队长", "all day"):
        assert private not in out + err
    code, out, err = run("staff", "import", _csv(tmp_path, text, "utf-8"), "--json")
    assert (code, err) == (1, "")
    summary = json.loads(out)
    assert (summary["created"], summary["unchanged"]) == (0, 1)
    assert summary["rejected"][0] == {"line": 3, "reason": "bad_phone"}


@pytest.mark.parametrize("content", [None, "", "name,phone\nA,1\n", "工号,编号\n1,2\n"])
def test_import_refuses_a_missing_file_or_a_header_without_codes(
    run: Run, tmp_path: Path, content: str | None
) -> None:
    path = str(tmp_path / "missing.csv") if content is None else _csv(tmp_path, content)
    code, out, err = run("staff", "import", path)
    assert (code, out) == (2, "")
    assert err.startswith("plaint: error: ")
    assert len(err.splitlines()) == 1


def test_a_token_is_printed_once_alone_and_can_be_revoked(
    run: Run, sessions: Callable[..., object]
) -> None:
    code, out, err = run("staff", "token", "zhang.head")
    assert code == 0
    [token] = out.splitlines()
    assert "only" in err
    assert token not in err
    with sessions() as session:  # type: ignore[attr-defined]
        who = authenticate(session, token)
    assert who is not None
    assert who.code == "zhang.head"
    code, out, _ = run("staff", "list")
    assert token not in out
    assert json.loads(run("staff", "list", "--json")[1])[0]["has_token"] is True
    assert run("staff", "token", "zhang.head", "--revoke")[:2] == (
        0, "revoked 1 token of zhang.head\n")  # fmt: skip
    with sessions() as session:  # type: ignore[attr-defined]
        assert authenticate(session, token) is None


@pytest.mark.parametrize("extra", [(), ("--revoke",)])
def test_an_unknown_code_is_one_line_and_exit_2(run: Run, extra: tuple[str, ...]) -> None:
    code, out, err = run("staff", "token", "nobody", *extra)
    assert (code, out) == (2, "")
    assert err.startswith("plaint: error: ")
    assert "nobody" in err
    assert len(err.splitlines()) == 1


def test_a_long_import_draws_a_progress_bar_only_on_a_terminal() -> None:
    rows = [{"n": str(i)} for i in range(PROGRESS_MIN_ROWS)]
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=80)
    assert list(tracked(rows, label="staff", console=console)) == rows
    assert f"{PROGRESS_MIN_ROWS}/{PROGRESS_MIN_ROWS}" in terminal.getvalue()
    pipe = io.StringIO()
    assert list(tracked(rows, label="staff", console=Console(file=pipe))) == rows
    short = io.StringIO()
    console = Console(file=short, force_terminal=True)
    assert list(tracked(rows[:3], label="staff", console=console)) == rows[:3]
    assert pipe.getvalue() == short.getvalue() == ""


# --- end to end: imported staff handle tickets and are escalated to --------------------


def test_imported_staff_are_assigned_escalated_to_and_notified_in_their_hours(
    make_plant: Callable[[str], Plant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    plant = make_plant("")  # no [[staff]] in the TOML file at all
    config = tmp_path / "cli.toml"
    config.write_text(source_toml(plant.mailbox), "utf-8")
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    monkeypatch.setenv("PLAINT_DATABASE_URL", plant.rt.settings.database_url)
    assert main(["staff", "import", _csv(tmp_path, STAFF_CSV)]) == 0
    capsys.readouterr()
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了一个星期"))
    plant.mailbox.append(complaint(2, "5号楼电梯困人了！"))
    plant.poll()
    tickets = {t.urgency: t for t in plant.tickets()}
    assert {t.assignee for t in tickets.values()} == {"0012"}
    late = max(t.received_at for t in tickets.values()) + timedelta(hours=30)
    plant.clock.set(late)
    plant.actors.sla_sweep.send()
    plant.drain()
    with plant.sessions() as session:
        rows = list(session.scalars(
            select(Notification).where(Notification.recipient_kind == "staff")
            .order_by(Notification.id)
        ))  # fmt: skip
    normal = [n for n in rows if n.ticket_id == tickets["normal"].id
              and n.data["clock"] == "first_response"]  # fmt: skip
    assert [(n.recipient, n.data["mark"]) for n in normal] == [
        ("0012", "breach"), ("0013", "escalate:1"), ("0020", "escalate:2"),
        ("0030", "escalate:3")]  # fmt: skip
    calendar = plant.rt.config.staff_calendar
    for n in normal:
        local = n.not_before.astimezone(calendar.zone)
        assert calendar.is_working_day(local.date())
        assert n.not_before >= late
        hours = (14, 16) if n.recipient == "0012" else (9, 18)  # 0012's own hours
        assert hours[0] <= local.hour < hours[1], n.recipient
    urgent = [n for n in rows if n.ticket_id == tickets["emergency"].id]
    assert "0012" in {n.recipient for n in urgent}
    assert all(n.urgent and n.not_before == late for n in urgent)
