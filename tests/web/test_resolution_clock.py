"""A policy with the optional resolution clock (延期 practice: a plan within 3 working
days, resolution within 15): due 15 working days after receipt across the holidays, the
closure clock met by ``POST …/plan``, the resolution clock met on resolve, breached and
escalated once by the sweep, shown by ``tickets explain`` and the ticket list, counted
in ``plaint report sla`` and moved by an extension; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint import cli
from plaint.config import Config
from plaint.models import SlaMark, Ticket, TicketEvent
from plaint.service.explain import explain_ticket
from plaint.service.reports import sla_kpis
from plaint.service.sla import sweep
from plaint.service.staff import Action, act
from tests.web.test_desk import STAFF, TICKETS, Desk, open_desk

SH = ZoneInfo("Asia/Shanghai")
# Wednesday 23 September 2026, 10:00: Mid-Autumn (25 September) and National Day (1-7
# October) fall inside 15 working days; Saturday 10 October is a make-up working day.
RECEIVED = datetime(2026, 9, 23, 10, 0, tzinfo=SH)
PLAN_DUE = datetime(2026, 9, 29, 10, 0, tzinfo=SH)
RESOLUTION_DUE = datetime(2026, 10, 21, 10, 0, tzinfo=SH)
TRACKED = """
[sla.default]
first_response = { hours = 24 }
closure = { working_days = 3 }
resolution = { working_days = 15 }
[[staff]]
code = "chen.head"
name = "陈主管"
role = "department_head"
department = "cleaning"
"""
COMPLAINT = {"text": "门口垃圾两天没人清运", "phone": "13800138000"}


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = RECEIVED

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:  # fmt: skip
    monkeypatch.setattr("tests.web.test_desk.NOW", RECEIVED)  # Desk.triage's instant
    yield from open_desk(sessions, make_config(STAFF + TRACKED), clock=clock)


@pytest.fixture
def plain_desk(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:  # fmt: skip
    monkeypatch.setattr("tests.web.test_desk.NOW", RECEIVED)
    yield from open_desk(sessions, make_config(STAFF), clock=clock)


def ticket(desk: Desk, number: str) -> Ticket:
    with desk.sessions() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        found.events  # noqa: B018 (loaded before the session closes)
        return found


def explain(desk: Desk, number: str, now: datetime) -> str:
    with desk.sessions() as session:
        return "\n".join(explain_ticket(session, number, config=desk.config, now=now))


def listed(desk: Desk, query: str) -> list[str]:
    answer = desk.get(f"{TICKETS}?{query}", as_="desk.wu")
    assert answer.status_code == 200, answer.text
    return [item["number"] for item in answer.json()["items"]]


def test_due_15_working_days_after_receipt_across_the_holidays(desk: Desk) -> None:
    number = desk.take(COMPLAINT)
    found = ticket(desk, number)
    assert (found.closure_due, found.resolution_due) == (PLAN_DUE, RESOLUTION_DUE)
    explained = explain(desk, number, RECEIVED)
    assert "resolution: budget 15 working days" in explained
    assert "2026-10-01 Thu: public or company holiday, skipped" in explained
    assert "2026-10-10 Sat: make-up working day (调休), counted" in explained
    assert "closure: investigation and a solution or initial plan" in explained


def test_the_plan_meets_closure_and_resolve_meets_resolution(desk: Desk, clock: Clock) -> None:
    number = desk.take(COMPLAINT)
    clock.now = datetime(2026, 9, 23, 11, 0, tzinfo=SH)
    replied = desk.post(f"{TICKETS}/{number}/reply", {"text": "已收到，正在安排"}, as_="li.clean")
    assert replied.status_code == 200, replied.text
    clock.now = datetime(2026, 9, 28, 15, 0, tzinfo=SH)
    planned = desk.post(f"{TICKETS}/{number}/plan", {"plan": "联系外包清运，本周内完成"},
                        as_="li.clean")  # fmt: skip
    assert planned.status_code == 200, planned.text
    assert planned.json()["event"]["data"] == {"plan": "联系外包清运，本周内完成",
                                               "closure_met": True}  # fmt: skip
    found = ticket(desk, number)
    assert (found.planned_at, found.closed_at, found.status) == (clock.now, None, "responded")
    clock.now = PLAN_DUE + timedelta(hours=1)  # the plan was in time: nothing at risk
    assert listed(desk, "at_risk=true") == []
    # the plan met, the resolution clock at risk two hours before its due
    clock.now = RESOLUTION_DUE - timedelta(hours=1)
    assert listed(desk, "at_risk=true") == [number]
    clock.now = datetime(2026, 10, 20, 9, 0, tzinfo=SH)
    resolved = desk.post(f"{TICKETS}/{number}/resolve", {"resolution": "已清运"}, as_="li.clean")
    assert resolved.status_code == 200, resolved.text
    explained = explain(desk, number, clock.now)
    assert "met      2026-09-28 15:00 (in time)" in explained  # closure, by the plan
    assert "met      2026-10-20 09:00 (in time)" in explained  # resolution, on resolve
    clock.now = RESOLUTION_DUE + timedelta(hours=1)
    assert listed(desk, "at_risk=true") == []
    with desk.sessions() as session:
        rows = sla_kpis(session, start=RECEIVED - timedelta(days=1),
                        end=RECEIVED + timedelta(days=1), now=clock.now,
                        resolution=True)  # fmt: skip
    assert rows[-1].resolution is not None
    assert (rows[-1].resolution.met, rows[-1].resolution.missed) == (1, 0)
    assert rows[-1].as_dict()["resolution"]["target"] == 0.8


def test_the_sweep_breaches_and_escalates_the_resolution_clock_once(desk: Desk) -> None:
    number = desk.take(COMPLAINT)
    with desk.sessions.begin() as session:  # the plan and a first response, in time
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        at = datetime(2026, 9, 24, 9, 0, tzinfo=SH)
        act(session, found, Action.PLAN, actor="li.clean", at=at, config=desk.config)
        act(session, found, Action.RESPOND, actor="li.clean", at=at, config=desk.config)
    late = RESOLUTION_DUE + timedelta(minutes=30)
    first = sweep(desk.sessions, config=desk.config, now=late)
    again = sweep(desk.sessions, config=desk.config, now=late)
    assert again.marks == 0
    with desk.sessions() as session:
        marks = session.scalars(select(SlaMark).order_by(SlaMark.id)).all()
        fired = [(m.clock, m.mark) for m in marks]
        notified = {
            e.data["mark"]: e.data["recipients"]
            for e in session.scalars(select(TicketEvent).where(TicketEvent.kind.like("sla_%")))
            if e.data.get("clock") == "resolution"
        }
    assert first.marks == len(fired)
    assert fired.count(("resolution", "breach")) == 1
    assert fired.count(("resolution", "escalate:1")) == 1
    assert ("closure", "breach") not in fired  # met by the plan
    # the breach tells the assignee, the first escalation step the department head
    assert (notified["breach"], notified["escalate:1"]) == (["li.clean"], ["chen.head"])
    assert listed(desk, "breached=true") == [number]
    explained = explain(desk, number, late)
    assert "resolution cycle 0 breach" in explained
    assert "resolution cycle 0 escalate:1" in explained


def test_an_extension_moves_the_resolution_due(desk: Desk, clock: Clock) -> None:
    number = desk.take(COMPLAINT)
    clock.now = datetime(2026, 10, 19, 10, 0, tzinfo=SH)
    until = datetime(2026, 10, 30, 18, 0, tzinfo=SH)
    body = {"until": until.isoformat(), "reason": "等待外包清运车辆"}
    refused = desk.post(f"{TICKETS}/{number}/extend", body, as_="li.clean")
    assert (refused.status_code, refused.json()["code"]) == (403, "extension_beyond_limit")
    done = desk.post(f"{TICKETS}/{number}/extend", body, as_="qian.pm")
    assert done.status_code == 200, done.text
    assert datetime.fromisoformat(done.json()["limit"]) == RESOLUTION_DUE
    found = ticket(desk, number)
    assert (found.closure_due, found.resolution_due) == (PLAN_DUE, until)
    assert "extended 2026-10-19 10:00: due moved to 2026-10-30 18:00" in explain(
        desk, number, clock.now
    )


def test_without_the_clock_a_plan_is_only_recorded(plain_desk: Desk) -> None:
    number = plain_desk.take(COMPLAINT)
    planned = plain_desk.post(f"{TICKETS}/{number}/plan", {"plan": "联系外包清运"},
                              as_="li.clean")  # fmt: skip
    assert planned.status_code == 200, planned.text
    assert planned.json()["event"]["data"]["closure_met"] is False
    found = ticket(plain_desk, number)
    assert (found.planned_at, found.resolution_due) == (None, None)
    assert "resolution" not in explain(plain_desk, number, RECEIVED)


def test_the_report_has_a_resolution_column_only_when_a_policy_runs_the_clock(
    desk: Desk, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    desk.take(COMPLAINT)
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.report",))
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    args = ["report", "sla", "--month", "2026-09", "--as-of", "2026-11-30T12:00"]
    for text, shown in (("", False), (TRACKED.split("[[staff]]")[0], True)):
        config = tmp_path / f"report{shown}.toml"
        config.write_text(text, "utf-8")
        monkeypatch.setenv("PLAINT_CONFIG", str(config))
        assert cli.main(args) == 0
        header = capsys.readouterr().out.splitlines()[1]
        assert ("resolved in time (target 80 %)" in header) is shown
        assert cli.main([*args, "--json"]) == 0
        row = json.loads(capsys.readouterr().out)["rows"][-1]
        assert ("resolution" in row) is shown
    assert row["resolution"]["missed"] == 1


def test_plaint_tickets_plan_meets_the_closure_clock(
    desk: Desk, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    number = desk.take(COMPLAINT)
    config = tmp_path / "cli.toml"
    config.write_text(STAFF + TRACKED, "utf-8")
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    assert cli.main(["tickets", "plan", number, "--by", "li.clean", "--plan", "联系外包清运",
                     "--at", "2026-09-24T09:00"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"{number}: plan recorded; status open" in out
    assert out.rstrip().endswith("closure due 2026-09-29 10:00, resolution due 2026-10-21 10:00")
    assert ticket(desk, number).planned_at == datetime(2026, 9, 24, 9, 0, tzinfo=SH)
    with pytest.raises(SystemExit) as refused:  # argparse: --plan is required
        cli.main(["tickets", "plan", number, "--by", "li.clean"])
    assert refused.value.code == 2
    assert "the following arguments are required: --plan" in capsys.readouterr().err
